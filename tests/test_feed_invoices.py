"""Partner invoices and credit notes: they add up, are stored once, and hand pools to settlement."""

from __future__ import annotations

from unittest import mock

import pytest

from pooling.models import Invoice, InvoiceLine, Pool, PoolEvent
from tests.factories import InvoiceFactory
from tests.factories_feed import booked_pool

URL = "/api/v1/partner/invoices/"


def _body(pool: Pool, **overrides) -> dict:
    body = {
        "pool": pool.pk, "number": "BAL-2025-0001", "currency": "USD",
        "issue_date": "2025-03-25", "total": "2925.00",
        "lines": [
            {"charge_code": "FRT-40HC", "description": "Sea freight 1 x 40HC",
             "basis": "per_container", "quantity": "1", "unit_price": "2800.00",
             "amount": "2800.00", "container": "40HC"},
            {"charge_code": "DOC", "basis": "per_shipment", "quantity": "1",
             "unit_price": "75.00", "amount": "75.00"},
            {"charge_code": "BAF", "basis": "percentage", "quantity": "10", "unit_price": "5.00",
             "amount": "50.00", "applies_to": "DOC"},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def enqueued():
    with mock.patch("pooling.services.feed_invoices.settlement_enqueue") as spy:
        yield spy


@pytest.mark.django_db
def test_an_invoice_moves_a_delivered_pool_to_invoiced_and_enqueues_settlement(
        partner, partner_api, enqueued) -> None:
    pool = booked_pool(partner, state=Pool.State.DELIVERED)

    response = partner_api.post(URL, _body(pool), format="json")

    assert response.status_code == 201
    invoice = Invoice.objects.get()
    assert [line.line_no for line in invoice.lines.all()] == [1, 2, 3]
    pool.refresh_from_db()
    assert pool.state == Pool.State.INVOICED
    enqueued.assert_called_once_with(pool_id=pool.pk, invoice_id=invoice.pk)


@pytest.mark.django_db
def test_the_same_invoice_posted_again_is_stored_once(partner, partner_api, enqueued) -> None:
    pool = booked_pool(partner, state=Pool.State.DELIVERED)

    first = partner_api.post(URL, _body(pool), format="json")
    again = partner_api.post(URL, _body(pool), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Invoice.objects.count() == 1
    assert enqueued.call_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", [
    ({"total": "2900.00"}, "total"),
    ({"lines": [{"charge_code": "DOC", "basis": "per_shipment", "quantity": "2",
                 "unit_price": "75.00", "amount": "75.00"}], "total": "75.00"}, "lines.0.amount"),
    ({"lines": [{"charge_code": "BAF", "basis": "percentage", "quantity": "10",
                 "unit_price": "5.00", "amount": "50.00", "applies_to": "FRT"}],
      "total": "50.00"}, "lines.0.applies_to"),
    ({"lines": [{"charge_code": "DOC", "basis": "per_pallet", "quantity": "1",
                 "unit_price": "75.00", "amount": "75.00"}], "total": "75.00"}, "lines.0.basis"),
    ({"lines": []}, "lines"),
    ({"currency": "XXQ"}, "currency"),
])
def test_an_invoice_that_does_not_add_up_is_refused_and_changes_nothing(
        partner, partner_api, enqueued, change, field) -> None:
    pool = booked_pool(partner, state=Pool.State.DELIVERED)

    response = partner_api.post(URL, _body(pool, **change), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED
    enqueued.assert_not_called()


@pytest.mark.django_db
def test_an_invoice_for_another_partners_pool_is_refused(partner, partner_api, enqueued) -> None:
    from tests.factories import PartnerFactory

    pool = booked_pool(PartnerFactory(), state=Pool.State.DELIVERED)

    response = partner_api.post(URL, _body(pool), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"pool": [f"No pool #{pool.pk} is assigned to you."]}
    assert not Invoice.objects.exists()
    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED


@pytest.mark.django_db
def test_an_invoice_before_delivery_is_a_conflict(partner, partner_api, enqueued) -> None:
    pool = booked_pool(partner, state=Pool.State.IN_TRANSIT)

    response = partner_api.post(URL, _body(pool), format="json")

    assert response.status_code == 409
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_a_credit_note_reopens_a_settled_pool_and_enqueues_resettlement(
        partner, partner_api, enqueued) -> None:
    pool = booked_pool(partner, state=Pool.State.SETTLED)
    original = InvoiceFactory(pool=pool, partner=partner, number="BAL-1", total="2925.00")
    body = _body(pool, number="BAL-1-CN", kind="credit_note", corrects="BAL-1", total="75.00",
                 lines=[{"charge_code": "DOC", "basis": "per_shipment", "quantity": "1",
                         "unit_price": "75.00", "amount": "75.00"}])

    response = partner_api.post(URL, body, format="json")

    assert response.status_code == 201
    note = Invoice.objects.get(number="BAL-1-CN")
    assert note.corrects == original and response.json()["corrects"] == "BAL-1"
    pool.refresh_from_db()
    assert pool.state == Pool.State.INVOICED
    assert PoolEvent.objects.filter(pool=pool, action="credit_note").count() == 1
    enqueued.assert_called_once_with(pool_id=pool.pk, invoice_id=note.pk)


@pytest.mark.django_db
def test_a_credit_note_must_name_an_invoice_of_the_pool(partner, partner_api, enqueued) -> None:
    pool = booked_pool(partner, state=Pool.State.SETTLED)

    response = partner_api.post(URL, _body(pool, kind="credit_note", corrects="NOPE"),
                                format="json")

    assert response.status_code == 400
    assert "corrects" in response.json()["error"]["fields"]
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_partners_read_only_their_own_invoices(partner, partner_api, other_partner_api,
                                               enqueued, django_assert_max_num_queries) -> None:
    pool = booked_pool(partner, state=Pool.State.DELIVERED)
    created = partner_api.post(URL, _body(pool), format="json").json()

    with django_assert_max_num_queries(6):
        mine = partner_api.get(URL)

    assert [i["number"] for i in mine.json()["results"]] == ["BAL-2025-0001"]
    assert other_partner_api.get(URL).json()["results"] == []
    assert other_partner_api.get(f"{URL}{created['id']}/").status_code == 404
