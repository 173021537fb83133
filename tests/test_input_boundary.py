"""Hostile input at every way in: the right 4xx in the one error shape, and nothing stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Partner
from coop.api.limits import json_depth
from coop.inputs import InputError, decimal, excerpt, integer, text
from pooling.models import AdNeed, ChannelProgramme, RateCard, ShippingDemand
from tests.conftest import partner_client
from tests.factories import ChannelProgrammeFactory, FirmFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _demand(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "reference": "PO-1", "origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl",
        "gross_kg": "2400", "volume_cbm": "9.5", "ready_from": _day(7), "deliver_by": _day(50),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _ad_need(programme: ChannelProgramme, /, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "programme": programme.pk, "market": "US", "budget": "20000", "currency": "USD",
        "flight_from": _day(10), "flight_to": _day(45), "category": "electronics",
    }
    body.update(changes)
    return body


def _refused(response, status: int = 400, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]


# --- the parsing functions ------------------------------------------------------------


@pytest.mark.parametrize("value", ["٣", "１２", "1e30", "NaN", "Infinity", "9" * 500, [], {}, True,
                                   "1_000", " ", "0x10"])
def test_decimals_refuse_what_a_column_cannot_hold(value: object) -> None:
    with pytest.raises(InputError):
        decimal(value, max_digits=14, places=3)


def test_decimals_read_ascii_numbers_and_round_half_up() -> None:
    assert decimal("1,234.5675", max_digits=14, places=3) == Decimal("1234.568")
    assert decimal(12, max_digits=14, places=3) == Decimal("12.000")
    assert decimal("2.5e3", max_digits=14, places=3) == Decimal("2500.000")


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, "٣", 1.5, "1e3", True, [], "", 10**40])
def test_integers_refuse_non_ascii_digits_and_values_beyond_the_column(value: object) -> None:
    with pytest.raises(InputError):
        integer(value)


@pytest.mark.parametrize("value", ["A\x00B", "\ud800", "a\x1bb", True, 12, ["x"], {"a": 1}])
def test_text_refuses_nul_surrogates_controls_and_non_strings(value: object) -> None:
    with pytest.raises(InputError):
        text(value)


def test_excerpts_are_short_and_printable() -> None:
    shown = excerpt("\ud800" + "x" * 100)
    assert shown.startswith("'\\ud800")
    assert len(shown) < 45
    shown.encode("utf-8")


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": [[1]], "b": "[[[[[[[["}') == 3
    assert json_depth(b'"\\"[["') == 0


# --- the limits on a body -------------------------------------------------------------


def test_deep_json_is_refused_before_parsing_even_on_the_token_endpoint(api) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for client, url in ((APIClient(), "/api/v1/auth/token/"), (api, "/api/v1/demands/")):
        error = _refused(client.post(url, deep, content_type="application/json"), 400, "body")
        assert error["code"] == "validation_error"
    assert ShippingDemand.objects.count() == 0


def test_a_body_above_the_limit_gets_413_in_the_error_shape(api, settings) -> None:
    settings.MAX_REQUEST_BODY_BYTES = 1000
    body = json.dumps(_demand(reference="x" * 2000))
    error = _refused(api.post("/api/v1/demands/", body, content_type="application/json"), 413)
    assert error["code"] == "request_too_large"
    assert ShippingDemand.objects.count() == 0


def test_a_20_mb_body_gets_413_not_an_html_page(api) -> None:
    body = b'{"reference": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = api.post("/api/v1/demands/", body, content_type="application/json")
    _refused(response, 413)
    assert response["Content-Type"].startswith("application/json")


# --- shipping demands -----------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field"), [
    ({"gross_kg": "1e30"}, "gross_kg"),
    ({"gross_kg": 10**40}, "gross_kg"),
    ({"gross_kg": "9" * 500}, "gross_kg"),
    ({"gross_kg": "٣"}, "gross_kg"),
    ({"volume_cbm": "٣"}, "volume_cbm"),
    ({"declared_value": [], "declared_currency": "USD"}, "declared_value"),
    ({"declared_value": {}, "declared_currency": "USD"}, "declared_value"),
    ({"declared_value": "1e30", "declared_currency": "USD"}, "declared_value"),
    ({"reference": "A\u0000B"}, "reference"),
    ({"reference": "\ud800"}, "reference"),
    ({"reference": True}, "reference"),
    ({"reference": ["x"]}, "reference"),
    ({"hs_code": "٨٥٠٧٦٠"}, "hs_code"),
    ({"cargo_class": "lithium_batteries", "un_number": "UN٣٤٨٠"}, "un_number"),
    ({"origin": []}, "origin"),
    ({"mode": {}}, "mode"),
    ({"ready_from": ["2030-01-01"]}, "ready_from"),
    ({"ready_from": "٢٠٣٠-٠١-٠١"}, "ready_from"),
    ({"splittable": []}, "splittable"),
    ({"gross_kg": None, "volume_cbm": None,
      "lines": [{"count": 1, "length_cm": 10, "width_cm": 10, "height_cm": 10,
                 "gross_kg_each": []}]}, "lines.0.gross_kg_each"),
    ({"gross_kg": None, "volume_cbm": None,
      "lines": [{"count": 2**31, "length_cm": 10, "width_cm": 10, "height_cm": 10,
                 "gross_kg_each": 1}]}, "lines.0.count"),
    ({"gross_kg": [], "lines": [{"count": 1, "length_cm": 10, "width_cm": 10,
                                 "height_cm": 10, "gross_kg_each": 1}]}, "gross_kg"),
])
def test_hostile_demand_fields_get_a_field_error_and_nothing_is_stored(api, changes, field) -> None:
    response = api.post("/api/v1/demands/", json.dumps(_demand(**changes)),
                        content_type="application/json")

    error = _refused(response, 400, field)
    assert len(error["message"]) < 700
    assert ShippingDemand.objects.count() == 0


def test_a_surrogate_in_a_key_is_refused(api) -> None:
    body = '{"\\ud800": 1, "reference": "x"}'
    _refused(api.post("/api/v1/demands/", body, content_type="application/json"), 400)
    assert ShippingDemand.objects.count() == 0


def test_form_encoded_patch_is_validated_not_a_server_error(api) -> None:
    created = api.post("/api/v1/demands/", _demand(), format="json")
    assert created.status_code == 201
    demand_id = created.json()["id"]

    good = api.patch(f"/api/v1/demands/{demand_id}/", "declared_value=5&declared_currency=USD",
                     content_type="application/x-www-form-urlencoded")
    bad = api.patch(f"/api/v1/demands/{demand_id}/", "gross_kg=-9.4e%2B204",
                    content_type="application/x-www-form-urlencoded")

    assert good.status_code == 200, good.content
    assert good.json()["declared_value"] == "5.0000"
    _refused(bad, 400, "gross_kg")
    assert ShippingDemand.objects.get().gross_kg == Decimal("2400.000")


def test_multipart_patch_with_a_huge_negative_budget_is_refused(api, firm) -> None:
    programme = ChannelProgrammeFactory()
    created = api.post("/api/v1/ad-needs/", _ad_need(programme), format="json")
    assert created.status_code == 201, created.content
    need_id = created.json()["id"]

    bad = api.patch(f"/api/v1/ad-needs/{need_id}/", {"budget": "-9.4e+204"}, format="multipart")
    form = api.patch(f"/api/v1/ad-needs/{need_id}/", "programme=1",
                     content_type="application/x-www-form-urlencoded")

    _refused(bad, 400, "budget")
    assert form.status_code in (200, 400)
    assert AdNeed.objects.get().budget == Decimal("20000.00")


# --- ad needs and programmes ----------------------------------------------------------


@pytest.mark.parametrize(("changes", "field"), [
    ({"budget": "1e30"}, "budget"),
    ({"budget": "٢٠٠٠٠"}, "budget"),
    ({"programme": []}, "programme"),
    ({"programme": "٣"}, "programme"),
    ({"programme": 2**70}, "programme"),
    ({"excluded_firms": ["٣"]}, "excluded_firms"),
    ({"excluded_firms": {}}, "excluded_firms"),
    ({"market": "U\u0000S"}, "market"),
])
def test_hostile_ad_need_fields_get_a_field_error(api, changes, field) -> None:
    programme = ChannelProgrammeFactory()
    response = api.post("/api/v1/ad-needs/", json.dumps(_ad_need(programme, **changes)),
                        content_type="application/json")
    _refused(response, 400, field)
    assert AdNeed.objects.count() == 0


def test_excluded_firms_do_not_tell_which_firm_ids_exist(api, firm) -> None:
    programme = ChannelProgrammeFactory()
    other = FirmFactory()

    response = api.post("/api/v1/ad-needs/", _ad_need(
        programme, excluded_firms=[other.pk, 999_999]), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["excluded_firms"] == [other.pk]


def test_an_inactive_programme_is_not_found_for_firms_and_partners(api, coordinator_api) -> None:
    retired = ChannelProgrammeFactory(active=False)
    partner = partner_client(PartnerFactory(kind=Partner.Kind.ADVERTISING))

    assert api.get(f"/api/v1/programmes/{retired.pk}/").status_code == 404
    assert partner.get(f"/api/v1/programmes/{retired.pk}/").status_code == 404
    assert coordinator_api.get(f"/api/v1/programmes/{retired.pk}/").status_code == 200


@pytest.mark.parametrize(("changes", "field"), [
    ({"minimum_spend": "1e30"}, "minimum_spend"),
    ({"min_flight_days": 2**31}, "min_flight_days"),
    ({"markets": [[]]}, "markets"),
    ({"partner": []}, "partner"),
    ({"tiers": [{"min_spend": "1e400", "discount_percent": "2"}]}, "tiers"),
])
def test_hostile_programme_fields_get_a_field_error(coordinator_api, changes, field) -> None:
    body = {"name": "Meta ads pool", "channel": "meta_ads", "business_model": "independent_site",
            "markets": ["US"], "currency": "USD", "minimum_spend": "10000", **changes}
    _refused(coordinator_api.post("/api/v1/programmes/", body, format="json"), 400, field)
    assert ChannelProgramme.objects.count() == 0


# --- the partner feed (rate cards, capacity) ------------------------------------------


def _rate_card(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl", "currency": "USD",
        "valid_from": _day(0), "lcl_rate_per_wm": "80", "transit_days": 20,
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(("changes", "field"), [
    ({"destination": "XX"}, "destination"),
    ({"origin": "XXABC"}, "origin"),
    ({"transit_days": 2147483648}, "transit_days"),
    ({"transit_days": "٣"}, "transit_days"),
    ({"lcl_rate_per_wm": "1e30"}, "lcl_rate_per_wm"),
    ({"currency": "U\u0000D"}, "currency"),
])
def test_hostile_rate_cards_are_refused(partner_api, changes, field) -> None:
    response = partner_api.post("/api/v1/partner/rate-cards/", json.dumps(_rate_card(**changes)),
                                content_type="application/json")
    _refused(response, 400, field)
    assert RateCard.objects.count() == 0


def test_a_rate_card_to_a_whole_country_is_still_taken(partner_api) -> None:
    response = partner_api.post("/api/v1/partner/rate-cards/", _rate_card(destination="us"),
                                format="json")
    assert response.status_code == 201, response.content
    assert response.json()["destination"] == "US"


# --- forms and the CSV import ---------------------------------------------------------


def test_csv_cells_with_nul_non_ascii_digits_or_1e400_are_refused(api) -> None:
    header = "origin,destination,mode,gross_kg,volume_cbm,ready_from,deliver_by,reference"
    rows = [
        f"CNSZX,USLAX,sea_lcl,1e400,9.5,{_day(7)},{_day(50)},a",
        f"CNSZX,USLAX,sea_lcl,٣,9.5,{_day(7)},{_day(50)},b",
        f"CNSZX,USLAX,sea_lcl,100,9.5,{_day(7)},{_day(50)},c\x00d",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post("/api/v1/demands/import/",
                        {"file": SimpleUploadedFile("d.csv", data, "text/csv")},
                        format="multipart")

    error = _refused(response, 400)
    assert set(error["fields"]) == {"row 2.gross_kg", "row 3.gross_kg", "row 4.reference"}
    assert ShippingDemand.objects.count() == 0


def test_the_web_demand_form_refuses_non_ascii_digits(firm_user) -> None:
    client = Client()
    client.force_login(firm_user)
    response = client.post("/needs/demands/new/", _demand(gross_kg="٣"))
    assert response.status_code in (200, 400)
    assert ShippingDemand.objects.count() == 0


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                  "٢٠٣٠-01-01T00:00:00Z"])
def test_timestamps_outside_the_range_in_utc_or_in_other_digits_are_refused(
        coordinator_api, partner, when) -> None:
    response = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/",
                                    {"name": "feed", "expiry_date": when}, format="json")
    _refused(response, 400, "expiry_date")
    from accounts.models import PartnerAPIKey

    assert not PartnerAPIKey.objects.exists()
