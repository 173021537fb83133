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
from django.utils import timezone


def rows_insert(model: type[models.Model], rows: Sequence[models.Model], *,
                with_pk: bool = False) -> None:
    """Insert model instances. With `with_pk` they carry ids from `ids_reserve` (on
    PostgreSQL); elsewhere bulk_create sets them. Fields' pre_save runs (auto_now_add)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    fields = _fields(model, with_pk)
    # Only a date field that stamps itself needs its pre_save; the others return the
    # attribute as it is.
    stamps = [bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
              for f in fields]
    alias = connection.alias
    values = []
    for row in rows:
        values.append([f.pre_save(row, True) if stamp else getattr(row, f.attname)
                       for f, stamp in zip(fields, stamps, strict=True)])
        row._state.adding = False
        row._state.db = alias
    _copy_prepared(model, fields, values)


def values_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows given as field values by attname (`firm_id`, not `firm`), without
    building model instances: a field left out takes its default, and a date field that
    stamps itself (auto_now, auto_now_add) the time of the call."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    fields = _fields(model, False)
    now = timezone.now()
    defaults = [now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default() for f in fields]
    names = [f.attname for f in fields]
    values = [[row.get(name, default) for name, default in zip(names, defaults, strict=True)]
              for row in rows]
    _copy_prepared(model, fields, values)


def _fields(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]


def _copy_prepared(model: type[models.Model], fields: Sequence[models.Field[Any, Any]],
                   values: list[list[Any]]) -> None:
    # COPY takes Python's numbers, strings, dates and aware datetimes as they are (the
    # column rounds a decimal to its scale); JSON is serialised; anything else goes
    # through the field's own preparation.
    kinds = [2 if isinstance(f, models.JSONField) else
             0 if f.get_internal_type() in _PLAIN else 1 for f in fields]
    if any(kinds):
        for line in values:
            for k, (f, kind) in enumerate(zip(fields, kinds, strict=True)):
                if kind == 2:
                    line[k] = json.dumps(line[k])
                elif kind == 1:
                    line[k] = f.get_db_prep_save(line[k], connection)
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
