"""The pools API: firms see their own pools and figures only; coordinators act across firms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pooling.models import Pool, PoolEvent, PoolMember
from tests.conftest import client_for
from tests.factories import AdNeedFactory
from tests.factories_pools import ads_pool, firm_with_user, user_of

pytestmark = pytest.mark.django_db

S = Pool.State


def test_a_firm_lists_its_pools_with_its_own_rows_only(firm, api):
    # given an approved pool with the firm and two others, and a proposed one it is in
    mine = ads_pool(firms=[firm, firm_with_user(), firm_with_user()], state=S.APPROVED)
    ads_pool(firms=[firm, firm_with_user()], state=S.PROPOSED)
    ads_pool(state=S.APPROVED)  # a pool of other firms

    response = api.get("/api/v1/pools/")

    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["results"]] == [mine.pk]
    assert [m["firm_id"] for m in body["results"][0]["members"]] == [firm.pk]
    assert body["results"][0]["members"][0]["status"] == "invited"


def test_the_pool_list_query_count_does_not_grow_with_pools(firm, api,
                                                             django_assert_max_num_queries):
    for _ in range(5):
        ads_pool(firms=[firm, firm_with_user()], state=S.APPROVED)

    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/pools/")

    assert response.json()["count"] == 5


def test_coordinators_list_proposed_pools_across_firms(coordinator_api,
                                                       django_assert_max_num_queries):
    proposed = [ads_pool(), ads_pool()]
    ads_pool(state=S.APPROVED)

    with django_assert_max_num_queries(5):
        response = coordinator_api.get("/api/v1/pools/?state=proposed")

    assert response.status_code == 200
    assert sorted(p["id"] for p in response.json()["results"]) == sorted(p.pk for p in proposed)
    assert len(response.json()["results"][0]["members"]) == 3


def test_an_unknown_state_is_a_field_error(coordinator_api):
    response = coordinator_api.get("/api/v1/pools/?state=floating")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["state"]


def test_the_detail_shows_other_members_only_as_totals_unless_they_chose_a_name(firm, api):
    named = firm_with_user(legal_name="Open Book Ltd", named_in_pools=True)
    quiet = firm_with_user(legal_name="Quiet Trader Ltd")
    pool = ads_pool(firms=[firm, named, quiet], state=S.APPROVED)

    response = api.get(f"/api/v1/pools/{pool.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert body["others"]["count"] == 2
    assert body["others"]["named"] == ["Open Book Ltd"]
    assert "Quiet Trader" not in response.content.decode()
    assert f"Firm {quiet.pk} " not in response.content.decode()
    assert "members" not in body["plan"]
    assert [m["firm_id"] for m in body["members"]] == [firm.pk]


def test_a_proposed_pool_is_not_shown_to_its_firms_yet(firm, api):
    pool = ads_pool(firms=[firm, firm_with_user()], state=S.PROPOSED)

    assert api.get(f"/api/v1/pools/{pool.pk}/").status_code == 404


def test_the_whole_journey_over_the_api(coordinator_api, coordinator):
    # given a proposed pool of three firms
    pool = ads_pool()
    members = list(pool.members.order_by("pk"))

    # when the coordinator approves, sets a deadline and opens it
    assert coordinator_api.post(f"/api/v1/pools/{pool.pk}/approve/").status_code == 200
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = coordinator_api.post(f"/api/v1/pools/{pool.pk}/deadline/",
                                    {"join_deadline": deadline}, format="json")
    assert response.status_code == 200
    assert coordinator_api.post(f"/api/v1/pools/{pool.pk}/open/").status_code == 200
    # and two firms accept, one leaves, another firm joins
    for member in members:
        client = client_for(user_of(member.firm))
        assert client.post(f"/api/v1/pools/{pool.pk}/accept/").status_code == 200
    leaver = client_for(user_of(members[2].firm))
    assert leaver.post(f"/api/v1/pools/{pool.pk}/leave/", {"reason": "budget cut"},
                       format="json").status_code == 200
    joiner = firm_with_user()
    need = AdNeedFactory(firm=joiner, programme=pool.programme)
    joined = client_for(user_of(joiner)).post(f"/api/v1/pools/{pool.pk}/join/",
                                              {"need_id": need.pk}, format="json",
                                              HTTP_IDEMPOTENCY_KEY="join-1")
    assert joined.status_code == 201, joined.content
    assert joined.json()["members"][0]["status"] == "accepted"
    # and the coordinator locks
    locked = coordinator_api.post(f"/api/v1/pools/{pool.pk}/lock/")

    # then the pool is locked with three members and the audit shows every step
    assert locked.status_code == 200
    assert locked.json()["state"] == "locked"
    assert locked.json()["member_count"] == 3
    assert list(PoolEvent.objects.filter(pool=pool).values_list("action", flat=True)) == [
        "approve", "deadline", "open", "accept", "accept", "accept", "leave", "join", "lock"]


def test_reject_without_a_reason_is_a_field_error_and_changes_nothing(coordinator_api):
    pool = ads_pool()

    response = coordinator_api.post(f"/api/v1/pools/{pool.pk}/reject/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]
    pool.refresh_from_db()
    assert pool.state == S.PROPOSED
    assert not PoolEvent.objects.filter(pool=pool).exists()


def test_a_member_removed_by_the_coordinator_is_out_and_the_rest_repriced(coordinator_api):
    pool = ads_pool(members=4)
    member = pool.members.order_by("pk").first()

    response = coordinator_api.post(
        f"/api/v1/pools/{pool.pk}/members/{member.pk}/remove/", {"reason": "duplicate"},
        format="json")

    assert response.status_code == 200
    assert response.json()["member_count"] == 3
    assert PoolMember.objects.get(pk=member.pk).status == "removed"
    assert response.json()["projected_total"] == "63600.0000"


def test_join_with_a_missing_need_id_is_a_field_error(firm, api, coordinator):
    pool = ads_pool(firms=[firm, firm_with_user()], state=S.OPEN,
                    join_deadline=timezone.now() + dt.timedelta(days=1))

    response = api.post(f"/api/v1/pools/{pool.pk}/join/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["need_id"]
