"""The firm dashboard and the coordinator console, assembled from each area's part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.access import coordinator_required

from . import (
    advisor,
    console_pages,
    firm_lists,
    matching,
    needs,
    partner,
    partner_work,
    pools,
    settlement,
)

# The areas of the marketplace: each adds its pages (urls.py), its part of the firm
# dashboard and its part of the coordinator console.
AREAS = (needs, matching, pools, settlement, partner, partner_work, firm_lists, console_pages,
         advisor)


def _context(hook: Callable[[Any], Callable[[HttpRequest], dict[str, Any]]],
             request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for area in AREAS:
        context.update(hook(area)(request))
    return context


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = _context(lambda area: area.dashboard_context, request) if request.firm else {}  # type: ignore[attr-defined]
    return render(request, "pooling/dashboard.html", context)


@coordinator_required
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/console.html", _context(lambda area: area.console_context, request))


def home(request: HttpRequest) -> HttpResponse:
    """Newcomers see what the cooperative does; signed-in people go to their work."""
    user = request.user
    if user.is_authenticated:
        if getattr(request, "firm", None):
            return redirect("pooling:dashboard")
        if getattr(user, "is_coordinator", False):
            return redirect("pooling:console")
        if user.partners.exists():  # type: ignore[union-attr]
            return redirect("pooling:partner-home")
    return render(request, "home.html")
