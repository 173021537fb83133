"""Reads of pools, scoped to who asks: a firm sees its own pools and invitations, and
open pools its needs fit; coordinators see every pool.

Other members of a pool are shown to a firm only as counts and totals, never by
name, unless they chose to be named (PoolMember.show_name or Firm.named_in_pools).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Firm
from coop.errors import NotFound
from pooling import adapters
from pooling.domain import fit, wording
from pooling.domain.ad_matching import flight_days
from pooling.domain.units import Mode
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

S = Pool.State
HIDDEN_FROM_FIRMS = (S.PROPOSED, S.REJECTED)
ZERO = Decimal(0)


# ------------------------------------------------------------------ fit


def _slot(pool: Pool) -> fit.ConsolidationSlot:
    card = pool.rate_card
    return fit.ConsolidationSlot(
        origin=pool.origin, destination=pool.destination, mode=Mode(pool.mode),
        accepted_classes=frozenset(card.allowed_cargo_classes or ["general"]) if card is not None
        else fit.MIXABLE_CLASSES,
        ship_date=pool.ship_date, transit_days=card.transit_days if card is not None else 0)


def _shape(demand: ShippingDemand) -> fit.DemandShape:
    return fit.DemandShape(origin=demand.origin, destination=demand.destination,
                           mode=Mode(demand.mode), cargo_class=demand.cargo_class,
                           ready_from=demand.ready_from, deliver_by=demand.deliver_by)


def pooled_need_ids(*, demands: Any = (), ad_needs: Any = ()) -> tuple[set[int], set[int]]:
    """Which of these demands and ad needs a live pool already holds: one query per kind."""
    live = PoolMember.objects.filter(status__in=PoolMember.ACTIVE)
    demand_ids = [d.pk for d in demands]
    need_ids = [n.pk for n in ad_needs]
    return (set(live.filter(demand_id__in=demand_ids).values_list("demand_id", flat=True))
            if demand_ids else set(),
            set(live.filter(ad_need_id__in=need_ids).values_list("ad_need_id", flat=True))
            if need_ids else set())


def demand_misfit(pool: Pool, demand: ShippingDemand, *, pooled: set[int] | None = None) -> str:
    """Why a shipping demand cannot join a logistics pool, or "" when it fits.

    `pooled`: the ids of demands a live pool holds (see `pooled_need_ids`), when the
    caller checks many demands at once.
    """
    if pool.kind != Pool.Kind.LOGISTICS:
        return "this pool buys advertising, not freight."
    if demand.status != ShippingDemand.Status.OPEN:
        return f"the demand is {demand.get_status_display().lower()}, not open."
    if pooled is None:
        pooled = pooled_need_ids(demands=[demand])[0]
    if demand.pk in pooled:
        return "the demand is already in another pool."
    return fit.demand_misfit(_shape(demand), _slot(pool))


def ad_need_misfit(pool: Pool, need: AdNeed, *, pooled: set[int] | None = None) -> str:
    """Why an ad need cannot join an ads pool, or "" when it fits."""
    if pool.kind != Pool.Kind.ADS:
        return "this pool ships freight, not advertising."
    if need.status != AdNeed.Status.OPEN:
        return f"the ad need is {need.get_status_display().lower()}, not open."
    if pooled is None:
        pooled = pooled_need_ids(ad_needs=[need])[1]
    if need.pk in pooled:
        return "the ad need is already in another pool."
    if need.programme_id != pool.programme_id or need.market != pool.market:
        return "it buys another programme or market."
    if need.currency != pool.currency:
        return f"it budgets in {need.currency}, the pool in {pool.currency}."
    programme = pool.programme
    assert programme is not None  # noqa: S101
    if pool.flight_from and pool.flight_to:
        start, end = max(pool.flight_from, need.flight_from), min(pool.flight_to, need.flight_to)
        if flight_days(start, end) < programme.min_flight_days:
            return (f"its flight overlaps the pool's for fewer than {programme.min_flight_days} "
                    "days.")
    others = list(pool.members.filter(status__in=PoolMember.ACTIVE).select_related(
        "ad_need").prefetch_related(
        "ad_need__excluded_firms"))
    member_firms = {m.firm_id for m in others}
    if member_firms & {f.pk for f in need.excluded_firms.all()}:
        return "your firm excludes a member of this pool."
    if any(need.firm_id in {f.pk for f in m.ad_need.excluded_firms.all()}
           for m in others if m.ad_need):
        return "a member of this pool does not pool with your firm."
    if programme.category_exclusive and any(
            m.ad_need and m.ad_need.category == need.category for m in others):
        return "a member of this pool sells in the same category."
    return ""




def needs_open_for_pool(*, pool: Pool, firm: Firm) -> list[Any]:
    """The firm's open needs that fit this open pool, for the join form."""
    if pool.kind == Pool.Kind.LOGISTICS:
        demands = ShippingDemand.objects.filter(
            firm=firm, status=ShippingDemand.Status.OPEN, origin=pool.origin,
            destination=pool.destination).exclude(
            Q(pool_memberships__status__in=PoolMember.ACTIVE))
        return [d for d in demands if not demand_misfit(pool, d, pooled=set())]
    needs = AdNeed.objects.filter(firm=firm, status=AdNeed.Status.OPEN,
                                  programme_id=pool.programme_id, market=pool.market).exclude(
        Q(pool_memberships__status__in=PoolMember.ACTIVE)).prefetch_related("excluded_firms")
    return [n for n in needs if not ad_need_misfit(pool, n, pooled=set())]


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
    pooled_demands, pooled_needs = pooled_need_ids(demands=demands, ad_needs=needs)
    out = []
    for pool in pools:
        if pool.kind == Pool.Kind.LOGISTICS:
            fits: list[Any] = [d for d in demands
                               if not demand_misfit(pool, d, pooled=pooled_demands)]
        else:
            fits = [n for n in needs if not ad_need_misfit(pool, n, pooled=pooled_needs)]
        if fits:
            out.append((pool, fits))
    return out


def pool_for_firm(*, firm: Firm, pool_id: int) -> Pool:
    """A pool the firm may see, or NotFound: its own (once approved) or an open one it fits.

    The one rule for every page and API answer about a firm's pool.
    """
    pool = (Pool.objects.select_related("rate_card", "programme", "partner")
            .filter(pk=pool_id).first())
    if pool is None or pool.state in HIDDEN_FROM_FIRMS:
        raise NotFound("No such pool.")
    if pool.members.filter(firm=firm).exists():
        return pool
    if pool.state == S.OPEN and needs_open_for_pool(pool=pool, firm=firm):
        return pool
    raise NotFound("No such pool.")


@dataclass(frozen=True)
class OtherMember:
    name: str
    share: Decimal


@dataclass
class PoolView:
    """One pool as one audience may see it; the API and the pages both render this.

    Every word a page says about the pool's money and state is derived here, from the
    pool row and its one stored plan: the header dates, whether the pool still
    qualifies, whether a member gains access to a programme, and whether a share is
    projected or the actual share of the latest settlement.

    Audiences: "member" (the firm has or had a member row), "invitee" (a firm looking
    at an open pool it could join), "coordinator" (everything).
    """

    pool: Pool
    audience: str
    plan: dict[str, Any]
    reasons: list[str]
    problems: list[str]
    qualifies: bool
    arrival: date | None
    own: list[PoolMember] = field(default_factory=list)
    live_own: list[PoolMember] = field(default_factory=list)
    own_share: Decimal = ZERO
    share_is_actual: bool = False
    own_standalone: Decimal | None = None
    own_saving: Decimal | None = None
    access_gained: bool = False
    others_count: int = 0
    others_share_total: Decimal = ZERO
    others_standalone_total: Decimal = ZERO
    named_others: list[OtherMember] = field(default_factory=list)
    settlement: Settlement | None = None

    @property
    def is_member(self) -> bool:
        return bool(self.live_own) or self.share_is_actual

    @property
    def share_label(self) -> str:
        return "Your share" if self.share_is_actual else "Your projected share"

    @property
    def pool_saving(self) -> Decimal:
        return self.pool.standalone_total - self.pool.projected_total

    @property
    def invited(self) -> bool:
        return any(m.status == PoolMember.Status.INVITED for m in self.live_own)

    @property
    def can_leave(self) -> bool:
        return bool(self.live_own) and self.pool.state in (S.APPROVED, S.OPEN)

    def api(self) -> dict[str, Any]:
        """What the API answers for this audience, beside the pool's own fields."""
        data: dict[str, Any] = {"reasons": self.reasons, "plan": self.plan,
                                "qualifies": self.qualifies}
        if self.audience == "coordinator":
            data["problems"] = self.problems
            data["others"] = None
            return data
        data["others"] = {"count": self.others_count, "share_total": self.others_share_total,
                          "standalone_total": self.others_standalone_total,
                          "named": [o.name for o in self.named_others]}
        data["own"] = {"share": self.own_share, "share_is_actual": self.share_is_actual,
                       "standalone_cost": self.own_standalone, "saving": self.own_saving,
                       "access_gained": self.access_gained}
        return data


def _arrival(pool: Pool) -> date | None:
    if pool.ship_date is None or pool.rate_card is None:
        return None
    return pool.ship_date + timedelta(days=pool.rate_card.transit_days)


def live_members_with_needs() -> QuerySet[PoolMember]:
    """A pool's invited and accepted members in the order they were priced, each with its
    need: what `member_lines` reads (prefetch it for a list of pools)."""
    return (PoolMember.objects.filter(status__in=PoolMember.ACTIVE)
            .select_related("firm", "demand").order_by("pk"))


def member_lines(pool: Pool, members: Iterable[PoolMember]) -> list[str]:
    """What each live member pays and saves, one line each, from the member rows as the
    pool is priced now (see `live_members_with_needs`); for coordinators only."""
    programme = pool.programme.name if pool.programme_id and pool.programme else ""
    lines = []
    for m in members:
        if m.demand_id is not None and m.demand is not None:
            need = wording.demand_named(m.demand_id, m.demand.ready_from, m.demand.deliver_by)
        else:
            need = wording.ad_need_named(m.ad_need_id or 0)
        lines.append(wording.member_line(
            firm=m.firm.legal_name, need=need, share=m.projected_share, standalone=m.standalone_cost,
            currency=pool.currency, budget=m.budget, programme=programme))
    return lines


def pool_reasons_with_members(pool: Pool, members: Iterable[PoolMember]) -> list[str]:
    """The pool's reasons, then each live member's figures: what a coordinator reads."""
    return [*adapters.pool_reasons(pool).public, *member_lines(pool, members)]


def pool_view_for_coordinator(*, pool: Pool) -> PoolView:
    plan = adapters.pool_plan(pool)
    members = live_members_with_needs().filter(pool=pool)
    return PoolView(pool=pool, audience="coordinator", plan=plan.full(),
                    reasons=pool_reasons_with_members(pool, members),
                    problems=list(plan.problems),
                    qualifies=plan.qualifies, arrival=_arrival(pool),
                    settlement=latest_settlement(pool=pool))


def pool_view_for_firm(*, pool: Pool, firm: Firm) -> PoolView:
    """The pool as `firm` may see it: its own rows in full, the others as totals."""
    plan = adapters.pool_plan(pool)
    members = list(pool.members.filter(status__in=PoolMember.ACTIVE).select_related("firm")
                   .order_by("pk"))
    own = list(pool.members.filter(firm=firm).select_related("demand", "ad_need").order_by("pk"))
    live_own = [m for m in own if m.status in PoolMember.ACTIVE]
    others = [m for m in members if m.firm_id != firm.pk]
    settlement = latest_settlement(pool=pool)
    actual = (list(settlement.shares.filter(firm=firm)) if settlement is not None else [])
    if actual:
        own_share = sum((a.amount for a in actual), ZERO)
        alone = [a.standalone_cost for a in actual]
    else:
        own_share = sum((m.projected_share for m in live_own), ZERO)
        alone = [m.standalone_cost for m in live_own]
    own_standalone = (sum((a for a in alone if a is not None), ZERO)
                      if alone and all(a is not None for a in alone) else None)
    view = PoolView(
        pool=pool, audience="member" if own else "invitee", plan=plan.public(),
        reasons=list(adapters.pool_reasons(pool).public),
        problems=list(plan.problems), qualifies=plan.qualifies, arrival=_arrival(pool),
        own=own, live_own=live_own, own_share=own_share, share_is_actual=bool(actual),
        own_standalone=own_standalone,
        own_saving=(own_standalone - own_share) if own_standalone is not None else None,
        others_count=len(others),
        others_share_total=sum((m.projected_share for m in others), ZERO),
        others_standalone_total=sum((m.standalone_cost or ZERO for m in others), ZERO),
        named_others=[OtherMember(m.firm.legal_name, m.projected_share) for m in others
                      if m.show_name or m.firm.named_in_pools],
        settlement=settlement if actual else None,
    )
    # Access to a programme is gained only by a member without access alone, in an ad
    # pool whose pooled spend reaches the minimum as the plan now stands.
    view.access_gained = (pool.kind == Pool.Kind.ADS and bool(live_own or actual)
                          and own_standalone is None and plan.reaches_minimum)
    return view


def latest_settlement(*, pool: Pool) -> Settlement | None:
    """The pool's settlement in force: the completed one with the highest version."""
    return (Settlement.objects.filter(pool=pool, status=Settlement.Status.COMPLETED)
            .order_by("-version").first())


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
        raise NotFound("No such pool.")
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
