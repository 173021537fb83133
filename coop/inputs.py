"""The input boundary: strict parsing of the raw values every way in hands us.

JSON bodies, form posts, CSV cells and query strings all reach the services through
these functions (the DRF fields below wrap them for serializers). They refuse what a
column cannot hold *before* any arithmetic: text with NUL, lone surrogates or control
characters; numbers written with non-ASCII digits, in forms `Decimal` would read but a
person would not mean (`NaN`, `1e400`, 500 digits), or beyond the column's range;
booleans, lists and objects where text or a number is expected. Messages quote at most
a short, printable excerpt of the value, never the value itself.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from rest_framework import serializers

# PostgreSQL's integer and bigint columns.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
# Longest number we read at all; anything longer is refused before it is parsed.
MAX_NUMBER_CHARS = 64
EXCERPT_CHARS = 32

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
# C0 controls except tab, line feed and carriage return; DEL; lone surrogates.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class InputError(ValueError):
    """A raw value that does not parse; the message is safe to show as it is."""


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable rendering of a raw value for an error message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    text = text[:limit]
    shown = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\u{ord(ch):04x}"
        for ch in text
    )
    return f"'{shown}…'" if cut else f"'{shown}'"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return type(value).__name__


def check_text(text: str) -> str:
    """The text itself, when it holds no NUL, control character or lone surrogate."""
    bad = _FORBIDDEN.search(text)
    if bad:
        code = ord(bad.group())
        what = "NUL" if code == 0 else ("a lone surrogate" if code >= 0xD800 else
                                        "a control character")
        raise InputError(f"Text may not contain {what} (U+{code:04X}).")
    return text


def text(value: Any, *, max_length: int | None = None, strip: bool = True) -> str:
    """A string (never a number, boolean, list or object) that a text column can hold."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"Enter text, not {_kind(value)}.")
    check_text(value)
    if strip:
        value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise InputError(f"At most {max_length} characters; got {len(value)}.")
    return value


def number_text(value: Any) -> str:
    """The written form of a number: a JSON number, or a string of ASCII digits."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise InputError(f"Enter a number, not {_kind(value)}.")
    if isinstance(value, float | Decimal) and not Decimal(value).is_finite():
        raise InputError("Enter a finite number.")
    if isinstance(value, int) and abs(value) >= 10**MAX_NUMBER_CHARS:
        raise InputError("The number is too large.")
    written = (value if isinstance(value, str) else str(value)).strip().replace(",", "")
    if len(written) > MAX_NUMBER_CHARS:
        raise InputError(f"A number has at most {MAX_NUMBER_CHARS} characters.")
    return written


def decimal(value: Any, *, max_digits: int, places: int, label: str = "this field",
            minimum: Decimal | None = None, maximum: Decimal | None = None) -> Decimal:
    """A decimal that fits a `DecimalField(max_digits, places)` column and lies in range.

    Rounds half up to `places`; refuses, before rounding, any value whose integer part
    would not fit, so no arithmetic ever sees a number beyond the column.
    """
    written = number_text(value)
    if not _DECIMAL.fullmatch(written):
        raise InputError(f"Enter a number for {label}. Use digits 0-9 and a point; got "
                         f"{excerpt(value)}.")
    with localcontext() as ctx:
        ctx.prec = MAX_NUMBER_CHARS + 8
        try:
            number = Decimal(written)
        except InvalidOperation:
            raise InputError(f"Enter a number for {label}; got {excerpt(value)}.") from None
        limit = Decimal(10) ** (max_digits - places)
        if abs(number) >= limit:
            raise InputError(f"{label.capitalize()} must be below {limit:,}; got "
                             f"{excerpt(value)}.")
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if minimum is not None and number < minimum:
        raise InputError(f"{label.capitalize()} must be at least {minimum}; got {number}.")
    if maximum is not None and number > maximum:
        raise InputError(f"{label.capitalize()} may be at most {maximum:,}; got {number:,}.")
    return number


def integer(value: Any, *, label: str = "this field", minimum: int = INT_MIN,
            maximum: int = INT_MAX) -> int:
    """A whole number in ASCII digits, within the column's range (integer by default)."""
    written = number_text(value)
    if isinstance(value, float) and value.is_integer():
        written = str(int(value))
    if not _INTEGER.fullmatch(written):
        raise InputError(f"Enter a whole number for {label}; got {excerpt(value)}.")
    number = int(written)
    if not minimum <= number <= maximum:
        raise InputError(f"{label.capitalize()} must be from {minimum:,} to {maximum:,}; got "
                         f"{excerpt(value)}.")
    return number


def code(value: Any, *, pattern: str, what: str, example: str, upper: bool = True) -> str:
    """A code (country, currency, HS code, UN number) in ASCII, matching `pattern`."""
    written = text(value)
    if upper:
        written = written.upper()
    if not written.isascii() or not re.fullmatch(pattern, written):
        raise InputError(f"Enter {what}, e.g. {example}; got {excerpt(value)}.")
    return written


# --- DRF fields over the same rules -------------------------------------------------


def _drf(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except InputError as exc:
        raise serializers.ValidationError(str(exc)) from None


class StrictCharField(serializers.CharField):
    """Text only: a boolean, number, list or object is refused, not turned into text."""

    def to_internal_value(self, data: Any) -> str:
        _drf(text, data, strip=False)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """ASCII digits only; within PostgreSQL's integer range unless told otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", INT_MIN)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        return int(_drf(integer, data, label=self.field_name or "this field",
                        minimum=self.min_value, maximum=self.max_value))


class StrictDecimalField(serializers.DecimalField):
    """ASCII digits only, range-checked to `max_digits` before DRF reads it; more decimal
    places than the column keeps are refused (DRF's rule), not rounded away."""

    def to_internal_value(self, data: Any) -> Decimal:
        _drf(decimal, data, max_digits=self.max_digits or 18, places=self.decimal_places or 0,
             label=self.field_name or "this field")
        return Decimal(super().to_internal_value(data))


def _ascii_timestamp(value: Any) -> None:
    if isinstance(value, str) and not value.isascii():
        raise serializers.ValidationError(
            f"Write dates in ASCII digits (ISO 8601); got {excerpt(value)}.")


class StrictDateField(serializers.DateField):
    """An ISO 8601 date in ASCII digits."""

    def to_internal_value(self, value: Any) -> Any:
        _ascii_timestamp(value)
        return super().to_internal_value(value)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp in ASCII digits that stays a valid date once in UTC."""

    def to_internal_value(self, value: Any) -> Any:
        _ascii_timestamp(value)
        return super().to_internal_value(value)
