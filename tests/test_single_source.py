"""One stored format, one rule: what members are charged and told stays right after each change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pooling import adapters
from pooling.domain.allocation import CostLine, MemberLoad, split_proportional
from pooling.domain.formats import Placement, PoolPlan, TierTerms, tiers_from_json
from pooling.models import Notification, Pool, PoolMember, Settlement, SettlementShare, ShippingDemand
from pooling.selectors import pools as selectors
from pooling.services import matching, needs
from pooling.services import pools as services
from pooling.services.settlement import settlement_run
from pooling.tasks.lifecycle import pools_lock_due
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    PoolFactory,
    PoolMemberFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
)
from tests.factories_pools import ads_pool, firm_with_user, logistics_pool, user_of
from tests.factories_settlement import post_invoice

pytestmark = pytest.mark.django_db

S = Pool.State
M = PoolMember.Status
DISCOUNT_TIERS = [{"min_spend": "50000", "discount_percent": "2"},
                  {"min_spend": "100000", "discount_percent": "4"}]


def _run() -> object:
    run = matching.matching_run_start(trigger="command", enqueue=False)
    return matching.matching_run_execute(run_id=run.pk)


# ------------------------------------------------------------------ tiers


def test_discount_tiers_are_read_like_rebate_tiers_everywhere():
    # given the same tiers written as discounts and as rebates
    discounts = tiers_from_json(DISCOUNT_TIERS)
    rebates = tiers_from_json([{"min_spend": "50000", "rebate_percent": "2"},
                               {"min_spend": "100000", "rebate_percent": "4"}])

    # then both price the same, and each writes back what it read
    assert [t.to_domain() for t in discounts] == [t.to_domain() for t in rebates]
    assert [t.to_json() for t in discounts] == [
        {"min_spend": "50000.00", "discount_percent": "2.000"},
        {"min_spend": "100000.00", "discount_percent": "4.000"}]
    assert discounts[0] == TierTerms(Decimal("50000"), Decimal("2"), "discount")


def test_matching_proposes_a_pool_on_a_programme_with_discount_tiers():
    # given three 20k needs on a programme whose tiers are discounts
    programme = ChannelProgrammeFactory(tiers=DISCOUNT_TIERS)
    for _ in range(3):
        AdNeedFactory(programme=programme)

    # when matching runs
    run = _run()

    # then the pool is proposed with the 2 % tier applied (60k - 1.2k + 8 % fee 4.8k)
    pool = Pool.objects.get()
    assert pool.programme == programme
    assert pool.projected_total == Decimal("63600.00")
    assert run.unplaced == []


def test_join_leave_and_deadline_lock_reprice_a_discount_tier_pool(coordinator):
    # given an approved pool of four on a discount-tier programme, its deadline passed
    programme = ChannelProgrammeFactory(tiers=DISCOUNT_TIERS)
    pool = ads_pool(programme=programme, members=4, status=M.ACCEPTED, state=S.APPROVED)
    other = logistics_pool(state=S.APPROVED, status=M.ACCEPTED)
    leaver = pool.members.order_by("pk").first()

    # when one member leaves (a re-price), and the deadline job runs for every due pool
    services.pool_leave(pool=pool, firm=leaver.firm, actor=user_of(leaver.firm))
    Pool.objects.filter(pk__in=[pool.pk, other.pk]).update(
        join_deadline=timezone.now() - dt.timedelta(minutes=1))
    pools_lock_due()

    # then both pools lock: the tier programme stops nobody
    pool.refresh_from_db()
    other.refresh_from_db()
    assert (pool.state, other.state) == (S.LOCKED, S.LOCKED)
    assert pool.projected_total == Decimal("63600.00")  # three 20k budgets, 2 % off, 8 % fee


# ------------------------------------------------------------------ placements


def _two_box_pool() -> Pool:
    """Two whole 50 CBM loads: each needs a 40GP or 40HC of its own."""
    card = SeaRateCardFactory()
    firms = [firm_with_user() for _ in range(2)]
    pool = PoolFactory(rate_card=card, capacity=4)
    for firm in firms:
        demand = ShippingDemandFactory(firm=firm, volume_cbm=Decimal("50"),
                                       gross_kg=Decimal("9000"), splittable=False)
        PoolMemberFactory(pool=pool, firm=firm, demand=demand, status=M.ACCEPTED)
    services.pool_reprice(pool=pool)
    pool.refresh_from_db()
    return pool


def test_reprice_writes_each_member_its_own_labelled_container():
    # given two members whose loads each fill a container
    pool = _two_box_pool()

    # then each member's placement names a different container of the plan
    labels = [adapters.member_placement(m).labels for m in pool.members.order_by("pk")]
    assert sorted(label for (label,) in labels) == sorted(
        c["label"] for c in PoolPlan.from_json(pool.plan).containers())
    assert len({label for (label,) in labels}) == 2


def test_matching_and_reprice_write_the_same_placement():
    # given two whole loads that matching pools
    card = SeaRateCardFactory()
    for _ in range(2):
        ShippingDemandFactory(volume_cbm=Decimal("50"), gross_kg=Decimal("9000"), splittable=False)
    _run()
    pool = Pool.objects.get(rate_card=card)
    proposed = {m.pk: m.placement for m in pool.members.all()}

    # when the pool is priced again with the same members
    services.pool_reprice(pool=pool)

    # then every placement reads the same, in the one format
    assert {m.pk: m.placement for m in pool.members.all()} == proposed
    assert all(Placement.from_json(p).containers for p in proposed.values())


def test_a_second_container_line_is_charged_only_to_the_member_inside_it():
    # given two members in two containers of the same type, after a re-price
    pool = _two_box_pool()
    first, second = pool.members.order_by("pk")
    label = adapters.member_placement(second).labels[0]
    assert label != adapters.member_placement(first).labels[0]
    line = CostLine("FRT", "per_container", Decimal("1000.00"), None, label)

    # when the line is split on the stored placements
    loads = [MemberLoad(member_id=str(m.pk), chargeable_kg=m.chargeable_kg,
                        revenue_tons=m.revenue_tons, volume_cbm=m.volume_cbm,
                        containers=adapters.member_placement(m).cbm_by_label())
             for m in (first, second)]
    split = split_proportional([line], loads, "USD")

    # then only the member inside that container pays it
    assert split.shares == {str(first.pk): Decimal("0.00"), str(second.pk): Decimal("1000.00")}

    # and settlement reads the same placements: the line names the container, not everyone
    Pool.objects.filter(pk=pool.pk).update(state=S.INVOICED)
    invoice = post_invoice(pool, [("FRT", "per_container", "1000.00", "", label)])
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert any(f"container {label}" in line for line in settlement.explanation)
    assert not any("No placement is recorded" in line for line in settlement.explanation)


# ---------------------------------------------------------- released needs match again


def test_a_need_released_by_a_cancelled_pool_comes_back_in_the_next_run(coordinator):
    # given a pool that was proposed, approved and cancelled
    for _ in range(2):
        ShippingDemandFactory()
    SeaRateCardFactory()
    _run()
    pool = Pool.objects.get()
    services.pool_approve(pool=pool, actor=coordinator)
    services.pool_cancel(pool=pool, actor=coordinator, reason="Partner lost the sailing.")

    # when matching runs again
    run = _run()

    # then the same needs are proposed again
    assert run.proposed_count == 1
    assert Pool.objects.filter(state=S.PROPOSED).count() == 1


def test_a_settled_pool_does_not_block_its_members_signature():
    # given a settled pool whose signature equals what matching proposes for two open needs
    SeaRateCardFactory()
    for _ in range(2):
        ShippingDemandFactory()
    _run()
    proposed = Pool.objects.get()
    signature = proposed.signature
    PoolMember.objects.filter(pool=proposed).update(status=M.LEFT)
    Pool.objects.filter(pk=proposed.pk).update(state=S.SETTLED)

    # when matching runs again
    run = _run()

    # then the needs are proposed again, not silently dropped
    assert Pool.objects.filter(signature=signature, state=S.PROPOSED).count() == 1
    assert run.proposed_count == 1


def test_a_pool_whose_members_all_leave_ends_and_its_needs_match_again(coordinator):
    # given an approved pool of two
    SeaRateCardFactory()
    for _ in range(2):
        ShippingDemandFactory(firm=firm_with_user())
    _run()
    pool = Pool.objects.get()
    services.pool_approve(pool=pool, actor=coordinator)

    # when both firms leave
    for member in pool.members.order_by("pk"):
        services.pool_leave(pool=pool, firm=member.firm, actor=user_of(member.firm))

    # then the pool is cancelled, and the next run proposes the needs again
    pool.refresh_from_db()
    assert pool.state == S.CANCELLED
    run = _run()
    assert run.proposed_count == 1


def test_every_open_need_comes_back_in_a_pool_or_with_a_reason():
    # given needs that pool, and one that cannot (no card for its lane)
    SeaRateCardFactory()
    pooled = [ShippingDemandFactory() for _ in range(2)]
    lonely = ShippingDemandFactory(destination="DEHAM")

    # when matching runs
    run = _run()

    # then each open need is in a pool or listed with its reason
    in_pools = set(PoolMember.objects.values_list("demand_id", flat=True))
    unplaced = {row["need_id"] for row in run.unplaced}
    assert in_pools == {d.pk for d in pooled}
    assert unplaced == {lonely.pk}


# ------------------------------------------------------------------ pages


def test_after_a_decline_below_the_minimum_no_page_claims_access(client, coordinator):
    # given an approved ads pool of three 20k budgets; one accepts, one declines
    pool = ads_pool(state=S.APPROVED)
    first, second, third = pool.members.order_by("pk")
    services.pool_accept(pool=pool, firm=first.firm, actor=user_of(first.firm))
    before = Notification.objects.filter(firm=first.firm).count()
    services.pool_decline(pool=pool, firm=third.firm, actor=user_of(third.firm))

    # then the remaining members are told their share changed, old and new side by side
    note = Notification.objects.filter(firm=first.firm).exclude(
        pk__in=Notification.objects.filter(firm=first.firm).order_by("pk")[:before]).get()
    assert "USD 21,200.00" in note.body and "USD 21,600.00" in note.body

    # and their page says the pool is below the minimum, never "Access gained"
    client.force_login(user_of(first.firm))
    html = client.get(reverse("pooling:pool-detail", args=[pool.pk])).content.decode()
    assert "Access gained" not in html
    assert "no longer qualifies" in html
    pool.refresh_from_db()
    view = selectors.pool_view_for_firm(pool=pool, firm=first.firm)
    assert view.access_gained is False and view.qualifies is False


def test_header_and_plan_show_the_same_flight_dates_after_a_reprice(client):
    # given an ads pool whose row dates differ from its members' flights
    pool = ads_pool(state=S.APPROVED)
    member = pool.members.first()

    # then the re-priced pool's row carries the plan's flight dates
    plan = PoolPlan.from_json(pool.plan)
    assert pool.flight_from.isoformat() == plan.body["flight_from"]
    assert pool.flight_to.isoformat() == plan.body["flight_to"]
    client.force_login(user_of(member.firm))
    html = client.get(reverse("pooling:pool-detail", args=[pool.pk])).content.decode()
    assert html.count(pool.flight_from.strftime("%-d %b %Y")) >= 2


def test_a_settled_pool_shows_the_actual_share(client):
    # given a settled pool with a completed settlement
    pool = logistics_pool(state=S.SETTLED, status=M.ACCEPTED)
    member = pool.members.order_by("pk").first()
    settlement = Settlement.objects.create(pool=pool, version=1,
                                           status=Settlement.Status.COMPLETED)
    SettlementShare.objects.create(settlement=settlement, member=member, firm=member.firm,
                                   currency="USD", amount=Decimal("800.00"),
                                   standalone_cost=Decimal("911.00"), saving=Decimal("111.00"),
                                   billing_currency="USD", billing_amount=Decimal("800.00"))

    # when the member opens the pool page
    client.force_login(user_of(member.firm))
    html = client.get(reverse("pooling:pool-detail", args=[pool.pk])).content.decode()

    # then it names the actual share, not a projection
    assert "Your share" in html and "Your projected share" not in html
    assert "USD 800.00" in html


def test_a_firm_looking_at_an_open_air_pool_sees_no_ad_wording(client):
    # given an open sea pool and a firm with a fitting open demand, not a member
    pool = logistics_pool(state=S.OPEN, join_deadline=timezone.now() + dt.timedelta(days=2))
    firm = firm_with_user()
    ShippingDemandFactory(firm=firm)

    # when the firm opens the pool page
    client.force_login(user_of(firm))
    html = client.get(reverse("pooling:pool-detail", args=[pool.pk])).content.decode()

    # then it reads about the pool, not about programme minimums or its own share
    assert "programme" not in html.lower()
    assert "Your projected share" not in html


def test_a_negative_saving_is_never_green():
    from pooling.templatetags.coop import saving

    assert 'class="loss"' in saving("logistics", Decimal("-5"), "USD")
    assert 'class="loss"' in saving("ads", Decimal("-5"), "USD")
    assert 'class="saving"' in saving("logistics", Decimal("5"), "USD")


# ------------------------------------------------------------------ one fit rule


def test_dashboard_fit_and_join_agree_with_the_ship_window():
    # given an open pool sailing in 10 days with 18 days' transit
    pool = logistics_pool(state=S.OPEN, join_deadline=timezone.now() + dt.timedelta(days=2),
                          ship_date=timezone.localdate() + dt.timedelta(days=10))
    firm = firm_with_user()
    today = timezone.localdate()
    fits = ShippingDemandFactory(firm=firm, ready_from=today + dt.timedelta(days=7),
                                 deliver_by=today + dt.timedelta(days=28))
    late = ShippingDemandFactory(firm=firm, ready_from=today + dt.timedelta(days=8),
                                 deliver_by=today + dt.timedelta(days=60))
    due = ShippingDemandFactory(firm=firm, ready_from=today, deliver_by=today + dt.timedelta(days=27))

    # then the join form, the joinable list and the misfit reasons agree
    assert [d.pk for d in selectors.needs_open_for_pool(pool=pool, firm=firm)] == [fits.pk]
    assert [[d.pk for d in ds] for p, ds in selectors.pools_joinable_for_firm(firm=firm)] == [[fits.pk]]
    assert "too late to consolidate" in selectors.demand_misfit(pool, late)
    assert "after its deliver-by date" in selectors.demand_misfit(pool, due)


def test_joinable_pools_cost_the_same_queries_for_2_and_20_needs():
    pool = logistics_pool(state=S.OPEN, join_deadline=timezone.now() + dt.timedelta(days=2))
    assert pool.pk
    firm = firm_with_user()

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.pools_joinable_for_firm(firm=firm)
        return len(ctx)

    ShippingDemandFactory.create_batch(2, firm=firm)
    at_two = count()
    ShippingDemandFactory.create_batch(18, firm=firm)
    assert count() == at_two


# ------------------------------------------------------------------ lock order


def test_withdrawing_a_pooled_demand_locks_the_pool_before_the_demand():
    # given a demand in an approved pool
    pool = logistics_pool(state=S.APPROVED)
    member = pool.members.order_by("pk").first()

    # when its firm withdraws it
    with CaptureQueriesContext(connection) as ctx:
        needs.demand_withdraw(firm=member.firm, demand_id=member.demand_id)

    # then the pool row was locked first, then the demand row
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    tables = [("pool" if '"pooling_pool"' in sql.split("WHERE")[0] else "demand") for sql in locks]
    assert tables[:2] == ["pool", "demand"]
    assert ShippingDemand.objects.get(pk=member.demand_id).status == ShippingDemand.Status.WITHDRAWN
    assert PoolMember.objects.get(pk=member.pk).status == M.LEFT


# ------------------------------------------------------------------ access


def test_a_firm_user_opening_the_console_gets_404_not_a_login(client, firm_user):
    client.force_login(firm_user)
    assert client.get(reverse("pooling:console")).status_code == 404
    client.logout()
    assert client.get(reverse("pooling:console")).status_code == 302


def test_do_not_pool_with_offers_only_firms_that_chose_to_be_named(client, firm_user):
    hidden = firm_with_user(legal_name="Quiet Exporters Ltd", named_in_pools=False)
    shown = firm_with_user(legal_name="Open Book Trading Ltd", named_in_pools=True)
    assert hidden.pk and shown.pk
    client.force_login(firm_user)
    html = client.get(reverse("pooling:ad-need-new")).content.decode()
    assert "Open Book Trading Ltd" in html
    assert "Quiet Exporters Ltd" not in html
