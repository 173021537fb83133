"""In a real browser, the Content-Security-Policy blocks nothing our pages need: no
violation is reported, and what used to be inline script (switching firm) still works."""

from __future__ import annotations

import pytest

from tests.conftest import log_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.csp, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_csp_and_the_firm_switcher_still_submits(page) -> None:
    membership = MembershipFactory(role="owner", firm__legal_name="Harbour Goods Ltd")
    MembershipFactory(user=membership.user, role="owner",
                      firm=FirmFactory(legal_name="Lantern Crafts Ltd"))
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)

    log_in(page, membership.user.email)
    for url in ("/dashboard/", "/pools/", "/needs/demands/new/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto("/dashboard/")
    before = page.locator("h1").inner_text()
    other = "Lantern Crafts Ltd" if before == "Harbour Goods Ltd" else "Harbour Goods Ltd"
    page.select_option("select[name=firm]", label=other)
    page.locator("h1", has_text=other).wait_for()

    assert page.locator("h1").inner_text() == other
    assert [p for p in problems if "Content Security Policy" in p] == []
