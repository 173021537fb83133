"""Matching tasks: run a queued matching run, and the scheduled run beat starts."""

from __future__ import annotations

from celery import shared_task

from pooling.models import MatchingRun
from pooling.services.matching import (
    matching_run_execute,
    matching_run_start,
    matching_runs_fail_stuck,
)


@shared_task(name="pooling.tasks.matching_run")
def matching_run(run_id: int) -> str:
    """Execute a queued run; a redelivered message finds it claimed and does nothing."""
    return matching_run_execute(run_id=run_id).status


@shared_task(name="pooling.tasks.matching_run_scheduled")
def matching_run_scheduled() -> int:
    """Fail runs that got stuck, then match once in this worker; return the new run's id."""
    matching_runs_fail_stuck()
    run = matching_run_start(trigger=MatchingRun.Trigger.SCHEDULE, enqueue=False)
    matching_run_execute(run_id=run.pk)
    return run.pk
