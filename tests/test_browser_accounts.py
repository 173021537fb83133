import pytest

from accounts.models import Firm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_signs_up_and_lands_on_the_firm_dashboard(page) -> None:
    page.goto("/")
    page.click("text=Join the cooperative")
    page.fill("input[name=full_name]", "Mei Wong")
    page.fill("input[name=email]", "mei@example.com")
    page.fill("input[name=password]", "harbour-lights-42")
    page.fill("input[name=legal_name]", "Wong Trading Ltd")
    page.select_option("select[name=country]", "HK")
    page.select_option("select[name=billing_currency]", "USD")
    page.select_option("select[name=growth_stage]", "startup")
    page.click("button[type=submit]")

    page.wait_for_url("**/dashboard/")
    assert page.locator("h1").inner_text() == "Wong Trading Ltd"
    assert Firm.objects.get().legal_name == "Wong Trading Ltd"
