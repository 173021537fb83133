"""Tracking events from partners: stored once per (partner, eventID), pools moved along.

One batch is parsed once, attached to pools with one lookup, inserted with one
`INSERT ... ON CONFLICT DO NOTHING RETURNING` per chunk (the database says which
events were new), and only new actual events move pools: an ACT departure puts
a booked pool in transit; an ACT arrival or discharge at the pool's destination
delivers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Partner
from coop.errors import ApplicationError
from pooling.feed.dcsa import DcsaError, TrackingEventIn, parse_event
from pooling.models import Pool, PoolMember, TrackingEvent
from pooling.services.notifications import notify_firms
from pooling.services.transitions import can_transition, lock_pool, pool_transition

MAX_BATCH = 1000

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True)
class ItemResult:
    index: int
    event_id: str
    status: str  # stored, duplicate or rejected
    errors: dict[str, list[str]] = field(default_factory=dict)
    pool_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "eventID": self.event_id,
                               "status": self.status}
        if self.errors:
            out["errors"] = self.errors
        if self.pool_id is not None:
            out["pool"] = self.pool_id
        return out


def _guess_id(item: Any) -> str:
    metadata = item.get("metadata") if isinstance(item, dict) else None
    value = metadata.get("eventID") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def _reaches(pool: Pool, location: str) -> bool:
    """The event happened at the pool's destination (a port, or anywhere in its country)."""
    if not location or not pool.destination:
        return False
    if len(pool.destination) == 2:
        return location[:2] == pool.destination
    return location == pool.destination


_COLUMNS = ("partner_id", "pool_id", "event_id", "event_type", "classifier", "event_code",
            "event_datetime", "event_created_datetime", "location", "references",
            "retracted_event_id", "payload", "received_at")


def _insert_new(rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert rows, skipping (partner, eventID) pairs already stored; return the new eventIDs."""
    if not rows:
        return set()
    if connection.vendor == "postgresql":
        return _insert_new_postgres(rows)
    ops = connection.ops
    table = ops.quote_name(TrackingEvent._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    new: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            part = rows[start:start + 500]
            sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))} "  # noqa: S608 - fixed column names
                   'ON CONFLICT ("partner_id", "event_id") DO NOTHING RETURNING "event_id"')
            cursor.execute(sql, [value for row in part for value in row])
            new.update(event_id for (event_id,) in cursor.fetchall())
    return new


_PG_TYPES = ("int8", "int8", "text", "text", "text", "text", "timestamptz", "timestamptz", "text",
             "jsonb", "text", "jsonb", "timestamptz")


def _insert_new_postgres(rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """One statement per batch: each column as one array parameter, unnested server-side."""
    import psycopg

    table = TrackingEvent._meta.db_table
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    arrays = ", ".join(f"%b::{'text' if t == 'jsonb' else t}[]" for t in _PG_TYPES)
    selects = ", ".join(f"c{i}::jsonb" if t == "jsonb" else f"c{i}"
                        for i, t in enumerate(_PG_TYPES))
    names = ", ".join(f"c{i}" for i in range(len(_PG_TYPES)))
    sql = (f'INSERT INTO "{table}" ({columns}) SELECT {selects} '  # noqa: S608 - fixed names
           f"FROM unnest({arrays}) AS t({names}) "
           'ON CONFLICT ("partner_id", "event_id") DO NOTHING RETURNING "event_id"')
    connection.ensure_connection()
    # A server-binding cursor on Django's own connection (same transaction): arrays travel
    # as parameters instead of being spliced into a statement thousands of values long.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        return {event_id for (event_id,) in cursor.fetchall()}


def _rows(partner: Partner, parsed: Iterable[tuple[TrackingEventIn, int | None]]) -> list[tuple]:
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    return [
        (partner.pk, pool_id, ev.event_id, ev.event_type, ev.classifier, ev.event_code,
         adapt(ev.event_datetime) if ev.event_datetime else None,
         adapt(ev.event_created_datetime), ev.location,
         json.dumps([{"type": t, "value": v} for t, v in ev.references]),
         ev.retracted_event_id, json.dumps(ev.raw, separators=(",", ":")), now)
        for ev, pool_id in parsed
    ]


def tracking_events_post(*, partner: Partner, events: Sequence[Any]) -> list[ItemResult]:
    """Store a batch of DCSA events; report per item: stored, duplicate or rejected (why)."""
    if len(events) > MAX_BATCH:
        raise ApplicationError(
            f"A batch holds at most {MAX_BATCH} events; this one has {len(events)}.",
            fields={"events": [f"At most {MAX_BATCH} events per request."]},
            code="batch_too_large", status_code=413,
        )
    results: list[ItemResult | None] = [None] * len(events)
    parsed: list[tuple[int, TrackingEventIn]] = []
    seen: set[str] = set()
    for index, item in enumerate(events):
        try:
            event = parse_event(item)
        except DcsaError as exc:
            results[index] = ItemResult(index, _guess_id(item), REJECTED,
                                        {exc.field: [exc.message]})
            continue
        if event.event_id in seen:
            results[index] = ItemResult(index, event.event_id, DUPLICATE)
            continue
        seen.add(event.event_id)
        parsed.append((index, event))

    with transaction.atomic():
        pool_of = _attach(partner, [event for _, event in parsed])
        attached = [(event, pool_of.get(event.event_id)) for _, event in parsed]
        new_ids = _insert_new(_rows(partner, attached))
        for (index, event), (_, pool) in zip(parsed, attached, strict=True):
            status = STORED if event.event_id in new_ids else DUPLICATE
            results[index] = ItemResult(index, event.event_id, status, pool_id=pool)
        _move_pools(partner, [(event, pool_of[event.event_id]) for _, event in parsed
                              if event.event_id in new_ids and event.event_id in pool_of])
    return [result for result in results if result is not None]


def _attach(partner: Partner, events: Sequence[TrackingEventIn]) -> dict[str, int]:
    """eventID -> pool id, through booking references (one query) or the retracted event."""
    references = set().union(*(event.reference_values for event in events)) if events else set()
    by_reference: dict[str, int] = {}
    if references:
        for pool_id, reference in (Pool.objects.filter(partner=partner,
                                                       booking_reference__in=references)
                                   .order_by("pk").values_list("pk", "booking_reference")):
            by_reference.setdefault(reference, pool_id)
    out: dict[str, int] = {}
    for event in events:
        for _, value in event.references:
            if value in by_reference:
                out[event.event_id] = by_reference[value]
                break
    retracted = {e.retracted_event_id for e in events if e.retracted_event_id}
    if retracted:
        earlier = dict(TrackingEvent.objects.filter(
            partner=partner, event_id__in=retracted, pool__isnull=False,
        ).values_list("event_id", "pool_id"))
        for event in events:
            target = event.retracted_event_id
            found = (out.get(target) or earlier.get(target)) if target else None
            if found:
                out[event.event_id] = found
    return out


def _move_pools(partner: Partner, events: Sequence[tuple[TrackingEventIn, int]]) -> None:
    actual = sorted(
        ((event, pool_id) for event, pool_id in events
         if event.is_actual and event.event_code in ("DEPA", "ARRI", "DISC")),
        key=lambda pair: (pair[1], pair[0].event_datetime or pair[0].event_created_datetime),
    )
    for event, pool_id in actual:
        pool = lock_pool(pool_id)
        if event.event_code == "DEPA" and event.event_type == "TRANSPORT":
            to, kind, title = Pool.State.IN_TRANSIT, "departure", f"{pool} has departed"
        elif ((event.event_type, event.event_code) in (("TRANSPORT", "ARRI"),
                                                        ("EQUIPMENT", "DISC"))
              and _reaches(pool, event.location)):
            to, kind, title = Pool.State.DELIVERED, "delivery", f"{pool} has arrived"
        else:
            continue
        if not can_transition(pool, to):
            continue
        pool_transition(pool=pool, to=to, actor_label=partner.name,
                        reason=f"DCSA event {event.event_id} ({event.event_code} at "
                               f"{event.location or 'unknown location'})")
        firms = [m.firm for m in PoolMember.objects.filter(
            pool=pool, status__in=PoolMember.ACTIVE).select_related("firm")]
        where = f" at {event.location}" if event.location else ""
        notify_firms(firms=firms, kind=kind, title=title, pool=pool,
                     body=f"{partner.name} reported {event.event_code}{where} on "
                          f"{(event.event_datetime or event.event_created_datetime):%Y-%m-%d %H:%M %Z}.")
