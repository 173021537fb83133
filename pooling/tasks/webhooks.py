"""Webhook delivery: one attempt per task run; the sweeper re-sends what is due."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from pooling.services.webhooks import webhook_deliveries_due, webhook_delivery_attempt


@shared_task(name="pooling.tasks.webhook_deliver", ignore_result=True)
def webhook_deliver(delivery_id: int) -> None:
    retry_at = webhook_delivery_attempt(delivery_id=delivery_id)
    if retry_at is not None:
        webhook_deliver.apply_async((delivery_id,), eta=max(retry_at, timezone.now()))


@shared_task(name="pooling.tasks.webhooks_sweep", ignore_result=True)
def webhooks_sweep() -> int:
    due = webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
