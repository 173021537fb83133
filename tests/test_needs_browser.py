"""In Chromium: a firm user posts a shipping demand through the form and sees it listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pooling.models import ShippingDemand
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_firm_posts_a_demand_sees_the_chargeable_weight_and_the_listing(page, firm_user) -> None:
    today = timezone.localdate()
    log_in(page, firm_user.email)
    page.goto("/dashboard/")
    page.click("text=Post a shipping demand")

    page.fill("input[name=reference]", "PO-BROWSER-1")
    page.fill("input[name=origin]", "CNSZX")
    page.fill("input[name=destination]", "DEFRA")
    page.select_option("select[name=mode]", "air")
    page.fill("input[name=gross_kg]", "100")
    page.fill("input[name=volume_cbm]", "1.2")
    # then the chargeable weight appears while typing
    page.wait_for_function(
        "document.querySelector('#chargeable-kg').textContent.trim() === '200 kg'")

    # when a bad date is posted, the error shows inline and nothing is stored
    page.fill("input[name=ready_from]", (today + dt.timedelta(days=10)).isoformat())
    page.fill("input[name=deliver_by]", (today + dt.timedelta(days=5)).isoformat())
    page.click("button[type=submit]")
    page.locator("#error-deliver_by").wait_for()
    assert "is before ready from" in page.locator("#error-deliver_by").inner_text()
    assert not ShippingDemand.objects.exists()

    page.fill("input[name=deliver_by]", (today + dt.timedelta(days=30)).isoformat())
    page.click("button[type=submit]")

    page.wait_for_url("**/dashboard/", timeout=90_000)  # the dashboard is slow on a loaded CI box
    row = page.locator("#demands tbody tr").first
    assert "PO-BROWSER-1" in row.inner_text()
    assert "CNSZX → DEFRA" in row.inner_text()
    assert "200" in row.inner_text()
    assert ShippingDemand.objects.get().chargeable_kg == 200
