"""Signed webhooks to partners, Standard Webhooks style.

Each message carries `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`,
keyed with the endpoint's secret (`whsec_` + base64 of 32 random bytes; the key
is the decoded bytes). Deliveries are rows: a delivery is claimed by moving its
`next_attempt_at` forward in one UPDATE, so two workers never send it at once;
each attempt is recorded; failures back off exponentially; an endpoint that
fails `WEBHOOK_MAX_FAILURES` times in a row is disabled with the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import Partner
from pooling.models import Pool, PoolMember, WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = ("pool.locked", "pool.cancelled", "settlement.completed")
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600


# ----------------------------------------------------------------- signing


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes,
                     tolerance: int = 300) -> bool:
    """True when a message's signature matches and its timestamp is within `tolerance` s."""
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id", "")
    try:
        timestamp = int(lower.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if not message_id or abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(secret, message_id, timestamp, body).partition(",")[2]
    for candidate in lower.get("webhook-signature", "").split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


# ----------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@transaction.atomic
def webhook_endpoint_create(*, partner: Partner, url: str,
                            event_types: list[str] | None = None) -> NewEndpoint:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": ["Enter an http or https URL."]}) from None
    unknown = sorted(set(event_types or []) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError({"event_types": [
            f"Unknown event type {', '.join(unknown)}; use {', '.join(EVENT_TYPES)}."]})
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(partner=partner, url=url, secret=secret,
                                              event_types=sorted(set(event_types or [])))
    return NewEndpoint(endpoint, secret)


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# ----------------------------------------------------------------- emitting


def webhook_emit(*, partner: Partner, event_type: str,
                 payload: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery per active endpoint of `partner` subscribed to `event_type`, sent on commit."""
    from pooling.tasks.webhooks import webhook_deliver

    now = timezone.now()
    deliveries = [
        WebhookDelivery(endpoint=endpoint, message_id=f"msg_{uuid.uuid4().hex}",
                        event_type=event_type, payload=payload, next_attempt_at=now)
        for endpoint in WebhookEndpoint.objects.filter(partner=partner, is_active=True)
        if not endpoint.event_types or event_type in endpoint.event_types
    ]
    if not deliveries:
        return []
    with transaction.atomic():
        for delivery in deliveries:
            delivery.save()
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: [webhook_deliver.delay(pk) for pk in ids])
    return deliveries


def booking_request_payload(*, pool: Pool) -> dict[str, Any]:
    """What a partner needs to book a locked pool: the lane, dates and each member's load."""
    members = PoolMember.objects.filter(pool=pool, status__in=PoolMember.ACTIVE).select_related(
        "demand")
    return {
        "pool": pool.pk, "kind": pool.kind, "origin": pool.origin,
        "destination": pool.destination, "mode": pool.mode,
        "ship_date": pool.ship_date.isoformat() if pool.ship_date else None,
        "currency": pool.currency, "rate_card": pool.rate_card_id,
        "projected_total": format(pool.projected_total, "f"), "plan": pool.plan,
        "members": [
            {"member": m.pk, "chargeable_kg": format(m.chargeable_kg, "f"),
             "revenue_tons": format(m.revenue_tons, "f"), "volume_cbm": format(m.volume_cbm, "f"),
             "gross_kg": format(m.demand.gross_kg, "f") if m.demand else None,
             "cargo_class": m.demand.cargo_class if m.demand else None,
             "placement": m.placement}
            for m in members
        ],
    }


# ----------------------------------------------------------------- delivering


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0),
                                 BACKOFF_MAX_SECONDS))


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for one attempt; False when it is not due or another worker has it."""
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    return bool(WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=Now(),
    ).update(next_attempt_at=lease))


def webhook_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps({"type": delivery.event_type, "timestamp": delivery.created_at.isoformat(),
                       "data": delivery.payload}, separators=(",", ":"),
                      sort_keys=True).encode()


def webhook_delivery_attempt(*, delivery_id: int) -> datetime | None:
    """Send one due delivery once; return when to try again, or None when it is finished."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        return None
    body = webhook_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json", "User-Agent": "coop-webhooks/1",
        "webhook-id": delivery.message_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, delivery.message_id, timestamp, body),
    }
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        response = requests.post(endpoint.url, data=body, headers=headers,
                                 timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = (f"Redirect to {response.headers.get('Location', '?')} not followed."
                     if 300 <= status_code < 400 else f"HTTP {status_code}")
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, status_code, error, duration_ms)


@transaction.atomic
def _record(delivery: WebhookDelivery, status_code: int | None, error: str,
            duration_ms: int) -> datetime | None:
    WebhookAttempt.objects.create(delivery=delivery, status_code=status_code, error=error,
                                  duration_ms=duration_ms)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    attempts = delivery.attempt_count + 1
    if not error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED, attempt_count=F("attempt_count") + 1,
            next_attempt_at=None)
        if endpoint.consecutive_failures:
            endpoint.consecutive_failures = 0
            endpoint.save(update_fields=["consecutive_failures"])
        return None
    endpoint.consecutive_failures += 1  # the endpoint row is locked above
    fields = ["consecutive_failures"]
    if endpoint.consecutive_failures >= settings.WEBHOOK_MAX_FAILURES:
        endpoint.is_active = False
        endpoint.disabled_reason = (
            f"Disabled on {timezone.now():%Y-%m-%d %H:%M %Z} after "
            f"{endpoint.consecutive_failures} consecutive failed deliveries; last: {error}")
        fields += ["is_active", "disabled_reason"]
    endpoint.save(update_fields=fields)
    give_up = not endpoint.is_active or attempts >= settings.WEBHOOK_MAX_FAILURES
    retry_at = None if give_up else timezone.now() + _backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
        attempt_count=F("attempt_count") + 1, next_attempt_at=retry_at)
    return retry_at


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt time has passed, by the database's clock."""
    return list(WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=Now(),
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
