"""A partner's invoice or credit note as typed objects, checked line by line.

Every line's amount is its quantity times its unit price, rounded once to the
currency's minor unit (the tariff engine's own rule), and the total is the sum
of the lines. Credit notes carry positive amounts: the amount credited back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pooling.domain.money import MoneyError, minor_unit, quantize

BASES = ("per_kg", "per_wm", "per_container", "per_shipment", "percentage", "per_member")


class InvoiceError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class InvoiceLineIn:
    charge_code: str
    description: str
    basis: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    applies_to: str = ""
    container: str = ""


@dataclass(frozen=True)
class InvoiceIn:
    number: str
    kind: str  # "invoice" or "credit_note"
    currency: str
    issue_date: date
    lines: tuple[InvoiceLineIn, ...]
    total: Decimal
    corrects: str = ""  # the invoice number a credit note corrects


def check_invoice(invoice: InvoiceIn) -> None:
    """Raise `InvoiceError` naming the first line or field that does not add up."""
    try:
        minor_unit(invoice.currency)
    except MoneyError as exc:
        raise InvoiceError(str(exc), field="currency") from None
    if invoice.kind == "credit_note" and not invoice.corrects:
        raise InvoiceError("A credit note must name the invoice it corrects.", field="corrects")
    if invoice.kind == "invoice" and invoice.corrects:
        raise InvoiceError("Only a credit note corrects another invoice.", field="corrects")
    if not invoice.lines:
        raise InvoiceError("An invoice needs at least one line.", field="lines")
    codes = {line.charge_code for line in invoice.lines}
    for index, line in enumerate(invoice.lines):
        where = f"lines.{index}"
        if line.basis not in BASES:
            raise InvoiceError(f"Basis {line.basis!r} is not one of {', '.join(BASES)}.",
                               field=f"{where}.basis")
        for name in ("quantity", "unit_price", "amount"):
            if getattr(line, name) < 0:
                raise InvoiceError(f"The {name.replace('_', ' ')} cannot be negative.",
                                   field=f"{where}.{name}")
        if quantize(line.amount, invoice.currency) != line.amount:
            raise InvoiceError(f"{line.amount} is not a whole number of {invoice.currency} "
                               "minor units.", field=f"{where}.amount")
        expected = quantize(line.quantity * line.unit_price, invoice.currency)
        if line.amount != expected:
            raise InvoiceError(
                f"Line {index + 1} ({line.charge_code}): {line.quantity} x {line.unit_price} is "
                f"{expected}, not {line.amount}.",
                field=f"{where}.amount",
            )
        if line.basis == "percentage":
            if not line.applies_to:
                raise InvoiceError("A percentage line names the charge code it applies to.",
                                   field=f"{where}.applies_to")
            if line.applies_to not in codes - {line.charge_code}:
                raise InvoiceError(f"No other line has charge code {line.applies_to!r}.",
                                   field=f"{where}.applies_to")
    lines_sum = sum((line.amount for line in invoice.lines), Decimal(0))
    if lines_sum != invoice.total:
        raise InvoiceError(f"The total {invoice.total} does not equal the sum of the lines "
                           f"({lines_sum}).", field="total")
