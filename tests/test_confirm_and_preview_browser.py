"""In headless Chromium: revoking an API key asks first and the key works until confirmed;
the programme form's tier preview follows the tiers as they are typed, without a page
load; a programme with a minimum and no tiers is offered on the ad-need form and takes a
need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import PartnerAPIKey
from accounts.services import partner_key_create
from pooling.models import AdNeed, ChannelProgramme
from tests.a11y import check_page
from tests.conftest import log_in
from tests.factories import ChannelProgrammeFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"),
              pytest.mark.django_db(transaction=True)]


def test_a_partner_revokes_a_key_only_after_confirming(page) -> None:
    # given a partner user with one active key
    partner = PartnerFactory()
    user = UserFactory()
    partner.users.add(user)
    issued = partner_key_create(partner=partner, name="production feed")
    prefix = issued.api_key.prefix
    log_in(page, user.email)
    page.goto(f"/partner/?partner={partner.pk}")

    # when the partner opens "Revoke…" the page says what stops working, and nothing changed
    page.get_by_text("Revoke…").click()
    confirm = page.locator(f"#revoke-{prefix}")
    assert f"Requests signed with key {prefix}… will be refused" in confirm.inner_text()
    check_page(page, "partner-revoke-confirm", shots=False)
    assert PartnerAPIKey.objects.get(prefix=prefix).revoked is False

    # when it confirms
    confirm.get_by_role("button", name="Yes, revoke production feed").click()
    page.wait_for_load_state()

    # then the key is revoked and the page says so
    assert PartnerAPIKey.objects.get(prefix=prefix).revoked is True
    assert f"({prefix}) is revoked" in page.content()


def test_the_tier_preview_follows_the_tiers_as_they_are_typed(page) -> None:
    coordinator = UserFactory(is_coordinator=True)
    log_in(page, coordinator.email)
    page.goto("/console/programmes/new/")
    page.evaluate("window.samePage = 'yes'")

    # when the coordinator fills in the money terms, the preview appears without a page load
    page.fill("input[name=currency]", "USD")
    page.fill("input[name=minimum_spend]", "10000")
    page.fill("input[name=management_fee_percent]", "6")
    page.fill("input[name=standalone_fee_percent]", "12")
    preview = page.locator("#tier-preview")
    # no tiers: at the minimum the pool pays 10,600 against 11,200 alone (a preview from
    # before the last fee was typed may show first: wait for the one with both fees)
    preview.get_by_text("USD 11,200.00").first.wait_for()
    assert "USD 10,600.00" in preview.inner_text()
    assert "USD 30,300.00" not in preview.inner_text()

    # when it types a second tier, the preview shows it
    page.fill("textarea[name=tiers]", "10000, 2\n30000, 5")
    page.get_by_text("USD 30,300.00").wait_for()
    # at 30,000: 1,500 rebate and 1,800 fee -> 30,300 pooled; alone 5% rebate, 12% fee -> 32,100
    assert "USD 32,100.00" in preview.inner_text()

    # a tier it cannot read is named, not a stale table
    page.fill("textarea[name=tiers]", "10000, 2\n30000")
    page.locator("#tier-preview-problems").wait_for()
    assert "Line 2: give a minimum spend and a percentage" in preview.inner_text()

    # then it was the same page all along, and nothing was saved
    assert page.evaluate("window.samePage") == "yes"
    assert not ChannelProgramme.objects.exists()
    check_page(page, "programme-form-live-preview", shots=False)


def test_a_firm_posts_an_ad_need_on_a_programme_with_a_minimum_and_no_tiers(page, firm_user) -> None:
    # given a programme that has a minimum spend and no tiers
    programme = ChannelProgrammeFactory(name="Google Ads agency pool", channel="google_ads",
                                        business_model="independent_site", tiers=[],
                                        minimum_spend=Decimal("10000"), markets=["US"],
                                        management_fee_percent=Decimal("7"),
                                        standalone_fee_percent=Decimal("12"))
    log_in(page, firm_user.email)
    page.goto("/needs/ad-needs/new/")

    # when the firm picks it and posts a need
    page.select_option("select[name=programme]", str(programme.pk))
    page.select_option("select[name=market]", "US")
    page.fill("input[name=budget]", "6000")
    start = timezone.localdate() + dt.timedelta(days=10)
    page.fill("input[name=flight_from]", start.isoformat())
    page.fill("input[name=flight_to]", (start + dt.timedelta(days=29)).isoformat())
    page.select_option("select[name=category]", "sports")
    page.get_by_role("button", name="Post ad need").click()
    page.wait_for_url("**/dashboard/", timeout=90_000)

    # then it is stored on that programme
    need = AdNeed.objects.get()
    assert need.programme == programme and need.budget == Decimal("6000.00")
    assert "Ad need on Google Ads agency pool posted." in page.content()
