"""A pool's tracking timeline in words, and its latest estimate of arrival against the
members' deliver-by dates. Reads only; the pool page and the feed service both call it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from pooling.feed.dcsa import TYPE_CODE_FIELDS
from pooling.feed.words import event_words
from pooling.models import Pool, PoolMember, TrackingEvent


@dataclass(frozen=True)
class TimelineRow:
    event: TrackingEvent
    words: str
    classifier: str  # Planned, Estimated, Actual or empty


@dataclass(frozen=True)
class LateMember:
    firm_id: int
    firm_name: str
    deliver_by: dt.date


@dataclass(frozen=True)
class Timeline:
    rows: list[TimelineRow]
    retracted: int
    eta: TrackingEvent | None
    late: list[LateMember]

    @property
    def eta_passes_deliver_by(self) -> bool:
        return bool(self.late)


def _reaches(pool: Pool, location: str) -> bool:
    if not location or not pool.destination:
        return True  # an arrival that names no place counts as the arrival
    if len(pool.destination) == 2:
        return location[:2] == pool.destination
    return location == pool.destination


def pool_eta(*, pool: Pool, events: list[TrackingEvent] | None = None) -> TrackingEvent | None:
    """The newest arrival at the pool's destination (actual beats estimated beats planned
    when sent at the same time): the latest estimate of arrival."""
    if events is None:
        events = list(TrackingEvent.objects.filter(pool=pool, is_retracted=False,
                                                   event_type="TRANSPORT", event_code="ARRI"))
    arrivals = [e for e in events if e.event_type == "TRANSPORT" and e.event_code == "ARRI"
                and not e.is_retracted and e.event_datetime and _reaches(pool, e.location)]
    if not arrivals:
        return None
    actual = [e for e in arrivals if e.classifier == "ACT"]
    if actual:
        return max(actual, key=lambda e: (e.event_datetime, e.pk))
    return max(arrivals, key=lambda e: (e.event_updated_datetime or e.received_at, e.pk))


def members_late(*, pool: Pool, eta: TrackingEvent | None) -> list[LateMember]:
    """Active members whose deliver-by date is before the ETA's (local) date."""
    if eta is None or eta.event_datetime is None:
        return []
    eta_date = timezone.localdate(eta.event_datetime)
    members = (PoolMember.objects.filter(pool=pool, status__in=PoolMember.ACTIVE,
                                         demand__deliver_by__lt=eta_date)
               .select_related("firm", "demand").order_by("demand__deliver_by", "pk"))
    return [LateMember(m.firm_id, m.firm.legal_name, m.demand.deliver_by) for m in members
            if m.demand is not None]


def _as_published(event: TrackingEvent) -> dict:
    """The stored payload; for rows stored without one, the same shape from the columns."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if payload.get("eventClassification"):
        return payload
    code_field = TYPE_CODE_FIELDS.get(event.event_type, "")
    return {**payload,
            "eventClassification": {"eventTypeCode": event.event_type, code_field: event.event_code},
            "eventLocation": {"UNLocationCode": event.location} if event.location else {}}


def tracking_timeline(*, pool: Pool) -> Timeline:
    """Every event attached to the pool, newest first, in words; retracted ones left out."""
    events = list(TrackingEvent.objects.filter(pool=pool).order_by("-event_datetime", "-pk"))
    live = [e for e in events if not e.is_retracted and not e.retracted_event_id]
    undated = [e for e in live if e.event_datetime is None]
    dated = [e for e in live if e.event_datetime is not None]
    rows = [TimelineRow(e, event_words(_as_published(e)),
                        e.get_classifier_display() if e.classifier else "")
            for e in dated + undated]
    eta = pool_eta(pool=pool, events=live)
    return Timeline(rows=rows, retracted=sum(1 for e in events if e.is_retracted), eta=eta,
                    late=members_late(pool=pool, eta=eta))
