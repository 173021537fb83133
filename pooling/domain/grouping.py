"""Which needs share a pool: the partition of compatible needs that costs least in total.

Pure Python, deterministic. The caller gives needs with a window of feasible
dates, each need's standalone cost and an oracle that prices a group of needs
as one pool (None when it cannot be priced). A pool needs two members, one date
inside every member's window and at most `max_members` members; it is kept only
when it costs less than its members alone. The search maximises the total
saving (the sum over pools of standalone costs minus the pooled cost), which is
the same as minimising what the whole market pays:

* Needs whose windows do not chain together can never meet, so the market is
  cut into components of overlapping windows and each is solved on its own.
* A component of at most `exact_limit` needs is solved exactly: every group
  with a common date is priced once and a dynamic programme over subsets picks
  the best partition.
* A larger component starts from a greedy build (the date whose covering needs
  save most; then members are dropped one at a time while that raises the
  saving, so a member joins only where it lowers the total and a pool that does
  not save is retried without its worst member) and is improved by a local
  search: add an unpooled need, drop a member, move one between pools, merge
  two pools. Every group the local search prices counts against its budget;
  it stops when no move improves or the budget is spent, so the result depends
  only on the input and the budget. `Search.priced` records what was spent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

EXACT_LIMIT = 12
# The exact search prices at most this many candidate groups per component.
EXACT_GROUPS = 4_096
# Local search after the greedy build: one pricing allowed per this many needs of a
# component, and at least the floor.
NEEDS_PER_PRICING = 4
BUDGET_FLOOR = 20
_DATES_TRIED = 2
_PRUNE_MAX = 12


@dataclass(frozen=True)
class Need:
    """A need as grouping sees it: its feasible dates and what it costs alone."""

    first: date
    last: date
    standalone: Decimal


@dataclass
class Search:
    """What a grouping search did: exact or local, and how many groups it priced."""

    method: str = "exact"
    budget: int = 0
    priced: int = 0
    exhausted: bool = False
    components: int = 0


@dataclass(frozen=True)
class Group:
    members: tuple[int, ...]  # indices into the needs, ascending
    ship_date: date
    total: Decimal
    saving: Decimal


PoolPrice = Callable[[tuple[int, ...]], Decimal | None]


@dataclass
class _Oracle:
    needs: Sequence[Need]
    price: PoolPrice
    max_members: int
    search: Search
    cache: dict[tuple[int, ...], Group | None] = field(default_factory=dict)
    limit: int | None = None

    def group(self, members: Sequence[int]) -> Group | None:
        """The pool of these members when it is feasible and saves, else None."""
        key = tuple(sorted(members))
        if key in self.cache:
            return self.cache[key]
        result: Group | None = None
        if 2 <= len(key) <= self.max_members:
            lo = max(self.needs[i].first for i in key)
            hi = min(self.needs[i].last for i in key)
            if lo <= hi:
                self.search.priced += 1
                total = self.price(key)
                if total is not None:
                    alone = sum((self.needs[i].standalone for i in key), ZERO)
                    if total < alone:
                        result = Group(key, lo, total, alone - total)
        self.cache[key] = result
        return result

    def saving(self, members: Sequence[int]) -> Decimal:
        found = self.group(members)
        return found.saving if found is not None else ZERO

    @property
    def spent(self) -> bool:
        return self.limit is not None and self.search.priced >= self.limit


def _compatible_groups(part: Sequence[int], needs: Sequence[Need]) -> int:
    """How many groups of two or more of `part` share a date (counted, not listed)."""
    # For each need as the one whose window opens last, the others covering its
    # first date may join it in any combination.
    total = 0
    for i in part:
        day = needs[i].first
        others = sum(
            1 for j in part
            if j != i and needs[j].first <= day <= needs[j].last
            and (needs[j].first, j) < (day, i)
        )
        total += (1 << others) - 1
        if total > EXACT_GROUPS:
            break
    return total


def components(needs: Sequence[Need]) -> list[list[int]]:
    """Needs whose windows chain into one another, each list in window order."""
    order = sorted(range(len(needs)), key=lambda i: (needs[i].first, needs[i].last, i))
    out: list[list[int]] = []
    reach: date | None = None
    for i in order:
        if reach is None or needs[i].first > reach:
            out.append([])
            reach = needs[i].last
        out[-1].append(i)
        reach = max(reach, needs[i].last)
    return out


def partition(
    needs: Sequence[Need],
    price: PoolPrice,
    *,
    max_members: int = 40,
    exact_limit: int = EXACT_LIMIT,
    needs_per_pricing: int = NEEDS_PER_PRICING,
) -> tuple[list[Group], Search]:
    """The pools to propose, best found for the whole market, and how they were found.

    `Search.budget` is the number of pricings the local search was allowed in
    total after the greedy builds (per component: one per `needs_per_pricing`
    needs, at least `BUDGET_FLOOR`).
    """
    search = Search()
    oracle = _Oracle(needs, price, max(2, max_members), search)
    groups: list[Group] = []
    for part in components(needs):
        if len(part) < 2:
            continue
        search.components += 1
        if len(part) <= exact_limit and _compatible_groups(part, needs) <= EXACT_GROUPS:
            groups.extend(_exact(part, oracle))
        else:
            search.method = "local search"
            allowed = max(BUDGET_FLOOR, len(part) // max(1, needs_per_pricing))
            search.budget += allowed
            groups.extend(_local(part, oracle, allowed))
            oracle.limit = None
    groups.sort(key=lambda g: (g.ship_date, g.members))
    return groups, search


def _exact(part: Sequence[int], oracle: _Oracle) -> list[Group]:
    """Dynamic programme over subsets: the partition with the largest total saving."""
    n = len(part)
    needs = oracle.needs
    full = (1 << n) - 1
    lo: list[date | None] = [None] * (1 << n)
    hi: list[date | None] = [None] * (1 << n)
    value: dict[int, Group] = {}
    for mask in range(1, full + 1):
        low = mask & -mask
        bit = low.bit_length() - 1
        rest = mask ^ low
        need = needs[part[bit]]
        if rest == 0:
            lo[mask], hi[mask] = need.first, need.last
            continue
        a, b = lo[rest], hi[rest]
        if a is None or b is None or a > b:
            lo[mask] = hi[mask] = None
            continue
        lo[mask] = max(a, need.first)
        hi[mask] = min(b, need.last)
        if lo[mask] > hi[mask]:  # type: ignore[operator]
            lo[mask] = hi[mask] = None
            continue
        if mask.bit_count() > oracle.max_members:
            continue
        found = oracle.group([part[k] for k in range(n) if mask >> k & 1])
        if found is not None:
            value[mask] = found
    best: list[Decimal] = [ZERO] * (1 << n)
    choice: list[int] = [0] * (1 << n)
    for mask in range(1, full + 1):
        low = mask & -mask
        # The lowest need either stays alone or is in one pool with some others.
        top = best[mask ^ low]
        pick = low
        rest = mask ^ low
        sub = rest
        while sub:
            group = value.get(sub | low)
            if group is not None:
                total = group.saving + best[rest ^ sub]
                if total > top:
                    top, pick = total, sub | low
            sub = (sub - 1) & rest
        best[mask], choice[mask] = top, pick
    out: list[Group] = []
    mask = full
    while mask:
        pick = choice[mask]
        if pick in value:
            out.append(value[pick])
        mask ^= pick
    return out


def _covering(part: Sequence[int], needs: Sequence[Need], day: date) -> list[int]:
    return [i for i in part if needs[i].first <= day <= needs[i].last]


def _prune(members: list[int], oracle: _Oracle) -> list[int]:
    """Drop the member whose leaving raises the saving most, while one does."""
    current = oracle.saving(members)
    while 2 < len(members) <= _PRUNE_MAX and not oracle.spent:
        best_gain = ZERO
        best_drop = -1
        for k in range(len(members)):
            rest = members[:k] + members[k + 1:]
            gain = oracle.saving(rest) - current
            if gain > best_gain:
                best_gain, best_drop = gain, k
        if best_drop < 0:
            break
        members = members[:best_drop] + members[best_drop + 1:]
        current += best_gain
    return members


def _greedy(part: Sequence[int], oracle: _Oracle) -> list[list[int]]:
    needs = oracle.needs
    open_ = list(part)
    dead: set[date] = set()
    pools: list[list[int]] = []
    while len(open_) >= 2 and not oracle.spent:
        # Dates where a need's window opens, busiest first: the most promising few.
        counted = sorted(
            {needs[i].first for i in open_} - dead,
            key=lambda d: (-len(_covering(open_, needs, d)), d),
        )[:_DATES_TRIED]
        if not counted:
            break
        scored: list[tuple[Decimal, date, list[int]]] = []
        for day in counted:
            cover = sorted(_covering(open_, needs, day),
                           key=lambda i: (needs[i].last, needs[i].first, i))
            cover = cover[:oracle.max_members]
            if len(cover) < 2:
                continue
            scored.append((oracle.saving(cover), day, cover))
        if not scored:
            break
        saving, day, cover = max(scored, key=lambda s: (s[0], -s[1].toordinal()))
        members = _prune(cover, oracle)
        if oracle.group(members) is None:
            dead.add(day)
            continue
        pools.append(sorted(members))
        taken = set(members)
        open_ = [i for i in open_ if i not in taken]
    return pools


def _local(part: Sequence[int], oracle: _Oracle, allowed: int) -> list[Group]:
    pools = _greedy(part, oracle)
    oracle.limit = oracle.search.priced + allowed
    improved = True
    while improved and not oracle.spent:
        improved = False
        pooled = {i for p in pools for i in p}
        free = [i for i in part if i not in pooled]
        # Add an unpooled need where it lowers the total most.
        for i in free:
            best_gain, best_k = ZERO, -1
            for k, pool in enumerate(pools):
                gain = oracle.saving([*pool, i]) - oracle.saving(pool)
                if gain > best_gain:
                    best_gain, best_k = gain, k
            if best_k >= 0:
                pools[best_k] = sorted([*pools[best_k], i])
                improved = True
            if oracle.spent:
                break
        # Drop a member whose leaving raises the saving; move one between pools.
        for k in range(len(pools)):
            for i in list(pools[k]):
                if oracle.spent:
                    break
                rest = [j for j in pools[k] if j != i]
                base = oracle.saving(pools[k])
                out_gain = oracle.saving(rest) - base if len(rest) >= 2 else -base
                best_gain, best_m = ZERO, -1
                if len(rest) >= 2 and out_gain > 0:
                    best_gain = out_gain
                for m, other in enumerate(pools):
                    if m == k:
                        continue
                    gain = (oracle.saving(rest) if len(rest) >= 2 else ZERO) - base + (
                        oracle.saving([*other, i]) - oracle.saving(other))
                    if gain > best_gain:
                        best_gain, best_m = gain, m
                if best_gain > 0:
                    pools[k] = rest if len(rest) >= 2 else []
                    if best_m >= 0:
                        pools[best_m] = sorted([*pools[best_m], i])
                    improved = True
        pools = [p for p in pools if len(p) >= 2]
        # Merge two pools when one pool saves more than both.
        merged = True
        while merged and not oracle.spent:
            merged = False
            for a in range(len(pools)):
                for b in range(a + 1, len(pools)):
                    both = sorted([*pools[a], *pools[b]])
                    if oracle.saving(both) > oracle.saving(pools[a]) + oracle.saving(pools[b]):
                        pools[a] = both
                        del pools[b]
                        merged = improved = True
                        break
                if merged:
                    break
    if oracle.spent:
        oracle.search.exhausted = True
    out: list[Group] = []
    for pool in pools:
        found = oracle.group(pool)
        if found is not None:
            out.append(found)
    return out
