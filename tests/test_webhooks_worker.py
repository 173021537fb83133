"""A real Celery worker delivers a signed webhook to a local receiver."""

from __future__ import annotations

import json
import time

import pytest

from pooling.models import WebhookDelivery
from pooling.services import webhooks
from tests.factories import PartnerFactory
from tests.webhook_receiver import start_receiver


@pytest.mark.worker
def test_the_worker_delivers_a_signed_webhook(celery_worker) -> None:
    # given a partner's endpoint on a local receiver
    receiver = start_receiver()
    try:
        partner = PartnerFactory()
        new = webhooks.webhook_endpoint_create(partner=partner, url=receiver.url)

        # when a settlement completes and the event is emitted (committed at once here)
        delivery, = webhooks.webhook_emit(partner=partner, event_type="settlement.completed",
                                          payload={"pool": 3, "total": "2925.00"})

        # then the worker posts it, signed with the endpoint's secret
        assert receiver.arrived.wait(30), "the worker did not deliver the webhook"
        got = receiver.received[0]
        assert webhooks.verify_signature(new.secret, got.headers, got.body)
        assert json.loads(got.body) == {"type": "settlement.completed",
                                        "timestamp": json.loads(got.body)["timestamp"],
                                        "data": {"pool": 3, "total": "2925.00"}}
        for _ in range(100):
            delivery.refresh_from_db()
            if delivery.status == WebhookDelivery.Status.DELIVERED:
                break
            time.sleep(0.1)
        assert delivery.status == WebhookDelivery.Status.DELIVERED
        assert delivery.attempts.get().status_code == 204
    finally:
        receiver.close()
