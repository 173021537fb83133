"""Reads for the partner feed, always scoped to the calling partner or firm."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from accounts.models import Partner
from pooling.models import (
    CapacityOffer,
    FxRate,
    Invoice,
    Pool,
    RateCard,
    SpendReport,
    TrackingEvent,
    WebhookDelivery,
    WebhookEndpoint,
)


def rate_cards_for_partner(*, partner: Partner) -> QuerySet[RateCard]:
    return RateCard.objects.filter(partner=partner).order_by("origin", "destination", "mode",
                                                             "-version")


def rate_cards_in_force(*, on: date, partner: Partner | None = None) -> QuerySet[RateCard]:
    """Versions that apply on `on`: valid then and not yet superseded."""
    cards = RateCard.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        Q(superseded_from__isnull=True) | Q(superseded_from__gt=on),
        valid_from__lte=on,
    )
    return cards.filter(partner=partner) if partner is not None else cards


def rate_card_in_force(*, partner: Partner, origin: str, destination: str, mode: str,
                       on: date) -> RateCard | None:
    return (rate_cards_in_force(on=on, partner=partner)
            .filter(origin=origin, destination=destination, mode=mode)
            .order_by("-version").first())


def capacity_offers_for_partner(*, partner: Partner) -> QuerySet[CapacityOffer]:
    return CapacityOffer.objects.filter(partner=partner).order_by("departure_date", "id")


def pools_awaiting_booking(*, partner: Partner) -> QuerySet[Pool]:
    return Pool.objects.filter(partner=partner, state=Pool.State.LOCKED).order_by("ship_date", "id")


def tracking_events_for_partner(*, partner: Partner) -> QuerySet[TrackingEvent]:
    return TrackingEvent.objects.filter(partner=partner).order_by("-id")


def tracking_events_for_pool(*, pool: Pool) -> QuerySet[TrackingEvent]:
    return TrackingEvent.objects.filter(pool=pool).order_by("event_datetime", "id")


def invoices_for_partner(*, partner: Partner) -> QuerySet[Invoice]:
    return (Invoice.objects.filter(partner=partner).select_related("corrects")
            .prefetch_related("lines").order_by("-created_at", "-id"))


def spend_reports_for_partner(*, partner: Partner) -> QuerySet[SpendReport]:
    return SpendReport.objects.filter(partner=partner).order_by("-created_at", "-id")


def webhook_endpoints_for_partner(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner).order_by("id")


def webhook_deliveries_for_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("attempts")
            .order_by("-created_at", "-id"))


def fx_rates() -> QuerySet[FxRate]:
    return FxRate.objects.order_by("-as_of", "base", "quote")
