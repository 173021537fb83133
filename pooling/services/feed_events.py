"""Tracking events from partners (DCSA Track & Trace 3.0.0): stored once per (partner,
eventID), updated by a later `eventUpdatedDateTime`, retracted by `isRetracted`.

One batch is parsed once (each event on its own: one bad event never fails the
batch), checked against what is stored with one query, attached to pools with one
or two lookups, inserted with one `INSERT ... ON CONFLICT DO NOTHING RETURNING`,
and only new or changed actual events move pools: an ACT departure puts a booked
pool in transit; an ACT arrival or discharge at the pool's destination delivers it.
A new estimate of arrival after a member's deliver-by date notifies that member.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Firm, Partner
from coop.errors import ApplicationError
from pooling.feed.dcsa import INFO, WARN, EventRefused, Feedback, TrackingEventIn, parse_event
from pooling.models import Notification, Pool, PoolMember, ShipmentReferenceLink, TrackingEvent
from pooling.selectors.tracking import members_late, pool_eta
from pooling.services.locks import lock_pool
from pooling.services.notifications import notify_firms
from pooling.services.transitions import can_transition, pool_transition

MAX_BATCH = 1000

STORED = "stored"
UPDATED = "updated"
RETRACTED = "retracted"
DUPLICATE = "duplicate"
IGNORED = "ignored"
REFUSED = "refused"
STATUSES = (STORED, UPDATED, RETRACTED, DUPLICATE, IGNORED, REFUSED)


@dataclass
class EventOutcome:
    index: int
    event_id: str
    status: str
    feedback: list[Feedback] = field(default_factory=list)
    pool_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "eventID": self.event_id, "status": self.status}
        if self.pool_id is not None:
            out["pool"] = self.pool_id
        return out


@dataclass
class BatchResult:
    outcomes: list[EventOutcome]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        counts["unattached"] = sum(1 for o in self.outcomes
                                   if o.status in (STORED, UPDATED) and o.pool_id is None)
        return counts

    def feedback_elements(self) -> list[dict[str, str]]:
        return [f.as_dict() for o in self.outcomes for f in o.feedback]

    @property
    def all_refused(self) -> bool:
        return bool(self.outcomes) and all(o.status == REFUSED for o in self.outcomes)


@dataclass
class _Stored:
    content_hash: str
    updated: datetime | None
    retracted: bool
    pool_id: int | None
    in_db: bool


def _path(index: int) -> str:
    return f"$.events[{index}]"


def _judge(event: TrackingEventIn, known: _Stored | None) -> tuple[str, Feedback | None]:
    """What a (later) event does to what is stored under its eventID."""
    path = _path(0)  # replaced by the caller's index
    if known is None:
        if event.is_retracted:
            return RETRACTED, Feedback(WARN, "No event with this eventID was stored; the eventID is "
                                             "recorded as retracted.", path)
        return STORED, None
    if known.retracted:
        if event.is_retracted:
            return DUPLICATE, Feedback(INFO, "This eventID is already retracted.", path)
        return IGNORED, Feedback(WARN, "This eventID was retracted; its data is discarded and "
                                       "later events under it are ignored.", path)
    if event.is_retracted:
        return RETRACTED, Feedback(INFO, "Retracted: the event is removed from the pool's "
                                         "timeline.", path)
    if event.content_hash == known.content_hash:
        return DUPLICATE, Feedback(INFO, "Already stored with the same content; nothing changed.",
                                   path)
    if event.event_updated_datetime and (known.updated is None
                                         or event.event_updated_datetime > known.updated):
        return UPDATED, None
    return IGNORED, Feedback(WARN, "An event with this eventID is stored with the same or a later "
                                   "eventUpdatedDateTime; send a later eventUpdatedDateTime to "
                                   "replace it.", f"{path}.eventUpdatedDateTime")


def _reindex(feedback: Feedback, index: int) -> Feedback:
    return Feedback(feedback.severity, feedback.message,
                    feedback.property_path.replace(_path(0), _path(index), 1))


def tracking_events_receive(*, partner: Partner, events: Sequence[Any]) -> BatchResult:
    """Store a batch of DCSA 3.0.0 events; one outcome (with the spec's feedback) per event."""
    if len(events) > MAX_BATCH:
        raise ApplicationError(
            f"A batch holds at most {MAX_BATCH} events; this one has {len(events)}.",
            fields={"events": [f"At most {MAX_BATCH} events per request."]},
            code="batch_too_large", status_code=413,
        )
    outcomes: list[EventOutcome] = []
    parsed: list[tuple[EventOutcome, TrackingEventIn]] = []
    for index, item in enumerate(events):
        try:
            event = parse_event(item, path=_path(index))
        except EventRefused as exc:
            guess = item.get("eventID") if isinstance(item, dict) else None
            safe_id = guess if isinstance(guess, str) and len(guess) <= 500 and not any(
                f.property_path.endswith(".eventID") for f in exc.feedback) else ""
            outcomes.append(EventOutcome(index, safe_id, REFUSED, list(exc.feedback)))
            continue
        outcome = EventOutcome(index, event.event_id, STORED, list(event.feedback))
        outcomes.append(outcome)
        parsed.append((outcome, event))

    with transaction.atomic():
        known = _known(partner, {event.event_id for _, event in parsed})
        winners: dict[str, TrackingEventIn] = {}
        for outcome, event in parsed:
            status, note = _judge(event, known.get(event.event_id))
            outcome.status = status
            if note is not None:
                outcome.feedback.append(_reindex(note, outcome.index))
            if status in (STORED, UPDATED, RETRACTED):
                previous = known.get(event.event_id)
                known[event.event_id] = _Stored(event.content_hash, event.event_updated_datetime,
                                                event.is_retracted,
                                                previous.pool_id if previous else None,
                                                previous.in_db if previous else False)
                winners[event.event_id] = event
        pools = _attach(partner, [e for e in winners.values() if not e.is_retracted])
        for event_id in winners:
            if (earlier := known[event_id].pool_id) is not None:
                pools.setdefault(event_id, earlier)  # an update or retraction keeps its pool
        inserts = [e for e in winners.values() if not known[e.event_id].in_db]
        updates = [e for e in winners.values() if known[e.event_id].in_db]
        new_ids = _insert_new(_rows(partner, [(e, pools.get(e.event_id)) for e in inserts]))
        for event in updates:
            _update(partner, event, pools.get(event.event_id))
        _link_references(partner, [(e, pools[e.event_id]) for e in winners.values()
                                   if pools.get(e.event_id) and not e.is_retracted])
        lost = {e.event_id for e in inserts} - new_ids  # stored meanwhile by a concurrent batch
        for outcome, event in parsed:
            if outcome.status not in (STORED, UPDATED, RETRACTED):
                continue
            if event.event_id in lost and winners.get(event.event_id) is event:
                outcome.status = DUPLICATE
                outcome.feedback.append(Feedback(INFO, "Already stored; nothing changed.",
                                                 _path(outcome.index)))
                continue
            outcome.pool_id = pools.get(event.event_id)
            if outcome.pool_id is None and outcome.status != RETRACTED:
                outcome.feedback.append(Feedback(
                    WARN, "Stored, but not attached to a pool: no booking, transport document or "
                          "equipment reference in the event is one we know for your pools. It is "
                          "kept and listed under GET /api/v1/partner/events/.", _path(outcome.index)))
        changed = [(event, pools[event.event_id]) for event_id, event in winners.items()
                   if pools.get(event_id) and event_id not in lost]
        _move_pools(partner, [(e, p) for e, p in changed if not e.is_retracted])
        _check_eta(partner, {p for e, p in changed if e.is_retracted or e.event_code == "ARRI"})
    return BatchResult(outcomes)


def tracking_events_post(*, partner: Partner, events: Sequence[Any]) -> BatchResult:
    """The feed's write: the same as `tracking_events_receive` (kept for callers' names)."""
    return tracking_events_receive(partner=partner, events=events)


def _known(partner: Partner, event_ids: set[str]) -> dict[str, _Stored]:
    if not event_ids:
        return {}
    rows = TrackingEvent.objects.filter(partner=partner, event_id__in=event_ids).values_list(
        "event_id", "content_hash", "event_updated_datetime", "is_retracted", "pool_id")
    return {event_id: _Stored(digest, updated, retracted, pool_id, True)
            for event_id, digest, updated, retracted, pool_id in rows}


def _attach(partner: Partner, events: Sequence[TrackingEventIn]) -> dict[str, int]:
    """eventID -> pool id: through a pool's booking reference, else through a transport
    document, shipment or equipment reference an earlier event tied to a pool."""
    references = set().union(*(event.reference_values for event in events)) if events else set()
    if not references:
        return {}
    by_reference: dict[str, int] = {}
    for pool_id, reference in (Pool.objects.filter(partner=partner, booking_reference__in=references)
                               .order_by("pk").values_list("pk", "booking_reference")):
        by_reference.setdefault(reference, pool_id)
    rest = references - by_reference.keys()
    linked: dict[str, int] = {}
    if rest:
        linked = dict(ShipmentReferenceLink.objects.filter(partner=partner, reference__in=rest)
                      .values_list("reference", "pool_id"))
    out: dict[str, int] = {}
    for event in events:
        found = next((by_reference[v] for _, v in event.references if v in by_reference), None)
        found = found or next((linked[v] for _, v in event.references if v in linked), None)
        if found:
            out[event.event_id] = found
    return out


def _link_references(partner: Partner, attached: Sequence[tuple[TrackingEventIn, int]]) -> None:
    links = {value: pool_id for event, pool_id in attached for _, value in event.references
             if len(value) <= 100}
    if links:
        ShipmentReferenceLink.objects.bulk_create(
            [ShipmentReferenceLink(partner=partner, reference=value, pool_id=pool_id)
             for value, pool_id in links.items()], ignore_conflicts=True)


_COLUMNS = ("partner_id", "pool_id", "event_id", "event_type", "classifier", "event_code",
            "event_datetime", "event_created_datetime", "event_updated_datetime", "location",
            "references", "equipment_reference", "retracted_event_id", "is_retracted",
            "content_hash", "payload", "received_at")
_PG_TYPES = ("int8", "int8", "text", "text", "text", "text", "timestamptz", "timestamptz",
             "timestamptz", "text", "jsonb", "text", "text", "bool", "text", "jsonb", "timestamptz")


def _rows(partner: Partner, attached: Sequence[tuple[TrackingEventIn, int | None]]) -> list[tuple]:
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    return [
        (partner.pk, pool_id, ev.event_id, ev.event_type, ev.classifier, ev.event_code,
         adapt(ev.event_datetime) if ev.event_datetime else None, None,
         adapt(ev.event_updated_datetime) if ev.event_updated_datetime else None, ev.location,
         json.dumps([{"type": t, "value": v} for t, v in ev.references]),
         ev.equipment_reference, "", ev.is_retracted, ev.content_hash,
         json.dumps(ev.raw, separators=(",", ":")), now)
        for ev, pool_id in attached
    ]


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
        for start in range(0, len(rows), 50):
            part = rows[start:start + 50]
            sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))} "  # noqa: S608 - fixed column names
                   'ON CONFLICT ("partner_id", "event_id") DO NOTHING RETURNING "event_id"')
            cursor.execute(sql, [value for row in part for value in row])
            new.update(event_id for (event_id,) in cursor.fetchall())
    return new


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


def _update(partner: Partner, event: TrackingEventIn, pool_id: int | None) -> None:
    stored = TrackingEvent.objects.filter(partner=partner, event_id=event.event_id)
    if event.is_retracted:
        stored.update(is_retracted=True, content_hash=event.content_hash)
        return
    stored.update(
        pool_id=pool_id, event_type=event.event_type, classifier=event.classifier,
        event_code=event.event_code, event_datetime=event.event_datetime,
        event_updated_datetime=event.event_updated_datetime, location=event.location,
        references=[{"type": t, "value": v} for t, v in event.references],
        equipment_reference=event.equipment_reference, content_hash=event.content_hash,
        payload=event.raw)


def _reaches(pool: Pool, location: str) -> bool:
    """The event happened at the pool's destination (a port, or anywhere in its country)."""
    if not location or not pool.destination:
        return False
    if len(pool.destination) == 2:
        return location[:2] == pool.destination
    return location == pool.destination


def _move_pools(partner: Partner, events: Sequence[tuple[TrackingEventIn, int]]) -> None:
    actual = sorted(
        ((event, pool_id) for event, pool_id in events
         if event.is_actual and event.event_code in ("DEPA", "ARRI", "DISC")),
        key=lambda pair: (pair[1], pair[0].event_datetime or timezone.now()),
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
                        reason=f"DCSA event {event.event_id[:100]} ({event.event_code} at "
                               f"{event.location or 'unknown location'})")
        firms = [m.firm for m in PoolMember.objects.filter(
            pool=pool, status__in=PoolMember.ACTIVE).select_related("firm")]
        where = f" at {event.location}" if event.location else ""
        when = f" on {event.event_datetime:%Y-%m-%d %H:%M %Z}" if event.event_datetime else ""
        notify_firms(firms=firms, kind=kind, title=title, pool=pool,
                     body=f"{partner.name} reported {event.event_code}{where}{when}.")


def _check_eta(partner: Partner, pool_ids: set[int]) -> None:
    """Tell each member whose deliver-by date the latest ETA passes, once per ETA date."""
    for pool in Pool.objects.filter(pk__in=pool_ids).order_by("pk"):
        eta = pool_eta(pool=pool)
        late = members_late(pool=pool, eta=eta)
        if eta is None or eta.event_datetime is None or not late:
            continue
        eta_day = timezone.localdate(eta.event_datetime)
        title = f"{pool}: arrival now expected {eta_day:%-d %b %Y}"[:200]
        told = set(Notification.objects.filter(pool=pool, title=title)
                   .values_list("firm_id", flat=True))
        firms = {m.firm_id: m for m in late if m.firm_id not in told}
        if not firms:
            continue
        for firm in Firm.objects.filter(pk__in=firms).order_by("pk"):
            notify_firms(firms=[firm], kind="other", title=title, pool=pool,
                         body=f"{partner.name} now expects the shipment on {eta_day:%-d %b %Y}, "
                              f"after your deliver-by date {firms[firm.pk].deliver_by:%-d %b %Y}.")

