"""Rate cards: versioned uploads through the API, priced by the tariff engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pooling.domain import tariff
from pooling.feed import ratecards
from pooling.models import RateCard
from pooling.selectors.feed import rate_card_in_force
from tests.factories import AirRateCardFactory, SeaRateCardFactory
from tests.factories_feed import air_card_body, sea_card_body

URL = "/api/v1/partner/rate-cards/"


@pytest.mark.django_db
def test_a_stored_row_becomes_the_engines_card_and_back() -> None:
    row = SeaRateCardFactory()

    card = ratecards.card_from_row(row)
    card.validate()

    assert card.lcl_rate_per_wm == Decimal("95.00")
    assert [e.code for e in card.equipment] == ["20GP", "40GP", "40HC"]
    assert card.surcharges[0].percent == Decimal("10")
    assert ratecards.card_from_values({**ratecards.json_columns(card), "mode": row.mode,
                                       "currency": "USD", "origin": "CNSZX",
                                       "destination": "USLAX", "version": row.version,
                                       "id": row.pk, "lcl_rate_per_wm": "95.00",
                                       "transit_days": 18}) == card


@given(st.lists(st.decimals(min_value=0, max_value=5000, places=3), min_size=1, max_size=8,
                unique=True))
def test_weight_breaks_survive_the_json_columns(mins) -> None:
    breaks = tuple(tariff.WeightBreak(min_kg=m, rate_per_kg=Decimal("1.5"))
                   for m in sorted(mins))
    stored = ratecards.json_columns(tariff.RateCard(
        id=1, version=1, currency="USD", mode=tariff.Mode.AIR, origin="CNSZX",
        destination="DEFRA", kg_per_cbm=None, minimum_charge=Decimal(0), weight_breaks=breaks))

    assert ratecards.weight_breaks(stored["weight_breaks"]) == breaks


@pytest.mark.django_db
def test_a_partner_uploads_a_card_and_a_new_version_supersedes_it(partner, partner_api) -> None:
    first = partner_api.post(URL, sea_card_body(), format="json")
    second = partner_api.post(URL, sea_card_body(valid_from="2025-04-01"), format="json")

    assert first.status_code == second.status_code == 201
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    old = RateCard.objects.get(pk=first.json()["id"])
    assert old.superseded_from == dt.date(2025, 4, 1)
    assert first.json()["equipment"][2] == {
        "code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"}
    on = {"partner": partner, "origin": "CNSZX", "destination": "USLAX", "mode": "sea_fcl"}
    assert rate_card_in_force(**on, on=dt.date(2025, 3, 31)).version == 1
    assert rate_card_in_force(**on, on=dt.date(2025, 4, 1)).version == 2


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    (air_card_body(weight_breaks=[{"min_kg": "0", "rate_per_kg": "5"},
                                  {"min_kg": "100", "rate_per_kg": "4"},
                                  {"min_kg": "45", "rate_per_kg": "3"}]), "weight_breaks"),
    (air_card_body(weight_breaks=[{"min_kg": "0", "rate_per_kg": "5"},
                                  {"min_kg": "45", "rate_per_kg": "4"},
                                  {"min_kg": "45", "rate_per_kg": "3"}]), "weight_breaks"),
    (sea_card_body(lcl_rate_per_wm="-1"), "lcl_rate_per_wm"),
    (sea_card_body(fees=[{"code": "DOC", "amount": "-5"}]), "fees"),
    (sea_card_body(origin="SHENZHEN"), "origin"),
    (sea_card_body(destination="US1"), "destination"),
    (sea_card_body(currency="XYZ"), "currency"),
    (sea_card_body(valid_to="2024-12-31"), "valid_to"),
    (air_card_body(weight_breaks=[]), "weight_breaks"),
])
def test_a_bad_card_is_refused_with_the_field_and_nothing_stored(partner_api, body, field) -> None:
    response = partner_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not RateCard.objects.exists()


@pytest.mark.django_db
def test_a_country_wide_card_is_accepted(partner_api) -> None:
    response = partner_api.post(URL, sea_card_body(destination="US"), format="json")

    assert response.status_code == 201


@pytest.mark.django_db
def test_quote_prices_an_air_shipment_with_the_engine(partner, partner_api) -> None:
    card = AirRateCardFactory(partner=partner)

    response = partner_api.post("/api/v1/partner/quote/", {
        "rate_card": card.pk, "gross_kg": "80", "volume_cbm": "0.3"}, format="json")

    assert response.status_code == 200
    body = response.json()
    expected = tariff.price(ratecards.card_from_row(card), gross_kg=Decimal("80"),
                            volume_cbm=Decimal("0.3"))
    assert Decimal(body["total"]) == expected.total
    assert [line["charge_code"] for line in body["lines"]] == [
        line.charge_code for line in expected.lines]


@pytest.mark.django_db
def test_quote_prices_containers_plus_lcl_on_a_sea_card(partner, partner_api) -> None:
    card = SeaRateCardFactory(partner=partner)

    response = partner_api.post("/api/v1/partner/quote/", {
        "rate_card": card.pk, "gross_kg": "500", "volume_cbm": "2", "containers": ["40HC"]},
        format="json")

    body = response.json()
    assert [(line["charge_code"], line["amount"]) for line in body["lines"]] == [
        ("FRT-40HC", "2800.00"), ("LCL", "190.00"), ("DOC", "75.00"), ("BAF", "280.00"),
        ("BAF", "19.00")]
    assert body["total"] == "3364.00"


@pytest.mark.django_db
def test_another_partners_card_cannot_be_quoted_or_read(partner_api) -> None:
    card = SeaRateCardFactory()

    quote = partner_api.post("/api/v1/partner/quote/", {
        "rate_card": card.pk, "gross_kg": "1", "volume_cbm": "1"}, format="json")
    detail = partner_api.get(f"{URL}{card.pk}/")

    assert quote.status_code == 400
    assert detail.status_code == 404


@pytest.mark.django_db
def test_a_cargo_class_the_card_does_not_carry_is_refused(partner, partner_api) -> None:
    card = SeaRateCardFactory(partner=partner, allowed_cargo_classes=["general"])

    response = partner_api.post("/api/v1/partner/quote/", {
        "rate_card": card.pk, "gross_kg": "100", "volume_cbm": "1",
        "cargo_class": "lithium_batteries"}, format="json")

    assert response.status_code == 400
    assert "cargo_class" in response.json()["error"]["fields"]
