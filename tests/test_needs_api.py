"""The demands, ad needs and programmes API: validation table, tenancy, withdraw rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pooling.models import AdNeed, PackageLine, Pool, PoolEvent, PoolMember, ShippingDemand
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    PoolFactory,
    PoolMemberFactory,
    ShippingDemandFactory,
)

pytestmark = pytest.mark.django_db


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _demand(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "reference": "PO-1", "origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl",
        "gross_kg": "2400", "volume_cbm": "9.5", "ready_from": _day(7), "deliver_by": _day(50),
        "incoterm": "FOB",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_a_firm_posts_a_demand_and_gets_the_derived_figures(api, firm) -> None:
    response = api.post("/api/v1/demands/", _demand(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["chargeable_kg"] == "9500.000"
    assert body["revenue_tons"] == "9.500"
    assert body["status"] == "open"
    demand = ShippingDemand.objects.get()
    assert demand.firm == firm
    assert demand.revenue_tons == Decimal("9.500")


def test_package_lines_are_stored_and_sum_to_the_totals(api) -> None:
    response = api.post("/api/v1/demands/", _demand(
        mode="air", gross_kg=None, volume_cbm=None,
        lines=[{"count": 4, "length_cm": "50", "width_cm": "50", "height_cm": "40",
                "gross_kg_each": "9"}]), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["gross_kg"] == "36.000"
    assert response.json()["volume_cbm"] == "0.400000"
    assert response.json()["chargeable_kg"] == "66.667"
    assert PackageLine.objects.count() == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"gross_kg": "0"}, "gross_kg", "Gross weight must be above zero kg; got 0."),
    ({"gross_kg": "-5"}, "gross_kg", "Gross weight must be above zero kg; got -5."),
    ({"volume_cbm": "0"}, "volume_cbm", "Volume must be above zero CBM; got 0."),
    ({"volume_cbm": "1000.5"}, "volume_cbm", "Volume may be at most 1,000 CBM; got 1,000.500000."),
    ({"gross_kg": "500001"}, "gross_kg", "Gross weight may be at most 500,000 kg; got 500,001.000."),
    ({"gross_kg": "abc"}, "gross_kg", "Enter a number for gross weight."),
    ({"origin": "CNSZ"}, "origin", "'CNSZ' is not a UN/LOCODE"),
    ({"origin": "XXSZX"}, "origin", "'XXSZX' starts with 'XX', which is not an ISO 3166-1 country."),
    ({"destination": "CNSZX"}, "destination", "The destination must differ from the origin (CNSZX)."),
    ({"deliver_by": _day(3)}, "deliver_by", "is before ready from"),
    ({"ready_from": _day(-20), "deliver_by": _day(-1)}, "deliver_by", "is in the past."),
    ({"mode": "boat"}, "mode", "'boat' is not a mode"),
    ({"incoterm": "DDU"}, "incoterm", "'DDU' is not a Incoterms 2020 rule"),
    ({"hs_code": "12345"}, "hs_code", "An HS code has 6 to 10 digits; got '12345'."),
    ({"declared_value": "100"}, "declared_currency", "Name the currency of the declared value"),
    ({"declared_value": "100", "declared_currency": "XYZ"}, "declared_currency",
     "'XYZ' is not an ISO 4217 currency code."),
    ({"cargo_class": "lithium_batteries"}, "un_number", "Lithium batteries ship as UN3480"),
    ({"cargo_class": "other_dg", "un_number": "UN1263"}, "dg_class", "Dangerous goods need a class"),
    ({"ready_from": "10/03/2026"}, "ready_from", "Enter a date as YYYY-MM-DD"),
    ({"lines": [{"count": 1, "length_cm": "0", "width_cm": "10", "height_cm": "10",
                 "gross_kg_each": "1"}], "gross_kg": None, "volume_cbm": None},
     "lines.0.length_cm", "Length must be above zero cm; got 0."),
    ({"lines": [{"count": 1, "length_cm": "10", "width_cm": "10", "height_cm": "10",
                 "gross_kg_each": "1"}]}, "gross_kg", "Give either package lines or totals"),
    ({"lines": [{"count": 200, "length_cm": "1000", "width_cm": "100", "height_cm": "100",
                 "gross_kg_each": "1"}], "gross_kg": None, "volume_cbm": None},
     "lines", "one demand may measure at most 1,000 CBM"),
])
def test_bad_demands_get_a_precise_field_error_and_nothing_is_stored(api, changes, field,
                                                                     message) -> None:
    response = api.post("/api/v1/demands/", _demand(**changes), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(message in m for m in error["fields"][field]), error["fields"]
    assert not ShippingDemand.objects.exists()
    assert not PackageLine.objects.exists()


def test_every_bad_field_is_named_at_once(api) -> None:
    response = api.post("/api/v1/demands/", {"mode": "air"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "origin", "destination", "gross_kg", "volume_cbm", "ready_from", "deliver_by"}


def test_a_firm_sees_only_its_own_demands(api, other_api, firm) -> None:
    mine = ShippingDemandFactory(firm=firm)
    theirs = ShippingDemandFactory()

    listed = api.get("/api/v1/demands/").json()
    assert [d["id"] for d in listed["results"]] == [mine.pk]
    assert api.get(f"/api/v1/demands/{theirs.pk}/").status_code == 404
    assert other_api.get(f"/api/v1/demands/{mine.pk}/").status_code == 404
    assert other_api.patch(f"/api/v1/demands/{mine.pk}/", {"gross_kg": "1"},
                           format="json").status_code == 404
    assert other_api.post(f"/api/v1/demands/{mine.pk}/withdraw/").status_code == 404
    mine.refresh_from_db()
    assert mine.status == "open"
    assert mine.gross_kg == Decimal("2000.000")


def test_partners_cannot_list_demands(partner_api) -> None:
    ShippingDemandFactory()
    assert partner_api.get("/api/v1/demands/").status_code == 403


def test_list_filters_by_status_lane_mode_and_dates(api, firm) -> None:
    sea = ShippingDemandFactory(firm=firm)
    air = ShippingDemandFactory(firm=firm, mode="air", destination="DEFRA")
    ShippingDemandFactory(firm=firm, status="withdrawn")
    late = ShippingDemandFactory(firm=firm, ready_from=timezone.localdate() + dt.timedelta(30))

    def ids(query: str) -> set[int]:
        return {d["id"] for d in api.get(f"/api/v1/demands/?{query}").json()["results"]}

    assert ids("status=open&lane=CNSZX-USLAX") == {sea.pk, late.pk}
    assert ids("mode=air") == {air.pk}
    assert ids(f"ready_from_after={_day(20)}") == {late.pk}
    assert api.get("/api/v1/demands/?ready_from_after=soon").status_code == 400


def test_coordinators_list_across_firms(coordinator_api) -> None:
    demands = ShippingDemandFactory.create_batch(3)
    listed = coordinator_api.get("/api/v1/demands/").json()
    assert {d["id"] for d in listed["results"]} == {d.pk for d in demands}
    assert coordinator_api.post("/api/v1/demands/", _demand(), format="json").status_code == 403
    assert ShippingDemand.objects.count() == 3


@pytest.mark.parametrize("path", ["/api/v1/demands/", "/api/v1/ad-needs/"])
@pytest.mark.parametrize("raw", ["true", "1", "yes", "FALSE", "0", "off", ""])
def test_all_firms_reads_every_usual_spelling_of_yes_and_no(coordinator_api, path, raw) -> None:
    assert coordinator_api.get(f"{path}?all_firms={raw}").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/demands/", "/api/v1/ad-needs/"])
@pytest.mark.parametrize("raw", ["null", "2", "maybe", "tru"])
def test_an_unreadable_all_firms_is_a_400_on_it(coordinator_api, api, path, raw) -> None:
    for client in (coordinator_api, api):
        response = client.get(f"{path}?all_firms={raw}")
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["all_firms"]


def test_the_list_has_a_fixed_number_of_queries(api, firm, django_assert_max_num_queries) -> None:
    ShippingDemandFactory.create_batch(20, firm=firm)
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/demands/")
    assert response.json()["count"] == 20


def test_an_open_demand_is_updated_and_revalidated_as_a_whole(api, firm) -> None:
    demand = ShippingDemandFactory(firm=firm)

    response = api.patch(f"/api/v1/demands/{demand.pk}/", {"mode": "air"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["chargeable_kg"] == "2000.000"  # 8 CBM x 166.667 < 2000 kg

    bad = api.patch(f"/api/v1/demands/{demand.pk}/", {"destination": "CNSZX"}, format="json")
    assert bad.status_code == 400
    demand.refresh_from_db()
    assert demand.destination == "USLAX"
    assert demand.mode == "air"


def test_a_pooled_demand_cannot_be_changed(api, firm) -> None:
    demand = ShippingDemandFactory(firm=firm, status="pooled")
    response = api.patch(f"/api/v1/demands/{demand.pk}/", {"gross_kg": "10"}, format="json")
    assert response.status_code == 409
    demand.refresh_from_db()
    assert demand.gross_kg == Decimal("2000.000")


def test_withdrawing_from_an_unlocked_pool_leaves_it(api, firm) -> None:
    member = PoolMemberFactory(demand=ShippingDemandFactory(firm=firm, status="pooled"),
                               pool=PoolFactory(state=Pool.State.OPEN))
    PoolMemberFactory(pool=member.pool)
    assert Pool.objects.get().member_count == 2

    response = api.post(f"/api/v1/demands/{member.demand_id}/withdraw/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    member.refresh_from_db()
    assert member.status == PoolMember.Status.LEFT
    assert Pool.objects.get().member_count == 1
    assert PoolEvent.objects.get().action == "member_left"


@pytest.mark.parametrize("state", [Pool.State.LOCKED, Pool.State.BOOKED])
def test_a_demand_in_a_locked_pool_cannot_be_withdrawn(api, firm, state) -> None:
    member = PoolMemberFactory(demand=ShippingDemandFactory(firm=firm, status="pooled"),
                               pool=PoolFactory(state=state))

    response = api.post(f"/api/v1/demands/{member.demand_id}/withdraw/")

    assert response.status_code == 409
    assert "can no longer be withdrawn" in response.json()["error"]["message"]
    member.refresh_from_db()
    assert member.status == PoolMember.Status.ACCEPTED
    assert ShippingDemand.objects.get().status == "pooled"
    assert Pool.objects.get().member_count == 1
    assert not PoolEvent.objects.exists()


def test_a_withdrawn_demand_cannot_be_withdrawn_again(api, firm) -> None:
    demand = ShippingDemandFactory(firm=firm, status="withdrawn")
    assert api.post(f"/api/v1/demands/{demand.pk}/withdraw/").status_code == 409


def test_creating_a_demand_honours_the_idempotency_key(api) -> None:
    first = api.post("/api/v1/demands/", _demand(), format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    again = api.post("/api/v1/demands/", _demand(), format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert first.status_code == again.status_code == 201
    assert ShippingDemand.objects.count() == 1


# --- ad needs ----------------------------------------------------------------


def _ad_need(programme, /, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "programme": programme.pk, "market": "US", "budget": "20000", "currency": "USD",
        "flight_from": _day(10), "flight_to": _day(45), "category": "electronics",
    }
    body.update(changes)
    return body


def test_a_firm_posts_an_ad_need(api, firm) -> None:
    programme = ChannelProgrammeFactory()
    other = ChannelProgrammeFactory().pk and AdNeedFactory().firm

    response = api.post("/api/v1/ad-needs/", _ad_need(programme, excluded_firms=[other.pk]),
                        format="json")

    assert response.status_code == 201, response.content
    need = AdNeed.objects.get(firm=firm)
    assert need.budget == Decimal("20000")
    assert list(need.excluded_firms.all()) == [other]
    assert response.json()["channel"] == "amazon_dsp"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"currency": "EUR"}, "currency", "buys in USD, not EUR."),
    ({"budget": "0"}, "budget", "Budget must be above zero"),
    ({"budget": "-100"}, "budget", "Budget must be above zero"),
    ({"budget": "100.001"}, "budget", "USD amounts have at most 2 decimal places"),
    ({"market": "FR"}, "market", "buys in US, GB, DE, not FR."),
    ({"market": "ZZ"}, "market", "'ZZ' is not an ISO 3166-1 country code."),
    ({"flight_to": None}, "flight_to", "This field is required."),
    ({"flight_to": "+10"}, "flight_to", "lasts 10 days;"),
    ({"flight_from": _day(-1)}, "flight_from", "cannot start in the past"),
    ({"category": "weapons"}, "category", "'weapons' is not a product category"),
    ({"programme": 999999}, "programme", "No programme with id 999999."),
])
def test_bad_ad_needs_get_a_precise_field_error_and_nothing_is_stored(api, changes, field,
                                                                      message) -> None:
    programme = ChannelProgrammeFactory(markets=["US", "GB", "DE"], min_flight_days=14)
    if changes.get("flight_to") == "+10":
        changes = {"flight_to": _day(19)}  # 10 to 19 inclusive = 10 days
    body = {k: v for k, v in _ad_need(programme, **changes).items() if v is not None}

    response = api.post("/api/v1/ad-needs/", body, format="json")

    assert response.status_code == 400
    assert any(message in m for m in response.json()["error"]["fields"][field]), response.json()
    assert not AdNeed.objects.exists()


def test_a_flight_of_exactly_the_minimum_is_accepted(api) -> None:
    programme = ChannelProgrammeFactory(min_flight_days=14)
    response = api.post("/api/v1/ad-needs/", _ad_need(programme, flight_to=_day(23)),
                        format="json")
    assert response.status_code == 201, response.content


def test_ad_needs_are_isolated_and_filtered_by_channel(api, other_api, firm) -> None:
    mine = AdNeedFactory(firm=firm)
    AdNeedFactory(firm=firm, programme=ChannelProgrammeFactory(channel="google_ads"))
    theirs = AdNeedFactory()

    listed = api.get("/api/v1/ad-needs/?channel=amazon_dsp").json()["results"]
    assert [n["id"] for n in listed] == [mine.pk]
    assert api.get(f"/api/v1/ad-needs/{theirs.pk}/").status_code == 404
    assert other_api.post(f"/api/v1/ad-needs/{mine.pk}/withdraw/").status_code == 404
    mine.refresh_from_db()
    assert mine.status == "open"


def test_an_ad_need_is_updated_and_withdrawn(api, firm) -> None:
    need = AdNeedFactory(firm=firm)

    updated = api.patch(f"/api/v1/ad-needs/{need.pk}/", {"budget": "25000"}, format="json")
    withdrawn = api.post(f"/api/v1/ad-needs/{need.pk}/withdraw/")

    assert updated.status_code == 200, updated.content
    assert updated.json()["budget"] == "25000.0000"
    assert withdrawn.json()["status"] == "withdrawn"
    assert api.patch(f"/api/v1/ad-needs/{need.pk}/", {"budget": "1"},
                     format="json").status_code == 409


# --- the programme catalogue -------------------------------------------------


def _programme(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Meta ads pool", "channel": "meta_ads", "business_model": "independent_site",
        "markets": ["us", "GB"], "currency": "USD", "minimum_spend": "10000",
        "tiers": [{"min_spend": "10000", "discount_percent": "2"},
                  {"min_spend": "50000", "rebate_percent": "4"}],
        "management_fee_percent": "6", "min_flight_days": 21, "category_exclusive": True,
    }
    body.update(changes)
    return body


def test_coordinators_maintain_the_catalogue_and_everyone_reads_it(coordinator_api, api,
                                                                  partner_api) -> None:
    created = coordinator_api.post("/api/v1/programmes/", _programme(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["markets"] == ["GB", "US"]
    pk = created.json()["id"]

    updated = coordinator_api.patch(f"/api/v1/programmes/{pk}/", {"minimum_spend": "12000"},
                                    format="json")
    assert updated.json()["minimum_spend"] == "12000.0000"
    assert [p["id"] for p in api.get("/api/v1/programmes/").json()["results"]] == [pk]
    assert partner_api.get(f"/api/v1/programmes/{pk}/").status_code == 200


def test_firms_cannot_change_the_catalogue(api) -> None:
    programme = ChannelProgrammeFactory()
    assert api.post("/api/v1/programmes/", _programme(), format="json").status_code == 403
    assert api.patch(f"/api/v1/programmes/{programme.pk}/", {"minimum_spend": "1"},
                     format="json").status_code == 404
    programme.refresh_from_db()
    assert programme.minimum_spend == Decimal("50000")


@pytest.mark.parametrize(("changes", "field"), [
    ({"markets": ["US", "QQ"]}, "markets"),
    ({"currency": "DOLLAR"}, "currency"),
    ({"minimum_spend": "-1"}, "minimum_spend"),
    ({"tiers": [{"min_spend": "100"}]}, "tiers"),
    ({"tiers": [{"min_spend": "900", "rebate_percent": "1"},
                {"min_spend": "100", "rebate_percent": "2"}]}, "tiers"),
    ({"channel": "myspace"}, "channel"),
    ({"min_flight_days": 0}, "min_flight_days"),
])
def test_bad_programmes_are_refused(coordinator_api, changes, field) -> None:
    response = coordinator_api.post("/api/v1/programmes/", _programme(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    from pooling.models import ChannelProgramme
    assert not ChannelProgramme.objects.exists()
