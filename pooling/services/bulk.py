"""Bulk writes: COPY on PostgreSQL (with ids reserved up front), bulk_create elsewhere.

Django's bulk_create binds every value through the driver's quoting, which costs
more than the work it records when a run writes thousands of rows; COPY streams
them. Both keep the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def rows_insert(model: type[models.Model], rows: Sequence[models.Model], *,
                with_pk: bool = False) -> None:
    """Insert model instances. With `with_pk` they carry ids from `ids_reserve` (on
    PostgreSQL); elsewhere bulk_create sets them. Fields' pre_save runs (auto_now_add)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    # COPY takes Python's numbers, strings, dates and aware datetimes as they are (the
    # column rounds a decimal to its scale); JSON is serialised; anything else goes
    # through the field's own preparation.
    plain = [f.get_internal_type() in _PLAIN for f in fields]
    is_json = [isinstance(f, models.JSONField) for f in fields]
    # Only a date field that stamps itself needs its pre_save; the others return the
    # attribute as it is.
    stamps = [bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
              for f in fields]
    alias = connection.alias
    values = []
    for row in rows:
        line = []
        for f, as_is, as_json, stamp in zip(fields, plain, is_json, stamps, strict=True):
            value = f.pre_save(row, True) if stamp else getattr(row, f.attname)
            if as_json:
                value = json.dumps(value)
            elif not as_is:
                value = f.get_db_prep_save(value, connection)
            line.append(value)
        values.append(line)
        row._state.adding = False
        row._state.db = alias
    copy_rows(model._meta.db_table, [f.column for f in fields], values)


_PLAIN = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "DecimalField", "ForeignKey", "IntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SmallIntegerField", "TextField", "OneToOneField",
})


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY plain value rows (JSON already serialised) into a table (PostgreSQL)."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(  # type: ignore[attr-defined]
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys of `model`'s table in one query (PostgreSQL)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def instances_insert(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert new instances and give each its id, as bulk_create does."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    for row, pk in zip(rows, ids_reserve(model, len(rows)), strict=True):
        row.pk = pk
    rows_insert(model, rows, with_pk=True)
