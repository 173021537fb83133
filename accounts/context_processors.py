from typing import Any

from django.http import HttpRequest

from .models import Partner, User
from .tenancy import firms_for_user


def acting_firm(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "memberships"):
        return {}
    firm = getattr(request, "firm", None)
    # coordinators work from the console and are offered no partner link
    my_partners = (Partner.objects.filter(users=user).order_by("name")
                   if isinstance(user, User) and not user.is_coordinator
                   else Partner.objects.none())
    return {
        "acting_firm": firm if firm else None,
        "my_firms": firms_for_user(user),
        "my_partners": my_partners,
    }
