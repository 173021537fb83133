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


def _finished(run: MatchingRun, seconds: float = 90) -> MatchingRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (MatchingRun.Status.SUCCEEDED, MatchingRun.Status.FAILED):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} did not finish: {run.status} {run.stage}")


@pytest.mark.worker
def test_two_workers_share_a_run_cut_into_shards(celery_worker_pair) -> None:
    # given compatible pairs on three origins (three lane groups) and an ad pair on a
    # programme, with shards of about two needs each
    for origin in ("CNSZX", "CNNGB", "VNSGN"):
        SeaRateCardFactory(origin=origin)
        ShippingDemandFactory(origin=origin)
        ShippingDemandFactory(origin=origin)

    # when a run is started on the web
    run = _finished(matching_run_start(trigger=MatchingRun.Trigger.WEB))

    # then it fanned out into one shard per lane group, each matched and saved once,
    # and the chord's callback closed the run with their sum
    assert (run.status, run.error, run.progress) == ("succeeded", "", 100)
    shards = list(run.shards.order_by("number"))
    assert len(shards) == 3
    assert sorted(origin for s in shards for origin, _family in s.lanes) == [
        "CNNGB", "CNSZX", "VNSGN"]
    assert {(s.status, s.proposed_count, s.planned_needs) for s in shards} == {
        ("succeeded", 1, 2)}
    assert all(s.worker and s.peak_memory_mib for s in shards)
    assert run.proposed_count == 3 == Pool.objects.filter(matching_run=run).count()
    assert run.inputs["demands"] == 6 and run.inputs["shards"] == 3
    # and both worker processes took part: each takes one message at a time
    assert len({s.worker for s in shards}) == 2

    # and a shard delivered again changes nothing
    from pooling.services.matching import matching_shard_execute

    again = matching_shard_execute(shard_id=shards[0].pk)
    assert again.status == "succeeded"
    assert Pool.objects.filter(matching_run=run).count() == 3
