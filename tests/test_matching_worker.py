"""A run started on the web travels through Redis to a real Celery worker."""

from __future__ import annotations

import time

import pytest

from pooling.models import MatchingRun, Pool
from pooling.services.matching import matching_run_start
from tests.factories import SeaRateCardFactory, ShippingDemandFactory


@pytest.mark.worker
def test_a_started_run_is_executed_by_the_worker_after_commit(celery_worker) -> None:
    # given compatible demands
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()

    # when a run is started (the row commits, then the task is sent)
    run = matching_run_start(trigger=MatchingRun.Trigger.WEB)

    # then the worker claims it and proposes the pool
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (MatchingRun.Status.SUCCEEDED, MatchingRun.Status.FAILED):
            break
        time.sleep(0.2)
    assert (run.status, run.error, run.progress) == ("succeeded", "", 100)
    assert Pool.objects.filter(matching_run=run).count() == 1
