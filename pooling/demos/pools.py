"""Demo: what happens to the pools matching proposed.

One logistics pool is approved, accepted, locked, booked by the demo partner and
tracked through departure and arrival until it is delivered (settlement invoices
it next); another is opened for joining; a third is approved and accepted; the
ads pool is approved. Each step looks at what the database already holds, so a
second load changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from pooling.demos.feed import dcsa_journey
from pooling.models import Pool, PoolMember
from pooling.services import pools as services
from pooling.services.feed_bookings import booking_confirm
from pooling.services.feed_events import tracking_events_post

S = Pool.State
DELIVERED_REFERENCE = "DEMO-BKG-0001"


def _accept_all(pool: Pool) -> None:
    for member in pool.members.filter(status=PoolMember.Status.INVITED).select_related("firm"):
        user = member.firm.memberships.select_related("user").first()
        if user is not None:
            services.pool_accept(pool=pool, firm=member.firm, actor=user.user)


def _deliver(pool: Pool, coordinator: Any, report: Any) -> Pool:
    """Approve, accept, lock, book, depart and arrive: the pool ends delivered."""
    services.pool_approve(pool=pool, actor=coordinator)
    _accept_all(pool)
    services.pool_lock(pool=pool, actor=coordinator, reason="Demo: every member accepted.")
    assert pool.partner is not None  # noqa: S101 - a logistics pool has its rate card's partner
    now = timezone.now()
    transit = pool.rate_card.transit_days if pool.rate_card else 18
    booking_confirm(partner=pool.partner, pool_id=pool.pk, reference=DELIVERED_REFERENCE,
                    etd=now - dt.timedelta(days=transit + 1), eta=now - dt.timedelta(days=1))
    tracking_events_post(partner=pool.partner, events=dcsa_journey(
        pool=pool, reference=DELIVERED_REFERENCE, departed=now - dt.timedelta(days=transit + 1),
        arrived=now - dt.timedelta(days=1)))
    pool.refresh_from_db()
    report.created.append(f"{pool}: approved, accepted, locked, booked {DELIVERED_REFERENCE}, "
                          f"departed and arrived ({pool.get_state_display().lower()})")
    return pool


def _open(pool: Pool, coordinator: Any, report: Any) -> bool:
    if pool.ship_date is None:
        return False
    deadline = min(timezone.now() + dt.timedelta(days=3),
                   timezone.make_aware(dt.datetime.combine(pool.ship_date - dt.timedelta(days=1),
                                                           dt.time(17, 0))))
    if deadline <= timezone.now() + dt.timedelta(hours=1):
        return False
    services.pool_approve(pool=pool, actor=coordinator)
    services.pool_deadline_set(pool=pool, actor=coordinator, deadline=deadline)
    services.pool_open(pool=pool, actor=coordinator)
    report.created.append(f"{pool}: open for joining until {deadline:%Y-%m-%d %H:%M}")
    return True


@transaction.atomic
def load(report: Any, ctx: dict[str, Any]) -> None:
    coordinator = ctx["coordinator"]
    proposed = [p for p in (ctx.get("proposed_pools") or
                            Pool.objects.filter(state=S.PROPOSED).order_by("pk"))
                if Pool.objects.filter(pk=p.pk, state=S.PROPOSED).exists()]
    logistics = [p for p in proposed if p.kind == Pool.Kind.LOGISTICS]
    ads = [p for p in proposed if p.kind == Pool.Kind.ADS]

    delivered = Pool.objects.filter(booking_reference=DELIVERED_REFERENCE).first()
    if delivered is not None:
        # Loaded before: later sections (and later runs) moved pools on; change nothing.
        ctx["delivered_pool"] = delivered
        return
    if logistics:
        delivered = _deliver(logistics.pop(0), coordinator, report)
    if delivered is not None:
        ctx["delivered_pool"] = delivered

    has_open = Pool.objects.filter(kind=Pool.Kind.LOGISTICS, state=S.OPEN).exists()
    while not has_open and logistics:
        has_open = _open(logistics.pop(0), coordinator, report)

    if not Pool.objects.filter(kind=Pool.Kind.LOGISTICS, state=S.APPROVED).exists() and logistics:
        pool = logistics.pop(0)
        services.pool_approve(pool=pool, actor=coordinator)
        _accept_all(pool)
        report.created.append(f"{pool}: approved, every member accepted")

    if not Pool.objects.filter(kind=Pool.Kind.ADS).exclude(state=S.PROPOSED).exists() and ads:
        services.pool_approve(pool=ads[0], actor=coordinator)
        report.created.append(f"{ads[0]}: approved, members invited")
