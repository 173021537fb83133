"""Reads for matching: what a run reads as its input, and runs for the coordinator console.

The input readers are the only queries a matching run makes before it matches;
they materialise rows straight into the matchers' dataclasses (`values_list`,
no model instances) so reading 100,000 open demands stays cheap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from pooling.adapters import (
    AD_NEED_COLUMNS,
    DEMAND_COLUMNS,
    ad_need_in_values,
    demand_in_values,
    programme_in,
)
from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn
from pooling.domain.formats import FormatError
from pooling.domain.logistics_matching import CapacityIn, DemandIn, LaneCard
from pooling.domain.units import Mode, family_modes, mode_family
from pooling.feed.ratecards import RateCardParseError, card_from_row
from pooling.models import (
    AdNeed,
    CapacityOffer,
    ChannelProgramme,
    MatchingRun,
    MatchingShard,
    Pool,
    PoolMember,
    RateCard,
    ShippingDemand,
)
from pooling.selectors.pools import live_members_with_needs

CHUNK = 5000
DEAD_POOL_STATES = (Pool.State.REJECTED, Pool.State.CANCELLED)
Lane = tuple[str, str]  # (origin, mode family): demands that may ever share a pool or offer


@dataclass(frozen=True)
class MatchingScope:
    """What one shard of a run reads: some lane groups and some programmes.

    Every rate card, capacity offer and demand of a lane group has the group's
    origin and a mode of its family, and an ad need only pools with needs on its
    own programme, so two scopes never need each other's rows. `None` reads all.
    """

    lanes: frozenset[Lane] | None = None
    programmes: frozenset[int] | None = None

    def lane_filter(self) -> Q:
        """Rows (demands, rate cards, capacity offers) on this scope's lane groups."""
        if self.lanes is None:
            return Q()
        if not self.lanes:
            return Q(pk__in=[])
        query = Q()
        by_family: dict[str, list[str]] = defaultdict(list)
        for origin, family in sorted(self.lanes):
            by_family[family].append(origin)
        for family, origins in by_family.items():
            query |= Q(origin__in=origins, mode__in=sorted(family_modes(family)))
        return query

    def programme_filter(self, field: str = "programme_id") -> Q:
        if self.programmes is None:
            return Q()
        return Q(**{f"{field}__in": sorted(self.programmes)})


ALL = MatchingScope()


@dataclass
class MatchingInput:
    """Everything one matching run reads, as the matchers' dataclasses."""

    today: date
    demands: list[DemandIn] = field(default_factory=list)
    cards: list[LaneCard] = field(default_factory=list)
    capacities: list[CapacityIn] = field(default_factory=list)
    ad_needs: list[AdNeedIn] = field(default_factory=list)
    programmes: list[ProgrammeIn] = field(default_factory=list)
    card_partner: dict[int, int] = field(default_factory=dict)
    programme_partner: dict[int, int | None] = field(default_factory=dict)
    # Lanes whose only rate cards could not be read: (origin, destination, family) -> reason.
    unreadable_cards: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Ad needs on a programme that is no longer active: need id -> reason.
    inactive_programme_needs: dict[int, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What the run records as its inputs: counts and the rate card versions used."""
        return {
            "today": self.today.isoformat(),
            "demands": len(self.demands),
            "rate_cards": len(self.cards),
            "capacity_offers": len(self.capacities),
            "ad_needs": len(self.ad_needs) + len(self.inactive_programme_needs),
            "programmes": len(self.programmes),
            "rate_card_versions": sorted(
                ({"id": int(lane.card.id), "version": lane.card.version,
                  "partner_id": lane.partner_id} for lane in self.cards),
                key=lambda c: (c["id"], c["version"]),
            ),
            "unreadable_rate_cards": sorted(set(self.unreadable_cards.values())),
            "programme_ids": sorted(p.id for p in self.programmes),
        }


def _live_members() -> QuerySet[PoolMember]:
    return PoolMember.objects.filter(status__in=PoolMember.ACTIVE).exclude(
        pool__state__in=DEAD_POOL_STATES
    )


def open_unpooled(model: type[ShippingDemand] | type[AdNeed], link: str) -> QuerySet[Any]:
    """Open demands or ad needs in no live pool; `link` is the pool member's field naming them.

    NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a subquery as a subplan, which
    without room in work_mem for all the members is searched once per need, so a run's
    later shards (reading while earlier ones have saved their members) would slow down
    with the square of the market. NOT EXISTS is an anti-join whatever the statistics say."""
    pooled = _live_members().filter(**{link: OuterRef("pk")})
    return model.objects.filter(status=model.Status.OPEN).filter(~Exists(pooled)).order_by()


def demands_open_unpooled(scope: MatchingScope = ALL) -> list[DemandIn]:
    """Open shipping demands that are not a live member of any pool."""
    rows = open_unpooled(ShippingDemand, "demand").filter(scope.lane_filter()).values_list(
        *DEMAND_COLUMNS)
    return [demand_in_values(r) for r in rows.iterator(chunk_size=CHUNK)]


def rate_cards_current(
    *, today: date, scope: MatchingScope = ALL
) -> tuple[list[LaneCard], dict[tuple[str, str, str], str]]:
    """Rate card versions valid today or later, and the reasons unreadable ones were skipped.

    A version superseded from a date is valid until the day before it.
    """
    rows = RateCard.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
        Q(superseded_from__isnull=True) | Q(superseded_from__gt=today),
        scope.lane_filter(),
    ).order_by("id")
    lanes: list[LaneCard] = []
    unreadable: dict[tuple[str, str, str], str] = {}
    for row in rows:
        until = row.valid_to
        if row.superseded_from is not None:
            last = row.superseded_from - timedelta(days=1)
            until = last if until is None else min(until, last)
        try:
            card = card_from_row(row)
        except (RateCardParseError, KeyError, ValueError) as exc:
            key = (row.origin, row.destination, mode_family(row.mode))
            unreadable.setdefault(key, f"rate card {row.pk} v{row.version} cannot be read: {exc}")
            continue
        lanes.append(LaneCard(card=card, partner_id=row.partner_id, valid_from=row.valid_from,
                              valid_to=until))
    return lanes, unreadable


def capacity_offers_open(*, now: datetime, scope: MatchingScope = ALL) -> list[CapacityIn]:
    """Capacity offers whose booking cutoff has not passed."""
    rows = CapacityOffer.objects.filter(scope.lane_filter(), cutoff_at__gt=now).order_by("id")
    return [
        CapacityIn(id=row.pk, partner_id=row.partner_id, rate_card_id=row.rate_card_id,
                   origin=row.origin, destination=row.destination, mode=Mode(row.mode),
                   departure=row.departure_date, cutoff=timezone.localdate(row.cutoff_at),
                   kg=row.allotment_kg, cbm=row.allotment_cbm,
                   equipment={str(k): int(v) for k, v in (row.equipment or {}).items()})
        for row in rows
    ]


def programmes_active(
    scope: MatchingScope = ALL,
) -> tuple[list[ProgrammeIn], dict[int, int | None], dict[int, str]]:
    """Active channel programmes, each one's advertising partner, and the unreadable ones."""
    programmes: list[ProgrammeIn] = []
    partners: dict[int, int | None] = {}
    unreadable: dict[int, str] = {}
    rows = ChannelProgramme.objects.filter(scope.programme_filter("pk"), active=True)
    for row in rows.order_by("id"):
        try:
            programmes.append(programme_in(row))
        except FormatError as exc:
            unreadable[row.pk] = f"programme {row.name} has tiers that cannot be read: {exc}"
            continue
        partners[row.pk] = row.partner_id
    return programmes, partners, unreadable


def ad_needs_open_unpooled(scope: MatchingScope = ALL) -> list[AdNeedIn]:
    """Open ad needs that are not a live member of any pool, with their exclusions."""
    needs = open_unpooled(AdNeed, "ad_need").filter(scope.programme_filter()).values_list(
        *AD_NEED_COLUMNS)
    through = AdNeed.excluded_firms.through
    excluded: dict[int, set[int]] = defaultdict(set)
    for need_id, firm_id in (
        through.objects.filter(scope.programme_filter("adneed__programme_id"),
                               adneed__status=AdNeed.Status.OPEN)
        .values_list("adneed_id", "firm_id")
        .iterator(chunk_size=CHUNK)
    ):
        excluded[need_id].add(firm_id)
    return [ad_need_in_values(r, excluded.get(r[0], ())) for r in needs.iterator(chunk_size=CHUNK)]


def matching_input_read(
    *, today: date, now: datetime, scope: MatchingScope = ALL
) -> MatchingInput:
    """Everything a matching run (or one shard of it) reads, as the matchers' dataclasses."""
    cards, unreadable = rate_cards_current(today=today, scope=scope)
    programmes, programme_partner, unreadable_programmes = programmes_active(scope)
    active = {p.id for p in programmes}
    needs = ad_needs_open_unpooled(scope)
    inactive: dict[int, str] = {}
    if any(n.programme_id not in active for n in needs):
        names = dict(ChannelProgramme.objects.exclude(pk__in=active).values_list("id", "name"))
        for need in needs:
            if need.programme_id in unreadable_programmes:
                inactive[need.id] = unreadable_programmes[need.programme_id]
            elif need.programme_id not in active:
                name = names.get(need.programme_id, need.programme_id)
                inactive[need.id] = f"programme {name} is not active"
        needs = [n for n in needs if n.programme_id in active]
    return MatchingInput(
        today=today,
        demands=demands_open_unpooled(scope),
        cards=cards,
        capacities=capacity_offers_open(now=now, scope=scope),
        ad_needs=needs,
        programmes=programmes,
        card_partner={int(lane.card.id): lane.partner_id for lane in cards},
        programme_partner=programme_partner,
        unreadable_cards=unreadable,
        inactive_programme_needs=inactive,
    )


def matching_units_count() -> tuple[dict[Lane, int], dict[int, int]]:
    """Open unpooled needs per lane group and per programme: what shards are cut from."""
    lanes: dict[Lane, int] = defaultdict(int)
    demands = open_unpooled(ShippingDemand, "demand").values("origin", "mode")
    for origin, mode, count in demands.annotate(n=Count("id")).values_list(
            "origin", "mode", "n"):
        lanes[(origin, mode_family(mode))] += count
    needs = open_unpooled(AdNeed, "ad_need").values("programme_id")
    programmes = dict(needs.annotate(n=Count("id")).values_list("programme_id", "n"))
    return dict(lanes), programmes


# ------------------------------------------------------------ the coordinator's view


def matching_runs_recent(*, limit: int = 10) -> QuerySet[MatchingRun]:
    return MatchingRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]


def matching_run_get(*, run_id: int) -> MatchingRun:
    return MatchingRun.objects.select_related("started_by").get(pk=run_id)


def matching_run_pools(*, run: MatchingRun) -> QuerySet[Pool]:
    """The run's pools with their live members and needs (`live_members`), for the lines
    that say what each member pays (`selectors.pools.member_lines`)."""
    return (
        Pool.objects.filter(matching_run=run)
        .select_related("partner", "rate_card", "programme")
        .prefetch_related(Prefetch("members", queryset=live_members_with_needs(),
                                   to_attr="live_members"))
        .order_by("id")
    )


def matching_run_shards(*, run: MatchingRun) -> list[MatchingShard]:
    return list(MatchingShard.objects.filter(run=run).order_by("number"))
