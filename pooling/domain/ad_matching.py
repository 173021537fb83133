"""Ad-pool formation: pool small firms' ad budgets to reach platform minimums and tiers.

Pure Python. `match_ads` groups ad needs that buy the same programme in the same
market, whose flights overlap long enough, and whose firms may share a pool
(no exclusions either way, no two firms of one category on category-exclusive
programmes, one need per firm). Pools must reach the programme's minimum spend
and every member that could buy alone must pay no more pooled than alone.

Costs, per member with budget b:
- standalone (only when b reaches the minimum alone):
  b - b * own_tier% + b * standalone_fee%
- pooled: b - (its budget share of the pooled rebate) + (its budget share of the
  management fee charged on the pooled spend); computed as the pooled total
  split by budget with the largest-remainder method.

Formation looks for the cheapest whole (`grouping.partition`): within each
programme and market, flights that overlap by the minimum flight days chain into
components; small components are solved exactly over every compatible group,
larger ones start from the greedy formation with its rescues (`_form`) and are
improved by the local search (moves, merges and splits, each checked by
`pool_cost`, so every rule above holds for every pool). A need that reaches the
minimum alone is measured against its standalone cost, one that does not
against its `yardstick` (so access always counts as a saving); a pool forms
only where it lowers the market's total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from pooling.domain import grouping, wording
from pooling.domain.money import largest_remainder, quantize, quantum
from pooling.domain.proposals import (
    MatchResult,
    MemberProposal,
    PoolProposal,
    Unplaced,
    collector_paused,
    dec_str,
    fmt_money,
    signature,
)
from pooling.domain.wording import counted

KIND = "ads"
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tier:
    """A discount or rebate earned on the whole pooled spend once it reaches min_spend."""

    min_spend: Decimal
    rebate_percent: Decimal


@dataclass(frozen=True)
class ProgrammeIn:
    """An ad-buying programme (a platform's managed service or a reseller deal).

    `category_exclusive` True means two firms of the same product category may
    not share a pool. Percentages are in percent (5 means 5 %).
    """

    id: int
    name: str
    currency: str
    markets: frozenset[str]
    minimum_spend: Decimal
    tiers: tuple[Tier, ...]
    management_fee_percent: Decimal
    standalone_fee_percent: Decimal
    min_flight_days: int
    category_exclusive: bool


@dataclass(frozen=True)
class AdNeedIn:
    """A firm's ad need: budget to spend on a programme in a market over a flight."""

    id: int
    firm_id: int
    programme_id: int
    market: str
    budget: Decimal
    currency: str
    flight_from: date
    flight_to: date
    category: str
    excluded_firm_ids: frozenset[int]


def flight_days(start: date, end: date) -> int:
    """Days of a flight, both ends included."""
    return (end - start).days + 1


def tier_for(programme: ProgrammeIn, spend: Decimal) -> Tier | None:
    """The best tier `spend` reaches (highest min_spend not above it), if any."""
    best: Tier | None = None
    for tier in programme.tiers:
        if tier.min_spend <= spend and (
            best is None
            or (tier.min_spend, tier.rebate_percent) > (best.min_spend, best.rebate_percent)
        ):
            best = tier
    return best


def _rebate_pct(programme: ProgrammeIn, spend: Decimal) -> Decimal:
    tier = tier_for(programme, spend)
    return tier.rebate_percent if tier is not None else ZERO


def standalone_cost(programme: ProgrammeIn, budget: Decimal) -> Decimal | None:
    """Cost of buying `budget` alone; None when it does not reach the minimum."""
    if budget < programme.minimum_spend:
        return None
    rebate = budget * _rebate_pct(programme, budget) / HUNDRED
    fee = budget * programme.standalone_fee_percent / HUNDRED
    return quantize(budget - rebate + fee, programme.currency)


def _pct(value: Decimal) -> str:
    return wording.percent(value)


@dataclass
class _Group:
    """A pool under construction."""

    programme: ProgrammeIn
    market: str
    members: list[AdNeedIn] = field(default_factory=list)
    firms: set[int] = field(default_factory=set)
    excluded: set[int] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    start: date = date.min
    end: date = date.max
    spend: Decimal = ZERO

    def fits(self, need: AdNeedIn, max_members: int) -> bool:
        if len(self.members) >= max_members:
            return False
        if need.firm_id in self.firms or need.firm_id in self.excluded:
            return False
        if not need.excluded_firm_ids.isdisjoint(self.firms):
            return False
        if self.programme.category_exclusive and need.category in self.categories:
            return False
        start = max(self.start, need.flight_from)
        end = min(self.end, need.flight_to)
        return flight_days(start, end) >= self.programme.min_flight_days

    def add(self, need: AdNeedIn) -> None:
        self.members.append(need)
        self.firms.add(need.firm_id)
        self.excluded |= need.excluded_firm_ids
        self.categories.add(need.category)
        self.start = max(self.start, need.flight_from)
        self.end = min(self.end, need.flight_to)
        self.spend += need.budget

    @classmethod
    def of(cls, programme: ProgrammeIn, market: str, needs: Iterable[AdNeedIn]) -> _Group:
        group = cls(programme, market)
        for need in needs:
            group.add(need)
        return group


def cannot_pool_reason(programme: ProgrammeIn) -> str | None:
    """Why pooling gives this programme's needs nothing, or None when a pool can gain.

    A pool gains access when the programme has a minimum spend (a member below it cannot
    buy alone), a rebate or discount from a spend tier, or a management fee below the fee
    a firm pays alone. A programme with a minimum and no tiers pools for access alone.
    """
    if (programme.minimum_spend > 0 or programme.tiers
            or programme.management_fee_percent < programme.standalone_fee_percent):
        return None
    return (f"programme {programme.name} has no minimum spend, no spend tiers and no lower "
            f"fee pooled: a pool gains nothing over buying alone")


def _budget_key(need: AdNeedIn) -> tuple[Decimal, int]:
    return (-need.budget, need.id)


def _screen(need: AdNeedIn, programmes: Mapping[int, ProgrammeIn]) -> str | None:
    """Why a need cannot be pooled at all, or None."""
    programme = programmes.get(need.programme_id)
    if programme is None:
        return f"programme {need.programme_id} is not known"
    unpoolable = cannot_pool_reason(programme)
    if unpoolable is not None:
        return unpoolable
    if need.market not in programme.markets:
        offered = ", ".join(sorted(programme.markets)) or "none"
        return (
            f"market {need.market} is not offered by programme {programme.name} "
            f"(markets: {offered})"
        )
    if need.currency != programme.currency:
        return (
            f"budget is in {need.currency} but programme {programme.name} "
            f"buys in {programme.currency}"
        )
    if need.budget <= 0:
        return "budget must be positive"
    days = flight_days(need.flight_from, need.flight_to)
    if days < programme.min_flight_days:
        return (
            f"flight {need.flight_from.isoformat()} to {need.flight_to.isoformat()} lasts "
            f"{max(days, 0)} days, shorter than the {programme.min_flight_days}-day minimum "
            f"of programme {programme.name}"
        )
    return None


def _shortfall_reason(group: _Group) -> str:
    programme = group.programme
    cur = programme.currency
    short = programme.minimum_spend - group.spend
    if len(group.members) == 1:
        lead = (
            f"alone on {programme.name} in {group.market} it spends "
            f"{fmt_money(group.spend, cur)}"
        )
    else:
        lead = (
            f"with the {counted(len(group.members) - 1, 'compatible need')} left on {programme.name} "
            f"in {group.market} it pools {fmt_money(group.spend, cur)}"
        )
    minimum = fmt_money(programme.minimum_spend, cur)
    return f"{lead}: {fmt_money(short, cur)} short of the {minimum} minimum"


def _left_out_reason(group: _Group) -> str:
    programme = group.programme
    if group.spend >= programme.minimum_spend:
        return (
            f"no other need on {programme.name} in {group.market} can share its flight "
            f"and pool with its firm"
        )
    return _shortfall_reason(group)


def _costs(group: _Group) -> tuple[Decimal, Decimal, Decimal, list[Decimal]]:
    """(pooled spend, rebate, fee, shares in member order) for a group."""
    budgets, spend, rebate, fee = _pooled(group.programme, group.members)
    shares = largest_remainder(spend - rebate + fee, budgets, group.programme.currency)
    return spend, rebate, fee, shares


def _pooled(programme: ProgrammeIn, members: Sequence[AdNeedIn],
            ) -> tuple[list[Decimal], Decimal, Decimal, Decimal]:
    """(members' budgets in minor units, pooled spend, rebate, fee) on `programme`."""
    cur = programme.currency
    budgets = [quantize(n.budget, cur) for n in members]
    spend = sum(budgets, ZERO)
    rebate = quantize(spend * _rebate_pct(programme, spend) / HUNDRED, cur)
    fee = quantize(spend * programme.management_fee_percent / HUNDRED, cur)
    return budgets, spend, rebate, fee


def _settle(group: _Group) -> tuple[_Group, dict[int, str]]:
    """Drop members that would pay more pooled than alone, until every one saves.

    Returns the remaining group and the reasons for the members dropped.
    """
    dropped: dict[int, str] = {}
    programme = group.programme
    cur = programme.currency
    while len(group.members) >= 2:
        _, _, _, shares = _costs(group)
        worst: tuple[Decimal, int] | None = None
        worst_reason = ""
        for need, share in zip(group.members, shares, strict=True):
            alone = standalone_cost(programme, need.budget)
            if alone is not None and share > alone:
                key = (alone - share, need.id)
                if worst is None or key < worst:
                    worst = key
                    worst_reason = (
                        f"buys on better terms alone on {programme.name}: "
                        f"{fmt_money(alone, cur)} alone against "
                        f"{fmt_money(share, cur)} in the pool"
                    )
        if worst is None:
            break
        dropped[worst[1]] = worst_reason
        group = _Group.of(programme, group.market, [n for n in group.members if n.id != worst[1]])
    return group, dropped


def _proposal(group: _Group, max_members: int) -> PoolProposal:
    programme = group.programme
    cur = programme.currency
    members = sorted(group.members, key=lambda n: n.id)
    group = _Group.of(programme, group.market, members)
    spend, rebate, fee, shares = _costs(group)
    total = spend - rebate + fee
    tier = tier_for(programme, spend)
    days = flight_days(group.start, group.end)

    member_rows: list[MemberProposal] = []
    member_plan: list[dict[str, object]] = []
    standalone_total = ZERO
    for need, share in zip(members, shares, strict=True):
        budget = quantize(need.budget, cur)
        alone = standalone_cost(programme, need.budget)
        if alone is None:
            saving: Decimal | None = None
            note = (
                f"gains access to {programme.name} in {group.market}: its "
                f"{fmt_money(budget, cur)} is below the "
                f"{fmt_money(programme.minimum_spend, cur)} minimum alone"
            )
            standalone_total += budget
        else:
            saving = alone - share
            note = f"saves {fmt_money(saving, cur)} against buying alone"
            standalone_total += alone
        member_rows.append(
            MemberProposal(
                need_id=need.id,
                firm_id=need.firm_id,
                standalone_cost=alone,
                share=share,
                saving=saving,
                budget=budget,
                note=note,
            )
        )
        member_plan.append(
            {
                "need_id": need.id,
                "firm_id": need.firm_id,
                "category": need.category,
                "budget": dec_str(budget),
                "share": dec_str(share),
                "standalone_cost": dec_str(alone) if alone is not None else None,
                "flight_from": need.flight_from.isoformat(),
                "flight_to": need.flight_to.isoformat(),
            }
        )

    higher = sorted(t.min_spend for t in programme.tiers if t.min_spend > spend)
    next_tier = (
        {"min_spend": dec_str(higher[0]), "missing": dec_str(quantize(higher[0] - spend, cur))}
        if higher
        else None
    )
    plan: dict[str, object] = {
        "programme_id": programme.id,
        "programme": programme.name,
        "market": group.market,
        "currency": cur,
        "flight_from": group.start.isoformat(),
        "flight_to": group.end.isoformat(),
        "flight_days": days,
        "pooled_spend": dec_str(spend),
        "minimum_spend": dec_str(programme.minimum_spend),
        "tier_min_spend": dec_str(tier.min_spend) if tier is not None else None,
        "rebate_percent": dec_str(tier.rebate_percent) if tier is not None else "0",
        "rebate": dec_str(rebate),
        "management_fee_percent": dec_str(programme.management_fee_percent),
        "management_fee": dec_str(fee),
        "total_cost": dec_str(total),
        "next_tier": next_tier,
        "members": member_plan,
    }
    tier_text = (
        f"the {fmt_money(tier.min_spend, cur)} tier with a {_pct(tier.rebate_percent)} rebate "
        f"({fmt_money(rebate, cur)})"
        if tier is not None
        else "no rebate tier"
    )
    reasons = [
        f"{counted(len(members), 'need', whole=True).capitalize()} buy {programme.name} "
        f"in market {group.market} in {cur}.",
        f"Their flights overlap from {group.start.isoformat()} to {group.end.isoformat()} "
        f"({days} days; the programme needs at least {programme.min_flight_days}).",
        f"Pooled spend {fmt_money(spend, cur)} reaches the "
        f"{fmt_money(programme.minimum_spend, cur)} minimum and {tier_text}; "
        f"management fee {_pct(programme.management_fee_percent)} "
        f"({fmt_money(fee, cur)}).",
    ]
    if programme.category_exclusive:
        reasons.append("Every member sells in a different product category.")

    need_ids = [n.id for n in members]
    return PoolProposal(
        kind=KIND,
        signature=signature(
            KIND,
            programme.id,
            group.market,
            group.start.isoformat(),
            group.end.isoformat(),
            need_ids=need_ids,
        ),
        currency=cur,
        total_cost=total,
        standalone_total=standalone_total,
        members=tuple(member_rows),
        plan=plan,
        reasons=tuple(reasons),
        programme_id=programme.id,
        market=group.market,
        flight_from=group.start,
        flight_to=group.end,
        capacity=max(max_members, len(members)),
    )


def _viable(group: _Group) -> bool:
    return len(group.members) >= 2 and group.spend >= group.programme.minimum_spend


def yardstick(programme: ProgrammeIn, budget: Decimal) -> Decimal:
    """What a need costs the market when it is not pooled.

    Its standalone cost when it reaches the minimum alone. A need below the minimum
    cannot buy alone at all: its yardstick is its budget at the dearer of the two
    fees and without rebate, plus one minor unit, so any pool that gives it access
    beats leaving it out, and among pools the cheapest whole still wins.
    """
    alone = standalone_cost(programme, budget)
    if alone is not None:
        return alone
    fee = max(programme.standalone_fee_percent, programme.management_fee_percent)
    return quantize(budget + budget * fee / HUNDRED, programme.currency) + quantum(
        programme.currency)


def _compatible(programme: ProgrammeIn, members: Sequence[AdNeedIn]) -> bool:
    firms = {n.firm_id for n in members}
    if len(firms) < len(members):
        return False
    for n in members:
        if not n.excluded_firm_ids.isdisjoint(firms - {n.firm_id}):
            return False
    if programme.category_exclusive:
        categories = [n.category for n in members]
        if len(set(categories)) < len(categories):
            return False
    return True


def pool_cost(programme: ProgrammeIn, needs: Sequence[AdNeedIn],
              alone: Sequence[Decimal | None] | None = None) -> Decimal | None:
    """The pooled total of these needs on `programme`, or None when they may not pool.

    They may when they are two or more firms that do not exclude one another (and
    differ in category on a category-exclusive programme), together reach the
    minimum, and no member with access alone pays more pooled than alone. Flight
    overlap is the caller's check. `alone`, when given, is each need's
    `standalone_cost`, worked out once by a caller that prices many pools.
    """
    if len(needs) < 2 or not _compatible(programme, needs):
        return None
    # `_viable` of the pool these needs would form, without forming it.
    if sum((n.budget for n in needs), ZERO) < programme.minimum_spend:
        return None
    budgets, spend, rebate, fee = _pooled(programme, needs)
    total = spend - rebate + fee
    if alone is None:
        alone = [standalone_cost(programme, need.budget) for need in needs]
    # Each share is the member's proportional part rounded down, or one minor unit more
    # (`largest_remainder`): a member whose part stays a minor unit below its standalone
    # cost cannot pay more pooled, so the exact split is only needed when one comes close.
    q = quantum(programme.currency)
    if any(own is not None and budget * total > spend * (own - q)
           for budget, own in zip(budgets, alone, strict=True)):
        shares = largest_remainder(total, budgets, programme.currency)
        for own, share in zip(alone, shares, strict=True):
            if own is not None and share > own:
                return None
    return total


def _chain_needs(programme: ProgrammeIn, ordered: Sequence[AdNeedIn]) -> list[grouping.Need]:
    """Needs as grouping sees them: the dates a pool's overlap may start, the yardstick."""
    lead = timedelta(days=programme.min_flight_days - 1)
    return [grouping.Need(n.flight_from, n.flight_to - lead, yardstick(programme, n.budget))
            for n in ordered]


def _form_bucket(
    programme: ProgrammeIn, market: str, needs: list[AdNeedIn], max_members: int,
    budget: grouping.Budget = grouping.DEFAULT_BUDGET, share: float = 1.0,
) -> tuple[list[_Group], dict[int, str], grouping.Search]:
    """Pools for one programme and market: the partition that costs the market least.

    Needs whose flights chain together in small numbers are grouped exactly; larger
    chains start from the greedy formation with its rescues (`_form`), which the
    local search then improves. A pool must reach the minimum, respect exclusions,
    categories and one need per firm, and no member with access alone may pay more
    pooled than alone; its cost is compared with the members' `yardstick` costs.
    """
    ordered = sorted(needs, key=lambda n: n.id)
    items = _chain_needs(programme, ordered)

    alone_costs = [standalone_cost(programme, n.budget) for n in ordered]

    def price(members: tuple[int, ...]) -> Decimal | None:
        return pool_cost(programme, [ordered[i] for i in members],
                         [alone_costs[i] for i in members])

    def start(part: Sequence[int]) -> list[list[int]]:
        formed, _why = _form(programme, market, [ordered[i] for i in part], max_members)
        position = {n.id: k for k, n in enumerate(ordered)}
        return [[position[n.id] for n in g.members] for g in formed]

    found, search = grouping.partition(items, price, max_members=max_members, start=start,
                                       budget=budget, share=share)
    groups = [_Group.of(programme, market, [ordered[i] for i in g.members]) for g in found]
    pooled = {n.id for g in groups for n in g.members}
    reasons: dict[int, str] = {}
    chain = {i: part for part in grouping.components(items) for i in part}
    for k, need in enumerate(ordered):
        if need.id in pooled:
            continue
        # Only needs of its chain can share its flight.
        compatible = [ordered[i] for i in sorted(chain[k]) if i != k]
        lone = _Group.of(programme, market, [need])
        for cand in compatible:
            if len(lone.members) >= max_members:
                break  # full: no later need fits either
            if lone.fits(cand, max_members):
                lone.add(cand)
        alone = alone_costs[k]
        if alone is not None and len(lone.members) > 1:
            reasons[need.id] = (
                f"buys on better terms alone on {programme.name}: "
                f"{fmt_money(alone, programme.currency)} alone, and no pool it could join "
                f"costs its members less"
            )
        else:
            reasons[need.id] = _left_out_reason(lone)
    return groups, reasons, search


def _form(
    programme: ProgrammeIn, market: str, needs: list[AdNeedIn], max_members: int
) -> tuple[list[_Group], dict[int, str]]:
    """Pools for one programme and market, and reasons for the needs left out."""
    ordered = sorted(needs, key=_budget_key)
    taken: set[int] = set()
    groups: list[_Group] = []
    for seed in ordered:
        if seed.id in taken:
            continue
        group = _Group(programme, market)
        group.add(seed)
        taken.add(seed.id)
        for cand in ordered:
            if cand.id not in taken and group.fits(cand, max_members):
                group.add(cand)
                taken.add(cand.id)
        groups.append(group)

    reasons: dict[int, str] = {}
    viable: list[_Group] = []
    stranded: list[tuple[AdNeedIn, str]] = []
    for group in groups:
        if _viable(group):
            settled, dropped = _settle(group)
            if _viable(settled):
                viable.append(settled)
                for need in group.members:
                    if need.id in dropped:
                        stranded.append((need, dropped[need.id]))
                continue
            for need in group.members:
                stranded.append((need, dropped.get(need.id) or _left_out_reason(settled)))
            continue
        why = _left_out_reason(group)
        for need in group.members:
            stranded.append((need, why))

    # Rescue, first: offer stranded needs to the pools that formed.
    left: list[tuple[AdNeedIn, str]] = []
    for need, why in sorted(stranded, key=lambda item: _budget_key(item[0])):
        placed = False
        for i, group in enumerate(viable):
            if not group.fits(need, max_members):
                continue
            trial = _Group.of(programme, market, [*group.members, need])
            settled, dropped = _settle(trial)
            if not dropped and _viable(settled):
                viable[i] = settled
                placed = True
                break
        if not placed:
            left.append((need, why))

    # Rescue, second: build new pools from stranded needs, topped up with
    # members the formed pools can spare without falling below the minimum.
    why_of = dict((n.id, why) for n, why in left)
    pending = [n for n, _ in left]
    while pending:
        seed = pending.pop(0)
        group = _Group(programme, market)
        group.add(seed)
        for cand in pending:
            if group.fits(cand, max_members):
                group.add(cand)
        donors = _borrow(group, viable, max_members)
        if donors is not None:
            group, viable = donors
            settled, dropped = _settle(group)
            if not dropped and _viable(settled):
                viable.append(settled)
                used = {n.id for n in settled.members}
                pending = [n for n in pending if n.id not in used]
                continue
        reasons[seed.id] = why_of[seed.id]
    return viable, reasons


def _borrow(
    group: _Group, viable: list[_Group], max_members: int
) -> tuple[_Group, list[_Group]] | None:
    """Top `group` up to the minimum with members other pools can spare.

    Returns the topped-up group and the donor pools after lending, or None when
    the minimum cannot be reached that way.
    """
    programme = group.programme
    if group.spend >= programme.minimum_spend and len(group.members) >= 2:
        return group, viable
    pools = list(viable)
    lenders = sorted(
        ((need, i) for i, pool in enumerate(pools) for need in pool.members),
        key=lambda item: _budget_key(item[0]),
    )
    group = _Group.of(programme, group.market, group.members)
    for need, i in lenders:
        if group.spend >= programme.minimum_spend and len(group.members) >= 2:
            break
        if not group.fits(need, max_members):
            continue
        rest = _Group.of(programme, group.market, [n for n in pools[i].members if n.id != need.id])
        if not _viable(rest):
            continue
        settled, dropped = _settle(rest)
        if dropped:
            continue
        pools[i] = settled
        group.add(need)
    if group.spend >= programme.minimum_spend and len(group.members) >= 2:
        return group, pools
    return None


def match_ads(
    needs: Iterable[AdNeedIn],
    programmes: Iterable[ProgrammeIn],
    *,
    max_members: int = 40,
    budget: grouping.Budget = grouping.DEFAULT_BUDGET,
) -> MatchResult:
    """Group ad needs into pools that reach programme minimums and tiers.

    `budget` is what the grouping search may spend on long chains of needs."""
    with collector_paused():
        return _match_ads(needs, programmes, max_members, budget)


def _match_ads(
    needs: Iterable[AdNeedIn], programmes: Iterable[ProgrammeIn], max_members: int,
    budget: grouping.Budget,
) -> MatchResult:
    by_id = {p.id: p for p in sorted(programmes, key=lambda p: p.id)}
    unplaced: list[Unplaced] = []
    seen: set[int] = set()
    buckets: dict[tuple[int, str], list[AdNeedIn]] = defaultdict(list)
    for need in sorted(needs, key=lambda n: n.id):
        if need.id in seen:
            continue
        seen.add(need.id)
        why = _screen(need, by_id)
        if why is not None:
            unplaced.append(Unplaced(KIND, need.id, why))
            continue
        buckets[(need.programme_id, need.market)].append(need)

    # The call's long chains share its search budget.
    share = budget.share(
        size for (programme_id, _market), bucket in sorted(buckets.items())
        for size in grouping.large_components(
            _chain_needs(by_id[programme_id], sorted(bucket, key=lambda n: n.id))))
    pools: list[PoolProposal] = []
    search = grouping.Search()
    for (programme_id, market), bucket in sorted(buckets.items()):
        groups, reasons, how = _form_bucket(by_id[programme_id], market, bucket,
                                            max(2, max_members), budget, share)
        pools.extend(_proposal(g, max_members) for g in groups)
        unplaced.extend(Unplaced(KIND, nid, why) for nid, why in reasons.items())
        search.add(how)

    pools.sort(key=lambda p: (p.programme_id or 0, p.market, p.need_ids))
    unplaced.sort(key=lambda u: u.need_id)
    return MatchResult(pools=tuple(pools), unplaced=tuple(unplaced), search=search)


__all__ = [
    "AdNeedIn",
    "ProgrammeIn",
    "Tier",
    "cannot_pool_reason",
    "flight_days",
    "match_ads",
    "pool_cost",
    "standalone_cost",
    "tier_for",
    "yardstick",
]
