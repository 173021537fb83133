"""Partners book or decline the locked pools assigned to them; ads partners report spend."""

from __future__ import annotations

from unittest import mock

import pytest

from pooling.models import Booking, CapacityOffer, FxRate, Notification, Pool, PoolEvent, SpendReport
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    PartnerFactory,
    PoolFactory,
    PoolMemberFactory,
)
from tests.factories_feed import booked_pool


@pytest.mark.django_db
def test_a_partner_lists_only_its_locked_pools(partner, partner_api,
                                               django_assert_max_num_queries) -> None:
    mine = booked_pool(partner, reference="", state=Pool.State.LOCKED)
    booked_pool(partner, reference="B", state=Pool.State.BOOKED)
    booked_pool(PartnerFactory(), reference="", state=Pool.State.LOCKED)

    with django_assert_max_num_queries(5):
        response = partner_api.get("/api/v1/partner/pools/awaiting-booking/")

    assert [p["id"] for p in response.json()["results"]] == [mine.pk]


@pytest.mark.django_db
def test_confirming_books_the_pool_and_tells_members(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="", state=Pool.State.LOCKED)

    response = partner_api.post(f"/api/v1/partner/pools/{pool.pk}/booking/", {
        "reference": "BAL-77", "equipment": {"40HC": 1}, "etd": "2025-03-01T10:00:00+08:00",
        "eta": "2025-03-19T06:00:00-07:00"}, format="json")

    assert response.status_code == 201
    pool.refresh_from_db()
    assert (pool.state, pool.booking_reference) == (Pool.State.BOOKED, "BAL-77")
    assert Booking.objects.get().equipment == {"40HC": 1}
    assert Notification.objects.filter(pool=pool, kind="booking").count() == 2


@pytest.mark.django_db
def test_declining_keeps_the_pool_locked_with_the_reason(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="", state=Pool.State.LOCKED)

    response = partner_api.post(f"/api/v1/partner/pools/{pool.pk}/decline/",
                                {"reason": "No space on the 3 March sailing."}, format="json")

    assert response.status_code == 201
    pool.refresh_from_db()
    assert pool.state == Pool.State.LOCKED
    event = PoolEvent.objects.get(pool=pool, action="booking_declined")
    assert event.reason == "No space on the 3 March sailing."
    assert not Notification.objects.filter(pool=pool).exists()


@pytest.mark.django_db
def test_a_pool_that_is_not_locked_cannot_be_booked(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="X", state=Pool.State.BOOKED)

    response = partner_api.post(f"/api/v1/partner/pools/{pool.pk}/booking/",
                                {"reference": "BAL-78"}, format="json")

    assert response.status_code == 409
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_another_partners_pool_answers_404_and_stays_locked(partner_api) -> None:
    pool = booked_pool(PartnerFactory(), reference="", state=Pool.State.LOCKED)

    response = partner_api.post(f"/api/v1/partner/pools/{pool.pk}/booking/",
                                {"reference": "BAL-79"}, format="json")

    assert response.status_code == 404
    pool.refresh_from_db()
    assert pool.state == Pool.State.LOCKED and not Booking.objects.exists()


@pytest.mark.django_db
def test_capacity_offers_are_checked_and_listed(partner_api) -> None:
    good = partner_api.post("/api/v1/partner/capacity/", {
        "origin": "CNSZX", "destination": "DEFRA", "mode": "air", "departure_date": "2025-03-10",
        "cutoff_at": "2025-03-08T12:00:00+08:00", "allotment_kg": "2000"}, format="json")
    bad = partner_api.post("/api/v1/partner/capacity/", {
        "origin": "CNSZX", "destination": "DEFRA", "mode": "air", "departure_date": "2025-03-10",
        "cutoff_at": "2025-03-12T12:00:00+08:00"}, format="json")

    assert good.status_code == 201
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"equipment", "cutoff_at"}
    assert CapacityOffer.objects.count() == 1
    assert len(partner_api.get("/api/v1/partner/capacity/").json()["results"]) == 1


@pytest.mark.django_db
def test_fx_rates_are_posted_by_partners_and_coordinators_not_firms(partner_api, coordinator_api,
                                                                     api) -> None:
    body = {"base": "EUR", "quote": "USD", "rate": "1.0850", "as_of": "2025-03-01"}

    by_partner = partner_api.post("/api/v1/fx-rates/", body, format="json")
    again = coordinator_api.post("/api/v1/fx-rates/", body, format="json")
    other = coordinator_api.post("/api/v1/fx-rates/", {**body, "rate": "1.2"}, format="json")
    by_firm = api.post("/api/v1/fx-rates/", {**body, "as_of": "2025-03-02"}, format="json")

    assert (by_partner.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert by_firm.status_code == 403
    assert FxRate.objects.count() == 1


@pytest.mark.django_db
def test_ads_partner_publishes_terms_for_its_own_programme_only(partner, partner_api) -> None:
    mine = ChannelProgrammeFactory(partner=partner)
    theirs = ChannelProgrammeFactory(partner=PartnerFactory())
    terms = {"minimum_spend": "40000", "management_fee_percent": "7.5",
             "tiers": [{"min_spend": "40000", "rebate_percent": "2"},
                       {"min_spend": "90000", "rebate_percent": "4"}]}

    ok = partner_api.put(f"/api/v1/partner/programmes/{mine.pk}/terms/", terms, format="json")
    refused = partner_api.put(f"/api/v1/partner/programmes/{theirs.pk}/terms/", terms,
                              format="json")

    assert ok.status_code == 200
    mine.refresh_from_db()
    assert mine.tiers == [{"min_spend": "40000.00", "rebate_percent": "2.000"},
                          {"min_spend": "90000.00", "rebate_percent": "4.000"}]
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.minimum_spend == 50000


@pytest.mark.django_db
def test_the_last_spend_report_invoices_a_booked_ads_pool(partner, partner_api) -> None:
    programme = ChannelProgrammeFactory(partner=partner)
    pool = PoolFactory(kind=Pool.Kind.ADS, rate_card=None, partner=partner, programme=programme,
                       state=Pool.State.BOOKED, origin="", destination="", mode="")
    members = []
    for _ in range(2):
        need = AdNeedFactory(programme=programme)
        members.append(PoolMemberFactory(pool=pool, demand=None, ad_need=need, firm=need.firm,
                                         chargeable_kg=0, revenue_tons=0, volume_cbm=0))
    body = {"pool": pool.pk, "period_from": "2025-03-01", "period_to": "2025-03-31",
            "currency": "USD", "spend": "20000", "rebate": "400"}

    with mock.patch("pooling.services.feed_ads.settlement_enqueue") as enqueued:
        first = partner_api.post("/api/v1/partner/spend-reports/",
                                 {**body, "report_id": "R1", "member": members[0].pk}, format="json")
        pool.refresh_from_db()
        state_after_first = pool.state
        last = partner_api.post("/api/v1/partner/spend-reports/",
                                {**body, "report_id": "R2", "member": members[1].pk}, format="json")

    assert (first.status_code, last.status_code) == (201, 201)
    assert state_after_first == Pool.State.BOOKED
    pool.refresh_from_db()
    assert pool.state == Pool.State.INVOICED
    enqueued.assert_called_once_with(pool_id=pool.pk)
    assert SpendReport.objects.count() == 2
