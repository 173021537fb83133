"""Display helpers for the cooperative's pages: money, codes and pool benefits."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pooling.domain import wording
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
    return wording.as_decimal(value)


@register.filter
def amount(value: Any, currency: str = "USD") -> str:
    """`1234.5|amount:"USD"` → "1,234.50": grouped, with the currency's decimals."""
    number = _decimal(value)
    return "—" if number is None else wording.amount(number, str(currency))


@register.filter
def money(value: Any, currency: str = "USD") -> str:
    """`1234.5|money:"USD"` → "USD 1,234.50"; JPY without decimals, KWD with three."""
    number = _decimal(value)
    return "—" if number is None else wording.money(number, str(currency))


def _unit(format_: Any) -> Any:
    def render(value: Any) -> str:
        number = _decimal(value)
        return "—" if number is None else str(format_(number))
    render.__doc__ = format_.__doc__
    return render


kg = register.filter("kg", _unit(wording.kg))
cbm = register.filter("cbm", _unit(wording.cbm))
wm = register.filter("wm", _unit(wording.wm))
percent = register.filter("percent", _unit(wording.percent))
qty = register.filter("qty", _unit(wording.number))


@register.filter
def count(value: Any, noun: str) -> str:
    """`3|count:"row"` → "3 rows", `1|count:"row"` → "1 row"; an irregular plural after a
    comma: `2|count:"box,boxes"`. A list counts its items."""
    number = len(value) if isinstance(value, list | tuple | set | dict) else int(value or 0)
    singular, _, plural_form = str(noun).partition(",")
    return wording.counted(number, singular, plural_form or None)


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
