"""Demo: match the demo needs on the demo rate cards once, so the console shows proposals.

Loading twice changes nothing: the demo's run is the coordinator's latest
command-triggered run; it is reused unless needs, rate cards, capacity or programmes
were added since it ran (then matching runs once more, proposing only what is new).
"""

from __future__ import annotations

from typing import Any

from pooling.domain.wording import counted
from pooling.models import (
    AdNeed,
    CapacityOffer,
    ChannelProgramme,
    MatchingRun,
    Pool,
    RateCard,
    ShippingDemand,
)
from pooling.services.matching import matching_run_execute, matching_run_start


def _changed_since(run: MatchingRun) -> bool:
    since = run.created_at
    return any(model.objects.filter(created_at__gt=since).exists()
               for model in (ShippingDemand, AdNeed, RateCard, CapacityOffer)) or (
        ChannelProgramme.objects.filter(updated_at__gt=since).exists())


def load(report: Any, ctx: dict[str, Any]) -> None:
    coordinator = ctx["coordinator"]
    run = (
        MatchingRun.objects.filter(trigger=MatchingRun.Trigger.COMMAND, started_by=coordinator,
                                   status=MatchingRun.Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None or _changed_since(run):
        run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, started_by=coordinator,
                                 enqueue=False)
        run = matching_run_execute(run_id=run.pk)
        report.created.append(
            f"matching run #{run.pk}: {run.status}, {counted(run.proposed_count, 'pool')} proposed, "
            f"{counted(len(run.unplaced), 'need')} unplaced"
        )
    ctx["matching_run"] = run
    # Every pool the demo's runs proposed, whatever later sections did with it.
    ctx["proposed_pools"] = list(
        Pool.objects.filter(matching_run__trigger=MatchingRun.Trigger.COMMAND,
                            matching_run__started_by=coordinator).order_by("id")
    )
