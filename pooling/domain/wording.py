"""How figures and counts read in anything a person reads: pages, messages, e-mails,
matching reasons. Pure Python; the template filters in `pooling.templatetags.coop` call
these, so a page and the message it flashes say a figure the same way.

- money: `USD 1,234.50` (thousands grouped, the currency's minor unit: JPY 0, KWD 3);
- weights: `1,234.5 kg` (up to two decimals, trailing zeros dropped);
- volumes: `12.35 CBM`, revenue tons `12.35 W/M` (two decimals);
- percentages: `2%`, `1.5%` (trailing zeros dropped);
- counts: `1 row` / `3 rows`, `both demands`, `all 3 demands`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pooling.domain.money import MoneyError, minor_unit, quantize

_TWO = Decimal("0.01")


def as_decimal(value: Any) -> Decimal | None:
    """A number from a Decimal, int, float or numeric string; None for anything else."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _trimmed(number: Decimal, places: Decimal = _TWO) -> str:
    """Grouped, rounded to `places`, trailing zeros dropped: 1234.500 → "1,234.5"."""
    text = f"{number.quantize(places, ROUND_HALF_UP):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(value: Decimal, currency: str) -> str:
    """"1,234.50": grouped, with the currency's decimals (two for an unknown code)."""
    try:
        return f"{quantize(value, currency):,.{minor_unit(currency)}f}"
    except MoneyError:
        return f"{value.quantize(_TWO, ROUND_HALF_UP):,.2f}"


def money(value: Decimal, currency: str) -> str:
    """"USD 1,234.50"."""
    return f"{currency} {amount(value, currency)}"


def kg(value: Decimal) -> str:
    """"1,234.5 kg"."""
    return f"{_trimmed(value)} kg"


def cbm(value: Decimal) -> str:
    """"12.35 CBM"."""
    return f"{value.quantize(_TWO, ROUND_HALF_UP):,.2f} CBM"


def wm(value: Decimal) -> str:
    """Revenue tons, "12.35 W/M"."""
    return f"{value.quantize(_TWO, ROUND_HALF_UP):,.2f} W/M"


def percent(value: Decimal) -> str:
    """"2%", "1.5%", "12.25%"."""
    return f"{_trimmed(value)}%"


def number(value: Decimal) -> str:
    """A plain quantity, grouped, to two decimals at most: 2500.000 → "2,500",
    333.3333 → "333.33"."""
    return _trimmed(value)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """The noun as the count needs it: plural("row", 1) → "row", 3 → "rows".

    The plural is the noun plus "s" unless `plural_form` is given ("box", "boxes")."""
    if count == 1:
        return noun
    return plural_form if plural_form is not None else f"{noun}s"


def counted(count: int, noun: str, plural_form: str | None = None, *,
            whole: bool = False) -> str:
    """"1 demand", "3 demands"; with `whole` (the count is all there are): "both demands",
    "all 3 demands"."""
    words = plural(count, noun, plural_form)
    if whole and count == 2:
        return f"both {words}"
    if whole and count > 2:
        return f"all {count:,} {words}"
    return f"{count:,} {words}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb agreeing with a count: verb(1, "has", "have") → "has"."""
    return singular if count == 1 else plural_form


def member_line(*, firm: str, need: str, share: Decimal, standalone: Decimal | None,
                currency: str, budget: Decimal = Decimal(0), programme: str = "") -> str:
    """One member's figures in a pool, as a coordinator reads them under the pool's reasons:
    "Acme Ltd (demand 31, ready …, deliver by …) pays USD 631.05 instead of USD 1,469.03
    alone, saving USD 837.98." `need` names the need; a member without access alone
    (`standalone` None, an ad budget below the programme's minimum) gains access to
    `programme` instead."""
    if standalone is None:
        return (f"{firm} ({need}) gains access to {programme} and pays "
                f"{money(share, currency)} for its {money(budget, currency)} budget.")
    return (f"{firm} ({need}) pays {money(share, currency)} instead of "
            f"{money(standalone, currency)} alone, saving "
            f"{money(standalone - share, currency)}.")


def demand_named(demand_id: int, ready_from: Any, deliver_by: Any) -> str:
    """How a member line names a shipping demand: "demand 31, ready 2026-12-31, deliver by
    2027-01-29"."""
    return (f"demand {demand_id}, ready {ready_from.isoformat()}, "
            f"deliver by {deliver_by.isoformat()}")


def ad_need_named(need_id: int) -> str:
    return f"need {need_id}"
