"""Settlement tasks: settle one pool after its invoice commits, and sweep what was missed."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from pooling.services.settlement import settlement_run, settlements_sweep


@shared_task(name="pooling.tasks.settle_pool", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def settle_pool(pool_id: int, invoice_id: int | None = None) -> int | None:
    """Settle `pool_id` once; safe to run again (a redelivery settles nothing new)."""
    settlement = settlement_run(pool_id=pool_id, invoice_id=invoice_id)
    return settlement.pk if settlement else None


@shared_task(name="pooling.tasks.settlements_sweep", acks_late=True, reject_on_worker_lost=True)
def settlements_sweep_task() -> int:
    """Settle invoiced pools that a lost message or a crashed worker left unsettled."""
    return settlements_sweep()
