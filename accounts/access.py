"""Who may open a page: one decorator per role, one behaviour for all of them.

Anyone not signed in is sent to the login page. A signed-in person without the
role gets a 404, as if the page did not exist (a firm user never learns where the
coordinator console lives; a partner never learns a firm's URLs).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def _role_required(has_role: Callable[[HttpRequest], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def is_coordinator(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_coordinator", False))


def acts_for_firm(request: HttpRequest) -> bool:
    return bool(getattr(request, "firm", None))


coordinator_required = _role_required(is_coordinator)
firm_required = _role_required(acts_for_firm)

__all__ = ["acts_for_firm", "coordinator_required", "firm_required", "is_coordinator"]
