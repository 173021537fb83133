"""Which firm a request acts for, and who may do what.

Web requests keep the acting firm in the session (chosen on the web); API calls
name it in the `X-Firm` header, which may be left out by users of one firm only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions, permissions

from .authentication import PartnerPrincipal
from .models import Firm, Membership, Partner

SESSION_KEY = "acting_firm_id"
HEADER = "HTTP_X_FIRM"


def is_person(user: Any) -> bool:
    """A signed-in person, not a partner's API key."""
    return not isinstance(user, PartnerPrincipal) and bool(user.is_authenticated)


def firms_for_user(user: Any) -> Any:
    return Firm.objects.filter(memberships__user=user).order_by("legal_name")


def membership_for(user: Any, firm_id: Any) -> Membership | None:
    try:
        firm_pk = int(firm_id)
    except (TypeError, ValueError):
        return None
    return (
        Membership.objects.select_related("firm")
        .filter(user=user, firm_id=firm_pk)
        .first()
    )


def firm_from_session(request: HttpRequest) -> Firm | None:
    user: Any = request.user
    if not is_person(user):
        return None
    firm_id = request.session.get(SESSION_KEY)
    if firm_id is not None:
        membership = membership_for(user, firm_id)
        if membership:
            return membership.firm
    first = Membership.objects.select_related("firm").filter(user=user).order_by("firm__legal_name").first()
    if first:
        request.session[SESSION_KEY] = first.firm_id
        return first.firm
    return None


def firm_for_api(request: Any) -> Firm | None:
    """The firm named by `X-Firm` (or the user's only firm); raises on a wrong name."""
    user = request.user
    if not is_person(user):
        return None
    named = request.META.get(HEADER)
    if named:
        membership = membership_for(user, named)
        if membership is None:
            raise exceptions.NotFound(f"You are not a member of firm '{named}'.")
        return membership.firm
    memberships = list(Membership.objects.select_related("firm").filter(user=user)[:2])
    if len(memberships) == 1:
        return memberships[0].firm
    if not memberships:
        return None
    # Session-authenticated browsers act for the firm chosen on the web.
    if hasattr(request, "session") and request.session.get(SESSION_KEY):
        return firm_from_session(request)
    raise exceptions.ValidationError(
        {"X-Firm": ["You belong to several firms: name the one you act for in the X-Firm header."]}
    )


def partner_of(request: Any) -> Partner | None:
    user = request.user
    return user.partner if isinstance(user, PartnerPrincipal) else None


class IsFirmUser(permissions.BasePermission):
    """A person acting for one of their firms; sets `request.firm`."""

    message = "This endpoint is for firm users acting for one of their firms."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not is_person(request.user):
            return False
        firm = firm_for_api(request)
        request.firm = firm
        return firm is not None


class IsFirmUserOrCoordinator(permissions.BasePermission):
    """Firm users see their firm's objects; coordinators may read across firms."""

    message = "This endpoint is for firm users and coordinators."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not is_person(user):
            return False
        request.firm = firm_for_api(request) if user.memberships.exists() else None
        return request.firm is not None or bool(user.is_coordinator)


class IsCoordinator(permissions.BasePermission):
    message = "Only coordinators of the cooperative may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_person(request.user) and bool(request.user.is_coordinator)


class IsPartner(permissions.BasePermission):
    """Calls authenticated with a partner API key; sets `request.partner`."""

    message = "This endpoint is for partners authenticated with 'Authorization: Api-Key <key>'."

    def has_permission(self, request: Any, view: Any) -> bool:
        partner = partner_of(request)
        request.partner = partner
        return partner is not None


class IsCoordinatorOrPartner(permissions.BasePermission):
    message = "Only coordinators or partners may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        request.partner = partner_of(request)
        return request.partner is not None or IsCoordinator().has_permission(request, view)
