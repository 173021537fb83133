"""Partner invoices and credit notes: checked, stored once, handed to settlement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Partner
from accounts.reference import validate_currency
from coop.errors import Conflict
from pooling.domain import wording
from pooling.feed.invoices import InvoiceError, InvoiceIn, InvoiceLineIn, check_invoice
from pooling.models import Invoice, InvoiceLine, Pool
from pooling.selectors.settlement import dispute_window
from pooling.services.feed_common import partner_pool_named
from pooling.services.settlement_queue import settlement_enqueue
from pooling.services.transitions import can_transition, pool_transition


def _same(invoice: Invoice, pool_id: int, data: InvoiceIn) -> bool:
    lines = [(ln.charge_code, ln.basis, ln.quantity, ln.unit_price, ln.amount)
             for ln in invoice.lines.all()]
    return (invoice.pool_id == pool_id and invoice.kind == data.kind
            and invoice.currency == data.currency and invoice.total == data.total
            and invoice.issue_date == data.issue_date
            and lines == [(ln.charge_code, ln.basis, ln.quantity, ln.unit_price, ln.amount)
                          for ln in data.lines])


@transaction.atomic
def invoice_post(
    *, partner: Partner, pool_id: int, number: str, currency: str, issue_date: date,
    lines: Sequence[dict[str, Any]], total: Decimal, kind: str = Invoice.Kind.INVOICE,
    corrects: str = "",
) -> tuple[Invoice, bool]:
    """Store an invoice (or credit note) for the partner's pool; return it and whether it is new.

    An invoice moves a delivered pool to invoiced; a credit note moves a settled
    pool back to invoiced. Both enqueue settlement once the transaction commits.
    The same invoice posted again returns the stored one and changes nothing.
    """
    data = InvoiceIn(
        number=number, kind=kind, currency=currency, issue_date=issue_date, total=total,
        corrects=corrects, lines=tuple(InvoiceLineIn(
            charge_code=line["charge_code"], description=line.get("description", ""),
            basis=line["basis"], quantity=line["quantity"], unit_price=line["unit_price"],
            amount=line["amount"], applies_to=line.get("applies_to", ""),
            container=line.get("container", "")) for line in lines),
    )
    try:
        validate_currency(currency)
    except ValidationError as exc:
        raise ValidationError({"currency": exc.messages}) from None
    try:
        check_invoice(data)
    except InvoiceError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    pool = partner_pool_named(partner=partner, pool_id=pool_id)
    existing = Invoice.objects.filter(partner=partner, number=number).first()
    if existing is not None:
        if _same(existing, pool.pk, data):
            return existing, False
        raise Conflict(f"Invoice number {number} is already used for another invoice.",
                       fields={"number": ["Already used; invoice numbers are unique per partner."]})
    window = dispute_window(pool_id=pool.pk)
    if window.closed:
        raise Conflict(
            f"Pool #{pool.pk} closed on {window.closes_on.isoformat()}: its dispute window "  # type: ignore[union-attr]
            f"of {settings.SETTLEMENT_DISPUTE_DAYS} days after arrival or the last settlement "
            "has passed, so it takes no further invoices or credit notes.",
            fields={"pool": [f"Closed on {window.closes_on.isoformat()}."]})  # type: ignore[union-attr]
    corrected = None
    if kind == Invoice.Kind.CREDIT_NOTE:
        corrected = Invoice.objects.filter(partner=partner, number=corrects, pool=pool,
                                           kind=Invoice.Kind.INVOICE).first()
        if corrected is None:
            raise ValidationError({"corrects": [
                f"No invoice {corrects} of yours for pool #{pool.pk} to correct."]})
        if pool.state == Pool.State.SETTLED:
            pool_transition(pool=pool, to=Pool.State.INVOICED, actor_label=partner.name,
                            action="credit_note", reason=f"Credit note {number} corrects {corrects}.")
        elif pool.state != Pool.State.INVOICED:
            raise Conflict(f"Pool #{pool.pk} is {pool.get_state_display().lower()}; "
                           "a credit note corrects an invoiced or settled pool.")
    else:
        if not can_transition(pool, Pool.State.INVOICED):
            raise Conflict(
                f"Pool #{pool.pk} is {pool.get_state_display().lower()}; it can be invoiced "
                "once delivered.", fields={"pool": ["The pool is not ready to be invoiced."]})
        pool_transition(pool=pool, to=Pool.State.INVOICED, actor_label=partner.name,
                        action="invoiced", reason=f"Invoice {number}: {wording.money(total, currency)}.")
    invoice = Invoice.objects.create(
        partner=partner, pool=pool, number=number, kind=kind, corrects=corrected,
        currency=currency, issue_date=issue_date, total=total,
    )
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, line_no=n, charge_code=ln.charge_code,
                    description=ln.description, basis=ln.basis, quantity=ln.quantity,
                    unit_price=ln.unit_price, amount=ln.amount, applies_to=ln.applies_to,
                    container=ln.container)
        for n, ln in enumerate(data.lines, start=1)
    ])
    settlement_enqueue(pool_id=pool.pk, invoice_id=invoice.pk)
    return invoice, True
