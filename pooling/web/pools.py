"""Pool pages: firms answer invitations, join, leave and follow their pools; coordinators
review, approve, open, lock and cancel them. Every action is a CSRF-protected form post
that redirects back to the pool page; htmx only makes it smoother.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.access import coordinator_required, firm_required
from coop.errors import ApplicationError
from pooling.models import Pool
from pooling.selectors import pools as selectors
from pooling.services import notifications as notification_services
from pooling.services import pools as services

from .charts import savings_charts

# --------------------------------------------------------------------- helpers


def statements_url() -> str:
    try:
        return reverse("pooling:statements")
    except NoReverseMatch:
        return "/statements/"


def nav_links(request: HttpRequest) -> list[dict[str, str]]:
    """The notifications link with the unread count, for the page header."""
    count = selectors.unread_count(user=request.user)
    label = f"Notifications ({count})" if count else "Notifications"
    return [{"url": reverse("pooling:notifications"), "label": label}]


def _back(request: HttpRequest, pool_id: int) -> HttpResponse:
    url = reverse("pooling:pool-detail", args=[pool_id])
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _run(request: HttpRequest, pool_id: int, success: str, action: Callable[[], Any]) -> HttpResponse:
    """Run one service call; its failure becomes a message on the pool page, nothing changed."""
    try:
        action()
    except ApplicationError as exc:
        details = [m for messages_ in exc.fields.values() for m in messages_ if m != exc.message]
        messages.error(request, " ".join([exc.message, *details]))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return _back(request, pool_id)


# ------------------------------------------------------------------- pages


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "is_coordinator", False):
        state = request.GET.get("state") or None
        if state not in (None, *Pool.State.values):
            state = None
        return render(request, "pooling/pools/coordinator_list.html", {
            "pools": selectors.pools_for_coordinator(state=state)[:200], "state": state,
            "states": Pool.State.choices,
        })
    if not request.firm:  # type: ignore[attr-defined]
        raise Http404("No such page.")
    return render(request, "pooling/pools/firm_list.html",
                  _firm_context(request))


def _firm_context(request: HttpRequest) -> dict[str, Any]:
    firm = request.firm  # type: ignore[attr-defined]
    return {
        "pools_invitations": list(selectors.invitations_for_firm(firm=firm)),
        "pools_mine": list(selectors.pools_for_firm(firm=firm)),
        "pools_joinable": selectors.pools_joinable_for_firm(firm=firm),
        "pools_statements_url": statements_url(),
    }


@login_required
def pool_detail(request: HttpRequest, pool_id: int) -> HttpResponse:
    if getattr(request.user, "is_coordinator", False):
        pool = selectors.pool_for_coordinator(pool_id=pool_id)
        return render(request, "pooling/pools/coordinator_detail.html", {
            "pool": pool, "view": selectors.pool_view_for_coordinator(pool=pool),
            "members": selectors.pool_members_for_coordinator(pool=pool),
            "events": list(pool.events.order_by("created_at", "pk")),
            "booking": selectors.booking_for_pool(pool=pool),
            "tracking": selectors.tracking_for_pool(pool=pool),
            "deadline_value": _local_input(pool.join_deadline),
        })
    if not request.firm:  # type: ignore[attr-defined]
        raise Http404("No such pool.")
    firm = request.firm  # type: ignore[attr-defined]
    pool = selectors.pool_for_firm(firm=firm, pool_id=pool_id)
    view = selectors.pool_view_for_firm(pool=pool, firm=firm)
    return render(request, "pooling/pools/firm_detail.html", {
        "pool": pool, "view": view,
        "join_needs": ([] if view.live_own or pool.state != Pool.State.OPEN
                       else selectors.needs_open_for_pool(pool=pool, firm=firm)),
        "timeline": selectors.pool_timeline(pool=pool),
        "booking": selectors.booking_for_pool(pool=pool),
        "tracking": selectors.tracking_for_pool(pool=pool),
        "statements_url": statements_url(),
    })


def _local_input(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


# ------------------------------------------------------------- firm actions


def _firm_pool(request: HttpRequest, pool_id: int) -> Pool:
    return selectors.pool_for_firm(firm=request.firm, pool_id=pool_id)  # type: ignore[attr-defined]


@require_POST
@firm_required
def pool_accept(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = _firm_pool(request, pool_id)
    return _run(request, pool.pk, "You accepted the invitation.", lambda: services.pool_accept(
        pool=pool, firm=request.firm, actor=request.user))  # type: ignore[attr-defined]


def _step_out(request: HttpRequest, pool_id: int, done: str, service: Any) -> HttpResponse:
    """Decline or leave: the firm steps out of a pool, with an optional reason."""
    pool = _firm_pool(request, pool_id)
    return _run(request, pool.pk, done, lambda: service(
        pool=pool, firm=request.firm, actor=request.user,  # type: ignore[attr-defined]
        reason=request.POST.get("reason", "")))


@require_POST
@firm_required
def pool_decline(request: HttpRequest, pool_id: int) -> HttpResponse:
    return _step_out(request, pool_id, "You declined the invitation.", services.pool_decline)


@require_POST
@firm_required
def pool_leave(request: HttpRequest, pool_id: int) -> HttpResponse:
    return _step_out(request, pool_id, "Your firm left the pool.", services.pool_leave)


@require_POST
@firm_required
def pool_join(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = _firm_pool(request, pool_id)
    try:
        need_id = int(request.POST.get("need", ""))
    except ValueError:
        messages.error(request, "Choose one of your open needs to join with.")
        return _back(request, pool.pk)
    return _run(request, pool.pk, "Your firm joined the pool.", lambda: services.pool_join(
        pool=pool, firm=request.firm, actor=request.user, need_id=need_id))  # type: ignore[attr-defined]


# ------------------------------------------------------ coordinator actions


@require_POST
@coordinator_required
def pool_approve(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Pool approved: the members are invited.",
                lambda: services.pool_approve(pool=pool, actor=request.user))


@require_POST
@coordinator_required
def pool_reject(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Pool rejected.", lambda: services.pool_reject(
        pool=pool, actor=request.user, reason=request.POST.get("reason", "")))


@require_POST
@coordinator_required
def pool_open(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Pool open for joining.",
                lambda: services.pool_open(pool=pool, actor=request.user))


@require_POST
@coordinator_required
def pool_lock(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Pool locked: the partner has the booking request.",
                lambda: services.pool_lock(pool=pool, actor=request.user,
                                           reason=request.POST.get("reason", "")))


@require_POST
@coordinator_required
def pool_cancel(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Pool cancelled.", lambda: services.pool_cancel(
        pool=pool, actor=request.user, reason=request.POST.get("reason", "")))


@require_POST
@coordinator_required
def pool_deadline(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    raw = request.POST.get("join_deadline", "")
    when = parse_datetime(raw) if raw else None
    if when is None:
        messages.error(request, "Join deadline: enter a date and time, e.g. 2026-05-01T17:00.")
        return _back(request, pool.pk)
    return _run(request, pool.pk, "Join deadline set.", lambda: services.pool_deadline_set(
        pool=pool, actor=request.user, deadline=when))


@require_POST
@coordinator_required
def pool_member_remove(request: HttpRequest, pool_id: int, member_id: int) -> HttpResponse:
    pool = selectors.pool_for_coordinator(pool_id=pool_id)
    return _run(request, pool.pk, "Member removed; the split is recomputed.",
                lambda: services.pool_member_remove(pool=pool, member_id=member_id,
                                                    actor=request.user,
                                                    reason=request.POST.get("reason", "")))


# ------------------------------------------------------------ notifications


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/pools/notifications.html", {
        "notifications": selectors.notifications_for_user(user=request.user),
    })


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("notification")
    notification_services.notification_mark_read(
        user=request.user, notification_id=int(raw) if raw and raw.isdigit() else None)
    return redirect("pooling:notifications")


urlpatterns = [
    path("pools/", pool_list, name="pools"),
    path("pools/<int:pool_id>/", pool_detail, name="pool-detail"),
    path("pools/<int:pool_id>/accept/", pool_accept, name="pool-accept"),
    path("pools/<int:pool_id>/decline/", pool_decline, name="pool-decline"),
    path("pools/<int:pool_id>/leave/", pool_leave, name="pool-leave"),
    path("pools/<int:pool_id>/join/", pool_join, name="pool-join"),
    path("pools/<int:pool_id>/approve/", pool_approve, name="pool-approve"),
    path("pools/<int:pool_id>/reject/", pool_reject, name="pool-reject"),
    path("pools/<int:pool_id>/open/", pool_open, name="pool-open"),
    path("pools/<int:pool_id>/lock/", pool_lock, name="pool-lock"),
    path("pools/<int:pool_id>/cancel/", pool_cancel, name="pool-cancel"),
    path("pools/<int:pool_id>/deadline/", pool_deadline, name="pool-deadline"),
    path("pools/<int:pool_id>/members/<int:member_id>/remove/", pool_member_remove,
         name="pool-member-remove"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications-read"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """Invitations, the firm's pools, pools it could join, and its savings over time."""
    firm = request.firm  # type: ignore[attr-defined]
    return {
        **_firm_context(request),
        "pools_charts": savings_charts(selectors.savings_by_month(firm=firm)),
    }


def console_context(request: HttpRequest) -> dict[str, Any]:
    """Proposed pools to review, pools by state, open needs and savings over time."""
    return {
        "pools_proposed": selectors.proposed_pools(),
        "pools_by_state": selectors.pool_counts_by_state(),
        "pools_open_needs": selectors.open_need_counts(),
        "pools_charts": savings_charts(selectors.savings_by_month()),
    }


def notifications_nav(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the notifications link with the unread count on every page."""
    if not getattr(request.user, "is_authenticated", False) or not getattr(request.user, "pk", None):
        return {}
    return {"nav_links": nav_links(request)}
