"""Coordinator pages for matching: start a run, watch its progress, read what it proposed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import coordinator_required
from pooling.models import MatchingRun
from pooling.selectors.matching import matching_run_get, matching_run_pools, matching_runs_recent
from pooling.services.matching import matching_run_start

UNPLACED_SHOWN = 500


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
    pools = list(matching_run_pools(run=run))
    for pool in pools:
        pool.url = pool_url(pool.pk)  # type: ignore[attr-defined]
    unplaced = list(run.unplaced or [])
    return render(request, "pooling/matching/run_detail.html", {
        "run": run,
        "pools": pools,
        "unplaced": unplaced[:UNPLACED_SHOWN],
        "unplaced_hidden": max(0, len(unplaced) - UNPLACED_SHOWN),
        "refresh_when_done": True,
    })


@require_GET
@coordinator_required
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The small partial htmx polls every second until the run finishes."""
    run = _run_or_404(run_id)
    refresh = request.GET.get("refresh") == "1"
    response = render(request, "pooling/matching/_progress.html",
                      {"run": run, "refresh_when_done": refresh})
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
