from typing import Any

from django.http import HttpRequest

from .models import Firm, Partner
from .tenancy import firms_for_user


def acting_firm(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "memberships"):
        return {}
    firm = getattr(request, "firm", None)
    # lazy: read only when the page header asks whether to show the partner link
    my_partners = Partner.objects.filter(users=user.pk).order_by("name")
    return {
        "acting_firm": firm if firm else None,
        # no acting firm means no membership at all, so there is nothing to list
        "my_firms": firms_for_user(user) if firm else Firm.objects.none(),
        "my_partners": my_partners,
    }
