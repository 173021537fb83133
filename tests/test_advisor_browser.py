"""In Chromium: a startup-stage demo firm goes from its advisor page to an ad need posted
in the open pool the advisor suggests."""

from __future__ import annotations

import re

import pytest

from accounts.models import Firm
from pooling import demo
from pooling.demo import DEMO_PASSWORD
from pooling.models import AdNeed, PoolMember
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_startup_firm_follows_its_advice_into_a_suggested_pool(page) -> None:
    demo.load()
    firm = Firm.objects.get(legal_name="Pearl River Home Co")
    needs_before = AdNeed.objects.filter(firm=firm).count()

    log_in(page, "ben@pearl-river-home.demo", DEMO_PASSWORD)
    page.click("header nav >> text=Channel advisor")
    page.wait_for_url("**/advisor/")

    # then the page shows the stage, the concentration and the step with its pool
    assert "Startup" in page.locator("#stage").inner_text()
    assert "HHI 6,800" in page.locator("#concentration-sales").inner_text()
    assert "Amazon holds 80%" in page.locator("#warnings").inner_text()
    step = page.locator("#rec-facebook")
    assert "(stage)" in step.inner_text()
    assert "Unlocks the programme" in step.inner_text()
    assert "Meta ads agency pool" in page.locator("#unlocks").inner_text()

    # when the firm follows the link to post an ad need in the suggested pool
    step.locator("a", has_text=re.compile(r"Post an ad need in pool #\d+")).first.click()
    page.wait_for_url("**/advisor/post/**")
    assert page.input_value("input[name=budget]") == "4500"
    assert page.input_value("select[name=market]") == "US"
    assert page.input_value("select[name=category]") == "home"
    page.click("button[type=submit]")

    # then it lands on the pool page as a member
    page.wait_for_url(re.compile(r".*/pools/\d+/$"))
    assert "your firm joined pool" in page.locator(".messages").inner_text()
    assert "EUR 4,770.00" in page.locator("#my-figures").inner_text()
    assert AdNeed.objects.filter(firm=firm).count() == needs_before + 1
    member = PoolMember.objects.get(firm=firm, pool__programme__channel="meta_ads")
    assert member.status == PoolMember.Status.ACCEPTED
    assert page.url.endswith(f"/pools/{member.pool_id}/")
