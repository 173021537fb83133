"""Display helpers for the cooperative's pages: money, codes and pool benefits."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pooling.domain.money import MoneyError, minor_unit, quantize
from pooling.models import Pool
from pooling.models.choices import CargoClass, Mode

register = template.Library()

# Every code the pages show, with the label a person reads.
_LABELS: dict[str, str] = {
    **dict(Pool.State.choices), **dict(Mode.choices), **dict(CargoClass.choices),
    "per_wm": "per revenue ton (W/M)", "per_kg": "per chargeable kg", "per_cbm": "per CBM",
    "per_shipment": "per shipment", "percentage": "percentage of freight", "flat": "flat",
    "proportional": "Proportional", "shapley": "Shapley value",
    "completed": "Completed", "reversed": "Reversed", "held": "Held", "pending": "Pending",
    "sea": "Sea",
}


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def amount(value: Any, currency: str = "USD") -> str:
    """`1234.5|amount:"USD"` → "1,234.50": grouped, with the currency's decimals."""
    number = _decimal(value)
    if number is None:
        return "—"
    try:
        return f"{quantize(number, str(currency)):,.{minor_unit(str(currency))}f}"
    except MoneyError:
        return f"{number:,.2f}"


@register.filter
def money(value: Any, currency: str = "USD") -> str:
    """`1234.5|money:"USD"` → "USD 1,234.50"; JPY without decimals, KWD with three."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{currency} {amount(number, currency)}"


@register.filter
def label(code: Any) -> str:
    """A code such as `sea_lcl` or `in_transit` as the words a person reads."""
    if code is None or code == "":
        return "—"
    text = str(code)
    return _LABELS.get(text, text.replace("_", " ").capitalize())


@register.filter
def rate(value: Any) -> str:
    """An exchange rate without trailing zeros: 0.9200000000 → 0.92."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():f}"


@register.simple_tag
def saving(kind: str, value: Any, currency: str) -> SafeString:
    """A saving cell: green when the member pays less than alone, red when it pays more.

    In a traffic-buying pool a member with no access alone has no saving to show: its
    benefit is access to the programme. A negative saving is never shown in green.
    """
    number = _decimal(value)
    if number is None:
        if kind == Pool.Kind.ADS:
            return format_html('<span class="access" title="{}">Access gained</span>',
                               "Alone, this budget is below the programme's minimum spend.")
        return format_html('<span class="muted">—</span>')
    css = "saving" if number >= 0 else "loss"
    return format_html('<span class="{}">{}</span>', css, money(number, currency))


@register.simple_tag
def pool_saving(kind: str, value: Any, currency: str) -> SafeString:
    """A pool's saving as a whole. A traffic-buying pool's combined budgets are not what its
    members would pay alone (none reaches the programme alone), so a negative difference
    there is the net fees of the access gained, not a loss."""
    number = _decimal(value)
    if kind == Pool.Kind.ADS and number is not None and number < 0:
        return format_html(
            '<span class="access">Access gained</span><div class="muted small">net fees {}</div>',
            money(-number, currency))
    return saving(kind, value, currency)


_BASIS_CODE = re.compile(r", (per_wm|per_kg|per_cbm|per_shipment|percentage|flat)\)")
_LONG_DECIMAL = re.compile(r"\b(\d+\.\d*?[1-9]?)0{4,}\b")


@register.filter
def plain(text: Any) -> str:
    """A generated explanation with its charge-basis codes as words and exchange rates
    without a tail of zeros: "(USD 75.00, per_shipment)" → "(USD 75.00, per shipment)"."""
    result = _BASIS_CODE.sub(lambda m: f", charged {_LABELS[m.group(1)].split(' (')[0]})", str(text))
    return _LONG_DECIMAL.sub(lambda m: m.group(1).rstrip("."), result)
