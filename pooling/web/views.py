"""Web pages of the marketplace: firm dashboard and coordinator console."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def coordinator_required(view):  # type: ignore[no-untyped-def]
    return login_required(user_passes_test(lambda u: bool(getattr(u, "is_coordinator", False)))(view))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/dashboard.html", {})


@coordinator_required
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/console.html", {})
