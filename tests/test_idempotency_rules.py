"""Idempotency keys as the IETF draft and Stripe define them: what consumes a key, what
counts as the same request, and that no stored answer holds a secret."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import IdempotencyRecord, PartnerAPIKey
from pooling.models import ShippingDemand, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _demand(**changes: object) -> dict[str, object]:
    return {"origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl", "gross_kg": "2400",
            "volume_cbm": "9.5", "ready_from": _day(7), "deliver_by": _day(50), **changes}


def test_a_request_that_fails_validation_does_not_consume_its_key(api) -> None:
    refused = api.post("/api/v1/demands/", _demand(gross_kg="-1"), format="json",
                       HTTP_IDEMPOTENCY_KEY="fix-me")
    fixed = api.post("/api/v1/demands/", _demand(), format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    again = api.post("/api/v1/demands/", _demand(), format="json", HTTP_IDEMPOTENCY_KEY="fix-me")

    assert refused.status_code == 400
    assert fixed.status_code == 201, fixed.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert ShippingDemand.objects.count() == 1


def test_unparseable_json_does_not_consume_its_key(api) -> None:
    broken = api.post("/api/v1/demands/", '{"origin": "CN', content_type="application/json",
                      HTTP_IDEMPOTENCY_KEY="k")
    fixed = api.post("/api/v1/demands/", _demand(), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "parse_error"
    assert fixed.status_code == 201
    assert not IdempotencyRecord.objects.filter(response_status=400).exists()


def test_json_differing_only_in_whitespace_and_key_order_replays(api) -> None:
    body = _demand()
    first = api.post("/api/v1/demands/", json.dumps(body), content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="same")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    again = api.post("/api/v1/demands/", reordered, content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="same")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert ShippingDemand.objects.count() == 1


def _csv() -> bytes:
    return (f"origin,destination,mode,gross_kg,volume_cbm,ready_from,deliver_by\n"
            f"CNSZX,USLAX,sea_lcl,100,1,{_day(7)},{_day(50)}\n").encode()


def test_a_csv_import_retried_with_the_same_key_replays_despite_a_new_boundary(api) -> None:
    first = api.post("/api/v1/demands/import/",
                     {"file": SimpleUploadedFile("a.csv", _csv(), "text/csv")},
                     format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")
    # The test client picks the same boundary; a real retry does not: send another one.
    from django.test.client import encode_multipart

    boundary = "AnotherBoundary42"
    body = encode_multipart(boundary, {"file": SimpleUploadedFile("a.csv", _csv(), "text/csv")})
    again = api.post("/api/v1/demands/import/", body,
                     content_type=f"multipart/form-data; boundary={boundary}",
                     HTTP_IDEMPOTENCY_KEY="upload-1")
    other = api.post("/api/v1/demands/import/",
                     {"file": SimpleUploadedFile("a.csv", _csv() + _csv()[-60:], "text/csv")},
                     format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert ShippingDemand.objects.count() == 1


def test_a_replayed_key_creation_does_not_show_the_key_and_nothing_stores_it(
        coordinator_api, partner) -> None:
    url = f"/api/v1/partners/{partner.pk}/keys/"
    first = coordinator_api.post(url, {"name": "feed"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = coordinator_api.post(url, {"name": "feed"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    secret = first.json()["key"]
    assert secret
    assert again.json()["key"] is None
    assert again["Idempotent-Redacted"] == "key"
    record = IdempotencyRecord.objects.get(key="k")
    assert secret not in json.dumps(record.response_body)
    assert secret.split(".")[1] not in json.dumps(record.response_body)
    assert PartnerAPIKey.objects.count() == 1


def test_a_replayed_webhook_registration_does_not_show_the_signing_secret(partner_api) -> None:
    body = {"url": "https://partner.example/hooks"}
    first = partner_api.post("/api/v1/partner/webhooks/", body, format="json",
                             HTTP_IDEMPOTENCY_KEY="hook")
    again = partner_api.post("/api/v1/partner/webhooks/", body, format="json",
                             HTTP_IDEMPOTENCY_KEY="hook")

    assert first.status_code == 201, first.content
    secret = first.json()["secret"]
    assert again.json()["secret"] is None
    assert again.json()["endpoint"] == first.json()["endpoint"]
    assert secret not in json.dumps(IdempotencyRecord.objects.get(key="hook").response_body)
    assert WebhookEndpoint.objects.count() == 1
