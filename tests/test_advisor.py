"""The channel advisor on the database: profile, advice, posting into a suggested pool,
coordinators' view of building-up demand, and who may see what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from pooling.models import AdNeed, FirmProfile, Pool, PoolMember
from pooling.services.advisor import firm_profile_input_parse, firm_profile_save
from tests.conftest import client_for
from tests.factories import AdNeedFactory, ChannelProgrammeFactory, MembershipFactory
from tests.factories_pools import ads_pool

pytestmark = pytest.mark.django_db

STARTUP = {"channels": [{"channel": "amazon", "share": 90}, {"channel": "own_site", "share": 10}],
           "markets": ["US"], "sales_band": "50k_250k", "content_staff": "some",
           "site_staff": "yes", "has_own_site": True, "has_brand": True}


@pytest.fixture
def meta_pool():
    """An open Meta ads pool in the US: two members' USD 40,000 is short of the 50,000 minimum."""
    programme = ChannelProgrammeFactory(name="Meta pool", channel="meta_ads",
                                        business_model="social", category_exclusive=True)
    return ads_pool(programme=programme, members=2, state=Pool.State.OPEN, capacity=4,
                    status=PoolMember.Status.ACCEPTED,
                    join_deadline=timezone.now() + dt.timedelta(days=3))


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_stage_follows_the_channels_and_the_firm_can_correct_it(firm):
    # when a firm keeps a profile with social channels
    firm_profile_save(firm=firm, data=firm_profile_input_parse(
        {"channels": [{"channel": "amazon", "share": 60}, {"channel": "instagram", "share": 40}]}))
    firm.refresh_from_db()
    assert firm.growth_stage == "growth"

    # when it corrects the stage
    firm_profile_save(firm=firm, data=firm_profile_input_parse(
        {"channels": [{"channel": "amazon", "share": 60}], "stage_override": "mature"}))
    firm.refresh_from_db()
    assert firm.growth_stage == "mature"
    assert FirmProfile.objects.get(firm=firm).channels == [{"channel": "amazon", "share": 60}]


def test_a_bad_profile_on_the_web_names_each_field_and_stores_nothing(firm_user, firm):
    response = web(firm_user).post("/advisor/profile/", {
        "share_amazon": "70", "share_ebay": "50", "markets": "US, XX", "live_staff": "maybe"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "The shares of sales add up to more than 100%." in html
    assert "&#x27;XX&#x27; is not an ISO 3166-1 country code." in html
    assert 'id="error-live_staff"' in html
    assert not FirmProfile.objects.exists()
    firm.refresh_from_db()
    assert firm.growth_stage == "growth"


def test_a_share_out_of_range_is_shown_under_its_channel(firm_user):
    response = web(firm_user).post("/advisor/profile/", {"share_amazon": "60",
                                                         "share_youtube": "1.5"})
    assert response.status_code == 400
    assert 'id="error-share_youtube"' in response.content.decode()
    assert not FirmProfile.objects.exists()


def test_the_api_keeps_the_profile_and_refuses_bad_input_field_by_field(api, firm):
    assert api.get("/api/v1/advisor/profile/").status_code == 404

    bad = api.put("/api/v1/advisor/profile/", {"channels": [{"channel": "myspace", "share": 5}],
                                               "risk_appetite": "reckless"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"channels.0.channel", "risk_appetite"}
    assert not FirmProfile.objects.exists()

    ok = api.put("/api/v1/advisor/profile/", STARTUP, format="json")
    assert ok.status_code == 200
    assert ok.json()["stage"] == "startup"
    assert api.get("/api/v1/advisor/profile/").json()["channels"] == STARTUP["channels"]


def test_a_multipart_body_without_a_named_part_is_refused_and_keeps_the_profile(api, firm):
    assert api.put("/api/v1/advisor/profile/", STARTUP, format="json").status_code == 200
    before = api.get("/api/v1/advisor/profile/").json()
    boundary = "b0undary"

    response = api.generic("PUT", "/api/v1/advisor/profile/",
                           f"--{boundary}\r\n[]--{boundary}--\r\n".encode(),
                           content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 400
    assert "no named part" in response.json()["error"]["message"]
    assert api.get("/api/v1/advisor/profile/").json() == before


def test_advice_shows_concentration_steps_and_what_an_open_pool_unlocks(api, firm, meta_pool):
    firm_profile_save(firm=firm, data=firm_profile_input_parse(STARTUP))
    firm.product_categories = ["home"]
    firm.save(update_fields=["product_categories"])

    advice = api.get("/api/v1/advisor/").json()

    assert advice["stage"] == "startup"
    assert advice["sales_concentration"]["hhi"] == 8200
    assert advice["sales_concentration"]["dominant"] == "Amazon"
    assert [w["kind"] for w in advice["warnings"]] == ["concentration"]
    first = advice["recommendations"][0]
    assert first["channel"] == "facebook"
    assert first["factors"][0] == "stage"
    pool = first["pools"][0]
    # USD 15,000 a month over the pool's 31-day flight: 15,500, below 50,000 alone
    assert pool["pool"] == meta_pool.pk and pool["unlocks"] is True
    assert pool["budget"] == "15500.00" and pool["pooled_spend"] == "55500.00"
    assert pool["ad_need"]["category"] == "home"
    assert {a["channel"] for a in advice["recommendations"]}.isdisjoint(advice["channels"])


def test_the_advisor_page_links_each_step_to_a_prefilled_ad_need(firm_user, firm, meta_pool):
    firm_profile_save(firm=firm, data=firm_profile_input_parse(STARTUP))
    firm.product_categories = ["home"]
    firm.save(update_fields=["product_categories"])

    html = web(firm_user).get("/advisor/").content.decode()

    assert "Your sales are highly concentrated: HHI 8,200 is above 2,500" in html
    assert f"Post an ad need in pool #{meta_pool.pk}" in html
    assert f"pool={meta_pool.pk}" in html
    assert "Unlocks the programme" in html

    form = web(firm_user).get(f"/advisor/post/?programme={meta_pool.programme_id}&market=US"
                              f"&budget=15500&currency=USD&pool={meta_pool.pk}").content.decode()
    assert 'name="budget" value="15500"' in form
    assert f'name="pool" value="{meta_pool.pk}"' in form


def test_a_pool_whose_category_the_firm_shares_is_not_suggested(api, firm, meta_pool):
    # given the pool's members sell electronics on a category-exclusive programme, as the firm
    firm_profile_save(firm=firm, data=firm_profile_input_parse(STARTUP))

    advice = api.get("/api/v1/advisor/").json()

    assert advice["recommendations"][0]["channel"] == "facebook"
    assert advice["recommendations"][0]["pools"] == []
    assert advice["recommendations"][0]["programmes"][0]["reachable_alone"] is False


def _post(meta_pool) -> dict[str, str]:
    return {"programme": str(meta_pool.programme_id), "market": "US", "budget": "15500",
            "currency": "USD", "flight_from": meta_pool.flight_from.isoformat(),
            "flight_to": meta_pool.flight_to.isoformat(), "category": "home",
            "pool": str(meta_pool.pk)}


def test_posting_a_suggested_ad_need_joins_the_suggested_pool(firm_user, firm, meta_pool):
    response = web(firm_user).post("/advisor/post/", _post(meta_pool))

    assert response.status_code == 302 and response["Location"] == f"/pools/{meta_pool.pk}/"
    need = AdNeed.objects.get(firm=firm)
    member = PoolMember.objects.get(pool=meta_pool, firm=firm)
    assert member.ad_need == need and member.status == PoolMember.Status.ACCEPTED
    meta_pool.refresh_from_db()
    assert meta_pool.member_count == 3


def test_a_refused_join_posts_no_ad_need_either(firm_user, firm, meta_pool):
    Pool.objects.filter(pk=meta_pool.pk).update(capacity=2)

    response = web(firm_user).post("/advisor/post/", _post(meta_pool))

    assert response.status_code == 400
    assert "This pool is full." in response.content.decode()
    assert not AdNeed.objects.filter(firm=firm).exists()
    assert not PoolMember.objects.filter(firm=firm).exists()


def test_a_firm_sees_only_its_own_profile_and_advice(api, firm, other_api, meta_pool):
    firm_profile_save(firm=firm, data=firm_profile_input_parse(STARTUP))

    assert other_api.get("/api/v1/advisor/profile/").status_code == 404
    other = other_api.get("/api/v1/advisor/").json()
    assert other["has_profile"] is False and other["sales_concentration"] is None
    assert api.get("/api/v1/advisor/").json()["has_profile"] is True


def test_demand_building_up_is_for_coordinators(firm_user, coordinator, coordinator_api, api):
    programme = ChannelProgrammeFactory(channel="google_ads", business_model="independent_site",
                                        minimum_spend=Decimal("10000"), markets=["US"])
    AdNeedFactory(programme=programme, budget=Decimal("4000"))
    AdNeedFactory(programme=programme, budget=Decimal("3000"))
    pooled = ads_pool(members=2)  # needs in a live pool are not waiting
    profiled = MembershipFactory().firm
    firm_profile_save(firm=profiled, data=firm_profile_input_parse(
        {**STARTUP, "markets": ["JP"]}))

    rows = coordinator_api.get("/api/v1/advisor/demand/").json()["results"]

    google = next(r for r in rows if r["channel"] == "google_ads" and r["market"] == "US")
    assert (google["open_needs"], google["firms_waiting"]) == (2, 2)
    assert google["budgets"] == {"USD": "7000.00"} and google["shortfall"] == "3000.00"
    assert not any(r["channel"] == pooled.programme.channel and r["open_needs"] for r in rows)
    # the startup firm selling in Japan is sent to social and eBay: no programme there
    japan = {r["channel"] for r in rows if r["market"] == "JP"}
    assert japan == {"meta_ads", "ebay_pl"}
    assert all(r["no_programme"] and r["advised_firms"] == 1 for r in rows if r["market"] == "JP")

    assert api.get("/api/v1/advisor/demand/").status_code == 403
    assert web(firm_user).get("/advisor/demand/").status_code == 404
    assert web(coordinator).get("/advisor/demand/").status_code == 200


def test_a_coordinator_without_a_firm_has_no_advisor_page(coordinator):
    assert web(coordinator).get("/advisor/").status_code == 404
    assert client_for(coordinator).get("/api/v1/advisor/").status_code == 403


def test_the_advice_reads_a_fixed_number_of_queries_however_many_pools_are_open(api, firm):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    firm_profile_save(firm=firm, data=firm_profile_input_parse(STARTUP))
    firm.product_categories = ["home"]
    firm.save(update_fields=["product_categories"])
    programme = ChannelProgrammeFactory(name="Meta pool", channel="meta_ads",
                                        business_model="social")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/advisor/").status_code == 200
        return len(queries)

    def open_pool() -> None:
        ads_pool(programme=programme, members=2, state=Pool.State.OPEN, capacity=4,
                 status=PoolMember.Status.ACCEPTED,
                 join_deadline=timezone.now() + dt.timedelta(days=3))

    open_pool()
    one = count()
    open_pool()
    open_pool()
    three = count()

    assert len(api.get("/api/v1/advisor/").json()["recommendations"][0]["pools"]) == 3
    assert three == one
