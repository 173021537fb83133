"""Each role walks its pages in headless Chromium on the demo cooperative, with the network
closed: axe-core finds no serious or critical violation on any page visited, and every main
page is saved as a screenshot at a desktop and a phone width (test-artifacts/screenshots/).
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Partner
from pooling.models import (
    AdNeed,
    ChannelProgramme,
    FxRate,
    MatchingRun,
    RateCard,
    Settlement,
    ShippingDemand,
)
from tests.a11y import SCREENSHOTS, block_outside, check_page
from tests.conftest import log_in
from tests.factories_feed import sea_card_body

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DEMO_PASSWORD = "pool-together-2026"


@pytest.fixture
def demo(transactional_db):  # type: ignore[no-untyped-def]
    call_command("demo", stdout=StringIO())


def _nav(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def test_a_coordinator_walks_every_console_page(page, live_server, demo):
    refused = block_outside(page, live_server.url)
    log_in(page, "coordinator@demo.coop", DEMO_PASSWORD)
    page.goto("/console/")
    check_page(page, "console")

    # the programme catalogue: create one with tiers after previewing them
    _nav(page, "Programmes")
    assert "Amazon DSP managed service (demo figures)" in page.content()
    check_page(page, "programmes")
    page.get_by_role("link", name="New programme").click()
    page.fill("input[name=name]", "eBay Promoted Listings pool")
    page.select_option("select[name=channel]", "ebay_pl")
    page.select_option("select[name=business_model]", "marketplace")
    page.fill("input[name=markets]", "US, GB")
    page.fill("input[name=currency]", "USD")
    page.fill("input[name=minimum_spend]", "10000")
    page.fill("textarea[name=tiers]", "10000, 2\n30000, 5")
    page.fill("input[name=management_fee_percent]", "6")
    page.fill("input[name=standalone_fee_percent]", "12")
    page.get_by_role("button", name="Preview the tiers").click()
    page.wait_for_load_state()
    preview = page.locator("#tier-preview").inner_text()
    # at 30,000: 1,500 rebate and 1,800 fee -> 30,300 pooled; alone 5% rebate, 12% fee -> 32,100
    assert "USD 30,300.00" in preview and "USD 32,100.00" in preview
    assert not ChannelProgramme.objects.filter(name="eBay Promoted Listings pool").exists()
    check_page(page, "programme-form")
    page.get_by_role("button", name="Create programme").click()
    page.wait_for_url(re.compile(r".*/console/programmes/$"))
    assert ChannelProgramme.objects.get(name="eBay Promoted Listings pool").tiers[1] == {
        "min_spend": "30000.00", "rebate_percent": "5.000"}

    # partners: add one, issue its key, and see the rate card it uploads with that key
    _nav(page, "Partners")
    check_page(page, "partners")
    page.fill("#partner-form input[name=name]", "Harbour Line Forwarding")
    page.select_option("#partner-form select[name=kind]", "logistics")
    page.locator("#partner-form").get_by_role("button", name="Add partner").click()
    page.wait_for_url(re.compile(r".*/console/partners/\d+/$"))
    page.fill("input[name=name]", "production feed")
    page.get_by_role("button", name="Issue a key").click()
    key = page.locator("#new-key").inner_text().strip()
    partner = Partner.objects.get(name="Harbour Line Forwarding")
    feed = APIClient()
    feed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    uploaded = feed.post("/api/v1/partner/rate-cards/",
                         sea_card_body(origin="VNSGN", destination="USLGB"), format="json")
    assert uploaded.status_code == 201, uploaded.content
    page.goto(f"/console/partners/{partner.pk}/")
    assert "VNSGN → USLGB" in page.content()
    assert RateCard.objects.filter(partner=partner).count() == 1
    check_page(page, "partner-detail")
    demo_partner = Partner.objects.get(name="Blue Anchor Logistics (demo)")
    page.goto(f"/console/partners/{demo_partner.pk}/")
    assert page.locator("table.rate-card-versions td.changed").count() > 0
    check_page(page, "partner-rate-card-versions", shots=True)

    # FX rates: post one and find it in the history
    _nav(page, "FX rates")
    page.fill("#fx-form input[name=base]", "EUR")
    page.fill("#fx-form input[name=quote]", "GBP")
    page.fill("#fx-form input[name=rate]", "0.8575")
    page.locator("#fx-form").get_by_role("button", name="Post rate").click()
    page.wait_for_load_state()
    assert "EUR/GBP" in page.locator("#fx-rates").inner_text()
    assert FxRate.objects.filter(base="EUR", quote="GBP").exists()
    check_page(page, "fx-rates")

    # matching: start a run, read its stages, figures and unplaced needs by reason
    _nav(page, "Matching runs")
    check_page(page, "matching-runs")
    page.get_by_role("button", name=re.compile("run matching", re.I)).click()
    page.wait_for_url(re.compile(r".*/matching/runs/\d+/$"))
    page.wait_for_selector(".stage-done")
    first_run = MatchingRun.objects.order_by("pk").first()
    assert first_run is not None
    page.goto(f"/matching/runs/{first_run.pk}/")
    assert first_run.unplaced, "the demo's first run leaves some needs unplaced"
    groups = page.locator("details.unplaced-group")
    assert groups.count() > 0
    text = page.locator("main").inner_text()
    for row in first_run.unplaced[:5]:
        model = ShippingDemand if row["kind"] == "logistics" else AdNeed
        assert model.objects.get(pk=row["need_id"]).firm.legal_name in text
    check_page(page, "matching-run")

    # held settlements: see the split, then release with a reason
    _nav(page, "Held settlements")
    held = Settlement.objects.get(status=Settlement.Status.HELD)
    card = page.locator("section.card", has_text=str(held.pool))
    split = card.locator("table").inner_text()
    assert "Lisboa Ceramics Lda" in split and "Osaka Beauty KK" in split
    check_page(page, "held-settlements")
    card.locator("textarea[name=reason]").fill("Partner's surcharge confirmed in writing.")
    card.get_by_role("button", name="Release and post").click()
    page.wait_for_url(re.compile(r".*/console/settlements/held/$"))
    assert "released and posted" in page.content()
    held.refresh_from_db()
    assert held.status == Settlement.Status.COMPLETED
    assert held.override_reason == "Partner's surcharge confirmed in writing."

    # the pool's audit trail names the release
    page.goto(f"/console/pools/{held.pool_id}/audit/")
    assert "settlement_released" in page.locator("#audit").inner_text()
    check_page(page, "pool-audit")

    # and the API docs render from our own files with the network closed
    _nav(page, "API docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Exporters' Cooperative API" in page.locator(".swagger-ui .info .title").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "api-docs-desktop.png"))
    page.goto("/api/redoc/")
    page.wait_for_selector("#redoc-container h1, redoc h1", timeout=30_000)
    # ReDoc's bundle always asks for its maker's logo; offline the image is simply left out
    assert [url for url in refused if not url.endswith("/redoc/logo-mini.svg")] == []


def test_a_firm_filters_exports_and_reads_its_savings_and_notifications(page, live_server, demo):
    refused = block_outside(page, live_server.url)
    log_in(page, "carla@lisboa-ceramics.demo", DEMO_PASSWORD)
    check_page(page, "dashboard")

    # demands: filter, sort, export the filtered list
    _nav(page, "Demands")
    check_page(page, "demands")
    page.select_option("select[name=status]", ["open"])
    page.select_option("select[name=sort]", "ready_from")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    rows = page.locator("#demands tbody tr")
    assert rows.count() == 1 and "DEMO-SEA-03" in rows.first.inner_text()
    assert "1 demand matches the filters" in page.locator("#demand-count").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = open(download.value.path(), encoding="utf-8").read().splitlines()  # noqa: SIM115
    assert exported[0].startswith("id,reference,origin,destination,mode")
    assert len(exported) == 2 and "DEMO-SEA-03" in exported[1]
    check_page(page, "demands-filtered")

    # withdrawing asks first
    page.locator("#demands details.confirm summary").first.click()
    assert "Matching will no longer place it; if it is in a pool that has not locked, it " \
           "leaves that pool" in page.locator("#demands details.confirm").first.inner_text()

    _nav(page, "Ad needs")
    check_page(page, "ad-needs")
    page.get_by_role("link", name="Post an ad need").click()
    # only the markets the programmes serve (a dozen at most), not every country
    market_options = page.locator("select[name=market] option").all_inner_texts()
    assert "United States (US)" in " ".join(market_options)
    assert len(market_options) < 30
    check_page(page, "ad-need-form")

    # savings: a chart with axes and values, and the table behind it
    _nav(page, "Savings")
    chart = page.locator("svg.chart").first
    assert chart.get_attribute("role") == "img"
    assert page.locator("svg.chart text").count() > 5
    assert "Pool #" in page.locator("table[id^=savings-pools]").first.inner_text()
    check_page(page, "savings")

    # notifications, with the unread count, and the e-mail choices
    page.locator("header nav").get_by_role("link", name=re.compile(r"^Notifications")).click()
    page.wait_for_load_state()
    check_page(page, "notifications")
    page.goto("/notifications/email/")
    page.get_by_label("Locked").uncheck()
    page.get_by_role("button", name="Save e-mail choices").click()
    page.wait_for_load_state()
    assert "E-mail choices saved." in page.content()
    assert not page.get_by_label("Locked").is_checked()
    check_page(page, "email-choices")
    assert refused == []
