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
* A larger component starts from a build, date by date: of the busiest dates,
  the one whose covering needs (earliest deadline first) save most; a pool that
  does not save is retried without its worst member, a small one drops members
  that make it dearer, and the part-filled last box is fitted by swapping
  flexible members for open needs of a better size. (A caller may give its own
  start instead.) A local search then improves the pools with moves that each
  raise the total saving, so a need joins a pool only where it lowers the total:
  swap two needs between pools or move one, aimed at the last boxes (a pool that
  spills cargo to the part-load rate, or keeps a box it nearly empties, passes
  needs of fitting size to a pool with room); move any need to another pool or
  out of its pool; merge two pools; split one. A move is priced on the two pools
  it touches only, pool prices are cached by their members, and only pools with
  a date in the need's window are tried.
* Sizes guide the aimed moves only: the oracle may answer with a `Quote` whose
  `room`, `spill`, `shed` and `grow` describe its plan in the needs' `size`
  units. Every decision is taken on prices.
* Every group a large component's search prices counts against its budget
  (`Budget`): `PRICINGS_PER_NEED` per need of the component, at least
  `BUDGET_FLOOR`, and for all the large components of one matching call at
  most `SEARCH_PRICINGS`, shared in proportion; the build may use a quarter of
  a component's budget beyond one pricing per pool. The search stops when no
  move improves or the budget is spent, so the result depends only on the
  input and the budget. `Search` records what it did.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol

ZERO = Decimal(0)

EXACT_LIMIT = 12
# The exact search prices at most this many candidate groups per component.
EXACT_GROUPS = 4_096
# A large component's search may price this many groups per need, and at least the floor;
# one matching call's large components together at most SEARCH_PRICINGS.
PRICINGS_PER_NEED = 0.4
BUDGET_FLOOR = 50
SEARCH_PRICINGS = 8_000
# The build's share of the budget beyond one pricing per pool: a quarter.
_BUILD_SHARE = 4
_DATES_TRIED = 2
_PRUNE_MAX = 12
# Swaps tried to fit a new pool's last box; aimed moves tried per pool; pools with room
# tried for one need.
_FIT_TRIES = 4
_AIMED_TRIES = 3
_TARGETS = 3


class Span(Protocol):
    """What chaining windows reads of a need: its first and last feasible date."""

    @property
    def first(self) -> date: ...

    @property
    def last(self) -> date: ...


class Need(NamedTuple):
    """A need as grouping sees it: its feasible dates, what it costs alone and its size
    (what fills a pool's boxes, e.g. CBM; 0 when the oracle's quotes say nothing of it).
    A tuple: a run makes one per need it groups."""

    first: date
    last: date
    standalone: Decimal
    size: float = 0.0


Shape = tuple[float, float, float, float]


class Quote:
    """A pool's price and the shape of its plan, in the needs' `size` units.

    `room`: left in the boxes it books. `spill`: shipped at the dearer part-load rate
    (e.g. LCL); any of it leaving makes the pool cheaper. `shed`: what must leave
    before one of its boxes can go or give way to a cheaper one. `grow`: what the
    cheapest upgrade of one box to a bigger one adds to its room. Given `measure`
    instead, the shape is measured on first read (most priced pools are only
    compared by their total).
    """

    __slots__ = ("_measure", "_shape", "total")

    def __init__(self, total: Decimal, room: float = 0.0, spill: float = 0.0,
                 shed: float = 0.0, grow: float = 0.0, *,
                 measure: Callable[[], Shape] | None = None) -> None:
        self.total = total
        self._shape: Shape | None = None if measure is not None else (room, spill, shed, grow)
        self._measure = measure

    def _read(self) -> Shape:
        shape = self._shape
        if shape is None:
            measure = self._measure
            shape = self._shape = measure() if measure is not None else (0.0, 0.0, 0.0, 0.0)
            self._measure = None
        return shape

    @property
    def room(self) -> float:
        return self._read()[0]

    @property
    def spill(self) -> float:
        return self._read()[1]

    @property
    def shed(self) -> float:
        return self._read()[2]

    @property
    def grow(self) -> float:
        return self._read()[3]

    @property
    def excess(self) -> float:
        """The size that should leave: what spills, else what keeps a box from going."""
        _room, spill, shed, _grow = self._read()
        return spill if spill > 0 else shed

    def __repr__(self) -> str:
        return f"Quote({self.total!r})"


# The counts of a `Search` that a run records (`formats.KindSearch`).
RECORDED = ("exact", "local", "by_date", "budget", "spent", "exhausted", "moves")


@dataclass
class Search:
    """What a grouping search did: components solved exactly or by the local search (and,
    for the caller to fill in, groups it formed date by date on its own), the pricings
    the local search was allowed and spent, whether they ran out, and its moves."""

    exact: int = 0
    local: int = 0
    by_date: int = 0
    budget: int = 0
    spent: int = 0
    priced: int = 0
    exhausted: int = 0
    moves: int = 0

    @property
    def method(self) -> str:
        parts = [name for name, count in (("exact", self.exact), ("local search", self.local),
                                          ("date by date", self.by_date)) if count]
        return " and ".join(parts) if parts else "none"

    def add(self, other: Search) -> None:
        for name in (*RECORDED, "priced"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Group:
    members: tuple[int, ...]  # indices into the needs, ascending
    ship_date: date
    total: Decimal
    saving: Decimal
    quote: Quote | None = field(default=None, compare=False)

    @property
    def room(self) -> float:
        return self.quote.room if self.quote is not None else 0.0

    @property
    def spill(self) -> float:
        return self.quote.spill if self.quote is not None else 0.0

    @property
    def excess(self) -> float:
        return self.quote.excess if self.quote is not None else 0.0

    @property
    def grow(self) -> float:
        return self.quote.grow if self.quote is not None else 0.0


@dataclass(frozen=True)
class Budget:
    """How many groups the local search may price: `per_need` per need of a component,
    at least `floor`; and at most `total` for all the large components of one matching
    call, which then share it in proportion to what each would be allowed."""

    per_need: float = PRICINGS_PER_NEED
    floor: int = BUDGET_FLOOR
    total: int | None = SEARCH_PRICINGS

    def component(self, size: int) -> int:
        return max(self.floor, int(size * self.per_need))

    def share(self, sizes: Iterable[int]) -> float:
        """The part of its budget each large component gets, given every large
        component's size in the call (`large_components`)."""
        asked = sum(self.component(size) for size in sizes)
        if self.total is None or asked <= self.total:
            return 1.0
        return self.total / asked


DEFAULT_BUDGET = Budget()
PoolPrice = Callable[[tuple[int, ...]], Quote | Decimal | None]
# The first pools of a large component (lists of its needs), in place of the build.
StartPools = Callable[[Sequence[int]], list[list[int]]]


@dataclass
class _Oracle:
    needs: Sequence[Need]
    price: PoolPrice
    max_members: int
    search: Search
    cache: dict[tuple[int, ...], Group | None] = field(default_factory=dict)
    # What a group that does not save costs more than its members alone (None: unpriceable).
    excess: dict[tuple[int, ...], Decimal | None] = field(default_factory=dict)
    limit: int | None = None

    def group(self, members: Iterable[int]) -> Group | None:
        """The pool of these members when it is feasible and saves, else None."""
        key = tuple(sorted(members))
        if key in self.cache:
            return self.cache[key]
        result: Group | None = None
        if 2 <= len(key) <= self.max_members:
            needs = self.needs
            lo = max(needs[i].first for i in key)
            hi = min(needs[i].last for i in key)
            if lo <= hi:
                self.search.priced += 1
                quote = self.price(key)
                if isinstance(quote, Decimal):
                    quote = Quote(quote)
                if quote is None:
                    self.excess[key] = None
                else:
                    alone = sum((needs[i].standalone for i in key), ZERO)
                    if quote.total < alone:
                        result = Group(key, lo, quote.total, alone - quote.total, quote)
                    else:
                        self.excess[key] = quote.total - alone
        self.cache[key] = result
        return result

    def saving(self, members: Iterable[int]) -> Decimal:
        found = self.group(members)
        return found.saving if found is not None else ZERO

    def margin(self, members: Sequence[int]) -> Decimal | None:
        """Saving, negative when the pool costs more than its members alone; None when
        it cannot be priced or has no common date."""
        found = self.group(members)
        if found is not None:
            return found.saving
        over = self.excess.get(tuple(sorted(members)))
        return -over if over is not None else None

    @property
    def spent(self) -> bool:
        return self.limit is not None and self.search.priced >= self.limit


def _compatible_groups(part: Sequence[int], needs: Sequence[Span]) -> int:
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


def components(needs: Sequence[Span]) -> list[list[int]]:
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


def is_exact(part: Sequence[int], needs: Sequence[Span], exact_limit: int = EXACT_LIMIT) -> bool:
    """Whether `partition` solves this component exactly (else by the local search)."""
    return len(part) <= exact_limit and _compatible_groups(part, needs) <= EXACT_GROUPS


def large_components(
    needs: Sequence[Span], exact_limit: int = EXACT_LIMIT,
    parts: Sequence[Sequence[int]] | None = None,
) -> list[int]:
    """The sizes of the components `partition` leaves to the local search (`parts`:
    `components(needs)`, when the caller has them)."""
    return [len(part) for part in (components(needs) if parts is None else parts)
            if len(part) >= 2 and not is_exact(part, needs, exact_limit)]


def partition(
    needs: Sequence[Need],
    price: PoolPrice,
    *,
    max_members: int = 40,
    exact_limit: int = EXACT_LIMIT,
    budget: Budget = DEFAULT_BUDGET,
    share: float = 1.0,
    start: StartPools | None = None,
    parts: Sequence[Sequence[int]] | None = None,
) -> tuple[list[Group], Search]:
    """The pools to propose, best found for the whole market, and how they were found.

    Each large component may price `budget.component(size) * share` groups (`share`
    from `budget.share` over every large component of the matching call);
    `Search.budget` is their sum and `Search.spent` what they priced. `start` gives
    the first pools of a large component (lists of its needs) in place of the build.
    `parts` is `components(needs)`, when the caller has them.
    """
    search = Search()
    oracle = _Oracle(needs, price, max(2, max_members), search)
    groups: list[Group] = []
    for part in (components(needs) if parts is None else parts):
        if len(part) < 2:
            continue
        if is_exact(part, needs, exact_limit):
            search.exact += 1
            groups.extend(_exact(part, oracle))
            continue
        search.local += 1
        allowed = max(1, int(budget.component(len(part)) * share))
        search.budget += allowed
        begun = search.priced
        oracle.limit = begun + allowed // _BUILD_SHARE
        first = start(part) if start is not None else _build(part, oracle)
        oracle.limit = begun + allowed
        groups.extend(_Local(part, oracle, first).run())
        search.spent += search.priced - begun
        if oracle.spent:
            search.exhausted += 1
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


# ------------------------------------------------------------------ the build


def _prune(members: list[int], oracle: _Oracle) -> list[int]:
    """A pool that does not save loses its worst member until it saves; a small one
    then drops the member whose leaving raises the saving most, while one does."""
    while len(members) > 2 and oracle.group(members) is None and not oracle.spent:
        base = oracle.margin(members)
        if base is None:
            break
        worst: tuple[Decimal, int] | None = None
        for k in range(len(members)):
            margin = oracle.margin(members[:k] + members[k + 1:])
            if margin is not None and (worst is None or margin > worst[0]):
                worst = (margin, k)
        if worst is None or worst[0] <= base:
            break
        members = members[:worst[1]] + members[worst[1] + 1:]
    current = oracle.saving(members)
    while current > 0 and 2 < len(members) <= _PRUNE_MAX and not oracle.spent:
        best_gain = ZERO
        best_drop = -1
        for k in range(len(members)):
            gain = oracle.saving(members[:k] + members[k + 1:]) - current
            if gain > best_gain:
                best_gain, best_drop = gain, k
        if best_drop < 0:
            break
        members = members[:best_drop] + members[best_drop + 1:]
        current += best_gain
    return members


def _fit(members: list[int], open_: Sequence[int], day: date, oracle: _Oracle) -> list[int]:
    """Fit a new pool's last box: swap its latest-deadline members for open needs covering
    the same date whose sizes cut what it should shed (or fill the room left in its
    boxes, or in a bigger last box), the closest fits first, keeping each swap that
    raises the saving."""
    needs = oracle.needs
    found = oracle.group(members)
    if found is None or not any(needs[i].size for i in members):
        return members
    if oracle.spent:
        return list(found.members)  # no swap may be priced
    taken = set(found.members)
    spare = sorted((needs[c].size, c) for c in open_
                   if c not in taken and needs[c].first <= day <= needs[c].last)
    keys = [size for size, _c in spare]
    tried: set[tuple[int, int]] = set()
    tries = 0
    while tries < _FIT_TRIES and not oracle.spent and spare:
        excess, room = found.excess, found.room
        flexible = sorted(found.members, key=lambda i: (-needs[i].last.toordinal(), i))
        best: tuple[float, int, int] | None = None
        for i in flexible[:len(flexible) // 2 + 1]:
            size = needs[i].size
            targets: list[float] = []
            if excess > 0:  # the largest open need at most size - excess
                targets.append(size - excess)
            if room > 0:  # the largest open need at most size + room, larger than size
                targets.append(size + room)
            if found.grow > 0:
                targets.append(size + room + found.grow)
            for target in targets:
                k = bisect.bisect_right(keys, target) - 1
                while k >= 0 and (i, spare[k][1]) in tried:
                    k -= 1
                if k < 0 or (target > size and spare[k][0] <= size):
                    continue
                gap = target - spare[k][0]
                if best is None or gap < best[0]:
                    best = (gap, i, spare[k][1])
        if best is None:
            break
        tries += 1
        _gap, out, into = best
        tried.add((out, into))
        better = oracle.group([k for k in found.members if k != out] + [into])
        if better is None or better.saving <= found.saving:
            continue
        found = better
        del spare[bisect.bisect_left(spare, (needs[into].size, into))]
        bisect.insort(spare, (needs[out].size, out))
        keys = [size for size, _c in spare]
    return list(found.members)


def _build(part: Sequence[int], oracle: _Oracle) -> list[list[int]]:
    """Pools date by date: of the dates covering the most open needs, the one whose
    covering needs (earliest deadline first, up to `max_members`) save most."""
    needs = oracle.needs
    open_ = sorted(part, key=lambda i: (needs[i].last, needs[i].first, i))
    starts = sorted(needs[i].first for i in open_)
    ends = sorted(needs[i].last for i in open_)
    dead: set[date] = set()
    pools: list[list[int]] = []

    def covering(day: date) -> int:
        return bisect.bisect_right(starts, day) - bisect.bisect_left(ends, day)

    while len(open_) >= 2:
        days = sorted({needs[i].first for i in open_} - dead)
        # A second date costs a pricing: only while the build's budget lasts.
        tried = 1 if oracle.spent else _DATES_TRIED
        scored: list[tuple[Decimal, int, date, list[int]]] = []
        for negative, day in sorted((-covering(d), d) for d in days)[:tried]:
            if -negative < 2:
                continue
            cover: list[int] = []
            for i in open_:
                if needs[i].first <= day <= needs[i].last:
                    cover.append(i)
                    if len(cover) == oracle.max_members:
                        break
            scored.append((oracle.saving(cover), -day.toordinal(), day, cover))
        if not scored:
            break
        _saving, _order, day, cover = max(scored, key=lambda s: (s[0], s[1]))
        members = _fit(_prune(cover, oracle), open_, day, oracle)
        if oracle.group(members) is None:
            dead.add(day)
            continue
        pools.append(sorted(members))
        taken = set(members)
        open_ = [i for i in open_ if i not in taken]
        for i in members:
            del starts[bisect.bisect_left(starts, needs[i].first)]
            del ends[bisect.bisect_left(ends, needs[i].last)]
    return pools


# ----------------------------------------------------------------- the search


@dataclass
class _Pool:
    group: Group
    lo: date
    hi: date
    # The second latest first date and second earliest last date (the window without
    # the member that sets `lo` or `hi`).
    lo2: date
    hi2: date

    @classmethod
    def of(cls, group: Group, needs: Sequence[Need]) -> _Pool:
        firsts = sorted((needs[i].first for i in group.members), reverse=True)
        lasts = sorted(needs[i].last for i in group.members)
        return cls(group, firsts[0], lasts[0], firsts[1], lasts[1])

    @property
    def members(self) -> tuple[int, ...]:
        return self.group.members

    def window_without(self, need: Need) -> tuple[date, date]:
        lo = self.lo2 if need.first == self.lo else self.lo
        hi = self.hi2 if need.last == self.hi else self.hi
        return lo, hi


def _meets(lo: date, hi: date, need: Need) -> bool:
    return max(lo, need.first) <= min(hi, need.last)


class _Local:
    """Improve a component's pools by moves that each raise the total saving."""

    def __init__(self, part: Sequence[int], oracle: _Oracle, start: list[list[int]]) -> None:
        self.part = sorted(part)
        self.oracle = oracle
        self.needs = oracle.needs
        self.limit = oracle.max_members
        self.pools: dict[int, _Pool] = {}
        self.where: dict[int, int] = {}
        self.serial = 0
        self._order: list[int] | None = None
        self._starts: list[date] = []
        self._span = 0
        for members in start:
            self._put(members)

    # -- state

    def _put(self, members: Sequence[int]) -> None:
        found = self.oracle.group(members) if len(members) >= 2 else None
        if found is None:
            return
        self.serial += 1
        self.pools[self.serial] = _Pool.of(found, self.needs)
        for i in found.members:
            self.where[i] = self.serial
        self._order = None

    def _replace(self, old: Sequence[int], new: Sequence[Sequence[int]]) -> None:
        """Pools `old` give way to pools `new`; a new one that does not save is not kept."""
        for key in old:
            for i in self.pools.pop(key).members:
                del self.where[i]
        self._order = None
        for members in new:
            self._put(members)
        self.oracle.search.moves += 1

    def _value(self, members: Sequence[int]) -> Decimal:
        return self.oracle.saving(members) if len(members) >= 2 else ZERO

    def _ordered(self) -> list[int]:
        """The pools by their first ship date (then members)."""
        if self._order is None:
            pools = self.pools
            self._order = sorted(pools, key=lambda k: (pools[k].lo, pools[k].members))
            self._starts = [pools[k].lo for k in self._order]
            self._span = max(((pools[k].hi - pools[k].lo).days for k in pools), default=0)
        return self._order

    def _near(self, first: date, last: date) -> list[int]:
        """The pools whose window meets [first, last], by first ship date."""
        order = self._ordered()
        low = bisect.bisect_left(self._starts, first - timedelta(days=self._span))
        high = bisect.bisect_right(self._starts, last)
        return [k for k in order[low:high] if self.pools[k].hi >= first]

    # -- moves

    def run(self) -> list[Group]:
        oracle = self.oracle
        wide = False
        while not oracle.spent:
            while self._aimed() and not oracle.spent:
                pass
            improved = self._relocations(wide=wide)
            improved = self._merges() or improved
            if wide:
                improved = self._splits() or improved
            if not improved:
                if wide:
                    break
                wide = True
        return [pool.group for pool in self.pools.values()]

    def _aimed(self) -> bool:
        """Pools whose cargo spills to the part-load rate, or that keep a box they nearly
        empty, pass needs of fitting size to pools with room (or room after upgrading
        a box): a move, or a swap for a smaller need, the closest fits first."""
        oracle = self.oracle
        needs = self.needs
        improved = False
        wasteful = sorted((-p.group.excess, p.lo, key) for key, p in self.pools.items()
                          if p.group.excess > 0)
        for _excess, _lo, a in wasteful:
            if oracle.spent:
                break
            pool_a = self.pools.get(a)
            if pool_a is None:
                continue
            excess = pool_a.group.excess
            latest = max(needs[i].last for i in pool_a.members)
            earliest = min(needs[i].first for i in pool_a.members)
            candidates: list[tuple[float, int, int, int]] = []
            for b in self._near(earliest, latest):
                pool_b = self.pools[b]
                room = pool_b.group.room + pool_b.group.grow
                if b == a or room <= 0:
                    continue
                sizes = sorted((needs[j].size, j) for j in pool_b.members)
                keys = [size for size, _j in sizes]
                has_place = len(pool_b.members) < self.limit
                for i in pool_a.members:
                    need = needs[i]
                    # Without one of its members, B ships within [lo2, hi2] at most.
                    if need.size < excess or not _meets(pool_b.lo2, pool_b.hi2, need):
                        continue
                    if has_place and need.size <= room and _meets(pool_b.lo, pool_b.hi, need):
                        candidates.append((need.size - excess, i, -1, b))
                    lo_a, hi_a = pool_a.window_without(need)
                    # The largest member of B that still takes `excess` out of A.
                    low = bisect.bisect_left(keys, need.size - room)
                    k = bisect.bisect_right(keys, need.size - excess) - 1
                    while k >= low:
                        size, j = sizes[k]
                        other = needs[j]
                        if _meets(lo_a, hi_a, other) and _meets(
                                *pool_b.window_without(other), need):
                            candidates.append((need.size - size - excess, i, j, b))
                            break
                        k -= 1
            for _fit, i, j, b in heapq.nsmallest(_AIMED_TRIES, candidates):
                members_a = [k for k in pool_a.members if k != i]
                members_b = [k for k in self.pools[b].members if k != j]
                members_b.append(i)
                if j >= 0:
                    members_a.append(j)
                gain = (self._value(members_a) + self._value(members_b)
                        - pool_a.group.saving - self.pools[b].group.saving)
                if gain > 0:
                    self._replace([a, b], [members_a, members_b])
                    improved = True
                    break
                if oracle.spent:
                    break
        return improved

    def _relocations(self, *, wide: bool) -> bool:
        """Each need moves where it raises the saving most: to another pool with a free
        place and a common date, out of its pool, or from outside into a pool.

        Adding a need never makes a pool cheaper, so a need whose pool's members pay no
        less without it stays where it is, and a pool it joins at no extra cost ends the
        search for it. A need with a size tries the pools with the most room first, at
        first only those with room for it (`wide`: any), and only leaves a pool that
        does not spill when it is big enough to let one of its boxes go."""
        oracle = self.oracle
        needs = self.needs
        improved = False
        for i in self.part:
            if oracle.spent:
                break
            need = needs[i]
            a = self.where.get(i)
            targets: list[tuple[float, date, int]] = []
            for b in self._near(need.first, need.last):
                pool_b = self.pools[b]
                if b == a or len(pool_b.members) >= self.limit or not _meets(
                        pool_b.lo, pool_b.hi, need):
                    continue
                room = pool_b.group.room
                if need.size and room < need.size and not wide:
                    continue
                targets.append((-room, pool_b.lo, b))
            targets.sort()
            if need.size:
                del targets[_TARGETS:]
                if not targets:
                    continue
            rest: list[int] = []
            leave = ZERO  # the saving's change when the need leaves its pool
            if a is not None:
                found_a = self.pools[a].group
                if need.size and found_a.spill <= 0 and need.size < found_a.excess:
                    continue
                rest = [k for k in found_a.members if k != i]
                leave = self._value(rest) - found_a.saving
                if need.standalone + leave <= 0:
                    continue
            best_gain, best_b = (leave, -1) if a is not None else (ZERO, -1)
            for _room, _lo, b in targets:
                if oracle.spent:
                    break
                pool_b = self.pools[b]
                join = self._value([*pool_b.members, i]) - pool_b.group.saving
                if leave + join > best_gain:
                    best_gain, best_b = leave + join, b
                if join >= need.standalone:
                    break
            if best_gain <= 0:
                continue
            old = [a] if a is not None else []
            new = [rest] if a is not None else []
            if best_b >= 0:
                old.append(best_b)
                new.append([*self.pools[best_b].members, i])
            self._replace(old, new)
            improved = True
        return improved

    def _merges(self) -> bool:
        """Two pools with a common date and places for both merge when one saves more."""
        oracle = self.oracle
        improved = False
        for a in list(self._ordered()):
            pool_a = self.pools.get(a)
            if pool_a is None:
                continue
            for b in self._near(pool_a.lo, pool_a.hi):
                if oracle.spent:
                    return improved
                pool_b = self.pools[b]
                if b == a or len(pool_a.members) + len(pool_b.members) > self.limit or (
                        max(pool_a.lo, pool_b.lo) > min(pool_a.hi, pool_b.hi)):
                    continue
                both = [*pool_a.members, *pool_b.members]
                if self._value(both) > pool_a.group.saving + pool_b.group.saving:
                    self._replace([a, b], [both])
                    improved = True
                    break
        return improved

    def _splits(self) -> bool:
        """A pool splits in two, its earliest deadlines apart from the rest, when the two
        save more than the one."""
        oracle = self.oracle
        needs = self.needs
        improved = False
        for a in list(self._ordered()):
            if oracle.spent:
                break
            pool = self.pools.get(a)
            if pool is None or len(pool.members) < 4:
                continue
            ordered = sorted(pool.members, key=lambda i: (needs[i].last, needs[i].first, i))
            left, right = ordered[:len(ordered) // 2], ordered[len(ordered) // 2:]
            if self._value(left) + self._value(right) > pool.group.saving:
                self._replace([a], [left, right])
                improved = True
        return improved
