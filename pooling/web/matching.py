"""Coordinator pages for matching: start a run, watch its progress, read what it proposed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import coordinator_required
from pooling.domain.formats import GroupingRecord
from pooling.models import MatchingRun
from pooling.selectors.console import unplaced_grouped
from pooling.selectors.matching import (
    matching_run_get,
    matching_run_pools,
    matching_run_shards,
    matching_runs_recent,
)
from pooling.selectors.pools import pool_reasons_with_members
from pooling.services.matching import RUN_STAGES, matching_run_start

UNPLACED_SHOWN = 500
POOLS_PER_PAGE = 50
NEED_URLS = {"logistics": "/console/needs/demands/{id}/", "ads": "/console/needs/ad-needs/{id}/"}


def pool_url(pool_id: int) -> str:
    try:
        return reverse("pooling:pool-detail", args=[pool_id])
    except NoReverseMatch:
        return f"/pools/{pool_id}/"


def _run_or_404(run_id: int) -> MatchingRun:
    try:
        return matching_run_get(run_id=run_id)
    except MatchingRun.DoesNotExist:
        raise Http404("No such matching run.") from None


@require_POST
@coordinator_required
def run_start(request: HttpRequest) -> HttpResponse:
    run = matching_run_start(trigger=MatchingRun.Trigger.WEB, started_by=request.user)
    messages.success(request, f"Matching run #{run.pk} started.")
    return redirect("pooling:matching-run-detail", run_id=run.pk)


@require_GET
@coordinator_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(run_id)
    # A large market's run proposes thousands of pools: they are shown a page at a time.
    page = Paginator(matching_run_pools(run=run), POOLS_PER_PAGE).get_page(
        request.GET.get("page"))
    pools = list(page.object_list)
    for pool in pools:
        pool.url = pool_url(pool.pk)  # type: ignore[attr-defined]
        pool.reason_lines = pool_reasons_with_members(  # type: ignore[attr-defined]
            pool, pool.live_members)  # type: ignore[attr-defined]
    unplaced = list(run.unplaced or [])
    return render(request, "pooling/matching/run_detail.html", {
        "pools": pools,
        "page_obj": page,
        "unplaced": unplaced[:UNPLACED_SHOWN],
        "unplaced_groups": unplaced_grouped(unplaced[:UNPLACED_SHOWN], url_for=NEED_URLS),
        "unplaced_hidden": max(0, len(unplaced) - UNPLACED_SHOWN),
        **_progress_context(run, refresh_when_done=True),
    })


def search_rows(record: GroupingRecord | None) -> list[dict[str, Any]]:
    """What the grouping search did, one row per kind matched."""
    if record is None:
        return []
    return [{"kind": kind, "method": found.method, **asdict(found)}
            for kind, found in (("Logistics", record.logistics), ("Ads", record.ads))
            if found is not None]


def _progress_context(run: MatchingRun, *, refresh_when_done: bool) -> dict[str, Any]:
    """What the progress partial shows: stages, shards and how needs were grouped."""
    shards = matching_run_shards(run=run)
    for shard in shards:
        shard.searches = search_rows(GroupingRecord.in_inputs(shard.inputs))  # type: ignore[attr-defined]
    record = GroupingRecord.in_inputs(run.inputs)
    return {"run": run, "refresh_when_done": refresh_when_done, "stages": run_stages(run),
            "shards": shards, "grouping": record, "searches": search_rows(record)}


def run_stages(run: MatchingRun) -> list[tuple[str, str]]:
    """Each stage of a run with whether it is done, under way, failed or still to come."""
    rows: list[tuple[str, str]] = []
    current_found = False
    for k, (name, _at) in enumerate(RUN_STAGES):
        # A stage is done once the run's progress reaches where the next one starts.
        ends = RUN_STAGES[k + 1][1] if k + 1 < len(RUN_STAGES) else None
        if run.status == MatchingRun.Status.SUCCEEDED or (
                ends is not None and run.progress >= ends and ends < 100):
            state = "done"
        elif not current_found and run.status != MatchingRun.Status.QUEUED or name == "queued":
            current_found = True
            state = "failed" if run.status == MatchingRun.Status.FAILED else "under way"
        else:
            state = "to come"
        rows.append((name, state))
    return rows


@require_GET
@coordinator_required
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The small partial htmx polls every second until the run finishes."""
    run = _run_or_404(run_id)
    refresh = request.GET.get("refresh") == "1"
    response = render(request, "pooling/matching/_progress.html",
                      _progress_context(run, refresh_when_done=refresh))
    if refresh and run.status in (MatchingRun.Status.SUCCEEDED, MatchingRun.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response


urlpatterns = [
    path("matching/runs/start/", run_start, name="matching-run-start"),
    path("matching/runs/<int:run_id>/", run_detail, name="matching-run-detail"),
    path("matching/runs/<int:run_id>/progress/", run_progress, name="matching-run-progress"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """Matching adds nothing to the firm dashboard: firms see pools, not runs."""
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    """The latest runs and the form to start one."""
    return {"matching_runs": list(matching_runs_recent())}
