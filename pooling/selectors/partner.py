"""Reads for a partner's own web pages, always scoped to one partner."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Partner, PartnerAPIKey
from pooling.models import WebhookDelivery

LATEST_DELIVERIES = 20


def partners_for_user(*, user: Any) -> QuerySet[Partner]:
    if not getattr(user, "is_authenticated", False):
        return Partner.objects.none()
    return Partner.objects.filter(users=user).order_by("name")


def partner_keys(*, partner: Partner) -> QuerySet[PartnerAPIKey]:
    return PartnerAPIKey.objects.filter(partner=partner).order_by("-created", "name")


def partner_deliveries_latest(*, partner: Partner,
                              limit: int = LATEST_DELIVERIES) -> list[WebhookDelivery]:
    """The latest deliveries to any of the partner's endpoints, with their attempts."""
    return list(
        WebhookDelivery.objects.filter(endpoint__partner=partner)
        .select_related("endpoint").prefetch_related("attempts")
        .order_by("-created_at", "-id")[:limit]
    )
