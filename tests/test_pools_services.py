"""The pool lifecycle's guards, audit rows, notifications, webhooks and repricing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from coop.errors import ApplicationError
from pooling.models import (
    AdNeed,
    Notification,
    Pool,
    PoolEvent,
    PoolMember,
    ShippingDemand,
    WebhookDelivery,
    WebhookEndpoint,
)
from pooling.selectors import pools as selectors
from pooling.services import pools as services
from pooling.services.transitions import TransitionError
from pooling.tasks.lifecycle import pools_lock_due
from tests.factories import AdNeedFactory, ShippingDemandFactory, UserFactory
from tests.factories_pools import ads_pool, firm_with_user, logistics_pool, user_of

pytestmark = pytest.mark.django_db

S = Pool.State
M = PoolMember.Status


def _snapshot(pool: Pool) -> tuple:
    pool.refresh_from_db()
    return (pool.state, pool.member_count, pool.projected_total, pool.join_deadline,
            sorted(pool.members.values_list("pk", "status", "projected_share")),
            PoolEvent.objects.filter(pool=pool).count(), Notification.objects.count())


def _endpoint(pool: Pool) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(partner=pool.partner, url="https://partner.example/hook",
                                          secret="s3cret")


# ------------------------------------------------------------------ approve


def test_approve_invites_each_member_with_its_own_figures_and_records_the_event(coordinator):
    # given a proposed ads pool of three firms
    pool = ads_pool()

    # when a coordinator approves it
    services.pool_approve(pool=pool, actor=coordinator)

    # then the pool is approved, audited, and each firm got one invitation with its share
    pool.refresh_from_db()
    assert pool.state == S.APPROVED
    event = PoolEvent.objects.get(pool=pool, action="approve")
    assert (event.actor, event.from_state, event.to_state) == (coordinator, S.PROPOSED, S.APPROVED)
    invitations = Notification.objects.filter(kind="invitation", pool=pool)
    assert invitations.count() == 3
    for member in pool.members.all():
        note = invitations.get(firm=member.firm)
        assert f"USD {member.projected_share:,.2f}" in note.body
    assert Notification.objects.filter(kind="approval", user=coordinator).count() == 1
    assert len(mail.outbox) == 0  # emails leave on commit (the test transaction never commits)


def test_a_firm_user_cannot_approve_and_nothing_changes():
    pool = ads_pool()
    firm_user = user_of(pool.members.first().firm)
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_approve(pool=pool, actor=firm_user)

    assert caught.value.status_code == 403
    assert _snapshot(pool) == before


def test_approving_twice_is_an_invalid_transition_and_writes_nothing(coordinator):
    pool = ads_pool()
    services.pool_approve(pool=pool, actor=coordinator)
    before = _snapshot(pool)

    with pytest.raises(TransitionError):
        services.pool_approve(pool=pool, actor=coordinator)

    assert _snapshot(pool) == before


def test_reject_needs_a_reason_and_keeps_the_needs_open(coordinator):
    pool = ads_pool()
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_reject(pool=pool, actor=coordinator, reason="  ")
    assert caught.value.fields == {"reason": ["A reason is required to reject a pool."]}
    assert _snapshot(pool) == before

    services.pool_reject(pool=pool, actor=coordinator, reason="Overlapping flights too short.")

    pool.refresh_from_db()
    assert pool.state == S.REJECTED
    assert pool.member_count == 0
    assert set(pool.members.values_list("status", flat=True)) == {M.REMOVED}
    assert PoolEvent.objects.get(pool=pool, action="reject").reason == \
        "Overlapping flights too short."
    assert set(AdNeed.objects.values_list("status", flat=True)) == {AdNeed.Status.OPEN}


# --------------------------------------------------------------- firm answers


def test_accept_then_decline_of_another_member_reprices_the_rest(coordinator):
    # given an approved ads pool of three 20k budgets (60k: 2 % rebate, 8 % fee: 63.6k)
    pool = ads_pool()
    services.pool_approve(pool=pool, actor=coordinator)
    first, second, third = pool.members.order_by("pk")
    assert [m.projected_share for m in (first, second, third)] == [Decimal("21200.0000")] * 3

    # when the first accepts and the third declines
    services.pool_accept(pool=pool, firm=first.firm, actor=user_of(first.firm))
    services.pool_decline(pool=pool, firm=third.firm, actor=user_of(third.firm))

    # then two members are left and the 40k pool misses the 50k minimum: the page says so
    pool.refresh_from_db()
    assert pool.member_count == 2
    assert pool.members.get(pk=first.pk).status == M.ACCEPTED
    assert pool.members.get(pk=third.pk).status == M.DECLINED
    assert pool.projected_total == Decimal("43200.0000")  # 40k + 8 % fee, no rebate
    assert pool.plan["problems"] == [
        "Pooled spend USD 40,000.00 is below the programme's USD 50,000.00 minimum."]
    assert [e.action for e in PoolEvent.objects.filter(pool=pool)][-2:] == ["accept", "decline"]
    # and the coordinator reads the two members' new shares, not the three-way split
    lines = selectors.pool_view_for_coordinator(pool=pool).reasons[
        len(pool.reasons["public"]):]
    assert [line.split(" (")[0] for line in lines] == [
        first.firm.legal_name, second.firm.legal_name]
    assert all("pays USD 21,600.00" in line for line in lines)


def test_another_firm_cannot_answer_an_invitation_and_nothing_changes(coordinator):
    pool = ads_pool()
    services.pool_approve(pool=pool, actor=coordinator)
    stranger = firm_with_user()
    before = _snapshot(pool)

    for action in (services.pool_accept, services.pool_decline, services.pool_leave):
        with pytest.raises(ApplicationError) as caught:
            action(pool=pool, firm=stranger, actor=user_of(stranger))
        assert caught.value.status_code == 404

    assert _snapshot(pool) == before


def test_a_firm_cannot_leave_after_the_pool_locks(coordinator):
    pool = ads_pool(status=M.ACCEPTED, state=S.APPROVED)
    services.pool_lock(pool=pool, actor=coordinator)
    member = pool.members.first()
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_leave(pool=pool, firm=member.firm, actor=user_of(member.firm))

    assert caught.value.status_code == 409
    assert _snapshot(pool) == before


# ----------------------------------------------------------------- lock, cancel


def test_lock_drops_who_did_not_accept_pools_the_needs_and_asks_the_partner_to_book(coordinator):
    # given an approved pool where three accepted and one did not answer
    pool = ads_pool(members=4, status=M.ACCEPTED, state=S.APPROVED)
    silent = pool.members.order_by("pk").last()
    PoolMember.objects.filter(pk=silent.pk).update(status=M.INVITED)
    _endpoint(pool)

    # when the coordinator locks it
    services.pool_lock(pool=pool, actor=coordinator)

    # then the silent member is out, the others' needs are pooled, the partner has a booking request
    pool.refresh_from_db()
    assert pool.state == S.LOCKED
    assert pool.member_count == 3
    silent.refresh_from_db()
    assert silent.status == M.DECLINED
    assert AdNeed.objects.get(pk=silent.ad_need_id).status == AdNeed.Status.OPEN
    assert AdNeed.objects.filter(status=AdNeed.Status.POOLED).count() == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "pool.locked"
    assert delivery.payload["pool"] == pool.pk
    assert len(delivery.payload["members"]) == 3
    assert Notification.objects.filter(kind="lock", pool=pool).count() == 3


def test_lock_needs_two_accepted_members_and_changes_nothing_otherwise(coordinator):
    pool = ads_pool(state=S.APPROVED)  # everyone still invited
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_lock(pool=pool, actor=coordinator)

    assert caught.value.fields == {"members": ["Fewer than two members have accepted."]}
    assert _snapshot(pool) == before


def test_cancel_releases_the_needs_tells_the_members_and_the_partner(coordinator):
    pool = ads_pool(status=M.ACCEPTED, state=S.APPROVED)
    services.pool_lock(pool=pool, actor=coordinator)
    _endpoint(pool)

    services.pool_cancel(pool=pool, actor=coordinator, reason="The platform closed the deal.")

    pool.refresh_from_db()
    assert pool.state == S.CANCELLED
    assert pool.member_count == 0
    assert set(AdNeed.objects.values_list("status", flat=True)) == {AdNeed.Status.OPEN}
    assert Notification.objects.filter(kind="cancel", pool=pool).count() == 3
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["pool.cancelled"]


# ------------------------------------------------------------- deadline, open


def test_deadline_must_be_in_the_future_and_before_the_flight(coordinator):
    pool = ads_pool(state=S.APPROVED)
    before = _snapshot(pool)

    for when, message in (
        (timezone.now() - dt.timedelta(hours=1), "Choose a time in the future."),
        (timezone.now() + dt.timedelta(days=30), f"Choose a time before {pool.flight_from}."),
    ):
        with pytest.raises(ApplicationError) as caught:
            services.pool_deadline_set(pool=pool, actor=coordinator, deadline=when)
        assert caught.value.fields == {"join_deadline": [message]}
    assert _snapshot(pool) == before

    when = timezone.now() + dt.timedelta(days=2)
    services.pool_deadline_set(pool=pool, actor=coordinator, deadline=when)
    pool.refresh_from_db()
    assert pool.join_deadline == when
    assert PoolEvent.objects.filter(pool=pool, action="deadline").count() == 1


def test_opening_needs_a_join_deadline(coordinator):
    pool = ads_pool(state=S.APPROVED)
    before = _snapshot(pool)
    with pytest.raises(ApplicationError):
        services.pool_open(pool=pool, actor=coordinator)
    assert _snapshot(pool) == before

    services.pool_deadline_set(pool=pool, actor=coordinator,
                               deadline=timezone.now() + dt.timedelta(days=2))
    services.pool_open(pool=pool, actor=coordinator)
    pool.refresh_from_db()
    assert pool.state == S.OPEN


# ---------------------------------------------------------------------- join


def _open_ads_pool(coordinator, **kwargs):
    pool = ads_pool(status=M.ACCEPTED, state=S.APPROVED, **kwargs)
    services.pool_deadline_set(pool=pool, actor=coordinator,
                               deadline=timezone.now() + dt.timedelta(days=2))
    services.pool_open(pool=pool, actor=coordinator)
    pool.refresh_from_db()
    return pool


def test_a_firm_joins_an_open_pool_with_a_fitting_need_and_gets_its_share(coordinator):
    pool = _open_ads_pool(coordinator)
    joiner = firm_with_user()
    need = AdNeedFactory(firm=joiner, programme=pool.programme, budget=Decimal("40000"))

    member = services.pool_join(pool=pool, firm=joiner, actor=user_of(joiner), need_id=need.pk)

    pool.refresh_from_db()
    assert pool.member_count == 4
    assert member.status == M.ACCEPTED
    # 100k pooled reaches the 4 % tier; fee 8 %: total 104k, split by budget
    assert pool.projected_total == Decimal("104000.0000")
    assert member.projected_share == Decimal("41600.0000")
    assert member.standalone_cost is None  # 40k alone misses the 50k minimum
    assert PoolEvent.objects.filter(pool=pool, action="join").count() == 1


def test_a_need_that_does_not_fit_is_refused_with_a_field_error_and_nothing_stored(coordinator):
    pool = _open_ads_pool(coordinator)
    joiner = firm_with_user()
    other_market = AdNeedFactory(firm=joiner, programme=pool.programme, market="GB")
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_join(pool=pool, firm=joiner, actor=user_of(joiner), need_id=other_market.pk)

    assert caught.value.fields == {"need": ["it buys another programme or market."]}
    assert _snapshot(pool) == before
    assert not PoolMember.objects.filter(firm=joiner).exists()


def test_joining_a_full_pool_says_it_is_full_and_changes_nothing(coordinator):
    pool = _open_ads_pool(coordinator, capacity=3)
    joiner = firm_with_user()
    need = AdNeedFactory(firm=joiner, programme=pool.programme)
    before = _snapshot(pool)

    with pytest.raises(services.PoolFull) as caught:
        services.pool_join(pool=pool, firm=joiner, actor=user_of(joiner), need_id=need.pk)

    assert caught.value.message == "This pool is full."
    assert _snapshot(pool) == before


def test_only_open_pools_take_new_members(coordinator):
    pool = ads_pool(status=M.ACCEPTED, state=S.APPROVED)
    joiner = firm_with_user()
    need = AdNeedFactory(firm=joiner, programme=pool.programme)
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_join(pool=pool, firm=joiner, actor=user_of(joiner), need_id=need.pk)

    assert caught.value.status_code == 409
    assert _snapshot(pool) == before


# ----------------------------------------------------------- deadline job


def _past_deadline(pool: Pool) -> None:
    Pool.objects.filter(pk=pool.pk).update(join_deadline=timezone.now() - dt.timedelta(minutes=1))


def test_the_deadline_job_locks_a_pool_that_still_qualifies_and_is_idempotent(coordinator):
    pool = _open_ads_pool(coordinator)
    _past_deadline(pool)
    _endpoint(pool)

    assert pools_lock_due.delay().get() == 1

    pool.refresh_from_db()
    assert pool.state == S.LOCKED
    assert PoolEvent.objects.get(pool=pool, action="lock").actor_label == "join deadline"
    assert Notification.objects.filter(kind="lock", pool=pool).count() == 3
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["pool.locked"]
    # a second run finds nothing due and changes nothing
    before = _snapshot(pool)
    assert pools_lock_due.delay().get() == 0
    assert services.pool_lock_due(pool_id=pool.pk) == "skipped"
    assert _snapshot(pool) == before


def test_the_deadline_job_cancels_a_pool_below_the_minimum_and_releases_the_needs(coordinator):
    pool = _open_ads_pool(coordinator)
    leaver = pool.members.order_by("pk").first()
    services.pool_leave(pool=pool, firm=leaver.firm, actor=user_of(leaver.firm))
    _past_deadline(pool)

    assert services.pool_lock_due(pool_id=pool.pk) == "cancelled"

    pool.refresh_from_db()
    assert pool.state == S.CANCELLED
    event = PoolEvent.objects.get(pool=pool, action="cancel")
    assert "below the programme's USD 50,000.00 minimum" in event.reason
    assert Notification.objects.filter(kind="cancel", pool=pool).count() == 2
    assert set(AdNeed.objects.values_list("status", flat=True)) == {AdNeed.Status.OPEN}


# --------------------------------------------------------------- logistics


def test_removing_a_member_reprices_the_rest_on_the_rate_card(coordinator):
    # given three 8 CBM sea LCL demands: alone each pays 8 x 95 + 10 % BAF + 75 DOC = 911
    pool = logistics_pool()
    members = list(pool.members.order_by("pk"))
    assert [m.standalone_cost for m in members] == [Decimal("911.0000")] * 3
    assert pool.projected_total < pool.standalone_total

    # when the coordinator removes one
    services.pool_member_remove(pool=pool, member_id=members[2].pk, actor=coordinator,
                                reason="Cargo not ready.")

    # then the two left share the new total in proportion to their standalone costs
    pool.refresh_from_db()
    left = list(pool.members.filter(status__in=PoolMember.ACTIVE).order_by("pk"))
    assert pool.member_count == 2
    assert sum(m.projected_share for m in left) == pool.projected_total
    assert left[0].projected_share == left[1].projected_share
    assert all(m.projected_saving > 0 for m in left)
    assert pool.standalone_total == Decimal("1822.0000")
    assert PoolEvent.objects.get(pool=pool, action="remove").reason == \
        f"Member {members[2].pk} removed. Cargo not ready."


def test_a_demand_on_another_lane_cannot_join_a_logistics_pool(coordinator):
    pool = logistics_pool(status=M.ACCEPTED, state=S.APPROVED)
    services.pool_deadline_set(pool=pool, actor=coordinator,
                               deadline=timezone.now() + dt.timedelta(days=2))
    services.pool_open(pool=pool, actor=coordinator)
    joiner = firm_with_user()
    elsewhere = ShippingDemandFactory(firm=joiner, destination="USNYC")
    before = _snapshot(pool)

    with pytest.raises(ApplicationError) as caught:
        services.pool_join(pool=pool, firm=joiner, actor=user_of(joiner), need_id=elsewhere.pk)

    assert caught.value.fields == {"need": ["it ships CNSZX→USNYC, the pool CNSZX→USLAX."]}
    assert _snapshot(pool) == before
    assert ShippingDemand.objects.get(pk=elsewhere.pk).status == ShippingDemand.Status.OPEN


def test_locking_a_logistics_pool_marks_its_demands_pooled(coordinator):
    pool = logistics_pool(status=M.ACCEPTED, state=S.APPROVED)

    services.pool_lock(pool=pool, actor=coordinator)

    assert set(ShippingDemand.objects.values_list("status", flat=True)) == {
        ShippingDemand.Status.POOLED}


def test_unknown_user_is_not_a_coordinator():
    pool = ads_pool()
    with pytest.raises(ApplicationError):
        services.pool_lock(pool=pool, actor=UserFactory())
