"""Pages for people who work for a partner: the partner's API keys (issue, revoke), its
webhook endpoints and latest deliveries, and the pools waiting for it to book.

Everything is scoped to the partners the signed-in user belongs to; anyone else gets 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Partner, PartnerAPIKey
from accounts.services import partner_key_create, partner_key_revoke
from coop.errors import ApplicationError
from pooling.selectors.feed import pools_awaiting_booking, webhook_endpoints_for_partner
from pooling.selectors.partner import partner_deliveries_latest, partner_keys, partners_for_user
from pooling.services.feed_events import tracking_events_receive

NEW_KEY_SESSION = "partner_new_key"
KEY_NAME_MAX = PartnerAPIKey._meta.get_field("name").max_length or 50


def _partners(request: HttpRequest) -> Any:
    """The user's partners; a coordinator sees the pages of every partner."""
    if getattr(request.user, "is_coordinator", False):
        return Partner.objects.order_by("name", "pk")
    return partners_for_user(user=request.user)


def _chosen_partner(request: HttpRequest) -> Partner:
    """The partner the page acts for: `partner` (query or form) among the user's, else the
    first by name. A partner the user doesn't belong to is a 404."""
    partners = _partners(request)
    raw = request.POST.get("partner") if request.method == "POST" else request.GET.get("partner")
    if raw:
        try:
            chosen = partners.filter(pk=int(raw)).first()
        except ValueError:
            chosen = None
    else:
        chosen = partners.first()
    if chosen is None:
        raise Http404("No such page.")
    return chosen


def _partner_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, _chosen_partner(request), *args, **kwargs)

    return wrapper


def _home_url(partner: Partner) -> str:
    return f"{reverse('pooling:partner-home')}?partner={partner.pk}"


def _delivery_rows(partner: Partner) -> list[dict[str, Any]]:
    rows = []
    for delivery in partner_deliveries_latest(partner=partner):
        attempts = list(delivery.attempts.all())
        last = attempts[-1] if attempts else None
        rows.append({"delivery": delivery, "last_attempt": last,
                     "last_error": next((a.error for a in reversed(attempts) if a.error), "")})
    return rows


def _home(request: HttpRequest, partner: Partner, *, key_errors: dict[str, Any] | None = None,
          key_name: str = "", status: int = 200) -> HttpResponse:
    context = {
        "partner": partner,
        "partners": _partners(request),
        "keys": partner_keys(partner=partner),
        "endpoints": webhook_endpoints_for_partner(partner=partner),
        "deliveries": _delivery_rows(partner),
        "pools": pools_awaiting_booking(partner=partner),
        "key_errors": key_errors or {},
        "key_name": key_name,
    }
    return render(request, "pooling/partner/home.html", context, status=status)


@require_GET
@_partner_only
def partner_home(request: HttpRequest, partner: Partner) -> HttpResponse:
    return _home(request, partner)


@require_POST
@_partner_only
def partner_key_issue(request: HttpRequest, partner: Partner) -> HttpResponse:
    name = request.POST.get("name", "")
    if len(name.strip()) > KEY_NAME_MAX:
        errors = {"name": [f"Keep the name to {KEY_NAME_MAX} characters."]}
        return _home(request, partner, key_errors=errors, key_name=name, status=400)
    try:
        new = partner_key_create(partner=partner, name=name)
    except ValidationError as exc:
        return _home(request, partner, key_errors=exc.message_dict, key_name=name, status=400)
    request.session[NEW_KEY_SESSION] = {"partner": partner.pk, "name": new.api_key.name,
                                        "prefix": new.api_key.prefix, "key": new.key}
    return redirect(f"{reverse('pooling:partner-key-issued')}?partner={partner.pk}")


@require_GET
@_partner_only
def partner_key_issued(request: HttpRequest, partner: Partner) -> HttpResponse:
    """Shows a newly issued key once: it is taken out of the session as it is shown."""
    issued = request.session.pop(NEW_KEY_SESSION, None)
    if not issued or issued.get("partner") != partner.pk:
        return redirect(_home_url(partner))
    return render(request, "pooling/partner/key_issued.html",
                  {"partner": partner, "issued": issued})


@require_POST
@_partner_only
def partner_key_revoke_view(request: HttpRequest, partner: Partner) -> HttpResponse:
    key_id = request.POST.get("key", "")
    try:
        api_key = partner_key_revoke(partner=partner, key_id=key_id)
    except PartnerAPIKey.DoesNotExist:
        raise Http404("No such key.") from None
    messages.success(request, f"Key “{api_key.name}” ({api_key.prefix}) is revoked.")
    return redirect(_home_url(partner))


MAX_EVENT_FILE = 5 * 1024 * 1024


@require_http_methods(["GET", "POST"])
@_partner_only
def partner_events_upload(request: HttpRequest, partner: Partner) -> HttpResponse:
    """Upload a DCSA 3.0.0 events file (`{"events": [...]}` as published); show the feedback
    per event, exactly as the API answers it."""
    context: dict[str, Any] = {"partner": partner, "errors": {}, "result": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        events: Any = None
        if upload is None:
            context["errors"] = {"file": ["Choose a JSON file of DCSA 3.0.0 events."]}
        elif upload.size and upload.size > MAX_EVENT_FILE:
            context["errors"] = {"file": ["Keep the file under 5 MB (1,000 events)."]}
        else:
            try:
                data = json.loads(upload.read().decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                data = None
            events = data.get("events") if isinstance(data, dict) else data
            if not isinstance(events, list):
                context["errors"] = {"file": ['The file must be JSON: {"events": [Event, ...]} as '
                                              "DCSA Track & Trace 3.0.0 publishes it."]}
        if not context["errors"]:
            try:
                result = tracking_events_receive(partner=partner, events=events)
            except ApplicationError as exc:
                context["errors"] = {"file": [exc.message]}
            else:
                context["result"] = result
        if context["errors"]:
            return render(request, "pooling/partner/events_upload.html", context, status=400)
    return render(request, "pooling/partner/events_upload.html", context)


urlpatterns = [
    path("partner/events/upload/", partner_events_upload, name="partner-events-upload"),
    path("partner/", partner_home, name="partner-home"),
    path("partner/keys/", partner_key_issue, name="partner-key-issue"),
    path("partner/keys/issued/", partner_key_issued, name="partner-key-issued"),
    path("partner/keys/revoke/", partner_key_revoke_view, name="partner-key-revoke"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    return {}
