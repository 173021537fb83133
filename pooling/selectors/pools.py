"""Reads of pools, scoped to who asks: a firm sees its own pools and invitations, and
open pools its needs fit; coordinators see every pool.

Other members of a pool are shown to a firm only as counts and totals, never by
name, unless they chose to be named (PoolMember.show_name or Firm.named_in_pools).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from accounts.models import Firm
from pooling.models import (
    AdNeed,
    Booking,
    Notification,
    Pool,
    PoolEvent,
    PoolMember,
    Settlement,
    SettlementShare,
    ShippingDemand,
    TrackingEvent,
)
from pooling.services.pools import ad_need_misfit, demand_misfit

S = Pool.State
HIDDEN_FROM_FIRMS = (S.PROPOSED, S.REJECTED)
BEFORE_LOCK = (S.PROPOSED, S.APPROVED, S.OPEN)
ZERO = Decimal(0)


# ------------------------------------------------------------------ firms


def pools_for_firm(*, firm: Firm) -> QuerySet[Pool]:
    """Pools the firm is or was a member of, once a coordinator approved them."""
    return (Pool.objects.filter(members__firm=firm).exclude(state__in=HIDDEN_FROM_FIRMS)
            .distinct().select_related("programme")
            .prefetch_related(Prefetch("members", queryset=PoolMember.objects.filter(firm=firm),
                                       to_attr="own_members"))
            .order_by("-created_at", "-id"))


def invitations_for_firm(*, firm: Firm) -> QuerySet[PoolMember]:
    """The firm's open invitations: approved or open pools it has not answered yet."""
    return (PoolMember.objects.filter(firm=firm, status=PoolMember.Status.INVITED,
                                      pool__state__in=[S.APPROVED, S.OPEN])
            .select_related("pool", "pool__programme", "demand", "ad_need")
            .order_by("pool__join_deadline", "pool_id", "pk"))


def pools_joinable_for_firm(*, firm: Firm) -> list[tuple[Pool, list[Any]]]:
    """Open pools (deadline not passed) with the firm's open needs that fit each one."""
    demands = list(ShippingDemand.objects.filter(firm=firm, status=ShippingDemand.Status.OPEN))
    needs = list(AdNeed.objects.filter(firm=firm, status=AdNeed.Status.OPEN)
                 .prefetch_related("excluded_firms"))
    if not demands and not needs:
        return []
    lanes = Q(pk__in=[])
    for d in demands:
        lanes |= Q(kind=Pool.Kind.LOGISTICS, origin=d.origin, destination=d.destination)
    for n in needs:
        lanes |= Q(kind=Pool.Kind.ADS, programme_id=n.programme_id, market=n.market)
    pools = (Pool.objects.filter(lanes, state=S.OPEN)
             .filter(Q(join_deadline__isnull=True) | Q(join_deadline__gt=timezone.now()))
             .exclude(members__firm=firm, members__status__in=PoolMember.ACTIVE)
             .select_related("rate_card", "programme").order_by("join_deadline", "pk"))
    out = []
    for pool in pools:
        if pool.kind == Pool.Kind.LOGISTICS:
            fits: list[Any] = [d for d in demands if not demand_misfit(pool, d)]
        else:
            fits = [n for n in needs if not ad_need_misfit(pool, n)]
        if fits:
            out.append((pool, fits))
    return out


def pool_for_firm(*, firm: Firm, pool_id: int) -> Pool:
    """A pool the firm may see, or Http404: its own (once approved) or an open one it fits."""
    pool = (Pool.objects.select_related("rate_card", "programme", "partner")
            .filter(pk=pool_id).first())
    if pool is None or pool.state in HIDDEN_FROM_FIRMS:
        raise Http404("No such pool.")
    if pool.members.filter(firm=firm).exists():
        return pool
    if pool.state == S.OPEN and any(p.pk == pool.pk for p, _ in pools_joinable_for_firm(firm=firm)):
        return pool
    raise Http404("No such pool.")


@dataclass(frozen=True)
class OtherMember:
    name: str
    share: Decimal


@dataclass
class FirmPoolView:
    """One pool as a member firm sees it: its own rows in full, the others as totals."""

    pool: Pool
    own: list[PoolMember]
    others_count: int
    others_share_total: Decimal
    others_standalone_total: Decimal
    named_others: list[OtherMember] = field(default_factory=list)
    own_share: Decimal = ZERO
    own_standalone: Decimal | None = None
    own_saving: Decimal | None = None


def firm_pool_view(*, pool: Pool, firm: Firm) -> FirmPoolView:
    members = list(pool.members.filter(status__in=PoolMember.ACTIVE).select_related("firm")
                   .order_by("pk"))
    own = list(pool.members.filter(firm=firm).select_related("demand", "ad_need").order_by("pk"))
    live_own = [m for m in own if m.status in PoolMember.ACTIVE]
    others = [m for m in members if m.firm_id != firm.pk]
    named = [OtherMember(m.firm.legal_name, m.projected_share) for m in others
             if m.show_name or m.firm.named_in_pools]
    standalone = [m.standalone_cost for m in live_own]
    own_standalone = (sum((s for s in standalone if s is not None), ZERO)
                      if standalone and all(s is not None for s in standalone) else None)
    own_share = sum((m.projected_share for m in live_own), ZERO)
    return FirmPoolView(
        pool=pool, own=own, others_count=len(others),
        others_share_total=sum((m.projected_share for m in others), ZERO),
        others_standalone_total=sum((m.standalone_cost or ZERO for m in others), ZERO),
        named_others=named, own_share=own_share, own_standalone=own_standalone,
        own_saving=(own_standalone - own_share) if own_standalone is not None else None,
    )


def public_reasons(pool: Pool) -> list[str]:
    """The reasons the members fit, without the lines about one firm's figures."""
    return [r for r in pool.reasons if not str(r).startswith("Firm ")]


def pool_timeline(*, pool: Pool) -> list[PoolEvent]:
    """State changes only, with no actor: what a member firm may see of the history."""
    return list(pool.events.exclude(to_state="").order_by("created_at", "pk"))


def booking_for_pool(*, pool: Pool) -> Booking | None:
    return pool.bookings.filter(status=Booking.Status.CONFIRMED).first()


@dataclass(frozen=True)
class TrackingRow:
    event: TrackingEvent
    retracted: bool


def tracking_for_pool(*, pool: Pool) -> list[TrackingRow]:
    """The partner's events for the pool in time order; retracted ones are flagged."""
    events = list(TrackingEvent.objects.filter(pool=pool).order_by("event_datetime", "pk"))
    retracted = {(e.partner_id, e.retracted_event_id) for e in events if e.retracted_event_id}
    return [TrackingRow(e, (e.partner_id, e.event_id) in retracted) for e in events
            if not e.retracted_event_id]


# ----------------------------------------------------------------- coordinators


def pools_for_coordinator(*, state: str | None = None) -> QuerySet[Pool]:
    pools = Pool.objects.select_related("programme", "rate_card", "partner").order_by(
        "-created_at", "-id")
    if state:
        pools = pools.filter(state=state)
    return pools


def pool_for_coordinator(*, pool_id: int) -> Pool:
    pool = (Pool.objects.select_related("programme", "rate_card", "partner")
            .filter(pk=pool_id).first())
    if pool is None:
        raise Http404("No such pool.")
    return pool


def pool_members_for_coordinator(*, pool: Pool) -> list[PoolMember]:
    return list(pool.members.select_related("firm", "demand", "ad_need").order_by("pk"))


def proposed_pools(*, limit: int = 50) -> list[Pool]:
    return list(Pool.objects.filter(state=S.PROPOSED).select_related("programme")
                .prefetch_related(Prefetch("members", queryset=PoolMember.objects.filter(
                    status__in=PoolMember.ACTIVE).select_related("firm").order_by("pk"),
                    to_attr="live_members"))
                .order_by("-created_at", "-id")[:limit])


def pool_counts_by_state() -> dict[str, int]:
    counts = dict(Pool.objects.values_list("state").annotate(n=Count("pk")))
    return {label: counts.get(value, 0) for value, label in S.choices}


def open_need_counts() -> dict[str, int]:
    return {
        "demands": ShippingDemand.objects.filter(status=ShippingDemand.Status.OPEN).count(),
        "ad_needs": AdNeed.objects.filter(status=AdNeed.Status.OPEN).count(),
    }


@dataclass(frozen=True)
class MonthSavings:
    month: date
    currency: str
    projected: Decimal
    realised: Decimal


def savings_by_month(*, firm: Firm | None = None, months: int = 12) -> list[MonthSavings]:
    """Projected savings of live pools (by month created) and realised savings of completed
    settlements (by month completed), per currency; for one firm or the whole cooperative."""
    since = _month_start(months - 1)
    projected: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    realised: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    members = PoolMember.objects.filter(
        status__in=PoolMember.ACTIVE, pool__created_at__date__gte=since,
        projected_saving__isnull=False,
    ).exclude(pool__state__in=[S.REJECTED, S.CANCELLED])
    shares = SettlementShare.objects.filter(
        settlement__status=Settlement.Status.COMPLETED, saving__isnull=False,
        settlement__completed_at__date__gte=since)
    if firm is not None:
        members = members.filter(firm=firm).exclude(pool__state=S.PROPOSED)
        shares = shares.filter(firm=firm)
    for row in (members.annotate(month=TruncMonth("pool__created_at"))
                .values("month", "pool__currency").annotate(total=Sum("projected_saving"))):
        projected[(_as_date(row["month"]), row["pool__currency"])] += row["total"] or ZERO
    for row in (shares.annotate(month=TruncMonth("settlement__completed_at"))
                .values("month", "currency").annotate(total=Sum("saving"))):
        realised[(_as_date(row["month"]), row["currency"])] += row["total"] or ZERO
    keys = sorted(set(projected) | set(realised))
    return [MonthSavings(month, cur, projected[(month, cur)], realised[(month, cur)])
            for month, cur in keys]


def _month_start(back: int) -> date:
    """The first day of the month `back` months before this one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


# ---------------------------------------------------------------- notifications


def notifications_for_user(*, user: Any, limit: int = 100) -> list[Notification]:
    return list(Notification.objects.filter(user=user).select_related("pool")
                .order_by("-created_at", "-id")[:limit])


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
