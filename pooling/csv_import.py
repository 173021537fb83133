"""Shipping demands from a CSV file: every row validated, all stored or none.

The file is UTF-8 (a byte-order mark is fine), comma-separated, with a header row.
Each row goes through the same validator as the API and the web form; errors are
reported as `row <line>.<column>` with the file's line number (the header is line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Firm
from coop.errors import ApplicationError
from pooling.domain.wording import counted, verb
from pooling.services.needs import DemandInput, demand_input_parse, demands_import

MAX_ROWS = 10_000
MAX_REPORTED_ERRORS = 500

REQUIRED_COLUMNS = ("origin", "destination", "mode", "gross_kg", "volume_cbm", "ready_from",
                    "deliver_by")
OPTIONAL_COLUMNS = ("reference", "cargo_class", "un_number", "dg_class", "splittable",
                    "incoterm", "declared_value", "declared_currency", "hs_code")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


class CsvImportError(ApplicationError):
    code = "csv_invalid"


@dataclass(frozen=True)
class ImportResult:
    created: int


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02x} at position {exc.start} "
            "cannot be read. Save the file as 'CSV UTF-8' and upload it again.",
            fields={"file": [f"Not UTF-8: byte 0x{data[exc.start]:02x} at position "
                             f"{exc.start}."]},
        ) from None


def _header(names: list[str]) -> list[str]:
    header = [name.strip().lower() for name in names]
    if not header or not any(header):
        raise CsvImportError("The file is empty: it needs a header row and at least one row.",
                             fields={"file": ["No header row."]})
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    fields: dict[str, list[str]] = {}
    if missing:
        fields["columns"] = [f"Missing column: {c}." for c in missing]
    if unknown:
        fields.setdefault("columns", []).extend(f"Unknown column: {c or '(empty)'}." for c in unknown)
    if duplicated:
        fields.setdefault("columns", []).extend(f"Column twice: {c}." for c in duplicated)
    if fields:
        raise CsvImportError(
            "The header row does not match the expected columns: " + " ".join(fields["columns"])
            + f" Expected: {', '.join(COLUMNS)} (the last {len(OPTIONAL_COLUMNS)} are optional).",
            fields=fields,
        )
    return header


def demands_from_csv(data: bytes, *, today: dt.date | None = None) -> list[DemandInput]:
    """Parse and validate every row; raise CsvImportError naming each bad row and column."""
    today = today or timezone.localdate()
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        first = next(reader)
    except StopIteration:
        first = []
    except csv.Error as exc:
        raise CsvImportError(f"Line 1 is not valid CSV: {exc}.", fields={"file": [str(exc)]}) from None
    header = _header(first)
    try:
        records = [(reader.line_num, record) for record in reader
                   if any(cell.strip() for cell in record)]
    except csv.Error as exc:
        raise CsvImportError(f"Line {reader.line_num} is not valid CSV: {exc}.",
                             fields={f"row {reader.line_num}": [str(exc)]}) from None
    if len(records) > MAX_ROWS:
        raise CsvImportError(
            f"The file has {len(records):,} rows, more than {MAX_ROWS:,}; split it into "
            "several files.", fields={"file": [f"More than {MAX_ROWS:,} rows."]},
        )
    rows: list[DemandInput] = []
    errors: dict[str, list[str]] = {}
    bad_rows = 0
    for line, record in records:
        if len(record) != len(header):
            bad_rows += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors[f"row {line}"] = [
                    f"Expected {len(header)} cells, found {len(record)}."]
            continue
        try:
            rows.append(demand_input_parse(dict(zip(header, record, strict=True)), today=today))
        except ValidationError as exc:
            bad_rows += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                for column, messages in exc.message_dict.items():
                    errors[f"row {line}.{column}"] = list(messages)
    count = len(records)
    if errors:
        first_key, first_messages = next(iter(errors.items()))
        more = "" if len(errors) < MAX_REPORTED_ERRORS else f" (the first {len(errors)} shown)"
        raise CsvImportError(
            f"{bad_rows:,} of {counted(count, 'row')} {verb(bad_rows, 'has', 'have')} errors{more}; "
            "nothing was imported. "
            f"First: {first_key}: {first_messages[0]}",
            fields=errors,
        )
    if not rows:
        raise CsvImportError("The file has a header but no rows.", fields={"file": ["No rows."]})
    return rows


def demands_csv_import(*, firm: Firm, data: bytes, today: dt.date | None = None) -> ImportResult:
    """Validate the whole file, then store every demand in one transaction."""
    rows = demands_from_csv(data, today=today)
    return ImportResult(created=demands_import(firm=firm, rows=rows))
