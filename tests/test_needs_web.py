"""The firm's pages for demands and ad needs: plain posts, htmx fragments, the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from pooling.models import AdNeed, ShippingDemand
from tests.factories import AdNeedFactory, ChannelProgrammeFactory, ShippingDemandFactory

pytestmark = pytest.mark.django_db


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def web(firm_user) -> Client:
    client = Client()
    client.force_login(firm_user)
    return client


def _form(**changes: str) -> dict[str, str]:
    data = {"reference": "PO-9", "origin": "CNSZX", "destination": "DEFRA", "mode": "air",
            "gross_kg": "120", "volume_cbm": "0.9", "ready_from": _day(5),
            "deliver_by": _day(20), "incoterm": "FCA", "cargo_class": "general"}
    data.update(changes)
    return data


def test_the_dashboard_lists_the_firms_demands_and_ad_needs_only(web, firm) -> None:
    ShippingDemandFactory(firm=firm, reference="MINE-1")
    ShippingDemandFactory(reference="THEIRS-1")
    AdNeedFactory(firm=firm, programme=ChannelProgrammeFactory(name="DSP pool X"))

    page = web.get("/dashboard/").content.decode()

    assert "MINE-1" in page
    assert "THEIRS-1" not in page
    assert "DSP pool X" in page


def test_a_plain_post_creates_a_demand_and_redirects(web, firm) -> None:
    response = web.post("/needs/demands/new/", _form())

    assert response.status_code == 302
    demand = ShippingDemand.objects.get()
    assert (demand.firm, str(demand.chargeable_kg)) == (firm, "150.000")


def test_htmx_gets_the_form_back_with_inline_errors_and_nothing_is_stored(web) -> None:
    response = web.post("/needs/demands/new/", _form(gross_kg="0", destination="CNSZX"),
                        HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="error-gross_kg"' in page
    assert "Gross weight must be above zero kg; got 0." in page
    assert "The destination must differ from the origin (CNSZX)." in page
    assert not ShippingDemand.objects.exists()


def test_htmx_success_redirects_with_a_header(web) -> None:
    response = web.post("/needs/demands/new/", _form(), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/dashboard/"


def test_package_lines_typed_in_the_form_are_stored(web) -> None:
    response = web.post("/needs/demands/new/", _form(gross_kg="", volume_cbm="",
                                                     lines="10, 60, 40, 40, 12.5\n2,100,100,50,80"))
    assert response.status_code == 302, response.content.decode()
    assert ShippingDemand.objects.get().lines.count() == 2


def test_a_malformed_package_line_is_named(web) -> None:
    response = web.post("/needs/demands/new/", _form(gross_kg="", volume_cbm="", lines="10, 60"))
    assert response.status_code == 400
    assert "Line 1: give 5 numbers" in response.content.decode()
    assert not ShippingDemand.objects.exists()


def test_the_chargeable_weight_follows_the_current_values(web) -> None:
    air = web.post("/needs/demands/chargeable/", {"mode": "air", "gross_kg": "100",
                                                  "volume_cbm": "1.2"}).content.decode()
    express = web.post("/needs/demands/chargeable/", {"mode": "express", "gross_kg": "100",
                                                      "volume_cbm": "1.2"}).content.decode()
    sea = web.post("/needs/demands/chargeable/", {"mode": "sea_lcl", "gross_kg": "2500",
                                                  "volume_cbm": "1.2"}).content.decode()
    empty = web.post("/needs/demands/chargeable/", {"mode": "air"}).content.decode()
    half = web.post("/needs/demands/chargeable/", {"mode": "air", "gross_kg": "100"}).content.decode()

    assert ">200 kg<" in air
    assert ">240 kg<" in express
    assert "2.50 W/M" in sea
    assert "Choose a mode and give weight and volume (or package lines) to see it." in empty
    assert "This field is required." not in empty
    assert "This field is required." in half


def test_a_firm_edits_its_open_demand_but_not_anothers(web, firm) -> None:
    mine = ShippingDemandFactory(firm=firm)
    theirs = ShippingDemandFactory()

    assert web.get(f"/needs/demands/{mine.pk}/").status_code == 200
    assert web.get(f"/needs/demands/{theirs.pk}/").status_code == 404
    assert web.post(f"/needs/demands/{theirs.pk}/withdraw/").status_code == 404
    response = web.post(f"/needs/demands/{mine.pk}/", _form(origin="CNSZX", destination="USLAX",
                                                            mode="sea_lcl"))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.mode, str(mine.revenue_tons)) == ("sea_lcl", "0.900")
    assert theirs.status == "open"


def test_withdraw_on_the_web(web, firm) -> None:
    demand = ShippingDemandFactory(firm=firm)
    assert web.get(f"/needs/demands/{demand.pk}/withdraw/").status_code == 405
    web.post(f"/needs/demands/{demand.pk}/withdraw/")
    demand.refresh_from_db()
    assert demand.status == "withdrawn"


def test_the_import_page_lists_errors_by_row_and_column(web) -> None:
    text = ("origin,destination,mode,gross_kg,volume_cbm,ready_from,deliver_by\n"
            f"CNSZX,USLAX,sea_lcl,-1,4,{_day(3)},{_day(30)}\n")
    response = web.post("/needs/demands/import/", {
        "file": SimpleUploadedFile("d.csv", text.encode(), "text/csv")})

    assert response.status_code == 400
    page = response.content.decode()
    assert "<td>row 2</td><td>gross_kg</td>" in page
    assert not ShippingDemand.objects.exists()


def test_an_ad_need_is_posted_on_the_web(web, firm) -> None:
    programme = ChannelProgrammeFactory(min_flight_days=14)
    data = {"programme": str(programme.pk), "market": "US", "budget": "15000",
            "currency": "USD", "flight_from": _day(10), "flight_to": _day(40),
            "category": "home"}

    short = web.post("/needs/ad-needs/new/", {**data, "flight_to": _day(15)})
    assert "needs at least 14 days" in short.content.decode()
    assert not AdNeed.objects.exists()

    assert web.post("/needs/ad-needs/new/", data).status_code == 302
    assert AdNeed.objects.get().firm == firm
