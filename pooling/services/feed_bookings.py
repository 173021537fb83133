"""Partners confirm or decline the locked pools assigned to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Partner
from coop.errors import Conflict
from pooling.models import Booking, Pool
from pooling.services.feed_common import member_firms, partner_pool_locked
from pooling.services.notifications import notify_firms
from pooling.services.transitions import pool_transition, record_event


def _require_locked(pool: Pool) -> None:
    if pool.state != Pool.State.LOCKED:
        raise Conflict(f"Pool #{pool.pk} is {pool.get_state_display().lower()}; only locked pools "
                       "await booking.", fields={"state": [f"The pool is {pool.state}."]})


@transaction.atomic
def booking_confirm(
    *, partner: Partner, pool_id: int, reference: str, equipment: dict[str, Any] | None = None,
    etd: datetime | None = None, eta: datetime | None = None,
) -> Booking:
    """Book a locked pool under the partner's reference; members hear about it."""
    pool = partner_pool_locked(partner=partner, pool_id=pool_id)
    _require_locked(pool)
    if etd and eta and eta < etd:
        raise ValidationError({"eta": ["The arrival cannot be before the departure."]})
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                pool=pool, partner=partner, status=Booking.Status.CONFIRMED, reference=reference,
                equipment=equipment or {}, etd=etd, eta=eta)
    except IntegrityError:
        raise Conflict(f"Booking reference {reference} is already used for another pool.",
                       fields={"reference": ["Already used for another booking of yours."]}
                       ) from None
    pool.booking_reference = reference
    pool.save(update_fields=["booking_reference", "updated_at"])
    pool_transition(pool=pool, to=Pool.State.BOOKED, actor_label=partner.name, action="booked",
                    reason=f"Booking {reference} confirmed by {partner.name}.")
    when = f" Departure {etd:%Y-%m-%d}." if etd else ""
    notify_firms(firms=member_firms(pool), kind="booking", pool=pool,
                 title=f"{pool} is booked", body=f"{partner.name} confirmed booking {reference}.{when}")
    return booking


@transaction.atomic
def booking_decline(*, partner: Partner, pool_id: int, reason: str) -> Booking:
    """Decline a locked pool with a reason; the pool stays locked for the coordinator."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the booking is declined."]})
    pool = partner_pool_locked(partner=partner, pool_id=pool_id)
    _require_locked(pool)
    booking = Booking.objects.create(pool=pool, partner=partner, status=Booking.Status.DECLINED,
                                     decline_reason=reason)
    record_event(pool=pool, action="booking_declined", actor_label=partner.name, reason=reason,
                 from_state=pool.state, to_state=pool.state)
    return booking
