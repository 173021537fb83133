"""Settlement planning rules that need no database: net lines, container lines, the
group cost a split is checked against, the words about standalone costs, and when a
settled pool closes for disputes.

Plain values in, plain values out; `pooling.services.settlement` gathers the inputs
from the database and posts what these functions decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from pooling.domain.allocation import CostFunction, CostLine, MemberLoad
from pooling.domain.money import ZERO, largest_remainder, quantize
from pooling.domain.tariff import RateCard, price


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
    return f"{currency} {quantize(amount, currency):,}"


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
