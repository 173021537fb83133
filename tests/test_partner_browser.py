"""A partner works in the browser: confirms a booking, uploads a rate card and publishes it
after the preview, posts an invoice with its lines."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from pooling.feed.ratecard_file import template_csv
from pooling.models import Booking, Invoice, Pool, RateCard
from tests.conftest import log_in
from tests.factories import PartnerFactory, PoolFactory, SeaRateCardFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"),
              pytest.mark.django_db(transaction=True)]


def _partner_user(partner):  # type: ignore[no-untyped-def]
    user = UserFactory()
    partner.users.add(user)
    return user


def test_a_partner_confirms_a_booking_in_the_browser(page) -> None:
    partner = PartnerFactory()
    pool = PoolFactory(rate_card=SeaRateCardFactory(partner=partner), state=Pool.State.LOCKED)
    log_in(page, _partner_user(partner).email)

    page.goto(f"/partner/pools/?partner={partner.pk}")
    page.click(f"#pool-{pool.pk} >> text=Confirm or decline")
    page.fill("#id_reference", "BROWSER-BKG-1")
    page.fill("#id_etd", "2030-03-01T10:00")
    page.fill("#id_eta", "2030-03-19T08:00")
    page.fill("#id_equipment_40HC", "1")
    page.click("text=Confirm booking")

    assert "is booked as BROWSER-BKG-1" in page.content()
    assert "Booked" in page.locator(f"#pool-{pool.pk}").inner_text()
    assert Booking.objects.get(pool=pool).equipment == {"40HC": 1}


def test_a_partner_uploads_a_rate_card_sees_the_preview_and_publishes(page, tmp_path: Path) -> None:
    partner = PartnerFactory()
    log_in(page, _partner_user(partner).email)
    card = tmp_path / "card.csv"
    card.write_text(template_csv())

    page.goto(f"/partner/rate-cards/upload/?partner={partner.pk}")
    page.set_input_files("#id_file", str(card))
    page.click("text=Preview")

    preview = page.locator("#rate-card-preview").inner_text()
    assert "CNSZX→USLAX sea_lcl" in preview and "A new lane" in preview
    assert not RateCard.objects.filter(partner=partner).exists()
    page.click("#publish")
    assert "Published" in page.content()
    assert RateCard.objects.filter(partner=partner).count() == 1


def test_a_partner_posts_an_invoice_with_lines_in_the_browser(page) -> None:
    partner = PartnerFactory()
    pool = PoolFactory(rate_card=SeaRateCardFactory(partner=partner), state=Pool.State.DELIVERED)
    log_in(page, _partner_user(partner).email)

    page.goto(f"/partner/pools/{pool.pk}/invoice/?partner={partner.pk}")
    page.fill("#id_number", "BROWSER-INV-1")
    page.fill("#id_issue_date", "2030-03-25")
    page.fill("#id_total", "2875.00")
    for prefix, values in (("lines-0", ("FRT-40HC", "per_container", "1", "2800.00", "2800.00")),
                           ("lines-1", ("DOC", "per_shipment", "1", "75.00", "75.00"))):
        code, basis, quantity, price, amount = values
        page.fill(f"#id_{prefix}-charge_code", code)
        page.select_option(f"#id_{prefix}-basis", basis)
        page.fill(f"#id_{prefix}-quantity", quantity)
        page.fill(f"#id_{prefix}-unit_price", price)
        page.fill(f"#id_{prefix}-amount", amount)
    with mock.patch("pooling.services.feed_invoices.settlement_enqueue"):
        page.click("text=Post")
        page.wait_for_url("**/partner/pools/?partner=*")

    assert "Invoice BROWSER-INV-1" in page.locator(f"#pool-{pool.pk}").inner_text()
    assert Invoice.objects.get(partner=partner).lines.count() == 2
