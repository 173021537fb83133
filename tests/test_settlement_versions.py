"""Settled pools that get further invoices: every version names what it covers, members are
told before and after, the ledger follows the latest version, and the dispute window closes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from pooling.domain.settlement import closing_date
from pooling.models import (
    Account,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Notification,
    Pool,
    PoolEvent,
    Settlement,
    WebhookDelivery,
    WebhookEndpoint,
)
from pooling.selectors.settlement import dispute_window
from pooling.services import transitions
from pooling.services.settlement import settlement_release, settlement_run
from pooling.services.transitions import TransitionError
from tests.conftest import client_for
from tests.factories_settlement import ads_pool, fx, ledger_sums, logistics_pool, member_firm, post_invoice

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/partner/invoices/"


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def net_pool_charge(pool: Pool, firm_id: int) -> dict[str, Decimal]:
    """What the firm's accounts were charged for this pool, net of every reversal."""
    rows = (LedgerEntry.objects.filter(transaction__settlement__pool=pool,
                                       account__kind=Account.Kind.FIRM, account__firm_id=firm_id)
            .values("currency").annotate(total=Sum("amount")))
    return {r["currency"]: r["total"] for r in rows if r["total"] != 0}


def latest_shares(pool: Pool) -> dict[int, dict[str, Decimal]]:
    latest = Settlement.objects.filter(pool=pool).order_by("-version").first()
    assert latest is not None
    return {s.firm_id: {s.billing_currency: s.billing_amount} for s in latest.shares.all()}


def resettle(pool: Pool, lines, **kwargs) -> Settlement:  # type: ignore[no-untyped-def]
    document = post_invoice(pool, lines, **kwargs)
    settlement = settlement_run(pool_id=pool.pk, invoice_id=document.pk)
    assert settlement is not None
    return settlement


def test_each_new_version_names_every_invoice_and_credit_note_it_covers(firm_user, firm):
    # given a settled pool
    pool = logistics_pool([{"cbm": "2", "firm": firm}, {"cbm": "8"}])
    first = post_invoice(pool, [("LCL", "per_wm", "1000.00")], number="INV-1")
    settlement_run(pool_id=pool.pk, invoice_id=first.pk)

    # when the partner sends a further invoice and then a credit note
    resettle(pool, [("DTHC", "per_shipment", "200.00")], number="INV-2")
    third = resettle(pool, [("LCL", "per_wm", "100.00")], kind=Invoice.Kind.CREDIT_NOTE,
                     corrects=first, number="CN-1")

    # then version 3 names all three documents: in the ledger, on the page and in the API
    names = ["Invoice INV-1", "Invoice INV-2", "Credit note CN-1"]
    assert third.version == 3
    assert third.allocation["covers"] == names
    txn = LedgerTransaction.objects.get(settlement=third, reverses__isnull=True)
    assert txn.description == (f"Settlement v3 of pool #{pool.pk} covering Invoice INV-1, "
                               "Invoice INV-2, Credit note CN-1")
    page = browser(firm_user).get(f"/settlements/{third.pk}/").content.decode()
    assert "covers Invoice INV-1, Invoice INV-2, Credit note CN-1" in page
    body = client_for(firm_user).get(f"/api/v1/settlements/{third.pk}/").json()
    assert body["documents"] == names
    statement = client_for(firm_user).get("/api/v1/statements/").json()
    assert [ln["documents"] for ln in statement["lines"] if ln["version"] == 3] == [names]


def test_members_are_told_their_previous_and_new_share_side_by_side():
    # given a settled pool of two firms, one billed in EUR
    fx("USD", "EUR", "0.9")
    usd, eur = member_firm(with_user=True), member_firm("EUR", with_user=True)
    pool = logistics_pool([{"cbm": "2", "firm": usd}, {"cbm": "8", "firm": eur}])
    WebhookEndpoint.objects.create(partner=pool.partner, url="https://partner.example/hooks",
                                   secret="whsec_test")
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")], number="INV-1")
    first = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert first is not None
    Notification.objects.all().delete()

    # when a further invoice settles the pool again
    second = resettle(pool, [("DTHC", "per_shipment", "100.00")], number="INV-2")

    # then each firm is told its own share before and after, and nothing of the other's
    usd_note = Notification.objects.get(firm_id=usd.pk)
    eur_note = Notification.objects.get(firm_id=eur.pk)
    assert usd_note.title == f"Pool #{pool.pk} is settled again (version 2)"
    assert usd_note.body == (
        "Version 2 covers Invoice INV-1, Invoice INV-2 and replaces version 1. "
        "Your share: version 1 USD 200.00 → version 2 USD 220.00.")
    assert eur_note.body == (
        "Version 2 covers Invoice INV-1, Invoice INV-2 and replaces version 1. "
        "Your share: version 1 EUR 720.00 → version 2 EUR 792.00.")
    assert usd_note.url == f"/settlements/{second.pk}/"
    # and the settlement page shows the member its share before and now, side by side
    user = usd.memberships.get().user
    page = browser(user).get(f"/settlements/{second.pk}/").content.decode()
    assert "<th class=\"num\">Before</th><th class=\"num\">Share</th>" in page
    assert "USD 200.00<div class=\"muted small\">version 1</div>" in page
    assert "USD 220.00" in page
    assert "EUR" not in page
    # and the partner's webhook names every document and the version it replaces
    delivery = WebhookDelivery.objects.filter(event_type="settlement.completed").order_by("-pk")[0]
    assert delivery.payload["documents"] == ["INV-1", "INV-2"]
    assert delivery.payload["replaces_version"] == 1


def test_a_firms_net_ledger_charge_for_a_pool_is_its_share_in_the_latest_version():
    # given three firms, one billed in EUR
    fx("USD", "EUR", "0.9")
    firms = [member_firm(), member_firm("EUR"), member_firm()]
    pool = logistics_pool([{"cbm": "3", "firm": firms[0]}, {"cbm": "5", "firm": firms[1]},
                           {"cbm": "11", "firm": firms[2]}])
    first = post_invoice(pool, [("LCL", "per_wm", "1900.00"), ("DOC", "per_shipment", "75.00")],
                         number="INV-1")
    settlement_run(pool_id=pool.pk, invoice_id=first.pk)
    steps = [
        dict(lines=[("DTHC", "per_shipment", "333.33")], number="INV-2"),
        dict(lines=[("LCL", "per_wm", "190.01")], kind=Invoice.Kind.CREDIT_NOTE,
             corrects=first, number="CN-1"),
        dict(lines=[("DEM", "per_shipment", "0.07")], number="INV-3"),
        dict(lines=[("DOC", "per_shipment", "75.00")], kind=Invoice.Kind.CREDIT_NOTE,
             corrects=first, number="CN-2"),
    ]
    for step in [None, *steps]:
        # when the partner sends the next document (after the first, already settled)
        if step is not None:
            resettle(pool, **step)
        # then every firm's net charge for the pool is its share in the latest version
        shares = latest_shares(pool)
        assert {f.pk: net_pool_charge(pool, f.pk) for f in firms} == shares
        assert set(ledger_sums().values()) == {D(0)}
    assert Settlement.objects.filter(pool=pool, status=Settlement.Status.COMPLETED).count() == 1
    assert Settlement.objects.get(pool=pool, version=5).total == D("2043.39")


def test_the_dispute_window_starts_at_the_later_of_arrival_and_last_settlement():
    assert closing_date(arrived_on=dt.date(2026, 1, 10), last_settled_on=dt.date(2026, 1, 5),
                        dispute_days=60) == dt.date(2026, 3, 11)
    assert closing_date(arrived_on=dt.date(2026, 1, 1), last_settled_on=dt.date(2026, 2, 1),
                        dispute_days=60) == dt.date(2026, 4, 2)
    assert closing_date(arrived_on=None, last_settled_on=None, dispute_days=60) is None


def _age(pool: Pool, *, days: int, arrived_days: int | None = None) -> None:
    """Pretend the pool's settlements were posted `days` ago and it arrived `arrived_days` ago."""
    now = timezone.now()
    Settlement.objects.filter(pool=pool).update(completed_at=now - dt.timedelta(days=days))
    if arrived_days is not None:
        PoolEvent.objects.create(pool=pool, action="delivered", from_state="in_transit",
                                 to_state=Pool.State.DELIVERED, actor_label="partner")
        PoolEvent.objects.filter(pool=pool, to_state=Pool.State.DELIVERED).update(
            created_at=now - dt.timedelta(days=arrived_days))


def _invoice_body(pool: Pool, number: str = "INV-LATE", **overrides) -> dict:
    body = {"pool": pool.pk, "number": number, "currency": "USD",
            "issue_date": timezone.localdate().isoformat(), "total": "50.00",
            "lines": [{"charge_code": "DEM", "basis": "per_shipment", "quantity": "1",
                       "unit_price": "50.00", "amount": "50.00"}]}
    body.update(overrides)
    return body


def test_after_the_dispute_window_a_pool_is_closed_and_refuses_invoices(
        partner, partner_api, settings, firm_user, firm):
    # given a pool settled 61 days ago that arrived 70 days ago, with a 60 day window
    settings.SETTLEMENT_DISPUTE_DAYS = 60
    pool = logistics_pool([{"cbm": "2", "firm": firm}, {"cbm": "8"}], partner=partner)
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")], number="INV-1")
    settled = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert settled is not None
    _age(pool, days=61, arrived_days=70)
    closes_on = timezone.localdate() - dt.timedelta(days=1)
    assert dispute_window(pool_id=pool.pk).closed

    # when the partner sends a further invoice, or a credit note
    late = partner_api.post(URL, _invoice_body(pool), format="json")
    credit = partner_api.post(URL, _invoice_body(pool, number="CN-LATE", kind="credit_note",
                                                 corrects="INV-1"), format="json")

    # then both are refused with 409 naming the closing date, and nothing is stored
    for response in (late, credit):
        assert response.status_code == 409, response.content
        assert f"closed on {closes_on.isoformat()}" in response.json()["error"]["message"]
        assert response.json()["error"]["fields"] == {"pool": [f"Closed on {closes_on.isoformat()}."]}
    assert Invoice.objects.filter(pool=pool).count() == 1
    assert InvoiceLine.objects.filter(invoice__pool=pool).count() == 1
    assert Settlement.objects.filter(pool=pool).count() == 1
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED
    # and the settlement page says the pool is closed
    page = browser(firm_user).get(f"/settlements/{settled.pk}/").content.decode()
    assert f"Closed on {closes_on:%-d %b %Y}:" in page
    statement = browser(firm_user).get(
        f"/statements/?from={(timezone.localdate() - dt.timedelta(days=90)).isoformat()}"
    ).content.decode()
    assert f"closed {closes_on:%-d %b %Y}</span>" in statement
    body = client_for(firm_user).get(f"/api/v1/settlements/{settled.pk}/").json()
    assert (body["closes_on"], body["closed"]) == (closes_on.isoformat(), True)


def test_within_the_dispute_window_a_further_invoice_is_taken(partner, partner_api, settings,
                                                              firm_user, firm):
    # given a pool settled 61 days ago that arrived only 10 days ago (arrival counts)
    settings.SETTLEMENT_DISPUTE_DAYS = 60
    pool = logistics_pool([{"cbm": "2", "firm": firm}, {"cbm": "8"}], partner=partner)
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")], number="INV-1")
    settled = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert settled is not None
    _age(pool, days=61, arrived_days=10)
    page = browser(firm_user).get(f"/settlements/{settled.pk}/").content.decode()
    until = timezone.localdate() + dt.timedelta(days=50)
    assert f"Open for further invoices and credit notes until {until:%-d %b %Y}." in page
    body = client_for(firm_user).get(f"/api/v1/settlements/{settled.pk}/").json()
    assert (body["closes_on"], body["closed"]) == (until.isoformat(), False)

    # when the partner sends a further invoice
    response = partner_api.post(URL, _invoice_body(pool), format="json")

    # then it is taken
    assert response.status_code == 201, response.content
    assert Invoice.objects.filter(pool=pool).count() == 2


def test_the_invoice_to_settlement_chain_runs_for_real(partner, partner_api,
                                                       django_capture_on_commit_callbacks):
    # given a delivered pool of two members
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "8"}], partner=partner,
                          state=Pool.State.DELIVERED)

    # when the partner posts its invoice and the transaction's on-commit callbacks run
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = partner_api.post(URL, _invoice_body(pool, number="INV-REAL", total="1000.00",
                                                       lines=[{
                                                           "charge_code": "LCL",
                                                           "basis": "per_wm", "quantity": "10",
                                                           "unit_price": "100.00",
                                                           "amount": "1000.00"}]),
                                    format="json")

    # then the settlement task ran and posted the split
    assert response.status_code == 201, response.content
    assert callbacks
    settlement = Settlement.objects.get(pool=pool)
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.invoice == Invoice.objects.get(number="INV-REAL")
    assert sorted(s.amount for s in settlement.shares.all()) == [D("200.00"), D("800.00")]
    assert LedgerTransaction.objects.filter(settlement=settlement).count() == 1
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED


def test_settlement_moves_the_pool_only_as_the_lifecycle_table_allows(monkeypatch):
    # given a lifecycle that does not let an invoiced pool become settled
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "8"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")])
    monkeypatch.setitem(transitions.ALLOWED, Pool.State.INVOICED, frozenset())

    # when the pool is settled
    with pytest.raises(TransitionError):
        settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then nothing was written
    assert Settlement.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    pool.refresh_from_db()
    assert pool.state == Pool.State.INVOICED


def test_a_released_settlement_over_standalone_says_one_true_thing(coordinator):
    # given a held settlement whose invoice exceeds what the members pay alone
    pool = logistics_pool([{"cbm": "3", "standalone": "500"}, {"cbm": "3", "standalone": "400"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")])
    held = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert held is not None

    # when a coordinator releases it
    released = settlement_release(settlement_id=held.pk, actor=coordinator, reason="Agreed.")

    # then the explanation names who pays more than alone, and never claims nobody does
    members = sorted(pool.members.values_list("pk", flat=True))
    text = " ".join(released.explanation)
    assert "Every member pays no more than its standalone cost" not in text
    assert "no member pays more" not in text.lower()
    assert (f"A coordinator released this settlement with a recorded reason: "
            f"member #{members[0]} pays USD 0.00 more" not in text)
    shares = {s.member_id: s for s in released.shares.all()}
    over = [f"member #{pk} pays USD {(shares[pk].amount - shares[pk].standalone_cost):,.2f} "
            f"more than its standalone cost USD {shares[pk].standalone_cost:,.2f}"
            for pk in members if shares[pk].amount > shares[pk].standalone_cost]
    assert over
    assert (f"A coordinator released this settlement with a recorded reason: "
            f"{', '.join(over)}.") in released.explanation


def test_a_negative_saving_never_shows_in_green(firm_user, firm, coordinator):
    # given a released settlement where the firm pays more than alone
    pool = logistics_pool([{"cbm": "3", "standalone": "500"},
                           {"cbm": "3", "standalone": "400", "firm": firm}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")])
    held = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert held is not None
    settlement_release(settlement_id=held.pk, actor=coordinator, reason="Agreed.")
    share = held.shares.get(firm=firm)
    assert share.saving < 0

    # when the firm opens its statement and the settlement
    statement = browser(firm_user).get("/statements/").content.decode()
    detail = browser(firm_user).get(f"/settlements/{held.pk}/").content.decode()

    # then the negative saving is shown as a loss, never with the saving style
    loss = f"USD {share.saving:,.2f}"
    for page in (statement, detail):
        assert f'<span class="loss">{loss}</span>' in page
        assert f'<span class="saving">{loss}</span>' not in page
    assert f'<span class="loss">Paid USD {-share.saving:,.2f} more</span>' in statement
    assert '<span class="saving">Saved' not in statement


def test_a_settlement_page_never_reveals_other_members_billing_currencies(firm_user, firm):
    # given a settled pool where the other members are billed in EUR and JPY
    fx("USD", "EUR", "0.9")
    fx("USD", "JPY", "150")
    pool = logistics_pool([{"cbm": "2", "firm": firm}, {"cbm": "8", "currency": "EUR"},
                           {"cbm": "5", "currency": "JPY"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1500.00")])
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert settlement is not None

    # when the USD member reads the settlement on the web and over the API
    page = browser(firm_user).get(f"/settlements/{settlement.pk}/").content.decode()
    body = client_for(firm_user).get(f"/api/v1/settlements/{settlement.pk}/").content.decode()

    # then neither names the currencies the other members are billed in
    for text in (page, body):
        assert "EUR" not in text
        assert "JPY" not in text


def test_a_held_settlement_shows_members_no_reason_naming_others(firm_user, firm,
                                                                  coordinator):
    # given a settlement held because no USD→EUR rate exists for another member
    pool = logistics_pool([{"cbm": "2", "firm": firm}, {"cbm": "8", "currency": "EUR"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")])
    held = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert held is not None and held.status == Settlement.Status.HELD

    # when the member and the coordinator read it
    page = browser(firm_user).get(f"/settlements/{held.pk}/").content.decode()
    console = browser(coordinator).get(f"/settlements/{held.pk}/").content.decode()

    body = client_for(firm_user).get(f"/api/v1/settlements/{held.pk}/").json()

    # then the member learns only that it is held; the coordinator sees why
    assert "EUR" not in page
    assert "EUR" not in str(body)
    assert body["hold_reason"] == ("Held for a coordinator's review; your share is posted "
                                   "once it is released.")
    assert body["explanation"] == []
    assert "Held for a coordinator&#x27;s review" in page
    assert "USD→EUR" in console


def test_a_released_ads_settlement_names_who_pays_more_than_alone(coordinator):
    # given an ads pool whose fees make each member pay more than buying alone
    pool = ads_pool([{"spend": "30000.00", "fees": "2400.00"},
                     {"spend": "10000.00", "fees": "800.00"}])
    pool.programme.standalone_fee_percent = D("0")
    pool.programme.save(update_fields=["standalone_fee_percent"])
    held = settlement_run(pool_id=pool.pk)
    assert held is not None and held.status == Settlement.Status.HELD

    # when a coordinator releases it
    released = settlement_release(settlement_id=held.pk, actor=coordinator, reason="Agreed.")

    # then the explanation says who pays how much more, and nothing to the contrary
    assert "Every member pays no more than its standalone cost." not in released.explanation
    members = sorted(pool.members.values_list("pk", flat=True))
    assert (f"A coordinator released this settlement with a recorded reason: member "
            f"#{members[0]} pays USD 2,400.00 more than its standalone cost USD 30,000.00, "
            f"member #{members[1]} pays USD 800.00 more than its standalone cost "
            "USD 10,000.00.") in released.explanation
