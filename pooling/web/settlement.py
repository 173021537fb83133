from typing import Any

from django.http import HttpRequest

urlpatterns: list = []


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """What this area adds to the firm dashboard."""
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    """What this area adds to the coordinator console."""
    return {}
