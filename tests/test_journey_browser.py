"""The whole journey in headless Chromium: a demand becomes a delivered-to-the-ship pool.

A firm posts a demand on the web; the coordinator runs matching from the console and
approves the proposed pool; the firm sees its invitation with its saving and accepts;
the coordinator locks; the partner confirms the booking and reports the departure
through the feed API; the firm sees both on the pool page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Partner
from pooling.models import Pool, PoolMember
from pooling.services.pools import pool_accept
from tests.conftest import log_in, partner_client
from tests.factories import PartnerFactory, SeaRateCardFactory, ShippingDemandFactory
from tests.factories_feed import transport_event
from tests.factories_pools import firm_with_user, user_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_load_state()


def test_a_demand_travels_from_the_form_to_a_tracked_departure(page, firm_user, firm,
                                                               coordinator):
    # given a sea rate card on CNSZX→USLAX and two other firms' demands on that lane
    partner = PartnerFactory(kind=Partner.Kind.LOGISTICS)
    SeaRateCardFactory(partner=partner)
    others = [firm_with_user() for _ in range(2)]
    for other in others:
        ShippingDemandFactory(firm=other, volume_cbm="8", gross_kg="2000")
    today = timezone.localdate()

    # when the firm posts its own demand through the form
    log_in(page, firm_user.email)
    page.goto("/needs/demands/new/")
    page.fill("input[name=reference]", "PO-7781")
    page.fill("input[name=origin]", "CNSZX")
    page.fill("input[name=destination]", "USLAX")
    page.select_option("select[name=mode]", "sea_lcl")
    page.fill("input[name=gross_kg]", "1800")
    page.fill("input[name=volume_cbm]", "7.5")
    page.fill("input[name=ready_from]", (today + dt.timedelta(days=7)).isoformat())
    page.fill("input[name=deliver_by]", (today + dt.timedelta(days=60)).isoformat())
    page.click("#demand-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    _log_out(page)

    # and the coordinator runs matching from the console and watches it finish
    log_in(page, coordinator.email)
    page.goto("/console/")
    page.get_by_role("button", name=re.compile("run matching", re.I)).click()
    page.wait_for_load_state()
    for _ in range(30):
        if page.locator("#proposed-pools").count():
            break
        page.wait_for_timeout(500)
        page.goto("/console/")
    pool = Pool.objects.get(state=Pool.State.PROPOSED)
    assert pool.members.count() == 3
    row = page.locator("#proposed-pools tr", has_text=str(pool))
    row.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    pool.refresh_from_db()
    assert pool.state == Pool.State.APPROVED
    _log_out(page)
    for other in others:
        pool_accept(pool=pool, firm=other, actor=user_of(other))

    # then the firm sees its invitation with its saving, and accepts
    mine = PoolMember.objects.get(pool=pool, firm=firm)
    log_in(page, firm_user.email)
    page.goto("/dashboard/")
    invitation = page.locator("#invitations tr", has_text=str(pool))
    assert f"USD {mine.projected_saving:,.2f}" in invitation.inner_text()
    assert f"USD {mine.standalone_cost:,.2f}" in invitation.inner_text()
    invitation.get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(rf".*/pools/{pool.pk}/$"))
    assert "You accepted the invitation." in page.content()
    _log_out(page)

    # when the coordinator locks the pool
    log_in(page, coordinator.email)
    page.goto(f"/pools/{pool.pk}/")
    page.locator("#actions").get_by_role("button", name="Lock").click()
    page.wait_for_load_state()
    pool.refresh_from_db()
    assert pool.state == Pool.State.LOCKED
    _log_out(page)

    # and the partner confirms the booking and reports the departure through the feed
    feed = partner_client(partner)
    booked = feed.post(f"/api/v1/partner/pools/{pool.pk}/booking/", {
        "reference": "BAL-BKG-7781", "etd": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        "eta": (timezone.now() + dt.timedelta(days=19)).isoformat()}, format="json")
    assert booked.status_code in (200, 201), booked.content
    departure = transport_event(code="DEPA", booking="BAL-BKG-7781",
                                when=timezone.now().replace(microsecond=0).isoformat())
    departed = feed.post("/api/v1/partner/events/", {"events": [departure]}, format="json")
    assert departed.status_code in (200, 201), departed.content

    # then the firm sees the booking and the departure on the pool page
    log_in(page, firm_user.email)
    page.goto(f"/pools/{pool.pk}/")
    assert "BAL-BKG-7781" in page.locator("#booking").inner_text()
    assert "Departed" in page.locator("#tracking").inner_text()
    assert "In transit" in page.locator("h1").inner_text()
