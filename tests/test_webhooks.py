"""Signed webhooks: endpoints, signatures, delivery attempts, backoff and disabling."""

from __future__ import annotations

import base64
import json
import time

import pytest

from pooling.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from pooling.services import webhooks
from pooling.tasks.webhooks import webhooks_sweep
from tests.factories import PartnerFactory
from tests.webhook_receiver import start_receiver

URL = "/api/v1/partner/webhooks/"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def _signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
            "webhook-signature": webhooks.sign(secret, "msg_1", ts, body)}


def test_a_signed_body_verifies() -> None:
    body = b'{"type":"pool.locked"}'

    assert webhooks.verify_signature(SECRET, _signed(body), body)


def test_a_tampered_body_or_signature_fails_verification() -> None:
    body = b'{"type":"pool.locked","data":{"pool":1}}'
    headers = _signed(body)
    forged = {**headers, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}

    assert not webhooks.verify_signature(SECRET, headers, body.replace(b"1", b"2"))
    assert not webhooks.verify_signature(SECRET, forged, body)
    assert not webhooks.verify_signature(webhooks.secret_generate(), headers, body)


def test_an_old_timestamp_fails_verification() -> None:
    body = b"{}"

    assert not webhooks.verify_signature(SECRET, _signed(body, timestamp=int(time.time()) - 301),
                                         body)


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    secret = webhooks.secret_generate()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != webhooks.secret_generate()


@pytest.mark.django_db
def test_the_secret_is_shown_once_at_creation(partner, partner_api) -> None:
    created = partner_api.post(URL, {"url": "https://partner.example/hooks",
                                     "event_types": ["pool.locked"]}, format="json")
    listed = partner_api.get(URL)

    assert created.status_code == 201
    assert created.json()["secret"] == WebhookEndpoint.objects.get().secret
    assert "secret" not in json.dumps(listed.json())


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://partner.example/hooks"}, "url"),
    ({"url": "https://partner.example/", "event_types": ["pool.exploded"]}, "event_types.0"),
])
def test_a_bad_endpoint_is_refused(partner_api, body, field) -> None:
    response = partner_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_partners_delete_their_own_endpoints_only(partner, partner_api, other_partner_api) -> None:
    endpoint = webhooks.webhook_endpoint_create(partner=partner, url="https://a.example/").endpoint

    refused = other_partner_api.delete(f"{URL}{endpoint.pk}/")
    deleted = partner_api.delete(f"{URL}{endpoint.pk}/")

    assert (refused.status_code, deleted.status_code) == (404, 204)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_emit_creates_deliveries_for_active_subscribed_endpoints_only(partner, monkeypatch) -> None:
    monkeypatch.setattr(webhooks.requests, "post", lambda *a, **k: pytest.fail("not on commit"))
    subscribed = webhooks.webhook_endpoint_create(partner=partner, url="https://a.example/",
                                                  event_types=["pool.locked"]).endpoint
    every = webhooks.webhook_endpoint_create(partner=partner, url="https://b.example/").endpoint
    webhooks.webhook_endpoint_create(partner=partner, url="https://c.example/",
                                     event_types=["pool.cancelled"])
    disabled = webhooks.webhook_endpoint_create(partner=partner, url="https://d.example/").endpoint
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(is_active=False)
    webhooks.webhook_endpoint_create(partner=PartnerFactory(), url="https://e.example/")

    deliveries = webhooks.webhook_emit(partner=partner, event_type="pool.locked",
                                       payload={"pool": 7})

    assert {d.endpoint_id for d in deliveries} == {subscribed.pk, every.pk}
    assert all(d.status == "pending" for d in deliveries)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_reaches_the_receiver_signed(partner) -> None:
    receiver = start_receiver()
    try:
        new = webhooks.webhook_endpoint_create(partner=partner, url=receiver.url)

        delivery, = webhooks.webhook_emit(partner=partner, event_type="pool.cancelled",
                                          payload={"pool": 9, "reason": "too few members"})

        got, = receiver.received
        assert webhooks.verify_signature(new.secret, got.headers, got.body)
        assert json.loads(got.body)["data"] == {"pool": 9, "reason": "too few members"}
        assert got.headers["webhook-id"] == delivery.message_id
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempt_count) == ("delivered", 1)
        assert WebhookAttempt.objects.get().status_code == 204
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)
def test_a_redirect_is_not_followed_and_counts_as_a_failure(partner) -> None:
    receiver = start_receiver()
    receiver.status, receiver.location = 302, "http://127.0.0.1:9/elsewhere"
    try:
        webhooks.webhook_endpoint_create(partner=partner, url=receiver.url)

        delivery, = webhooks.webhook_emit(partner=partner, event_type="pool.locked", payload={})

        assert len(receiver.received) == 1
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.attempt_count == 1
        assert delivery.next_attempt_at is not None
        attempt = WebhookAttempt.objects.get()
        assert attempt.status_code == 302
        assert "not followed" in attempt.error
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)
def test_repeated_failures_back_off_then_disable_the_endpoint(partner, settings) -> None:
    settings.WEBHOOK_MAX_FAILURES = 3
    receiver = start_receiver()
    receiver.status = 500
    try:
        endpoint = webhooks.webhook_endpoint_create(partner=partner, url=receiver.url).endpoint
        delivery, = webhooks.webhook_emit(partner=partner, event_type="pool.locked", payload={})
        waits = []
        for _ in range(2):
            delivery.refresh_from_db()
            waits.append(delivery.next_attempt_at)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=delivery.next_attempt_at.replace(year=2000))
            assert webhooks_sweep() == 1

        delivery.refresh_from_db()
        endpoint.refresh_from_db()
        assert len(receiver.received) == 3
        assert (delivery.status, delivery.attempt_count) == ("failed", 3)
        assert not endpoint.is_active
        assert "3 consecutive failed deliveries; last: HTTP 500" in endpoint.disabled_reason
        assert WebhookAttempt.objects.count() == 3
        assert webhooks_sweep() == 0
        assert webhooks.webhook_emit(partner=partner, event_type="pool.locked", payload={}) == []
    finally:
        receiver.close()


@pytest.mark.django_db
def test_a_delivery_that_is_not_due_is_not_sent(partner, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(webhooks.requests, "post", lambda *a, **k: calls.append(a))
    endpoint = webhooks.webhook_endpoint_create(partner=partner, url="https://a.example/").endpoint
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, message_id="msg_x",
                                              event_type="pool.locked", payload={},
                                              next_attempt_at="2999-01-01T00:00:00Z")

    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert webhooks_sweep() == 0
    assert calls == []


@pytest.mark.django_db
def test_partners_see_deliveries_and_attempts_of_their_endpoints(partner, partner_api,
                                                                 other_partner_api) -> None:
    endpoint = webhooks.webhook_endpoint_create(partner=partner, url="https://a.example/").endpoint
    WebhookDelivery.objects.create(endpoint=endpoint, message_id="msg_y",
                                   event_type="pool.locked", payload={"pool": 1})

    mine = partner_api.get(f"{URL}{endpoint.pk}/deliveries/")
    theirs = other_partner_api.get(f"{URL}{endpoint.pk}/deliveries/")

    assert [d["message_id"] for d in mine.json()["results"]] == ["msg_y"]
    assert theirs.status_code == 404


@pytest.mark.django_db
def test_the_booking_request_carries_the_lane_and_each_members_load(partner) -> None:
    from tests.factories_feed import booked_pool

    pool = booked_pool(partner, reference="", state="locked")

    payload = webhooks.booking_request_payload(pool=pool)

    assert (payload["pool"], payload["origin"], payload["destination"]) == (
        pool.pk, "CNSZX", "USLAX")
    assert [m["gross_kg"] for m in payload["members"]] == ["2000.000", "2000.000"]
    assert json.loads(json.dumps(payload)) == payload


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_that_asks_for_it_also_gets_dcsas_notification_signature(partner) -> None:
    import hashlib
    import hmac

    receiver = start_receiver()
    try:
        dcsa = webhooks.webhook_endpoint_create(partner=partner, url=receiver.url,
                                                dcsa_signature=True)
        webhooks.webhook_emit(partner=partner, event_type="pool.cancelled", payload={"pool": 9})

        got, = receiver.received
        key = base64.b64decode(dcsa.secret.removeprefix("whsec_"))
        expected = "sha256=" + hmac.new(key, got.body, hashlib.sha256).hexdigest()
        assert got.headers["Notification-Signature"] == expected
        assert webhooks.verify_signature(dcsa.secret, got.headers, got.body)
    finally:
        receiver.close()


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_by_default_gets_no_dcsa_signature(partner) -> None:
    receiver = start_receiver()
    try:
        webhooks.webhook_endpoint_create(partner=partner, url=receiver.url)
        webhooks.webhook_emit(partner=partner, event_type="pool.cancelled", payload={"pool": 9})

        got, = receiver.received
        assert "Notification-Signature" not in got.headers
    finally:
        receiver.close()
