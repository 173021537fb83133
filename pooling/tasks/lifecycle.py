"""The pool lifecycle's periodic job: lock (or cancel) pools whose join deadline passed."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from pooling.services.pools import pool_lock_due, pools_due

log = logging.getLogger(__name__)


@shared_task(name="pooling.tasks.pool_lock_due", ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def pool_lock_due_task(pool_id: int) -> str:
    """Lock or cancel one due pool; a pool already handled is skipped, so reruns are safe."""
    return pool_lock_due(pool_id=pool_id)


@shared_task(name="pooling.tasks.pools_lock_due", ignore_result=True)
def pools_lock_due() -> int:
    """Beat: hand every pool past its join deadline to its own task (one pool, one transaction)."""
    due = pools_due()
    for pool_id in due:
        pool_lock_due_task.delay(pool_id)
    if due:
        log.info("pools past their join deadline: %s", due)
    return len(due)
