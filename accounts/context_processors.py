from typing import Any

from django.http import HttpRequest

from .tenancy import firms_for_user


def acting_firm(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "memberships"):
        return {}
    firm = getattr(request, "firm", None)
    return {
        "acting_firm": firm if firm else None,
        "my_firms": firms_for_user(user),
    }
