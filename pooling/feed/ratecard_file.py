"""A rate card as a CSV or XLSX file: one row per setting or tariff line, first cell the key.

    key,a,b,c,d
    origin,CNSZX
    destination,USLAX
    mode,sea_lcl
    currency,USD
    valid_from,2026-01-01
    lcl_rate_per_wm,95.00
    equipment,40HC,2800.00,66,26500        code, price, usable CBM, payload kg
    weight_break,45,4.30                   from kg, rate per kg
    fee,DOC,75.00,Documentation            code, amount, description
    surcharge,BAF,10,Bunker adjustment     code, percent, description
    allowed_cargo_classes,general,magnetic

Parsed into the keyword arguments of `rate_card_upload`, so a file is checked by
exactly the rules of the API. Pure Python apart from openpyxl for XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

SCALARS = ("origin", "destination", "mode", "currency", "valid_from", "valid_to", "kg_per_cbm",
           "minimum_charge", "higher_break_rule", "lcl_rate_per_wm", "lcl_minimum_wm",
           "transit_days")
REQUIRED = ("origin", "destination", "mode", "currency", "valid_from")
LISTS = {"weight_break": ("weight_breaks", ("min_kg", "rate_per_kg")),
         "equipment": ("equipment", ("code", "price", "usable_cbm", "payload_kg")),
         "fee": ("fees", ("code", "amount", "description")),
         "surcharge": ("surcharges", ("code", "percent", "description"))}
MAX_ROWS = 500

TEMPLATE_ROWS = [
    ["key", "a", "b", "c", "d"],
    ["origin", "CNSZX"], ["destination", "USLAX"], ["mode", "sea_lcl"], ["currency", "USD"],
    ["valid_from", "2026-01-01"], ["valid_to", ""], ["minimum_charge", "0"],
    ["lcl_rate_per_wm", "95.00"], ["lcl_minimum_wm", "1"], ["transit_days", "18"],
    ["allowed_cargo_classes", "general", "magnetic"],
    ["equipment", "20GP", "1800.00", "28", "21700"],
    ["equipment", "40HC", "2800.00", "66", "26500"],
    ["fee", "DOC", "75.00", "Documentation"],
    ["surcharge", "BAF", "10", "Bunker adjustment (fuel)"],
]


class RateCardFileError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(next(iter(errors.values()))[0])
        self.errors = errors


def template_csv() -> str:
    out = io.StringIO()
    csv.writer(out).writerows(TEMPLATE_ROWS)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(content: bytes, filename: str) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
            rows = [[_cell(v) for v in row]
                    for row in sheet.iter_rows(max_row=MAX_ROWS + 1, values_only=True)]
        except Exception:  # noqa: BLE001 - any unreadable workbook is the partner's error
            raise RateCardFileError({"file": ["The file is not a readable .xlsx workbook."]}) from None
        return rows
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateCardFileError({"file": ["Save the CSV as UTF-8."]}) from None
    if "\x00" in text:
        raise RateCardFileError({"file": ["The file holds NUL characters; is it a CSV?"]})
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))][: MAX_ROWS + 1]


def _decimal(value: str, where: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.setdefault(where, []).append(f"{value[:30]!r} is not a number.")
        return None
    if not number.is_finite():
        errors.setdefault(where, []).append("Use a finite number.")
        return None
    return number


def parse_rate_card_file(content: bytes, filename: str) -> dict[str, Any]:
    """The file as `rate_card_upload` keyword arguments; `RateCardFileError` names the row."""
    rows = [r for r in _rows(content, filename) if any(r)]
    if len(rows) > MAX_ROWS:
        raise RateCardFileError({"file": [f"At most {MAX_ROWS} rows."]})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"weight_breaks": [], "equipment": [], "fees": [], "surcharges": []}
    for line, row in enumerate(rows, start=1):
        key, cells = row[0].lower(), [c for c in row[1:]]
        if line == 1 and key == "key":
            continue
        where = f"row {line}.{key or 'key'}"
        if key in SCALARS:
            value = cells[0] if cells else ""
            if key in ("valid_from", "valid_to"):
                try:
                    values[key] = date.fromisoformat(value) if value else None
                except ValueError:
                    errors.setdefault(where, []).append("Write the date as YYYY-MM-DD.")
            elif key in ("kg_per_cbm", "minimum_charge", "lcl_rate_per_wm", "lcl_minimum_wm"):
                number = _decimal(value, where, errors)
                if number is not None:
                    values[key] = number
            elif key == "transit_days":
                if value:
                    if not value.isdigit():
                        errors.setdefault(where, []).append("Transit days are a whole number.")
                    else:
                        values[key] = int(value)
            elif key == "higher_break_rule":
                values[key] = value.lower() in ("yes", "true", "1")
            else:
                values[key] = value
        elif key == "allowed_cargo_classes":
            values[key] = [c for c in cells if c]
        elif key in LISTS:
            target, names = LISTS[key]
            item = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)}
            values[target].append({k: v for k, v in item.items() if v != ""})
        else:
            errors.setdefault(where, []).append(
                f"Unknown key; use one of {', '.join((*SCALARS, 'allowed_cargo_classes', *LISTS))}.")
    for key in REQUIRED:
        if not values.get(key):
            errors.setdefault(key, []).append(f"The file needs a {key} row.")
    if errors:
        raise RateCardFileError(errors)
    return values


def card_summary(values: dict[str, Any] | Any) -> dict[str, str]:
    """Comparable text per setting, for a rate card model or parsed values."""
    get = values.get if isinstance(values, dict) else lambda k, d=None: getattr(values, k, d)

    def lines(items: Iterable[Any], names: tuple[str, ...]) -> str:
        return "; ".join(" ".join(i.get(n, "") for n in names if i.get(n, "") != "")
                         for i in normalise_items(items or []))

    out = {key: "" if get(key) is None else str(get(key)) for key in SCALARS}
    for key in ("minimum_charge", "lcl_rate_per_wm", "lcl_minimum_wm", "kg_per_cbm"):
        if out[key]:
            out[key] = str(Decimal(out[key]).normalize())
    out["allowed_cargo_classes"] = ", ".join(get("allowed_cargo_classes") or [])
    for _, (target, names) in LISTS.items():
        out[target] = lines(get(target) or [], names)
    return out


def normalise_items(items: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for item in items:
        row = {}
        for key, value in item.items():
            text = str(value)
            try:
                text = str(Decimal(text).normalize()) if key not in ("code", "description") else text
            except InvalidOperation:
                pass
            row[key] = text
        out.append(row)
    return out
