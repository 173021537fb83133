"""The partner feed's routes that take an object id, for the authorization matrix."""

from __future__ import annotations

from pooling.models import (
    Booking,
    ChannelProgramme,
    Pool,
    PoolMember,
    WebhookDelivery,
    WebhookEndpoint,
)
from pooling.services.feed_events import tracking_events_post
from pooling.services.webhooks import webhook_endpoint_create
from tests.authz import ObjectRoute, Owner, register
from tests.factories import (
    ChannelProgrammeFactory,
    InvoiceFactory,
    PoolFactory,
    PoolMemberFactory,
    SeaRateCardFactory,
)
from tests.factories_feed import transport_event


def _locked_pool(owner: Owner) -> Pool:
    return PoolFactory(rate_card=SeaRateCardFactory(partner=owner.partner),
                       state=Pool.State.LOCKED)


def _pool_state(pool: Pool) -> tuple:
    return (Pool.objects.filter(pk=pool.pk).values("state", "booking_reference").get(),
            Booking.objects.filter(pool=pool).count())


def _endpoint(owner: Owner) -> WebhookEndpoint:
    endpoint = webhook_endpoint_create(partner=owner.partner, url="https://owner.example/").endpoint
    WebhookDelivery.objects.create(endpoint=endpoint, message_id=f"msg_{endpoint.pk}",
                                   event_type="pool.locked", payload={})
    return endpoint


def _member_pool(owner: Owner) -> Pool:
    pool = PoolFactory(rate_card=SeaRateCardFactory(partner=owner.partner),
                       state=Pool.State.BOOKED, booking_reference="AUTHZ-1")
    PoolMemberFactory(pool=pool, demand__firm=owner.firm)
    tracking_events_post(partner=owner.partner, events=[transport_event(booking="AUTHZ-1")])
    return pool


def _endpoint_snapshot(endpoint: WebhookEndpoint) -> tuple:
    return (list(WebhookEndpoint.objects.filter(pk=endpoint.pk).values()),
            WebhookDelivery.objects.filter(endpoint_id=endpoint.pk).count())


register(
    ObjectRoute(
        name="feed rate card detail", method="get",
        path=lambda card: f"/api/v1/partner/rate-cards/{card.pk}/",
        make=lambda owner: SeaRateCardFactory(partner=owner.partner),
        snapshot=lambda card: card.__class__.objects.filter(pk=card.pk).count(),
        owner_kind="partner",
    ),
    ObjectRoute(
        name="feed programme terms", method="put",
        path=lambda programme: f"/api/v1/partner/programmes/{programme.pk}/terms/",
        make=lambda owner: ChannelProgrammeFactory(partner=owner.partner),
        snapshot=lambda programme: ChannelProgramme.objects.filter(pk=programme.pk).values(
            "minimum_spend", "tiers", "management_fee_percent").get(),
        owner_kind="partner",
        body=lambda programme: {"minimum_spend": "1", "management_fee_percent": "1",
                                "tiers": []},
    ),
    ObjectRoute(
        name="feed booking confirm", method="post",
        path=lambda pool: f"/api/v1/partner/pools/{pool.pk}/booking/",
        make=_locked_pool, snapshot=_pool_state, owner_kind="partner",
        body=lambda pool: {"reference": "SNEAKY-1"},
    ),
    ObjectRoute(
        name="feed booking decline", method="post",
        path=lambda pool: f"/api/v1/partner/pools/{pool.pk}/decline/",
        make=_locked_pool,
        snapshot=lambda pool: (_pool_state(pool), pool.events.count()),
        owner_kind="partner",
        body=lambda pool: {"reason": "sneaky"},
    ),
    ObjectRoute(
        name="feed invoice detail", method="get",
        path=lambda invoice: f"/api/v1/partner/invoices/{invoice.pk}/",
        make=lambda owner: InvoiceFactory(pool=PoolFactory(
            rate_card=SeaRateCardFactory(partner=owner.partner))),
        snapshot=lambda invoice: invoice.__class__.objects.filter(pk=invoice.pk).count(),
        owner_kind="partner",
    ),
    ObjectRoute(
        name="feed webhook detail", method="get",
        path=lambda endpoint: f"/api/v1/partner/webhooks/{endpoint.pk}/",
        make=_endpoint, snapshot=_endpoint_snapshot, owner_kind="partner",
    ),
    ObjectRoute(
        name="feed webhook delete", method="delete",
        path=lambda endpoint: f"/api/v1/partner/webhooks/{endpoint.pk}/",
        make=_endpoint, snapshot=_endpoint_snapshot, owner_kind="partner",
    ),
    ObjectRoute(
        name="feed webhook deliveries", method="get",
        path=lambda endpoint: f"/api/v1/partner/webhooks/{endpoint.pk}/deliveries/",
        make=_endpoint, snapshot=_endpoint_snapshot, owner_kind="partner",
    ),
    ObjectRoute(
        name="feed pool events (firm)", method="get",
        path=lambda pool: f"/api/v1/pools/{pool.pk}/events/",
        make=_member_pool,
        snapshot=lambda pool: (pool.tracking_events.count(),
                               PoolMember.objects.filter(pool=pool).count()),
    ),
)
