"""Partner work on the web: bookings, rate card files with a preview, capacity, invoices,
settlement status; the coordinator sees the same pages for any partner."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pooling.feed.ratecard_file import template_csv
from pooling.models import Booking, CapacityOffer, Invoice, Pool, RateCard
from tests.factories import PartnerFactory, PoolFactory, SeaRateCardFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _partner_user(partner):  # type: ignore[no-untyped-def]
    user = UserFactory()
    partner.users.add(user)
    return user


def _pool(partner, state=Pool.State.LOCKED) -> Pool:  # type: ignore[no-untyped-def]
    return PoolFactory(rate_card=SeaRateCardFactory(partner=partner), state=state)


def _csv(text: str, name: str = "card.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_partner_confirms_a_booking_with_form_fields():
    partner = PartnerFactory()
    pool = _pool(partner)
    url = reverse("pooling:partner-booking", args=[pool.pk])

    response = _client(_partner_user(partner)).post(url, {
        "partner": partner.pk, "action": "confirm", "reference": "WEB-BKG-1",
        "etd": "2030-03-01T10:00", "eta": "2030-03-19T08:00", "equipment_40HC": "2"})

    assert response.status_code == 302
    booking = Booking.objects.get(pool=pool)
    assert (booking.reference, booking.equipment, booking.status) == ("WEB-BKG-1", {"40HC": 2},
                                                                      "confirmed")
    pool.refresh_from_db()
    assert pool.state == Pool.State.BOOKED


def test_an_arrival_before_departure_is_a_field_error_and_books_nothing():
    partner = PartnerFactory()
    pool = _pool(partner)

    response = _client(_partner_user(partner)).post(
        reverse("pooling:partner-booking", args=[pool.pk]),
        {"partner": partner.pk, "action": "confirm", "reference": "R-1",
         "etd": "2030-03-19T10:00", "eta": "2030-03-01T08:00"})

    assert response.status_code == 400
    assert "The arrival cannot be before the departure." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_partner_declines_with_a_reason():
    partner = PartnerFactory()
    pool = _pool(partner)

    response = _client(_partner_user(partner)).post(
        reverse("pooling:partner-booking", args=[pool.pk]),
        {"partner": partner.pk, "action": "decline", "reason": "No space on that sailing"})

    assert response.status_code == 302
    assert Booking.objects.get(pool=pool).status == "declined"


def test_another_partners_pool_is_a_404_and_nothing_is_booked():
    partner, other = PartnerFactory(), PartnerFactory()
    pool = _pool(other)

    response = _client(_partner_user(partner)).post(
        reverse("pooling:partner-booking", args=[pool.pk]),
        {"partner": partner.pk, "action": "confirm", "reference": "X"})

    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_a_rate_card_csv_is_previewed_against_the_current_version_then_published():
    partner = PartnerFactory()
    user = _partner_user(partner)
    client = _client(user)
    url = reverse("pooling:partner-rate-card-upload")
    client.post(url, {"partner": partner.pk, "file": _csv(template_csv())})
    client.post(reverse("pooling:partner-rate-card-publish"),
                {"partner": partner.pk, "token": client.session["partner_rate_card_preview"]["token"]})
    assert RateCard.objects.filter(partner=partner).count() == 1

    # when a file with a new LCL rate is uploaded
    changed = template_csv().replace("lcl_rate_per_wm,95.00", "lcl_rate_per_wm,99.50")
    preview = client.post(url, {"partner": partner.pk, "file": _csv(changed)})

    # then the preview shows the change against v1, and nothing is stored yet
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Against the current version v1" in html
    assert '<tr class="changed"><td>lcl_rate_per_wm</td><td>95</td><td>99.5</td>' in html
    assert RateCard.objects.filter(partner=partner).count() == 1
    published = client.post(reverse("pooling:partner-rate-card-publish"), {
        "partner": partner.pk, "token": client.session["partner_rate_card_preview"]["token"]})
    assert published.status_code == 302
    latest = RateCard.objects.filter(partner=partner).order_by("-version").first()
    assert latest is not None and (latest.version, str(latest.lcl_rate_per_wm)) == (2, "99.5000")


def test_a_rate_card_xlsx_is_read_like_the_csv():
    from openpyxl import Workbook

    partner = PartnerFactory()
    book = Workbook()
    for row in (line.split(",") for line in template_csv().splitlines()):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)

    response = _client(_partner_user(partner)).post(
        reverse("pooling:partner-rate-card-upload"),
        {"partner": partner.pk, "file": SimpleUploadedFile("card.xlsx", data.getvalue())})

    assert response.status_code == 200
    assert "A new lane" in response.content.decode()


def test_a_bad_rate_card_file_names_the_row_and_stores_nothing():
    partner = PartnerFactory()
    bad = template_csv().replace("lcl_rate_per_wm,95.00", "lcl_rate_per_wm,lots").replace(
        "origin,CNSZX", "origin,XXABC")

    response = _client(_partner_user(partner)).post(
        reverse("pooling:partner-rate-card-upload"), {"partner": partner.pk, "file": _csv(bad)})

    assert response.status_code == 400
    assert "row 9.lcl_rate_per_wm" in response.content.decode()
    assert not RateCard.objects.exists()


def test_the_template_is_offered_for_download():
    response = Client().get(reverse("pooling:partner-rate-card-template"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="rate-card-template.csv"'
    assert response.content.decode().startswith("key,a,b,c,d")


def test_a_partner_offers_capacity_with_field_errors_first():
    partner = PartnerFactory()
    client = _client(_partner_user(partner))
    url = reverse("pooling:partner-capacity")
    body = {"partner": partner.pk, "origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl",
            "departure_date": "2030-03-10", "cutoff_at": "2030-03-12T12:00", "equipment_40HC": "2"}

    refused = client.post(url, body)
    offered = client.post(url, {**body, "cutoff_at": "2030-03-07T12:00"})

    assert refused.status_code == 400
    assert "cut-off is on or before the departure" in refused.content.decode()
    assert offered.status_code == 302
    assert CapacityOffer.objects.get(partner=partner).equipment == {"40HC": 2}


def _lines() -> dict[str, str]:
    return {
        "lines-TOTAL_FORMS": "6", "lines-INITIAL_FORMS": "0",
        "lines-0-charge_code": "FRT-40HC", "lines-0-basis": "per_container",
        "lines-0-quantity": "1", "lines-0-unit_price": "2800.00", "lines-0-amount": "2800.00",
        "lines-0-container": "40HC",
        "lines-1-charge_code": "DOC", "lines-1-basis": "per_shipment", "lines-1-quantity": "1",
        "lines-1-unit_price": "75.00", "lines-1-amount": "75.00",
    }


def test_a_partner_posts_an_invoice_with_lines_and_sees_the_settlement_status():
    partner = PartnerFactory()
    pool = _pool(partner, state=Pool.State.DELIVERED)
    client = _client(_partner_user(partner))
    body = {"partner": partner.pk, "number": "WEB-INV-1", "kind": "invoice", "currency": "USD",
            "issue_date": "2030-03-25", "total": "2875.00", **_lines()}

    with mock.patch("pooling.services.feed_invoices.settlement_enqueue") as enqueue:
        wrong = client.post(reverse("pooling:partner-invoice", args=[pool.pk]),
                            {**body, "total": "9.00"})
        posted = client.post(reverse("pooling:partner-invoice", args=[pool.pk]), body)

    assert wrong.status_code == 400
    assert posted.status_code == 302
    invoice = Invoice.objects.get(partner=partner)
    assert [ln.charge_code for ln in invoice.lines.all()] == ["FRT-40HC", "DOC"]
    enqueue.assert_called_once()
    page = client.get(reverse("pooling:partner-pools"), {"partner": partner.pk}).content.decode()
    assert "Invoice WEB-INV-1 (USD 2,875.00)" in page


def test_the_coordinator_sees_the_pages_for_any_partner():
    partner = PartnerFactory()
    pool = _pool(partner)
    coordinator = UserFactory(is_coordinator=True)

    response = _client(coordinator).get(reverse("pooling:partner-pools"), {"partner": partner.pk})

    assert response.status_code == 200
    assert f'id="pool-{pool.pk}"' in response.content.decode()


def test_the_pools_page_runs_the_same_queries_for_two_pools_or_twelve(django_assert_max_num_queries):
    partner = PartnerFactory()
    client = _client(_partner_user(partner))
    for _ in range(2):
        _pool(partner, state=Pool.State.DELIVERED)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("pooling:partner-pools"), {"partner": partner.pk})
    for _ in range(10):
        _pool(partner, state=Pool.State.INVOICED)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pooling:partner-pools"), {"partner": partner.pk})

    assert response.content.decode().count('id="pool-') == 12
