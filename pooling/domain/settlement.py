"""Planning a settlement without the database: invoice lines net of credit notes,
container lines, the group cost a split is checked against, the split itself
(`plan_logistics`, `plan_ads`), the words about standalone costs, and when a settled
pool closes for disputes.

Plain values in, plain values out; `pooling.services.settlement` gathers the inputs
from the database and posts what these functions decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from pooling.domain import wording
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
from pooling.domain.money import ZERO, largest_remainder, quantize
from pooling.domain.tariff import RateCard, TariffError, price


class PlanHold(Exception):
    """The plan cannot settle automatically: a coordinator must review."""


INVOICE = "invoice"
CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class Document:
    """An invoice or credit note as settlement reads it: its lines in line order."""

    name: str
    """How people read it: "Invoice INV-7", "Credit note CN-2"."""
    kind: str
    currency: str
    total: Decimal
    lines: tuple[CostLine, ...]


def _fmt(amount: Decimal, currency: str) -> str:
    return wording.money(amount, currency)


def document_lines(doc: Document) -> list[CostLine]:
    """The document's lines rounded to minor units; one TOTAL line when it has none."""
    currency = doc.currency
    lines = [CostLine(ln.charge_code, ln.basis, quantize(ln.amount, currency), ln.applies_to,
                      ln.container) for ln in doc.lines]
    if not lines:
        return [CostLine(charge_code="TOTAL", basis="per_shipment",
                         amount=quantize(doc.total, currency))]
    line_sum = sum((ln.amount for ln in lines), ZERO)
    if line_sum != abs(quantize(doc.total, currency)):
        raise PlanHold(f"{doc.name} lines add up to {_fmt(line_sum, currency)} but its total "
                       f"is {_fmt(doc.total, currency)}.")
    return lines


def net_lines(documents: Sequence[Document], currency: str) -> tuple[list[CostLine], list[str]]:
    """Invoice lines net of credit notes: a credited line is reduced where it matches
    (charge, basis, container); a credit note without lines reduces every line in
    proportion."""
    lines: list[CostLine] = []
    notes: list[str] = []
    for doc in documents:
        if doc.currency != currency:
            raise PlanHold(f"{doc.name} is in {doc.currency} but the pool's invoice is in "
                           f"{currency}.")
        if doc.kind != CREDIT_NOTE:
            lines.extend(document_lines(doc))
            continue
        credit = abs(quantize(doc.total, currency))
        credited = document_lines(doc) if doc.lines else []
        notes.append(f"{doc.name} credits {_fmt(credit, currency)}.")
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


def place_container_lines(lines: Sequence[CostLine], loads: Sequence[MemberLoad]) -> tuple[
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


def coalition_cost(card: RateCard, loads: Mapping[str, tuple[Decimal, Decimal]]) -> CostFunction:
    """What a group of members (gross kg, cbm each) would pay shipping together alone on
    the same card."""
    cache: dict[tuple[Decimal, Decimal], Decimal] = {}

    def cost(group: frozenset[str]) -> Decimal:
        if not group:
            return ZERO
        kg = sum((loads[m][0] for m in group), ZERO)
        cbm = sum((loads[m][1] for m in group), ZERO)
        key = (kg, cbm)
        if key not in cache:
            cache[key] = price(card, gross_kg=kg, volume_cbm=cbm).total
        return cache[key]

    return cost


def scaled(cost: CostFunction, grand: Decimal, total: Decimal) -> CostFunction:
    """`cost` rescaled so the whole pool costs the invoice total."""
    def scaled_cost(group: frozenset[str]) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = 40
            return cost(group) * total / grand

    return scaled_cost


NO_MEMBER_OVER = "Every member pays no more than its standalone cost."


def members_over(shares: Mapping[str, Decimal],
                 standalone: Mapping[str, Decimal | None]) -> list[str]:
    """Members whose share exceeds their standalone cost, in label order."""
    return sorted(m for m, amount in shares.items()
                  if standalone.get(m) is not None and amount > standalone[m])  # type: ignore[operator]


def released_note(shares: Mapping[str, Decimal], standalone: Mapping[str, Decimal | None],
                  currency: str) -> str:
    """The one sentence a released settlement says about going alone, from its shares."""
    over = members_over(shares, standalone)
    if not over:
        return f"A coordinator released this settlement; {NO_MEMBER_OVER[0].lower()}" \
               f"{NO_MEMBER_OVER[1:]}"
    detail = ", ".join(
        f"{m} pays {_fmt(shares[m] - standalone[m], currency)} more than its standalone "  # type: ignore[operator]
        f"cost {_fmt(standalone[m], currency)}"  # type: ignore[arg-type]
        for m in over)
    return f"A coordinator released this settlement with a recorded reason: {detail}."


def without_standalone_claims(explanation: Sequence[str]) -> list[str]:
    """The split's explanation without its sentence about standalone caps (a released
    settlement was split without them, so `released_note` says what holds instead)."""
    return [line for line in explanation if line != NO_MEMBER_OVER]


def closing_date(*, arrived_on: dt.date | None, last_settled_on: dt.date | None,
                 dispute_days: int) -> dt.date | None:
    """The last day a settled pool takes further invoices or credit notes: `dispute_days`
    after its arrival or its last settlement, whichever is later; None before either."""
    start = max((d for d in (arrived_on, last_settled_on) if d is not None), default=None)
    if start is None:
        return None
    return start + dt.timedelta(days=dispute_days)


# ------------------------------------------------------------------ the split plan


@dataclass(frozen=True, slots=True)
class MemberInput:
    """One accepted member as the planner sees it."""

    label: str
    load: MemberLoad
    standalone_cost: Decimal | None = None
    """Recorded when the member joined, in the rate card's currency (or the programme's)."""
    gross_kg: Decimal | None = None
    """The member's own cargo (its demand), to price it alone and in groups."""
    demand_cbm: Decimal | None = None


@dataclass(frozen=True)
class LogisticsInputs:
    currency: str
    documents: tuple[Document, ...]
    members: tuple[MemberInput, ...]
    card: RateCard | None
    card_error: str
    """Why the pool's rate card could not be read, when it could not."""
    card_currency: str
    card_rate: Decimal | None
    """The card currency in the invoice currency; None when no rate is posted."""
    rate_note: str
    """What to say when `card_rate` is missing."""
    mode: str
    split_method: str
    per_shipment_key: str
    seed: int
    override: bool = False
    samples: int = 2000


@dataclass(frozen=True, slots=True)
class SpendInput:
    report_id: str
    member: str | None
    """The member's label; None for a member no longer in the pool."""
    currency: str
    spend: Decimal
    rebate: Decimal
    fees: Decimal


@dataclass(frozen=True)
class AdsInputs:
    currency: str
    members: tuple[MemberInput, ...]
    reports: tuple[SpendInput, ...]
    invoice: Document | None
    fee_percent: Decimal
    override: bool = False


@dataclass(frozen=True)
class SharePlan:
    label: str
    amount: Decimal
    standalone: Decimal | None
    lines: tuple[tuple[str, Decimal], ...]
    """(charge code, amount) of every line the member pays part of."""


@dataclass(frozen=True)
class SplitPlan:
    total: Decimal
    method: str
    sampling_error: Decimal | None
    explanation: tuple[str, ...]
    shares: tuple[SharePlan, ...]
    line_shares: tuple[tuple[str, Mapping[str, Decimal]], ...]


def _share_plans(allocation: Allocation, standalone: Mapping[str, Decimal | None],
                 labels: Sequence[str]) -> tuple[SharePlan, ...]:
    return tuple(SharePlan(
        label=label, amount=allocation.shares[label], standalone=standalone.get(label),
        lines=tuple((ls.charge_code, ls.shares[label]) for ls in allocation.lines
                    if ls.shares[label] != 0)) for label in labels)


def _outcome(allocation: Allocation, total: Decimal, explanation: list[str],
             standalone: Mapping[str, Decimal | None], labels: Sequence[str]) -> SplitPlan:
    return SplitPlan(
        total=total, method=allocation.method, sampling_error=allocation.sampling_error,
        explanation=tuple(explanation), shares=_share_plans(allocation, standalone, labels),
        line_shares=tuple((ls.charge_code, dict(ls.shares)) for ls in allocation.lines))


def plan_logistics(inputs: LogisticsInputs) -> SplitPlan:
    """Split the pool's invoices (net of credit notes) among its members, checked against
    what each would pay alone on the pool's rate card. Raises PlanHold when a coordinator
    must review."""
    currency = inputs.currency
    if not inputs.documents:
        raise PlanHold("The pool has no invoice to settle.")
    explanation: list[str] = []
    lines, notes = net_lines(inputs.documents, currency)
    explanation.extend(notes)
    total = sum((ln.amount for ln in lines), ZERO)
    if total < 0:
        raise PlanHold(f"Credit notes exceed the invoices: the net amount is "
                       f"{_fmt(total, currency)}.")
    if not inputs.members:
        raise PlanHold("The pool has no accepted members to share the invoice.")
    loads = [m.load for m in inputs.members]
    lines, notes = place_container_lines(lines, loads)
    explanation.extend(notes)

    if inputs.card_currency != currency and inputs.card_rate is None:
        raise PlanHold(inputs.rate_note)
    card_rate = inputs.card_rate if inputs.card_currency != currency else Decimal(1)
    assert card_rate is not None  # noqa: S101 - checked just above
    standalone: dict[str, Decimal] = {}
    missing: list[str] = []
    for m in inputs.members:
        value = m.standalone_cost
        if value is None and m.gross_kg is not None and m.demand_cbm is not None:
            if inputs.card is None and inputs.card_error:
                explanation.append(f"The standalone cost of {m.label} could not be priced: "
                                   f"{inputs.card_error}")
            elif inputs.card is not None:
                try:
                    value = price(inputs.card, gross_kg=m.gross_kg,
                                  volume_cbm=m.demand_cbm).total
                except TariffError as exc:
                    explanation.append(f"The standalone cost of {m.label} could not be "
                                       f"priced: {exc}")
        if value is None:
            missing.append(m.label)
            continue
        standalone[m.label] = quantize(value * card_rate, currency)
    if missing:
        raise PlanHold(f"No standalone cost for {', '.join(missing)} on the pool's rate card, "
                       "so the split cannot be checked against going alone.")

    method = inputs.split_method
    cost: CostFunction | None = None
    if total > 0 and inputs.mode and inputs.card is not None and (
            method == "shapley" or len(loads) <= EXACT_CORE_LIMIT):
        weights = {m.label: (m.gross_kg, m.demand_cbm) for m in inputs.members
                   if m.gross_kg is not None and m.demand_cbm is not None}
        if len(weights) == len(loads):
            raw = coalition_cost(inputs.card, weights)  # type: ignore[arg-type]
            try:
                grand = raw(frozenset(weights))
                if grand > 0:
                    cost = scaled(raw, grand, total)
            except TariffError as exc:
                explanation.append(f"Groups could not be priced on the rate card: {exc}")
    if cost is None:
        if method == "shapley":
            explanation.append("Shapley values need every group priced on the pool's rate "
                               "card, which was not possible; the proportional split is used.")
            method = "proportional"
        explanation.append("The core was not checked: groups of members could not be "
                           "priced on the pool's rate card.")
    caps = standalone
    if inputs.override:
        caps = {label: max(total, value) for label, value in standalone.items()}
    try:
        allocation = settle_split(lines, loads, currency, method=method, cost=cost,
                                  standalone=caps, per_shipment_key=inputs.per_shipment_key,
                                  samples=inputs.samples, seed=inputs.seed)
    except SettlementHold as exc:
        raise PlanHold(str(exc) + " No member is charged more than going alone without a "
                       "coordinator's recorded override.") from exc
    except AllocationError as exc:
        raise PlanHold(str(exc)) from exc
    if inputs.override:
        explanation.extend(without_standalone_claims(allocation.explanation))
        explanation.append(released_note(allocation.shares, standalone, currency))
    else:
        explanation.extend(allocation.explanation)
    return _outcome(allocation, total, explanation, standalone,
                    [m.label for m in inputs.members])


def plan_ads(inputs: AdsInputs) -> SplitPlan:
    """Each member pays its own spend; rebates and fees are shared by spend. Checked against
    buying alone through the same channel (own spend plus the programme's standalone fee)."""
    currency = inputs.currency
    if not inputs.members:
        raise PlanHold("The pool has no accepted members to share the spend.")
    if not inputs.reports:
        raise PlanHold("No spend report has been received for the pool.")
    other = sorted({r.currency for r in inputs.reports if r.currency != currency})
    if other:
        raise PlanHold(f"Spend reports mix currencies ({currency}, {', '.join(other)}).")
    stray = sorted({r.report_id for r in inputs.reports if r.member is None})
    if stray:
        raise PlanHold(f"Spend reports {', '.join(stray)} are for members no longer in the "
                       "pool.")
    spend: dict[str, Decimal] = {m.label: ZERO for m in inputs.members}
    rebate = fees = ZERO
    for r in inputs.reports:
        spend[r.member] += quantize(r.spend, currency)  # type: ignore[index]
        rebate += quantize(r.rebate, currency)
        fees += quantize(r.fees, currency)
    loads = [MemberLoad(member_id=m.label, chargeable_kg=ZERO, revenue_tons=ZERO,
                        volume_cbm=ZERO, spend=spend[m.label]) for m in inputs.members]
    try:
        allocation = split_ad(loads, rebate=rebate, fees=fees, currency=currency)
    except AllocationError as exc:
        raise PlanHold(str(exc)) from exc
    invoice = inputs.invoice
    if invoice is not None and quantize(invoice.total, currency) != allocation.total \
            and not inputs.override:
        raise PlanHold(f"{invoice.name} total {_fmt(invoice.total, currency)} differs from the "
                       f"spend reports' net amount {_fmt(allocation.total, currency)}.")
    alone: dict[str, Decimal | None] = {}
    for m in inputs.members:
        own = spend[m.label]
        alone[m.label] = None if m.standalone_cost is None else quantize(
            own + own * inputs.fee_percent / 100, currency)
    over = members_over(allocation.shares, alone)
    if over and not inputs.override:
        raise PlanHold(f"{', '.join(over)} would pay more than buying alone through the same "
                       "channel; a coordinator must review.")
    explanation: list[str] = []
    if inputs.override:
        explanation.extend(without_standalone_claims(allocation.explanation))
        explanation.append(released_note(allocation.shares, alone, currency))
    else:
        explanation.extend(allocation.explanation)
    return _outcome(allocation, allocation.total, explanation, alone,
                    [m.label for m in inputs.members])
