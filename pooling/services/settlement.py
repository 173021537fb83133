"""Settling a pool: split the partner's actual invoice fairly, to the cent, and post it.

One settlement run per pool and invoice version. A run locks the pool row, decides
from the database what is still to settle (nothing, when the latest invoice already
has its settlement), and writes the settlement, its shares, the ledger transaction
and the pool's new state in one database transaction: a worker killed half-way
leaves nothing behind, and the retry or the sweeper does the whole run again.

How the money is split lives in `pooling.domain.allocation`; this module gathers
its inputs (invoice lines net of credit notes, member loads and container
placements, standalone costs on the pool's rate card, FX rates), decides whether
to hold for a coordinator, and writes the outcome.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.utils import timezone

from accounts.models import Firm, Partner
from coop.errors import ApplicationError, Conflict
from pooling.domain.allocation import (
    EXACT_CORE_LIMIT,
    Allocation,
    AllocationError,
    CostFunction,
    CostLine,
    MemberLoad,
    SettlementHold,
    settle_split,
    split_ad,
)
from pooling.domain.money import ZERO, MoneyError, largest_remainder, quantize
from pooling.domain.tariff import RateCard as DomainRateCard
from pooling.domain.tariff import TariffError
from pooling.domain.tariff import price as tariff_price
from pooling.feed.ratecards import RateCardParseError, card_from_row
from pooling.models import (
    Account,
    FxRate,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Pool,
    PoolEvent,
    PoolMember,
    Settlement,
    SettlementShare,
    SpendReport,
)
from pooling.services.ledger import (
    LEDGER_ENTRY_COLUMNS,
    AccountCache,
    Leg,
    check_balanced,
    ledger_entries,
    ledger_entry_rows,
    ledger_reverse,
)
from pooling.services.locks import lock_pools
from pooling.services.notifications import notify_firms
from pooling.services.transitions import record_event
from pooling.services.webhooks import webhook_emit

logger = logging.getLogger(__name__)

PAUSE_ENV = "COOP_SETTLEMENT_TEST_PAUSE_SECONDS"
"""Seconds to sleep inside the settlement transaction; only the crash tests set it."""

SHAPLEY_SAMPLES = 2000
FX_PLACES = Decimal("1e-10")

S = Pool.State
SETTLEABLE = {
    Pool.Kind.LOGISTICS: frozenset({S.DELIVERED, S.INVOICED, S.SETTLED}),
    Pool.Kind.ADS: frozenset({S.INVOICED, S.SETTLED}),
}
LIVE_STATUSES = (Settlement.Status.PENDING, Settlement.Status.COMPLETED, Settlement.Status.HELD)


class SettlementError(ApplicationError):
    code = "settlement_error"


class _Hold(Exception):
    """The run cannot settle automatically: a coordinator must review."""


# ------------------------------------------------------------------------ inputs


@dataclass(frozen=True, slots=True)
class _DemandLoad:
    """The fields settlement reads from a member's shipping demand."""

    gross_kg: Decimal
    volume_cbm: Decimal
    chargeable_kg: Decimal | None
    revenue_tons: Decimal | None


@dataclass
class _PoolInputs:
    pool: Pool
    members: list[PoolMember]
    documents: list[Invoice]
    reports: list[SpendReport]
    demands: dict[int, _DemandLoad] = field(default_factory=dict)
    """Each member's demand (by member pk), for members that have one."""

    @property
    def latest(self) -> Invoice | None:
        return self.documents[-1] if self.documents else None

    @property
    def report_ids(self) -> list[int]:
        return sorted(r.pk for r in self.reports)


@dataclass
class _ShareRow:
    member: PoolMember
    amount: Decimal
    standalone: Decimal | None
    billing_currency: str
    billing_amount: Decimal
    fx_rate: Decimal
    lines: list[dict[str, str]]


@dataclass
class _Plan:
    """What a run decided, before anything is written."""

    inputs: _PoolInputs
    currency: str
    total: Decimal = ZERO
    method: str = "proportional"
    explanation: list[str] = field(default_factory=list)
    allocation: dict[str, Any] = field(default_factory=dict)
    sampling_error: Decimal | None = None
    hold_reason: str = ""
    shares: list[_ShareRow] = field(default_factory=list)
    partner: Partner | None = None
    issue_date: date | None = None

    @property
    def held(self) -> bool:
        return bool(self.hold_reason)


def _label(member: PoolMember) -> str:
    return f"member #{member.pk}"


def _q(amount: Decimal, currency: str) -> Decimal:
    return quantize(amount, currency)


def _fmt(amount: Decimal, currency: str) -> str:
    return f"{currency} {_q(amount, currency):,}"


MEMBER_FIELDS = ("id", "pool_id", "firm_id", "demand_id", "ad_need_id", "status",
                 "standalone_cost", "projected_share", "chargeable_kg", "revenue_tons",
                 "volume_cbm", "budget", "placement")


def _load_inputs(pool_ids: Sequence[int], *, lock: bool = False) -> dict[int, _PoolInputs]:
    """Members, invoices (oldest first) and spend reports of each pool, in a few queries.

    With `lock`, the pools are locked first, in primary-key order (as `lock_pools` does),
    by the same query that reads them, and only the settleable ones are loaded further.
    Firms are loaded once each (many pools share firms); of members, invoice lines and
    demands only the fields settlement reads."""
    lines = InvoiceLine.objects.only("id", "invoice_id", "line_no", "charge_code", "basis",
                                     "amount", "applies_to", "container")
    documents = Invoice.objects.prefetch_related(
        Prefetch("lines", queryset=lines, to_attr="line_rows")).order_by("created_at", "pk")
    query = Pool.objects.filter(pk__in=list(pool_ids)).select_related(
        "partner", "rate_card", "programme")
    if lock:
        query = query.order_by("pk").select_for_update(of=("self",))
    pools = [p for p in query if not lock or p.state in SETTLEABLE[Pool.Kind(p.kind)]]
    prefetch_related_objects(pools, Prefetch("invoices", queryset=documents,
                                             to_attr="documents"))
    inputs = {p.pk: _PoolInputs(pool=p, members=[], documents=list(p.documents),  # type: ignore[attr-defined]
                                reports=[])
              for p in pools}
    partner_ids = {d.partner_id for i in inputs.values() for d in i.documents}
    partners = Partner.objects.in_bulk(partner_ids)
    for item in inputs.values():
        for doc in item.documents:
            doc.partner = partners[doc.partner_id]
    members = list(PoolMember.objects.filter(pool_id__in=list(inputs),
                                             status=PoolMember.Status.ACCEPTED)
                   .only(*MEMBER_FIELDS)
                   .annotate(d_gross_kg=F("demand__gross_kg"), d_volume_cbm=F("demand__volume_cbm"),
                             d_chargeable_kg=F("demand__chargeable_kg"),
                             d_revenue_tons=F("demand__revenue_tons"))
                   .order_by("pk"))
    firms = Firm.objects.in_bulk({m.firm_id for m in members})
    for m in members:
        m.firm = firms[m.firm_id]
        item = inputs[m.pool_id]
        item.members.append(m)
        if m.demand_id:
            item.demands[m.pk] = _DemandLoad(
                gross_kg=m.d_gross_kg, volume_cbm=m.d_volume_cbm,  # type: ignore[attr-defined]
                chargeable_kg=m.d_chargeable_kg,  # type: ignore[attr-defined]
                revenue_tons=m.d_revenue_tons)  # type: ignore[attr-defined]
    ads = [pk for pk, i in inputs.items() if i.pool.kind == Pool.Kind.ADS]
    if ads:
        for report in SpendReport.objects.filter(pool_id__in=ads).select_related("partner") \
                .order_by("pk"):
            inputs[report.pool_id].reports.append(report)
    return inputs


# ------------------------------------------------------------------------- FX


class FxRates:
    """Rates posted by coordinators and partners: latest on or before a date, or inverse."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, date], Decimal | None] = {}

    def rate(self, base: str, quote: str, on: date) -> Decimal | None:
        if base == quote:
            return Decimal(1)
        key = (base, quote, on)
        if key not in self._cache:
            self._cache[key] = self._lookup(base, quote, on)
        return self._cache[key]

    @staticmethod
    def _lookup(base: str, quote: str, on: date) -> Decimal | None:
        direct = FxRate.objects.filter(base=base, quote=quote, as_of__lte=on) \
            .order_by("-as_of", "-pk").values_list("rate", flat=True).first()
        if direct is not None:
            return direct
        inverse = FxRate.objects.filter(base=quote, quote=base, as_of__lte=on) \
            .order_by("-as_of", "-pk").values_list("rate", flat=True).first()
        if inverse is None:
            return None
        with localcontext() as ctx:
            ctx.prec = 40
            return (Decimal(1) / inverse).quantize(FX_PLACES, rounding=ROUND_HALF_UP)


def _require_rate(fx: FxRates, base: str, quote: str, on: date) -> Decimal:
    rate = fx.rate(base, quote, on)
    if rate is None:
        raise _Hold(f"No {base}→{quote} rate on or before {on.isoformat()}: a coordinator or "
                    f"partner must post one (POST /api/v1/fx-rates/), then release the settlement.")
    return rate


# --------------------------------------------------------------- logistics lines


def _invoice_lines(doc: Invoice) -> list[InvoiceLine]:
    """The document's lines: as loaded by `_load_inputs`, else from the database."""
    loaded = getattr(doc, "line_rows", None)
    return loaded if loaded is not None else list(doc.lines.all())


def _doc_lines(doc: Invoice) -> list[CostLine]:
    currency = doc.currency
    lines = [CostLine(charge_code=line.charge_code, basis=line.basis,
                      amount=_q(line.amount, currency), applies_to=line.applies_to or None,
                      container=line.container or None)
             for line in sorted(_invoice_lines(doc), key=lambda ln: ln.line_no)]
    if not lines:
        return [CostLine(charge_code="TOTAL", basis="per_shipment", amount=_q(doc.total, currency))]
    line_sum = sum((ln.amount for ln in lines), ZERO)
    if line_sum != abs(_q(doc.total, currency)):
        raise _Hold(f"{doc} lines add up to {_fmt(line_sum, currency)} but its total is "
                    f"{_fmt(doc.total, currency)}.")
    return lines


def _net_lines(documents: Sequence[Invoice], currency: str) -> tuple[list[CostLine], list[str]]:
    """Invoice lines net of credit notes: a credited line is reduced where it matches."""
    lines: list[CostLine] = []
    notes: list[str] = []
    for doc in documents:
        if doc.currency != currency:
            raise _Hold(f"{doc} is in {doc.currency} but the pool's invoice is in {currency}.")
        if doc.kind == Invoice.Kind.INVOICE:
            lines.extend(_doc_lines(doc))
            continue
        credit = abs(_q(doc.total, currency))
        credited = _doc_lines(doc) if _invoice_lines(doc) else []
        notes.append(f"{doc} credits {_fmt(credit, currency)}.")
        if not credited:
            parts = largest_remainder(credit, [max(ln.amount, ZERO) for ln in lines], currency) \
                if lines else []
            lines = [CostLine(ln.charge_code, ln.basis, ln.amount - part, ln.applies_to,
                              ln.container) for ln, part in zip(lines, parts, strict=True)]
            continue
        for cl in credited:
            amount = abs(cl.amount)
            for index, ln in enumerate(lines):
                if (ln.charge_code, ln.basis, ln.container) == (cl.charge_code, cl.basis,
                                                                 cl.container):
                    lines[index] = CostLine(ln.charge_code, ln.basis, ln.amount - amount,
                                            ln.applies_to, ln.container)
                    break
            else:
                lines.append(CostLine(cl.charge_code, cl.basis, -amount, cl.applies_to,
                                      cl.container))
    return [ln for ln in lines if ln.amount != 0], notes


def _containers(pool: Pool, members: Sequence[PoolMember]) -> dict[int, tuple[tuple[str, Decimal], ...]]:
    """Each member's cbm per container, from its placement or else from the pool's plan."""
    found: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for m in members:
        placement = m.placement if isinstance(m.placement, dict) else {}
        for box in placement.get("containers") or []:
            if isinstance(box, dict) and (box.get("label") or box.get("code")):
                try:
                    found[m.pk].append((str(box.get("label") or box.get("code")),
                                        Decimal(str(box.get("volume_cbm", "0")))))
                except ArithmeticError:
                    continue
    if found:
        return {k: tuple(v) for k, v in found.items()}
    by_demand = {m.demand_id: m.pk for m in members if m.demand_id}
    plan = pool.plan if isinstance(pool.plan, dict) else {}
    counts: dict[str, int] = defaultdict(int)
    for box in plan.get("containers") or []:
        if not isinstance(box, dict) or not box.get("code"):
            continue
        counts[box["code"]] += 1
        label = f"{box['code']}#{counts[box['code']]}"
        for load in box.get("members") or []:
            member_pk = by_demand.get(load.get("need_id"))
            if member_pk is not None:
                try:
                    found[member_pk].append((label, Decimal(str(load.get("volume_cbm", "0")))))
                except ArithmeticError:
                    continue
    return {k: tuple(v) for k, v in found.items()}


def _loads(inputs: _PoolInputs) -> tuple[list[MemberLoad], dict[str, PoolMember]]:
    boxes = _containers(inputs.pool, inputs.members)
    loads: list[MemberLoad] = []
    by_label: dict[str, PoolMember] = {}
    for m in inputs.members:
        d = inputs.demands.get(m.pk)
        loads.append(MemberLoad(
            member_id=_label(m),
            chargeable_kg=m.chargeable_kg or (d.chargeable_kg if d else ZERO) or ZERO,
            revenue_tons=m.revenue_tons or (d.revenue_tons if d else ZERO) or ZERO,
            volume_cbm=m.volume_cbm or (d.volume_cbm if d else ZERO) or ZERO,
            containers=boxes.get(m.pk, ()),
        ))
        by_label[_label(m)] = m
    return loads, by_label


def _place_container_lines(lines: list[CostLine], loads: Sequence[MemberLoad]) -> tuple[
        list[CostLine], list[str]]:
    """Per-container lines naming a container nobody is recorded in are split by volume."""
    labels = {label for m in loads for label, _ in m.containers}
    out: list[CostLine] = []
    notes: list[str] = []
    for ln in lines:
        if ln.basis == "per_container" and ln.container and not any(
                label == ln.container or label.split("#", 1)[0] == ln.container
                for label in labels):
            notes.append(f"No placement is recorded for container {ln.container}, so "
                         f"{ln.charge_code} is split among all members by volume.")
            ln = CostLine(ln.charge_code, ln.basis, ln.amount, ln.applies_to, None)
        if ln.basis == "per_container" and not labels:
            ln = CostLine(ln.charge_code, ln.basis, ln.amount, ln.applies_to, None)
        out.append(ln)
    return out, notes


# ------------------------------------------------------------ rate card pricing


def _domain_card(pool: Pool) -> DomainRateCard | None:
    if pool.rate_card is None:
        return None
    return card_from_row(pool.rate_card)


def _coalition_cost(card: DomainRateCard, loads: dict[str, tuple[Decimal, Decimal]]) -> CostFunction:
    """What a group of members would pay shipping together alone on the same card."""
    cache: dict[tuple[Decimal, Decimal], Decimal] = {}

    def cost(group: frozenset[str]) -> Decimal:
        if not group:
            return ZERO
        kg = sum((loads[m][0] for m in group), ZERO)
        cbm = sum((loads[m][1] for m in group), ZERO)
        key = (kg, cbm)
        if key not in cache:
            cache[key] = tariff_price(card, gross_kg=kg, volume_cbm=cbm).total
        return cache[key]

    return cost


def _scaled(cost: CostFunction, grand: Decimal, total: Decimal) -> CostFunction:
    def scaled(group: frozenset[str]) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = 40
            return cost(group) * total / grand

    return scaled


# ------------------------------------------------------------------ planning


def _plan_logistics(plan: _Plan, fx: FxRates, override: bool) -> Allocation:
    inputs = plan.inputs
    pool = inputs.pool
    latest = inputs.latest
    if latest is None:
        raise _Hold("The pool has no invoice to settle.")
    currency = plan.currency
    lines, notes = _net_lines(inputs.documents, currency)
    plan.explanation.extend(notes)
    total = sum((ln.amount for ln in lines), ZERO)
    if total < 0:
        raise _Hold(f"Credit notes exceed the invoices: the net amount is {_fmt(total, currency)}.")
    plan.total = total
    if not inputs.members:
        raise _Hold("The pool has no accepted members to share the invoice.")
    loads, by_label = _loads(inputs)
    lines, notes = _place_container_lines(lines, loads)
    plan.explanation.extend(notes)

    card = None
    standalone: dict[str, Decimal] = {}
    missing: list[str] = []
    card_currency = pool.rate_card.currency if pool.rate_card else pool.currency
    card_rate = Decimal(1)
    if card_currency != currency:
        card_rate = _require_rate(fx, card_currency, currency, plan.issue_date or latest.issue_date)
    for label, m in by_label.items():
        value = m.standalone_cost
        demand = inputs.demands.get(m.pk)
        if value is None and demand is not None:
            try:
                card = card or _domain_card(pool)
                if card is not None:
                    value = tariff_price(card, gross_kg=demand.gross_kg,
                                         volume_cbm=demand.volume_cbm).total
            except (TariffError, RateCardParseError) as exc:
                plan.explanation.append(f"The standalone cost of {label} could not be priced: {exc}")
        if value is None:
            missing.append(label)
            continue
        standalone[label] = _q(value * card_rate, currency)
    if missing:
        raise _Hold(f"No standalone cost for {', '.join(missing)} on the pool's rate card, so "
                    "the split cannot be checked against going alone.")

    method = pool.split_method
    cost: CostFunction | None = None
    if total > 0 and pool.mode and (method == Pool.SplitMethod.SHAPLEY
                                    or len(loads) <= EXACT_CORE_LIMIT):
        try:
            card = card or _domain_card(pool)
        except RateCardParseError:
            card = None
        if card is not None:
            weights = {_label(m): (inputs.demands[m.pk].gross_kg, inputs.demands[m.pk].volume_cbm)
                       for m in inputs.members if m.pk in inputs.demands}
            if len(weights) == len(loads):
                raw = _coalition_cost(card, weights)
                try:
                    grand = raw(frozenset(weights))
                    if grand > 0:
                        cost = _scaled(raw, grand, total)
                except TariffError as exc:
                    plan.explanation.append(f"Groups could not be priced on the rate card: {exc}")
    if cost is None:
        if method == Pool.SplitMethod.SHAPLEY:
            plan.explanation.append("Shapley values need every group priced on the pool's rate "
                                    "card, which was not possible; the proportional split is used.")
            method = Pool.SplitMethod.PROPORTIONAL
        plan.explanation.append("The core was not checked: groups of members could not be "
                                "priced on the pool's rate card.")
    caps = standalone
    if override:
        caps = {label: max(total, value) for label, value in standalone.items()}
    try:
        allocation = settle_split(lines, loads, currency, method=method, cost=cost,
                                  standalone=caps, per_shipment_key=pool.per_shipment_key,
                                  samples=SHAPLEY_SAMPLES, seed=pool.pk)
    except SettlementHold as exc:
        raise _Hold(str(exc) + " No member is charged more than going alone without a "
                    "coordinator's recorded override.") from exc
    if override:
        over = [label for label in sorted(standalone)
                if allocation.shares[label] > standalone[label]]
        plan.explanation.append(
            "A coordinator released this settlement: " + _override_note(over))
    plan.explanation.extend(allocation.explanation)
    for label, m in by_label.items():
        plan.shares.append(_ShareRow(
            member=m, amount=allocation.shares[label], standalone=standalone[label],
            billing_currency=currency, billing_amount=allocation.shares[label],
            fx_rate=Decimal(1),
            lines=[{"charge_code": ls.charge_code, "amount": str(ls.shares[label])}
                   for ls in allocation.lines if ls.shares[label] != 0]))
    return allocation


def _override_note(over: Sequence[str]) -> str:
    if not over:
        return "no member pays more than its standalone cost."
    return f"{', '.join(over)} pay more than their standalone cost, as overridden."


def _plan_ads(plan: _Plan, override: bool) -> Allocation:
    inputs = plan.inputs
    currency = plan.currency
    if not inputs.members:
        raise _Hold("The pool has no accepted members to share the spend.")
    if not inputs.reports:
        raise _Hold("No spend report has been received for the pool.")
    other = sorted({r.currency for r in inputs.reports if r.currency != currency})
    if other:
        raise _Hold(f"Spend reports mix currencies ({currency}, {', '.join(other)}).")
    member_pks = {m.pk for m in inputs.members}
    stray = sorted({r.report_id for r in inputs.reports if r.member_id not in member_pks})
    if stray:
        raise _Hold(f"Spend reports {', '.join(stray)} are for members no longer in the pool.")
    spend: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rebate = fees = ZERO
    for r in inputs.reports:
        spend[r.member_id] += _q(r.spend, currency)
        rebate += _q(r.rebate, currency)
        fees += _q(r.fees, currency)
    loads = [MemberLoad(member_id=_label(m), chargeable_kg=ZERO, revenue_tons=ZERO,
                        volume_cbm=ZERO, spend=spend[m.pk]) for m in inputs.members]
    try:
        allocation = split_ad(loads, rebate=rebate, fees=fees, currency=currency)
    except AllocationError as exc:
        raise _Hold(str(exc)) from exc
    plan.total = allocation.total
    latest = inputs.latest
    if latest is not None and _q(latest.total, currency) != allocation.total and not override:
        raise _Hold(f"{latest} total {_fmt(latest.total, currency)} differs from the spend "
                    f"reports' net amount {_fmt(allocation.total, currency)}.")
    programme = inputs.pool.programme
    fee_percent = programme.standalone_fee_percent if programme else ZERO
    over: list[str] = []
    for m in inputs.members:
        label = _label(m)
        own = spend[m.pk]
        alone = None if m.standalone_cost is None else _q(own + own * fee_percent / 100, currency)
        if alone is not None and allocation.shares[label] > alone:
            over.append(label)
        plan.shares.append(_ShareRow(
            member=m, amount=allocation.shares[label], standalone=alone,
            billing_currency=currency, billing_amount=allocation.shares[label],
            fx_rate=Decimal(1),
            lines=[{"charge_code": ls.charge_code, "amount": str(ls.shares[label])}
                   for ls in allocation.lines if ls.shares[label] != 0]))
    if over and not override:
        raise _Hold(f"{', '.join(over)} would pay more than buying alone through the same "
                    "channel; a coordinator must review.")
    plan.explanation.extend(allocation.explanation)
    if override:
        plan.explanation.append("A coordinator released this settlement: "
                                + _override_note(over))
    return allocation


def _convert(plan: _Plan, fx: FxRates) -> None:
    """Each share in its firm's billing currency, at the rate on the invoice date."""
    on = plan.issue_date or timezone.localdate()
    for row in plan.shares:
        billing = row.member.firm.billing_currency
        if billing == plan.currency:
            continue
        rate = _require_rate(fx, plan.currency, billing, on)
        row.billing_currency = billing
        row.fx_rate = rate
        row.billing_amount = _q(row.amount * rate, billing)
    used = sorted({(r.billing_currency, str(r.fx_rate)) for r in plan.shares
                   if r.billing_currency != plan.currency})
    for billing, shown in used:
        plan.explanation.append(f"Shares billed in {billing} are converted at {plan.currency}→"
                                f"{billing} {shown} (latest rate on or before {on.isoformat()}).")


def _plan(inputs: _PoolInputs, fx: FxRates, *, override: bool = False) -> _Plan:
    pool = inputs.pool
    latest = inputs.latest
    partner: Partner | None
    if latest is not None:
        currency = latest.currency
        partner = latest.partner
        issue_date = max(d.issue_date for d in inputs.documents)
    else:
        currency = inputs.reports[0].currency if inputs.reports else pool.currency
        partner = inputs.reports[0].partner if inputs.reports else pool.partner
        issue_date = max((r.period_to for r in inputs.reports), default=timezone.localdate())
    plan = _Plan(inputs=inputs, currency=currency, partner=pool.partner or partner,
                 issue_date=issue_date, method=pool.split_method)
    try:
        if plan.partner is None:
            raise _Hold("The pool has no partner to pay.")
        if pool.kind == Pool.Kind.ADS:
            allocation = _plan_ads(plan, override)
        else:
            allocation = _plan_logistics(plan, fx, override)
        _convert(plan, fx)
    except (_Hold, AllocationError, MoneyError) as exc:
        plan.hold_reason = str(exc)
        plan.shares = []
        plan.explanation.append(f"Held for a coordinator: {exc}")
        return plan
    plan.method = allocation.method
    plan.sampling_error = allocation.sampling_error
    plan.allocation = {
        "method": allocation.method,
        "documents": [d.number for d in inputs.documents],
        "spend_reports": inputs.report_ids,
        "lines": [{"charge_code": ls.charge_code,
                   "shares": {k: str(v) for k, v in ls.shares.items()}}
                  for ls in allocation.lines],
        "members": {_label(r.member): r.member.pk for r in plan.shares},
    }
    return plan


# ------------------------------------------------------------------ posting


def _legs(plan: _Plan, accounts: AccountCache) -> list[Leg]:
    """Partner credited in the invoice currency, each firm debited in its billing currency,
    currencies bridged through clearing, conversion rounding to the FX account."""
    currency = plan.currency
    memo = f"Pool #{plan.inputs.pool.pk}"
    legs = [Leg(accounts.get(Account.Kind.PARTNER, currency, partner=plan.partner), -plan.total,
                f"{memo}: partner invoice")]
    converted: dict[str, list[_ShareRow]] = defaultdict(list)
    for row in plan.shares:
        legs.append(Leg(accounts.get(Account.Kind.FIRM, row.billing_currency, firm=row.member.firm),
                        row.billing_amount, f"{memo}: share of {_label(row.member)}"))
        if row.billing_currency != currency:
            converted[row.billing_currency].append(row)
    for billing, rows in sorted(converted.items()):
        source = sum((r.amount for r in rows), ZERO)
        billed = sum((r.billing_amount for r in rows), ZERO)
        at_once = _q(source * rows[0].fx_rate, billing)
        legs.append(Leg(accounts.get(Account.Kind.CLEARING, currency), source,
                        f"{memo}: {currency} converted to {billing}"))
        legs.append(Leg(accounts.get(Account.Kind.CLEARING, billing), -at_once,
                        f"{memo}: {billing} from {currency}"))
        legs.append(Leg(accounts.get(Account.Kind.FX, billing), at_once - billed,
                        f"{memo}: {billing} conversion rounding"))
    check_balanced(legs)
    return legs


def _account_keys(plan: _Plan) -> list[tuple[str, Firm | None, Partner | None, str]]:
    """The accounts `_legs` will post this plan to."""
    currency = plan.currency
    keys: list[tuple[str, Firm | None, Partner | None, str]] = [
        (Account.Kind.PARTNER, None, plan.partner, currency)]
    for row in plan.shares:
        keys.append((Account.Kind.FIRM, row.member.firm, None, row.billing_currency))
        if row.billing_currency != currency:
            keys += [(Account.Kind.CLEARING, None, None, currency),
                     (Account.Kind.CLEARING, None, None, row.billing_currency),
                     (Account.Kind.FX, None, None, row.billing_currency)]
    return keys


def _supersede(inputs: _PoolInputs, current: Settlement | None, reason: str) -> None:
    if current is None or current.status not in LIVE_STATUSES:
        return
    if current.status == Settlement.Status.COMPLETED:
        for txn in current.transactions.filter(reverses__isnull=True, reversed_by__isnull=True):
            ledger_reverse(txn=txn, description=f"Reversal of settlement v{current.version} of "
                           f"pool #{inputs.pool.pk}: {reason}"[:300])
    current.status = Settlement.Status.REVERSED
    current.save(update_fields=["status"])


def _pause() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


def _announce(settlements: Sequence[Settlement], plans: dict[int, _Plan]) -> None:
    for s in settlements:
        plan = plans[s.pk]
        pool = plan.inputs.pool
        firms = sorted({r.member.firm for r in plan.shares}, key=lambda f: f.pk)
        notify_firms(firms=firms, kind="settlement", pool=pool,
                     title=f"Pool #{pool.pk} is settled",
                     body=f"The partner's invoice ({_fmt(s.total, s.currency)}) was split among "
                          f"{len(plan.shares)} members; see your statement for your share.",
                     url="/statements/")
        if plan.partner is not None:
            webhook_emit(partner=plan.partner, event_type="settlement.completed", payload={
                "settlement_id": s.pk, "pool_id": pool.pk, "version": s.version,
                "invoice_number": s.invoice.number if s.invoice else None,
                "currency": s.currency, "total": str(s.total), "members": len(plan.shares),
                "completed_at": s.completed_at.isoformat() if s.completed_at else None,
            })


def _advance(pool: Pool, to: str, *, actor: Any, reason: str, action: str,
             events: list[PoolEvent]) -> None:
    events.append(PoolEvent(pool=pool, actor=actor if getattr(actor, "pk", None) else None,
                            actor_label=getattr(actor, "email", "") or "settlement",
                            action=action, from_state=pool.state, to_state=to, reason=reason))
    pool.state = to


def _insert(model: type[models.Model], rows: Sequence[models.Model], *,
            with_pk: bool = False) -> None:
    """Insert rows: COPY on PostgreSQL, bulk_create elsewhere. With `with_pk` the rows
    carry ids taken from `_next_ids`."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    table = model._meta.db_table
    _copy(table, [f.column for f in fields],
          ([json.dumps(getattr(row, f.attname)) if isinstance(f, models.JSONField)
            else f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
           for row in rows))


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY plain value rows (JSON already serialised) into a table (PostgreSQL)."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(  # type: ignore[attr-defined]
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys of `model`'s table in one query (PostgreSQL)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


_KIND_LABELS = {value: str(label) for value, label in Invoice.Kind.choices}


def _doc_name(doc: Invoice) -> str:
    """str(doc), without the per-call cost of get_kind_display()."""
    return f"{_KIND_LABELS.get(doc.kind, doc.kind)} {doc.number}"


def _apply(settlement: Settlement, plan: _Plan, now: Any) -> None:
    settlement.explanation = plan.explanation
    settlement.allocation = plan.allocation
    settlement.method = plan.method
    settlement.total = plan.total
    settlement.sampling_error = plan.sampling_error
    settlement.hold_reason = plan.hold_reason
    settlement.attempts = (settlement.attempts or 0) + 1
    if plan.held:
        settlement.status = Settlement.Status.HELD
    else:
        settlement.status = Settlement.Status.COMPLETED
        settlement.completed_at = now


def _write(plans: Sequence[tuple[Settlement, _Plan]], accounts: AccountCache, *,
           actor: Any = None, announce: bool = True) -> None:
    """Settlements, shares, ledger and pool states of many runs, in bulk, inside the
    caller's transaction. New settlements (no pk yet) are inserted; a released one is saved.

    On PostgreSQL every table gets one COPY per call, with ids reserved up front."""
    now = timezone.now()
    copying = connection.vendor == "postgresql"
    for settlement, plan in plans:
        _apply(settlement, plan, now)
    new = [s for s, _ in plans if s.pk is None]
    for settlement, _ in plans:
        if settlement.pk is not None:
            settlement.save()
    if copying:
        for settlement, pk in zip(new, _next_ids(Settlement, len(new)), strict=True):
            settlement.pk = pk
            settlement.created_at = now
            settlement._state.adding = False
            settlement._state.db = connection.alias
        _insert(Settlement, new, with_pk=True)
    else:
        Settlement.objects.bulk_create(new)
    shares: list[tuple[Any, ...]] = []
    txns: list[tuple[Settlement, str]] = []
    legs_of: list[list[Leg]] = []
    events: list[PoolEvent] = []
    states: dict[str, list[int]] = defaultdict(list)
    completed: list[Settlement] = []
    by_pk: dict[int, _Plan] = {}
    for settlement, plan in plans:
        pool = plan.inputs.pool
        document = plan.inputs.latest
        name = _doc_name(document) if document else ""
        reason = name or "spend reports"
        before = pool.state
        if pool.state in (S.DELIVERED, S.BOOKED, S.SETTLED):
            _advance(pool, S.INVOICED, actor=actor, reason=reason, action="invoiced",
                     events=events)
        if not plan.held:
            completed.append(settlement)
            by_pk[settlement.pk] = plan
            currency = plan.currency
            for row in plan.shares:
                saving = None if row.standalone is None else row.standalone - row.amount
                member = row.member
                shares.append((settlement.pk, member.pk, member.firm_id, currency, row.amount,
                               row.standalone, saving, row.billing_currency,
                               row.billing_amount, row.fx_rate, json.dumps(row.lines)))
            txns.append((settlement, (f"Settlement v{settlement.version} of pool #{pool.pk}"
                                      + (f", {name}" if document else ""))[:300]))
            legs_of.append(_legs(plan, accounts))
            _advance(pool, S.SETTLED, actor=actor, reason=reason, action="settled",
                     events=events)
        if pool.state != before:
            states[pool.state].append(pool.pk)
    if copying:
        txn_ids = _next_ids(LedgerTransaction, len(txns))
        _copy(LedgerTransaction._meta.db_table, ["id", "settlement_id", "description",
                                                 "created_at"],
              ((pk, settlement.pk, description, now)
               for pk, (settlement, description) in zip(txn_ids, txns, strict=True)))
        _copy(LedgerEntry._meta.db_table, LEDGER_ENTRY_COLUMNS,
              (row for pk, legs in zip(txn_ids, legs_of, strict=True)
               for row in ledger_entry_rows(pk, legs)))
        _copy(SettlementShare._meta.db_table, SHARE_COLUMNS, shares)
        _move_pools(states, now)
        for event in events:
            event.created_at = now
        _insert(PoolEvent, events)
    else:
        created = LedgerTransaction.objects.bulk_create(
            [LedgerTransaction(settlement=settlement, description=description)
             for settlement, description in txns])
        LedgerEntry.objects.bulk_create(
            [entry for txn, legs in zip(created, legs_of, strict=True)
             for entry in ledger_entries(txn, legs)])
        SettlementShare.objects.bulk_create(
            [SettlementShare(settlement_id=r[0], member_id=r[1], firm_id=r[2], currency=r[3],
                             amount=r[4], standalone_cost=r[5], saving=r[6],
                             billing_currency=r[7], billing_amount=r[8], fx_rate=r[9],
                             lines=json.loads(r[10])) for r in shares])
        _move_pools(states, now)
        PoolEvent.objects.bulk_create(events)
    _pause()
    if announce and completed:
        _announce(completed, by_pk)


def _move_pools(states: dict[str, list[int]], now: Any) -> None:
    for state, pool_ids in states.items():
        Pool.objects.filter(pk__in=pool_ids).update(state=state, updated_at=now)


SHARE_COLUMNS = ("settlement_id", "member_id", "firm_id", "currency", "amount",
                 "standalone_cost", "saving", "billing_currency", "billing_amount", "fx_rate",
                 "lines")


def _due(inputs: _PoolInputs, current: Settlement | None, covered: set[int]) -> bool:
    """Whether the pool has something not settled yet (the database decides)."""
    latest = inputs.latest
    if latest is not None:
        return latest.pk not in covered
    if not inputs.reports:
        return False
    if current is None or current.status == Settlement.Status.REVERSED:
        return True
    return current.allocation.get("spend_reports") != inputs.report_ids


def settlements_settle(*, pool_ids: Iterable[int], announce: bool = True) -> list[Settlement]:
    """Settle every given pool that has an unsettled invoice, in one transaction.

    Pools are locked in primary-key order; what is already settled is left alone, so
    running this twice (a redelivered message, the sweeper) creates nothing new.
    """
    ids = sorted(set(pool_ids))
    if not ids:
        return []
    fx = FxRates()
    accounts = AccountCache()
    with transaction.atomic():
        inputs = _load_inputs(ids, lock=True)
        latest_by_pool: dict[int, Settlement] = {}
        covered: set[int] = set()
        for s in Settlement.objects.filter(pool_id__in=list(inputs)).order_by("pool_id",
                                                                              "-version"):
            latest_by_pool.setdefault(s.pool_id, s)
            if s.invoice_id is not None:
                covered.add(s.invoice_id)
        runs: list[tuple[Settlement, _Plan]] = []
        for pk in sorted(inputs):
            item = inputs[pk]
            current = latest_by_pool.get(pk)
            if not _due(item, current, covered):
                continue
            document = item.latest
            _supersede(item, current, f"{_doc_name(document)} supersedes it" if document
                       else "new spend reports")
            plan = _plan(item, fx)
            runs.append((Settlement(pool=item.pool, invoice=document,
                                    version=(current.version + 1) if current else 1,
                                    currency=plan.currency), plan))
        if not runs:
            return []
        accounts.prefetch(firms=[r.member.firm for _, p in runs for r in p.shares],
                          partners=[p.partner for _, p in runs if p.partner is not None])
        accounts.ensure(key for _, p in runs if not p.held for key in _account_keys(p))
        _write(runs, accounts, announce=announce)
    return [s for s, _ in runs]


def settlement_run(*, pool_id: int, invoice_id: int | None = None) -> Settlement | None:
    """Settle one pool for its latest invoice (or spend reports), once.

    `invoice_id` names the document that asked for the run; the pool's latest document
    is what gets settled, so a late message for an older invoice settles nothing twice.
    Returns the new settlement, or None when there was nothing to do.
    """
    if invoice_id is not None and not Invoice.objects.filter(pk=invoice_id, pool_id=pool_id).exists():
        raise SettlementError(f"Invoice {invoice_id} does not belong to pool #{pool_id}.",
                              fields={"invoice_id": ["Not an invoice of this pool."]})
    done = settlements_settle(pool_ids=[pool_id])
    return done[0] if done else None


def settlements_due(*, limit: int = 500) -> list[int]:
    """Pools with an invoice, credit note or spend report that no settlement covers yet."""
    latest_doc = Invoice.objects.filter(pool=OuterRef("pk")).order_by("-created_at", "-pk")
    covered = Settlement.objects.filter(pool=OuterRef("pk"), invoice=OuterRef("latest_doc"))
    logistics = (Pool.objects.filter(kind=Pool.Kind.LOGISTICS,
                                     state__in=SETTLEABLE[Pool.Kind.LOGISTICS])
                 .annotate(latest_doc=Subquery(latest_doc.values("pk")[:1]))
                 .filter(latest_doc__isnull=False)
                 .exclude(Exists(covered)).values_list("pk", flat=True)[:limit])
    ads = (Pool.objects.filter(kind=Pool.Kind.ADS, state=S.INVOICED)
           .exclude(Exists(Settlement.objects.filter(pool=OuterRef("pk"),
                                                     status__in=LIVE_STATUSES)))
           .values_list("pk", flat=True)[:limit])
    return sorted({*logistics, *ads})


def settlements_sweep(*, batch_size: int = 50, limit: int = 500) -> int:
    """Settle pools a lost message or a crashed worker left unsettled; returns how many."""
    ids = settlements_due(limit=limit)
    count = 0
    for start in range(0, len(ids), batch_size):
        count += len(settlements_settle(pool_ids=ids[start:start + batch_size]))
    return count


def settlement_release(*, settlement_id: int, actor: Any, reason: str) -> Settlement:
    """A coordinator releases a held settlement with a recorded reason; it then posts."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why this settlement may post despite the hold."]})
    pool_id = Settlement.objects.filter(pk=settlement_id).values_list("pool_id", flat=True).first()
    if pool_id is None:
        raise SettlementError("No such settlement.", code="not_found", status_code=404)
    accounts = AccountCache()
    with transaction.atomic():
        lock_pools([pool_id])
        settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
        if settlement.status != Settlement.Status.HELD:
            raise Conflict(f"Settlement v{settlement.version} of pool #{pool_id} is "
                           f"{settlement.get_status_display().lower()}, not held.",
                           fields={"status": ["Only held settlements can be released."]})
        inputs = _load_inputs([pool_id])[pool_id]
        if inputs.latest is not None and inputs.latest.pk != settlement.invoice_id:
            raise Conflict("A newer invoice or credit note supersedes this settlement.")
        plan = _plan(inputs, FxRates(), override=True)
        if plan.held:
            raise SettlementError(f"The settlement still cannot post: {plan.hold_reason}",
                                  fields={"reason": [plan.hold_reason]})
        settlement.override_reason = reason
        plan.explanation.append(f"Override reason recorded by {getattr(actor, 'email', actor)}: "
                                f"{reason}")
        accounts.prefetch(firms=[r.member.firm for r in plan.shares],
                          partners=[plan.partner] if plan.partner else [])
        accounts.ensure(_account_keys(plan))
        record_event(pool=inputs.pool, action="settlement_released", actor=actor, reason=reason)
        _write([(settlement, plan)], accounts, actor=actor)
    return settlement


__all__ = [
    "FxRates", "SettlementError", "settlement_release", "settlement_run", "settlements_due",
    "settlements_settle", "settlements_sweep",
]
