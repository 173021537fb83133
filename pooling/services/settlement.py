"""Settling a pool: split the partner's actual invoice fairly, to the cent, and post it.

One settlement run per pool and invoice version. A run locks the pool row, decides
from the database what is still to settle (nothing, when the latest invoice already
has its settlement), and writes the settlement, its shares, the ledger transaction
and the pool's new state in one database transaction: a worker killed half-way
leaves nothing behind, and the retry or the sweeper does the whole run again.

A run has three parts:
- reading: `_load_inputs` loads the rows, and the adapters below (`_document`,
  `_members`, `_logistics_inputs`, `_ads_inputs`) turn them into the plain inputs of
  `pooling.domain.settlement` (placements through `pooling.domain.formats.Placement`,
  FX rates looked up on or before the invoice date);
- planning: `plan_logistics` / `plan_ads` in the domain decide the split, or why a
  coordinator must hold it, without the database;
- posting: `_write` inserts settlements, shares and balanced ledger transactions in
  bulk, and moves each pool through `transitions.pool_move`, which checks the
  lifecycle table.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.utils import timezone

from accounts.models import Firm, Partner
from coop.errors import ApplicationError, Conflict
from pooling.domain import wording
from pooling.domain.allocation import AllocationError, CostLine, MemberLoad
from pooling.domain.formats import FormatError, Placement
from pooling.domain.money import ZERO, MoneyError, quantize
from pooling.domain.settlement import (
    AdsInputs,
    Document,
    LogisticsInputs,
    MemberInput,
    PlanHold,
    SpendInput,
    SplitPlan,
    plan_ads,
    plan_logistics,
)
from pooling.domain.tariff import RateCard as DomainRateCard
from pooling.domain.wording import counted
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
from pooling.services.bulk import copy_rows, ids_reserve, rows_insert
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
from pooling.services.transitions import pool_move, record_event
from pooling.services.webhooks import webhook_emit

logger = logging.getLogger(__name__)

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
    return wording.money(amount, currency)


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


def _missing_rate(base: str, quote: str, on: date) -> str:
    return (f"No {base}→{quote} rate on or before {on.isoformat()}: a coordinator or partner "
            "must post one (POST /api/v1/fx-rates/), then release the settlement.")


def _require_rate(fx: FxRates, base: str, quote: str, on: date) -> Decimal:
    rate = fx.rate(base, quote, on)
    if rate is None:
        raise PlanHold(_missing_rate(base, quote, on))
    return rate


# --------------------------------------------------------------- logistics lines


def _invoice_lines(doc: Invoice) -> list[InvoiceLine]:
    """The document's lines: as loaded by `_load_inputs`, else from the database."""
    loaded = getattr(doc, "line_rows", None)
    return loaded if loaded is not None else list(doc.lines.all())


def _document(doc: Invoice) -> Document:
    """An invoice row as the planner reads it."""
    return Document(
        name=_doc_name(doc), kind=doc.kind, currency=doc.currency, total=doc.total,
        lines=tuple(CostLine(charge_code=line.charge_code, basis=line.basis, amount=line.amount,
                             applies_to=line.applies_to or None, container=line.container or None)
                    for line in sorted(_invoice_lines(doc), key=lambda ln: ln.line_no)))


def _containers(members: Sequence[PoolMember]) -> dict[int, tuple[tuple[str, Decimal], ...]]:
    """Each member's cbm per container ("40HC#2"), read from its placement."""
    found: dict[int, tuple[tuple[str, Decimal], ...]] = {}
    for m in members:
        try:
            placement = Placement.from_json(m.placement)
        except FormatError as exc:
            raise PlanHold(f"The placement of {_label(m)} cannot be read: {exc.message}") from None
        if placement.containers:
            found[m.pk] = placement.cbm_by_label()
    return found


def _loads(inputs: _PoolInputs) -> list[MemberLoad]:
    """Each member's load: what it declared when it joined, else its demand's."""
    boxes = _containers(inputs.members)
    loads: list[MemberLoad] = []
    for m in inputs.members:
        d = inputs.demands.get(m.pk)
        loads.append(MemberLoad(
            member_id=_label(m),
            chargeable_kg=m.chargeable_kg or (d.chargeable_kg if d else ZERO) or ZERO,
            revenue_tons=m.revenue_tons or (d.revenue_tons if d else ZERO) or ZERO,
            volume_cbm=m.volume_cbm or (d.volume_cbm if d else ZERO) or ZERO,
            containers=boxes.get(m.pk, ()),
        ))
    return loads


# ------------------------------------------------------------------ planning


def _card(pool: Pool) -> tuple[DomainRateCard | None, str]:
    """The pool's rate card as the domain reads it, or why it cannot be read."""
    if pool.rate_card is None:
        return None, ""
    try:
        return card_from_row(pool.rate_card), ""
    except RateCardParseError as exc:
        return None, str(exc)


def _members(inputs: _PoolInputs) -> tuple[MemberInput, ...]:
    loads = _loads(inputs)
    out = []
    for m, load in zip(inputs.members, loads, strict=True):
        demand = inputs.demands.get(m.pk)
        out.append(MemberInput(label=_label(m), load=load, standalone_cost=m.standalone_cost,
                               gross_kg=demand.gross_kg if demand else None,
                               demand_cbm=demand.volume_cbm if demand else None))
    return tuple(out)


def _logistics_inputs(plan: _Plan, fx: FxRates, override: bool) -> LogisticsInputs:
    """Everything the logistics planner reads, from the rows already loaded and the FX
    rates posted on or before the invoice date."""
    inputs = plan.inputs
    pool = inputs.pool
    currency = plan.currency
    card, card_error = _card(pool)
    card_currency = pool.rate_card.currency if pool.rate_card else pool.currency
    on = plan.issue_date or (inputs.latest.issue_date if inputs.latest else timezone.localdate())
    card_rate = fx.rate(card_currency, currency, on)
    return LogisticsInputs(
        currency=currency, documents=tuple(_document(d) for d in inputs.documents),
        members=_members(inputs), card=card, card_error=card_error,
        card_currency=card_currency, card_rate=card_rate,
        rate_note=_missing_rate(card_currency, currency, on), mode=pool.mode or "",
        split_method=pool.split_method, per_shipment_key=pool.per_shipment_key,
        seed=pool.pk, override=override, samples=SHAPLEY_SAMPLES)


def _ads_inputs(plan: _Plan, override: bool) -> AdsInputs:
    inputs = plan.inputs
    labels = {m.pk: _label(m) for m in inputs.members}
    programme = inputs.pool.programme
    return AdsInputs(
        currency=plan.currency,
        members=tuple(MemberInput(label=_label(m), load=MemberLoad(
            member_id=_label(m), chargeable_kg=ZERO, revenue_tons=ZERO, volume_cbm=ZERO),
            standalone_cost=m.standalone_cost) for m in inputs.members),
        reports=tuple(SpendInput(report_id=r.report_id, member=labels.get(r.member_id),
                                 currency=r.currency, spend=r.spend, rebate=r.rebate,
                                 fees=r.fees) for r in inputs.reports),
        invoice=_document(inputs.latest) if inputs.latest is not None else None,
        fee_percent=programme.standalone_fee_percent if programme else ZERO,
        override=override)


def _take(plan: _Plan, split: SplitPlan) -> None:
    """The planner's outcome as share rows of the members (billed in the invoice currency
    until `_convert`)."""
    by_label = {_label(m): m for m in plan.inputs.members}
    plan.total = split.total
    plan.explanation.extend(split.explanation)
    for share in split.shares:
        plan.shares.append(_ShareRow(
            member=by_label[share.label], amount=share.amount, standalone=share.standalone,
            billing_currency=plan.currency, billing_amount=share.amount, fx_rate=Decimal(1),
            lines=[{"charge_code": code, "amount": str(amount)} for code, amount in share.lines]))


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
            raise PlanHold("The pool has no partner to pay.")
        if pool.kind == Pool.Kind.ADS:
            split = plan_ads(_ads_inputs(plan, override))
        else:
            split = plan_logistics(_logistics_inputs(plan, fx, override))
        _take(plan, split)
        _convert(plan, fx)
    except (PlanHold, AllocationError, MoneyError) as exc:
        plan.hold_reason = str(exc)
        plan.shares = []
        # A held settlement still names what it is about: the documents' net total.
        plan.total = sum((d.total if d.kind == Invoice.Kind.INVOICE else -abs(d.total)
                          for d in inputs.documents if d.currency == currency), Decimal(0))
        plan.explanation.append(f"Held for a coordinator: {exc}")
        plan.allocation = {"documents": [d.number for d in inputs.documents],
                           "covers": [_doc_name(d) for d in inputs.documents]}
        return plan
    plan.method = split.method
    plan.sampling_error = split.sampling_error
    plan.allocation = {
        "method": split.method,
        "documents": [d.number for d in inputs.documents],
        "covers": [_doc_name(d) for d in inputs.documents],
        "spend_reports": inputs.report_ids,
        "lines": [{"charge_code": code, "shares": {k: str(v) for k, v in shares.items()}}
                  for code, shares in split.line_shares],
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


def _covers(plan: _Plan) -> list[str]:
    """Every invoice and credit note a settlement covers, oldest first."""
    return [_doc_name(d) for d in plan.inputs.documents]


def _previous_charges(settlements: Sequence[Settlement]) -> dict[int, tuple[int, dict[int, str]]]:
    """For each pool settled again: the version posted before and each firm's charge in it
    (in its billing currency, as words)."""
    again = {s.pool_id for s in settlements if s.version > 1}
    if not again:
        return {}
    new = [s.pk for s in settlements]
    before: dict[int, Settlement] = {}
    for s in (Settlement.objects.filter(pool_id__in=again, completed_at__isnull=False)
              .exclude(pk__in=new).order_by("pool_id", "-version").only("pk", "pool_id",
                                                                         "version")):
        before.setdefault(s.pool_id, s)
    amounts: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    for share in SettlementShare.objects.filter(
            settlement_id__in=[s.pk for s in before.values()]).only(
            "settlement_id", "firm_id", "billing_currency", "billing_amount"):
        amounts[share.settlement_id][share.firm_id][share.billing_currency] += \
            share.billing_amount
    return {pool_id: (s.version, {firm_id: " + ".join(_fmt(v, c) for c, v in sorted(by.items()))
                                  for firm_id, by in amounts[s.pk].items()})
            for pool_id, s in before.items()}


def _announce(settlements: Sequence[Settlement], plans: dict[int, _Plan]) -> None:
    """Tell the members and the partner. A pool settled again tells each member its
    charge before and now, side by side, and names every document the new version covers."""
    previous = _previous_charges(settlements)
    for s in settlements:
        plan = plans[s.pk]
        pool = plan.inputs.pool
        covers = _covers(plan)
        if pool.pk in previous:
            old_version, old = previous[pool.pk]
            charged: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
            firms_by_pk: dict[int, Firm] = {}
            for row in plan.shares:
                charged[row.member.firm_id][row.billing_currency] += row.billing_amount
                firms_by_pk[row.member.firm_id] = row.member.firm
            for firm_pk in sorted(firms_by_pk):
                now = " + ".join(_fmt(v, c) for c, v in sorted(charged[firm_pk].items()))
                notify_firms(
                    firms=[firms_by_pk[firm_pk]], kind="settlement", pool=pool,
                    title=f"Pool #{pool.pk} is settled again (version {s.version})",
                    body=f"Version {s.version} covers {', '.join(covers)} and replaces version "
                         f"{old_version}. Your share: version {old_version} "
                         f"{old.get(firm_pk, 'nothing')} → version {s.version} {now}.",
                    url=f"/settlements/{s.pk}/")
        else:
            firms = sorted({r.member.firm for r in plan.shares}, key=lambda f: f.pk)
            notify_firms(firms=firms, kind="settlement", pool=pool,
                         title=f"Pool #{pool.pk} is settled",
                         body=f"The partner's invoice ({_fmt(s.total, s.currency)}) was split "
                              f"among {counted(len(plan.shares), 'member')}; see your statement for your "
                              "share.",
                         url="/statements/")
        if plan.partner is not None:
            webhook_emit(partner=plan.partner, event_type="settlement.completed", payload={
                "settlement_id": s.pk, "pool_id": pool.pk, "version": s.version,
                "invoice_number": s.invoice.number if s.invoice else None,
                "documents": [d.number for d in plan.inputs.documents],
                "replaces_version": previous[pool.pk][0] if pool.pk in previous else None,
                "currency": s.currency, "total": str(s.total), "members": len(plan.shares),
                "completed_at": s.completed_at.isoformat() if s.completed_at else None,
            })


def _advance(pool: Pool, to: str, *, actor: Any, reason: str, action: str,
             events: list[PoolEvent]) -> None:
    events.append(pool_move(pool=pool, to=to, actor=actor,
                            actor_label=getattr(actor, "email", "") or "settlement",
                            reason=reason, action=action))


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
        for settlement, pk in zip(new, ids_reserve(Settlement, len(new)), strict=True):
            settlement.pk = pk
            settlement.created_at = now
            settlement._state.adding = False
            settlement._state.db = connection.alias
        rows_insert(Settlement, new, with_pk=True)
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
            covers = _covers(plan)
            txns.append((settlement, (f"Settlement v{settlement.version} of pool #{pool.pk}"
                                      + (f" covering {', '.join(covers)}" if covers else ""))
                         [:300]))
            legs_of.append(_legs(plan, accounts))
            _advance(pool, S.SETTLED, actor=actor, reason=reason, action="settled",
                     events=events)
        if pool.state != before:
            states[pool.state].append(pool.pk)
    if copying:
        txn_ids = ids_reserve(LedgerTransaction, len(txns))
        copy_rows(LedgerTransaction._meta.db_table, ["id", "settlement_id", "description",
                                                 "created_at"],
              ((pk, settlement.pk, description, now)
               for pk, (settlement, description) in zip(txn_ids, txns, strict=True)))
        copy_rows(LedgerEntry._meta.db_table, LEDGER_ENTRY_COLUMNS,
              (row for pk, legs in zip(txn_ids, legs_of, strict=True)
               for row in ledger_entry_rows(pk, legs)))
        copy_rows(SettlementShare._meta.db_table, SHARE_COLUMNS, shares)
        _move_pools(states, now)
        for event in events:
            event.created_at = now
        rows_insert(PoolEvent, events)
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


@dataclass(frozen=True)
class ReleaseShare:
    firm: Firm
    currency: str
    amount: Decimal
    standalone_cost: Decimal | None
    billing_currency: str
    billing_amount: Decimal

    @property
    def saving(self) -> Decimal | None:
        return None if self.standalone_cost is None else self.standalone_cost - self.amount


@dataclass(frozen=True)
class ReleasePreview:
    """What releasing a held settlement would post: the split member by member, or why not."""

    shares: list[ReleaseShare]
    still_held: str
    explanation: list[str]


def settlement_release_preview(*, settlement_id: int) -> ReleasePreview | None:
    """The split `settlement_release` would post, planned the same way but written nowhere."""
    pool_id = Settlement.objects.filter(pk=settlement_id, status=Settlement.Status.HELD) \
        .values_list("pool_id", flat=True).first()
    if pool_id is None:
        return None
    plan = _plan(_load_inputs([pool_id])[pool_id], FxRates(), override=True)
    return ReleasePreview(
        shares=[ReleaseShare(
            firm=row.member.firm, currency=plan.currency, amount=_q(row.amount, plan.currency),
            standalone_cost=None if row.standalone is None else _q(row.standalone, plan.currency),
            billing_currency=row.billing_currency,
            billing_amount=_q(row.billing_amount, row.billing_currency)) for row in plan.shares],
        still_held=plan.hold_reason, explanation=list(plan.explanation))


__all__ = [
    "FxRates", "ReleasePreview", "SettlementError", "settlement_release",
    "settlement_release_preview", "settlement_run", "settlements_due", "settlements_settle",
    "settlements_sweep",
]
