"""200 firms race for the last place in a pool: exactly one gets it.

What this proves: `pool_join` locks the pool row (SELECT ... FOR UPDATE) and
increments `member_count` with an F() expression, and PostgreSQL's
`pool_never_over_capacity` check constraint refuses the increment past
capacity. 200 threads, each with its own database connection and transaction,
are released together by a barrier and join at once; at most 40 hold a
connection at any moment (a semaphore), so the test stays well inside
PostgreSQL's max_connections (100) while the first 40 still race for the one
seat. Exactly one join succeeds, the 199 others get "This pool is full.", and
nothing else changes: no extra member rows, no extra audit events, no
notifications, the pool's count equals its capacity.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Firm, Membership, User
from pooling.models import AdNeed, Notification, Pool, PoolEvent, PoolMember
from pooling.services import pools as services
from tests.factories_pools import ads_pool

RACERS = 200
CONNECTIONS = 40


def _racers(pool: Pool) -> list[tuple[Firm, User, AdNeed]]:
    """200 firms, each with a user and an open ad need that fits the pool (bulk, no hashing)."""
    firms = Firm.objects.bulk_create(
        Firm(legal_name=f"Racer {i} Ltd", country="CN", billing_currency="USD",
             growth_stage="growth", product_categories=["electronics"]) for i in range(RACERS))
    users = User.objects.bulk_create(User(email=f"racer{i}@example.com") for i in range(RACERS))
    Membership.objects.bulk_create(Membership(user=u, firm=f, role="owner")
                                   for u, f in zip(users, firms, strict=True))
    today = timezone.localdate()
    needs = AdNeed.objects.bulk_create(
        AdNeed(firm=f, programme=pool.programme, market="US", budget=Decimal("20000"),
               currency="USD", flight_from=today + dt.timedelta(days=10),
               flight_to=today + dt.timedelta(days=40), category="electronics")
        for f in firms)
    return list(zip(firms, users, needs, strict=True))


@pytest.mark.django_db(transaction=True)
def test_two_hundred_firms_race_for_the_last_place_and_exactly_one_gets_it(coordinator):
    if connection.vendor != "postgresql":
        pytest.skip("the capacity race needs PostgreSQL row locks and check constraints")
    # given an open pool with three members and one place left
    pool = ads_pool(status=PoolMember.Status.ACCEPTED, state=Pool.State.OPEN, capacity=4,
                    join_deadline=timezone.now() + dt.timedelta(days=2))
    assert (pool.member_count, pool.capacity) == (3, 4)
    racers = _racers(pool)
    events_before = PoolEvent.objects.filter(pool=pool).count()
    members_before = set(PoolMember.objects.filter(pool=pool).values_list("firm_id", flat=True))
    start = threading.Barrier(RACERS)
    connections = threading.Semaphore(CONNECTIONS)
    results: list[str] = []
    lock = threading.Lock()

    def join(firm: Firm, user: User, need: AdNeed) -> None:
        start.wait()
        with connections:
            try:
                services.pool_join(pool=Pool(pk=pool.pk), firm=firm, actor=user, need_id=need.pk)
                outcome = "joined"
            except services.PoolFull as exc:
                outcome = exc.message
            except Exception as exc:  # any other outcome fails the assertions below
                outcome = f"{type(exc).__name__}: {exc}"
            finally:
                connection.close()
        with lock:
            results.append(outcome)

    # when all of them join at once
    threads = [threading.Thread(target=join, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then exactly one got the place and every other one heard the pool is full
    assert len(results) == RACERS
    assert results.count("joined") == 1
    assert results.count("This pool is full.") == RACERS - 1
    pool.refresh_from_db()
    assert pool.member_count == pool.capacity == 4
    assert PoolMember.objects.filter(pool=pool, status__in=PoolMember.ACTIVE).count() == 4
    assert PoolMember.objects.filter(pool=pool).count() == 4
    assert PoolEvent.objects.filter(pool=pool).count() == events_before + 1
    # only the members already in the pool hear that the split changed, once each
    notified = list(Notification.objects.values_list("firm_id", "title"))
    assert len(notified) == len({firm for firm, _ in notified})
    assert {firm for firm, _ in notified} <= members_before
    assert all("share" in title for _, title in notified)
    assert AdNeed.objects.filter(status=AdNeed.Status.OPEN).count() == RACERS + 3
