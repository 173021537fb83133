"""Money arithmetic: Decimal amounts, ISO 4217 minor units, exact splitting.

Pure Python: no Django imports. Every price and share in the cooperative passes
through these helpers so that rounding happens in exactly one way.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

# ISO 4217 minor units for the currencies whose exponent is not 2.
_MINOR_UNIT_EXCEPTIONS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}

ZERO = Decimal(0)


class MoneyError(ValueError):
    """An amount or currency that cannot be used as money."""


@cache
def minor_unit(currency: str) -> int:
    """Number of decimal places of `currency` (ISO 4217 exponent)."""
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise MoneyError(f"'{currency}' is not an ISO 4217 currency code.")
    return _MINOR_UNIT_EXCEPTIONS.get(currency, 2)


@cache
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    return amount.quantize(quantum(currency), ROUND_HALF_UP)


def largest_remainder(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights`, rounded to the currency's minor unit.

    The parts add up exactly to `total` (which must already be in minor units).
    Leftover minor units go to the largest fractional remainders; ties go to the
    earlier index, so callers that need order independence pass weights in a
    canonical order. All-zero weights split equally.
    """
    q = quantum(currency)
    if quantize(total, currency) != total:
        raise MoneyError(f"{total} is not a whole number of {currency} minor units.")
    if not weights:
        if total != ZERO:
            raise MoneyError("Cannot split a non-zero amount among nobody.")
        return []
    if not all(w.is_finite() for w in weights):
        raise MoneyError("Split weights must be finite amounts.")
    if any(w < 0 for w in weights):
        raise MoneyError("Split weights cannot be negative.")
    # Exactly, on integers: the weights in units of their smallest decimal place, each
    # part's minor units as a quotient and its remainder (the fractional part's
    # numerator over the same denominator for every part).
    scaled = _whole_units(weights, minor_unit(currency))
    weight_sum = sum(scaled)
    if weight_sum == 0:
        scaled = [1] * len(weights)
        weight_sum = len(weights)
    units = int(total / q)
    sign = -1 if units < 0 else 1
    units = abs(units)
    floors: list[int] = []
    remainders: list[int] = []
    for w in scaled:
        whole, part = divmod(units * w, weight_sum)
        floors.append(whole)
        remainders.append(part)
    leftover = units - sum(floors)
    order = sorted(range(len(floors)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(sign * f) * q for f in floors]


def _whole_units(weights: Sequence[Decimal], places: int) -> list[int]:
    """The weights as integers in units of one common decimal place: the currency's
    minor unit when every weight is a whole number of them (the usual case), else the
    smallest place any weight uses."""
    scaled: list[int] = []
    for w in weights:
        shifted = w.scaleb(places)
        whole = int(shifted)
        if whole != shifted:
            break
        scaled.append(whole)
    else:
        return scaled
    exponent = min(int(w.as_tuple().exponent) for w in weights)
    return [int(w.scaleb(-exponent)) for w in weights]
