"""The pools section of the demo: one pool ends delivered, one is open, the ads pool approved;
loading twice changes nothing."""

from __future__ import annotations

import pytest

from pooling.demos import pools as demo
from pooling.models import Booking, Notification, Pool, PoolEvent, TrackingEvent
from tests.factories import PartnerFactory, SeaRateCardFactory, UserFactory
from tests.factories_pools import ads_pool, logistics_pool

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (sorted(Pool.objects.values_list("pk", "state", "member_count")),
            PoolEvent.objects.count(), Booking.objects.count(), TrackingEvent.objects.count(),
            Notification.objects.count())


def test_the_demo_moves_pools_along_and_a_second_load_changes_nothing():
    # given four proposed logistics pools and one ads pool, as matching leaves them
    coordinator = UserFactory(is_coordinator=True)
    partner = PartnerFactory()
    logistics = [logistics_pool(rate_card=SeaRateCardFactory(partner=partner)) for _ in range(3)]
    ads = ads_pool()
    report = type("Report", (), {"created": []})()
    ctx = {"coordinator": coordinator, "proposed_pools": [*logistics, ads]}

    demo.load(report, ctx)

    states = {p.pk: p.state for p in Pool.objects.all()}
    assert states[logistics[0].pk] == Pool.State.DELIVERED
    assert ctx["delivered_pool"].pk == logistics[0].pk
    assert states[logistics[1].pk] == Pool.State.OPEN
    assert states[logistics[2].pk] == Pool.State.APPROVED
    assert states[ads.pk] == Pool.State.APPROVED
    assert TrackingEvent.objects.filter(pool=logistics[0]).count() == 10
    assert set(TrackingEvent.objects.filter(pool=logistics[0]).values_list(
        "event_type", flat=True)) == {"SHIPMENT", "TRANSPORT", "EQUIPMENT", "REEFER", "IOT"}

    # when the demo loads again, nothing changes
    before = _state()
    again = {"coordinator": coordinator, "proposed_pools": []}
    demo.load(type("Report", (), {"created": []})(), again)
    assert _state() == before
    assert again["delivered_pool"].pk == logistics[0].pk
