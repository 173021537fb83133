"""Random sea pools from matching through the database, re-pricing, locking and settlement:
what the domain computes is what is stored, charged and shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling import adapters
from pooling.domain.allocation import CostLine, MemberLoad, split_proportional
from pooling.domain.formats import Placement, PoolPlan
from pooling.domain.logistics_matching import price_pool
from pooling.feed.ratecards import card_from_row
from pooling.models import Pool, PoolMember, SettlementShare
from pooling.selectors import pools as selectors
from pooling.services import matching
from pooling.services import pools as services
from pooling.services.settlement import settlement_run
from tests.factories import SeaRateCardFactory, ShippingDemandFactory, UserFactory
from tests.factories_pools import firm_with_user, user_of
from tests.factories_settlement import post_invoice

pytestmark = pytest.mark.django_db

M = PoolMember.Status
LOADS = st.lists(st.tuples(st.integers(min_value=1, max_value=60), st.booleans()),
                 min_size=2, max_size=5)


class _Rollback(Exception):
    pass


def _domain(pool: Pool, members: list[PoolMember]) -> dict[int, tuple[Decimal, Placement]]:
    """Each member's share and placement as the domain prices these members on this pool."""
    assert pool.rate_card is not None and pool.ship_date is not None
    proposal = price_pool(card_from_row(pool.rate_card),
                          [adapters.demand_in(m.demand) for m in members if m.demand],
                          ship_date=pool.ship_date, capacity=pool.capacity)
    assert proposal is not None
    placements = PoolPlan.from_proposal(proposal.plan).placements()
    return {row.need_id: (row.share, placements.get(row.need_id, Placement()))
            for row in proposal.members}


def _stored(pool: Pool) -> dict[int, tuple[Decimal, Placement]]:
    members = pool.members.filter(status__in=PoolMember.ACTIVE)
    return {m.demand_id: (m.projected_share, adapters.member_placement(m)) for m in members}


def _check_round_trip(pool: Pool) -> None:
    pool.refresh_from_db()
    members = list(pool.members.filter(status__in=PoolMember.ACTIVE).select_related("demand"))
    assert _stored(pool) == _domain(pool, members)
    plan = adapters.pool_plan(pool)
    labels = [box["label"] for box in plan.containers()]
    assert len(labels) == len(set(labels))
    slots = sorted(label for m in members for label in adapters.member_placement(m).labels)
    parts = sorted(box["label"] for box in plan.containers() for _ in box["members"])
    assert slots == parts
    # what a member reads agrees with the plan
    for member in members:
        view = selectors.pool_view_for_firm(pool=pool, firm=member.firm)
        assert view.qualifies == (not plan.problems)
        assert view.access_gained is False
        assert view.own_share == member.projected_share


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(loads=LOADS, leaver=st.integers(min_value=0, max_value=4))
def test_matching_reprice_lock_and_settle_agree_with_the_domain(loads, leaver) -> None:
    try:
        with transaction.atomic():
            _scenario(loads, leaver)
            raise _Rollback
    except _Rollback:
        pass


def _scenario(loads: list[tuple[int, bool]], leaver: int) -> None:
    # given a sea card and open demands of random sizes, some whole, some splittable
    SeaRateCardFactory()
    for cbm, splittable in loads:
        ShippingDemandFactory(firm=firm_with_user(), volume_cbm=Decimal(cbm),
                              gross_kg=Decimal(cbm * 150), splittable=splittable)

    # when matching runs and saves its pools
    run = matching.matching_run_start(trigger="command", enqueue=False)
    matching.matching_run_execute(run_id=run.pk)
    coordinator = UserFactory(is_coordinator=True)
    for pool in Pool.objects.filter(state=Pool.State.PROPOSED):
        # then the stored pool is what the domain computes for its members
        _check_round_trip(pool)

        # and after approval, one member leaving and the lock, it still is
        services.pool_approve(pool=pool, actor=coordinator)
        members = list(pool.members.order_by("pk"))
        for member in members:
            services.pool_accept(pool=pool, firm=member.firm, actor=user_of(member.firm))
        if len(members) > 2:
            out = members[leaver % len(members)]
            services.pool_leave(pool=pool, firm=out.firm, actor=user_of(out.firm))
            _check_round_trip(pool)
        services.pool_lock(pool=pool, actor=coordinator)
        _check_round_trip(pool)

        # when the partner invoices one line per container and the LCL part
        pool.refresh_from_db()
        plan = adapters.pool_plan(pool)
        lines = [(f"BOX-{box['label']}", "per_container", "100.00", "", box["label"])
                 for box in plan.containers()]
        lines.append(("DOC", "per_shipment", "75.00"))
        Pool.objects.filter(pk=pool.pk).update(state=Pool.State.INVOICED)
        invoice = post_invoice(pool, lines)
        settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

        # then the shares add up to the invoice, and a container's line is split only
        # among the members loaded in it
        shares = SettlementShare.objects.filter(settlement=settlement)
        assert sum(s.amount for s in shares) == invoice.total
        live = list(pool.members.filter(status__in=PoolMember.ACTIVE))
        loads_ = [MemberLoad(member_id=str(m.pk), chargeable_kg=m.chargeable_kg,
                             revenue_tons=m.revenue_tons, volume_cbm=m.volume_cbm,
                             containers=adapters.member_placement(m).cbm_by_label())
                  for m in live]
        for code, _, amount, _, label in lines[:-1]:
            split = split_proportional([CostLine(code, "per_container", Decimal(amount), None,
                                                 label)], loads_, pool.currency)
            inside = {str(m.pk) for m in live if label in adapters.member_placement(m).labels}
            assert {k for k, v in split.shares.items() if v} <= inside
            assert sum(split.shares.values()) == Decimal(amount)

