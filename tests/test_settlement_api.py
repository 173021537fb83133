"""Statements (page, CSV, API) are firm-scoped; coordinators release held settlements."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from pooling.models import LedgerEntry, Notification, Settlement
from pooling.services.settlement import settlement_run
from tests.factories_settlement import fx, logistics_pool, member_firm, post_invoice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def settled(firm):  # type: ignore[no-untyped-def]
    """A settled pool where `firm` (billed in EUR) has a share, next to two other firms."""
    firm.billing_currency = "EUR"
    firm.save(update_fields=["billing_currency"])
    fx("USD", "EUR", "0.9")
    pool = logistics_pool([{"cbm": "2", "firm": firm, "standalone": "300"},
                           {"cbm": "8", "standalone": "900"},
                           {"cbm": "10", "firm": member_firm(with_user=True),
                            "standalone": "1100"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "2000.00")], number="BA-1001")
    return settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_statement_api_lists_only_the_firms_own_shares(api, settled, django_assert_max_num_queries):
    today = timezone.localdate().isoformat()

    with django_assert_max_num_queries(8):
        response = api.get(f"/api/v1/statements/?from={today}&to={today}")

    assert response.status_code == 200
    body = response.json()
    assert [(ln["pool_id"], ln["amount"], ln["billing_currency"], ln["billing_amount"],
             ln["saving"], ln["invoice_number"]) for ln in body["lines"]] == [
        (settled.pool_id, "200.00", "EUR", "180.00", "100.00", "BA-1001")]
    assert body["totals"] == [{"currency": "EUR", "billed": "180.00", "standalone": "270.00",
                               "saving": "90.00"}]


def test_statement_api_of_another_firm_is_empty(other_api, settled):
    response = other_api.get("/api/v1/statements/")

    assert response.status_code == 200
    assert response.json()["lines"] == []


def test_statement_api_rejects_bad_dates_field_by_field(api):
    response = api.get("/api/v1/statements/?from=2026-13-01&to=2026-01-01")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"from"}

    response = api.get("/api/v1/statements/?from=2026-02-01&to=2026-01-01")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"from": ["Must be on or before 'to'."]}


def test_partners_cannot_read_statements(partner_api):
    assert partner_api.get("/api/v1/statements/").status_code in (401, 403)


def test_statement_page_and_csv(firm_user, settled):
    client = browser(firm_user)

    page = client.get("/statements/")
    download = client.get("/statements.csv")

    assert page.status_code == 200
    assert "EUR 180.00" in page.content.decode()
    assert download["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(r["amount"], r["billing_amount"], r["fx_rate"], r["invoice_number"])
            for r in rows] == [("200.00", "180.00", "0.9", "BA-1001")]


def test_statement_page_with_a_bad_date_says_so(firm_user):
    response = browser(firm_user).get("/statements/?from=yesterday")

    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_settlement_detail_shows_a_member_only_its_own_share(api, settled):
    response = api.get(f"/api/v1/settlements/{settled.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert [s["amount"] for s in body["shares"]] == ["200.00"]
    assert body["explanation"]


def test_members_were_notified(settled):
    assert Notification.objects.filter(kind="settlement", pool_id=settled.pool_id).count() == 2


@pytest.fixture
def held(firm):  # type: ignore[no-untyped-def]
    pool = logistics_pool([{"cbm": "2", "firm": firm, "standalone": "100"},
                           {"cbm": "3", "standalone": "100"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "500.00")])
    return settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)


def test_console_shows_held_settlements_with_a_release_form(coordinator, held):
    page = browser(coordinator).get("/console/").content.decode()

    assert "Invoice total USD 500.00 exceeds the members" in page
    assert f'action="/console/settlements/{held.pk}/release/"' in page
    assert 'name="reason"' in page


def test_release_form_without_reason_changes_nothing(coordinator, held):
    response = browser(coordinator).post(f"/console/settlements/{held.pk}/release/",
                                         {"reason": ""}, follow=True)

    assert "Say why this settlement may post despite the hold." in response.content.decode()
    held.refresh_from_db()
    assert held.status == Settlement.Status.HELD
    assert LedgerEntry.objects.count() == 0


def test_release_form_posts_the_settlement(coordinator, held):
    response = browser(coordinator).post(f"/console/settlements/{held.pk}/release/",
                                         {"reason": "Members agreed on the phone."})

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Settlement.Status.COMPLETED
    assert held.override_reason == "Members agreed on the phone."


def test_release_api_for_coordinators(coordinator_api, held):
    refused = coordinator_api.post(f"/api/v1/settlements/{held.pk}/release/", {"reason": ""},
                                   format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "reason": ["Say why this settlement may post despite the hold."]}
    assert LedgerEntry.objects.count() == 0

    response = coordinator_api.post(f"/api/v1/settlements/{held.pk}/release/",
                                    {"reason": "Agreed."}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["override_reason"] == "Agreed."


def test_firms_cannot_release_on_the_web(firm_user, held):
    response = browser(firm_user).post(f"/console/settlements/{held.pk}/release/",
                                       {"reason": "mine"})

    assert response.status_code == 404
    held.refresh_from_db()
    assert held.status == Settlement.Status.HELD


def test_dashboard_shows_the_firms_latest_share(firm_user, settled):
    page = browser(firm_user).get("/dashboard/").content.decode()

    assert 'href="/statements/"' in page
    assert "EUR 180.00" in page
