"""Matching tasks: fan a queued run out as a chord of shards, and the scheduled run.

`matching_run` claims the run and cuts it into shards, then sends one
`matching_shard` task per shard as a chord whose callback, `matching_run_finish`,
closes the run once every shard has finished. Each task is idempotent: a
redelivered run finds itself claimed, a redelivered shard finds itself finished.
"""

from __future__ import annotations

from celery import chord, shared_task

from pooling.models import MatchingRun
from pooling.services.matching import (
    matching_run_execute,
    matching_run_finish,
    matching_run_plan,
    matching_run_start,
    matching_runs_fail_stuck,
    matching_shard_execute,
)


@shared_task(name="pooling.tasks.matching_run")
def matching_run(run_id: int) -> int:
    """Cut a queued run into shards and send them; return how many were sent."""
    shard_ids = matching_run_plan(run_id=run_id)
    if shard_ids:
        chord(matching_shard.si(shard_id) for shard_id in shard_ids)(
            matching_run_done.si(run_id))
    return len(shard_ids)


@shared_task(name="pooling.tasks.matching_shard")
def matching_shard(shard_id: int) -> str:
    """Match one shard; failures are recorded on the shard, so the chord always closes."""
    return matching_shard_execute(shard_id=shard_id).status


@shared_task(name="pooling.tasks.matching_run_done")
def matching_run_done(run_id: int) -> str:
    return matching_run_finish(run_id=run_id).status


@shared_task(name="pooling.tasks.matching_run_scheduled")
def matching_run_scheduled() -> int:
    """Sweep lost runs and shards, then match once in this worker; return the new run's id."""
    matching_runs_fail_stuck()
    run = matching_run_start(trigger=MatchingRun.Trigger.SCHEDULE, enqueue=False)
    matching_run_execute(run_id=run.pk)
    return run.pk
