"""Choosing containers for a sea pool: which FCL boxes to book and what ships LCL.

Pure Python, Decimal throughout, deterministic. `plan_sea` tries candidate multisets of
container types, fills each with the pool's loads (both the usable volume and the payload
bind) and sends what does not fit to LCL; the cheapest plan wins.

- A load that fits no container type whole and may not be split ships LCL whole.
- A splittable load may be split across containers and LCL. Parts keep the load's
  density (volume rounded down to 1 cm3, weight to 1 g) and the last part takes the exact
  remainder, so the parts always add up to the load.
- Pools of at most four loads are solved exactly: every subset of the whole loads
  sent to LCL is tried against every container multiset up to the count bound, with
  an exhaustive fit check. Bigger pools try a handful of multisets near the count
  bound of each type (as many as hold everything, one fewer, the last box swapped
  for or joined by another type), ordered by a lower bound (boxes plus, as LCL, what
  exceeds their room), and fill at most four of them best-fit decreasing, stopping
  once the next bound cannot beat the best plan.
- Pools of five to fifteen loads whose best fill is above the fluid bound are then
  solved exactly by branch and bound over container multisets and whole-load
  assignments (the integer programme in HiGHS takes over when the search cannot
  settle a pool within its step budget). Larger pools also try, per type, the
  fewest boxes for their whole loads (`pack_bins`).
- Ties in cost go to fewer containers, then to less LCL volume, then to the first plan
  found, so the same input always gives the same plan.
- Speed without changing the plan: when every load and container is a whole number of
  cm3 and grams, the greedy fills run on integers (which compare exactly like the
  Decimals) and only the winning fill is built with placements; with `price_slack`
  the search stops once the cheapest remaining multiset cannot win.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Generic, NamedTuple, TypeVar, overload

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

__all__ = [
    "Container",
    "ContainerType",
    "Load",
    "PackingError",
    "Placement",
    "SeaPlan",
    "MAX_EXACT_LOADS",
    "bins_lower_bound",
    "first_fit_decreasing",
    "pack_bins",
    "plan_sea",
    "validate_bins",
]

ZERO = Decimal(0)
CBM_STEP = Decimal("0.000001")
KG_STEP = Decimal("0.001")

# Enumerate every container multiset while there are at most this many.
_MAX_EXACT_COMBOS = 400
# Exhaustive assignment for at most this many loads that must stay whole, while
# (container slots + 1) ** those loads stays below the second limit.
_MAX_EXACT_WHOLE = 4
_MAX_EXACT_ASSIGNMENTS = 4_096
# Bigger pools: fill at most this many multisets near the count bound.
_MAX_NEAR_FILLS = 4
# Pools of up to this many loads also get the plan of the integer programme, which
# is optimal for a tariff that is linear in container counts and in the LCL W/M.
MAX_EXACT_LOADS = 15
# Its time limit, far above what it takes (0.2-0.4 s at its root node on a slow machine,
# for the few pools the search leaves it): a limit that binds would make the plan
# depend on the machine's speed. The single-type packings of larger pools get the same
# limit: their stages are bounded by steps (milliseconds), the clock only stops a
# machine that stalls.
_MIP_SECONDS = 3.0
# The fluid lower bound tries at most this many container count vectors.
_MAX_FLUID_VECTORS = 4_096

LclCost = Callable[[Decimal, Decimal], Decimal]
FixedCost = Callable[[Sequence[str], Decimal, Decimal], Decimal]


_Owner = TypeVar("_Owner")
_Value = TypeVar("_Value")


class _once(Generic[_Owner, _Value]):  # noqa: N801 - used as a decorator, like cached_property
    """`functools.cached_property` without the lock Python 3.11 takes on every first read
    (3.12 dropped it): the value is worked out once per instance and kept in its
    `__dict__`, where later reads find it without calling the descriptor. Loads are
    made by the ten thousand and each of these is read once or twice."""

    def __init__(self, func: Callable[[_Owner], _Value]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type[_Owner], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[_Owner] | None = None) -> _once[_Owner, _Value]: ...

    @overload
    def __get__(self, obj: _Owner, owner: type[_Owner] | None = None) -> _Value: ...

    def __get__(self, obj: _Owner | None, owner: type[_Owner] | None = None
                ) -> _Value | _once[_Owner, _Value]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)  # type: ignore[attr-defined]
        return value


class PackingError(ValueError):
    """Loads or container types that cannot be planned."""


@dataclass(frozen=True)
class Load:
    id: str | int
    volume_cbm: Decimal
    gross_kg: Decimal
    splittable: bool

    @_once
    def problem(self) -> str:
        """Why the load cannot be planned, "" when it can (worked out once)."""
        for field, value in (("volume_cbm", self.volume_cbm), ("gross_kg", self.gross_kg)):
            if not isinstance(value, Decimal) or not value.is_finite():
                return f"Load {self.id!r}: {field} must be a finite Decimal."
            if value < 0:
                return f"Load {self.id!r}: {field} cannot be negative."
        return ""

    @_once
    def by_volume(self) -> tuple[Decimal, Decimal, str]:
        """The order loads are placed in: largest volume first, then heaviest, then by
        id (worked out once, as a pool's loads are ordered many times over)."""
        return (-self.volume_cbm, -self.gross_kg, str(self.id))

    @_once
    def by_weight(self) -> tuple[Decimal, Decimal, str]:
        """The other order: heaviest first, then largest volume, then by id."""
        return (-self.gross_kg, -self.volume_cbm, str(self.id))

    @_once
    def whole(self) -> Placement:
        """The whole load in one place (made once and shared: placements are immutable,
        and a pool's loads are placed many times over)."""
        return Placement(self.id, self.volume_cbm, self.gross_kg)

    @_once
    def grid(self) -> tuple[int, int] | None:
        """The load in cm3 and grams when it is a whole number of both, else None; worked
        out once, as a pool's loads are planned many times over."""
        vol = _grid(self.volume_cbm, 6)
        kg = _grid(self.gross_kg, 3)
        return None if vol is None or kg is None else (vol, kg)


@dataclass(frozen=True)
class ContainerType:
    code: str
    price: Decimal
    usable_cbm: Decimal
    payload_kg: Decimal

    @_once
    def problem(self) -> str:
        """Why the type cannot be planned with (its code aside), "" when it can (worked
        out once, as a card's types are planned with many times over)."""
        for field, value in (
            ("price", self.price),
            ("usable_cbm", self.usable_cbm),
            ("payload_kg", self.payload_kg),
        ):
            if not isinstance(value, Decimal) or not value.is_finite():
                return f"Container {self.code!r}: {field} must be a finite Decimal."
        if self.price < 0:
            return f"Container {self.code!r}: price cannot be negative."
        if self.usable_cbm <= 0 or self.payload_kg <= 0:
            return f"Container {self.code!r}: usable_cbm and payload_kg must be positive."
        return ""

    @_once
    def grid(self) -> tuple[int, int] | None:
        """The room in cm3 and grams when it is a whole number of both, else None."""
        usable = _grid(self.usable_cbm, 6)
        payload = _grid(self.payload_kg, 3)
        return None if usable is None or payload is None else (usable, payload)


class Placement(NamedTuple):
    """A load, or the part of a split load, in one container or in LCL (a tuple: plans
    are made by the thousand, each with a placement per load)."""

    load_id: str | int
    volume_cbm: Decimal
    gross_kg: Decimal


class Container(NamedTuple):
    """A booked box and what it holds."""

    code: str
    placements: tuple[Placement, ...]

    @property
    def used_cbm(self) -> Decimal:
        return sum((p.volume_cbm for p in self.placements), ZERO)

    @property
    def used_kg(self) -> Decimal:
        return sum((p.gross_kg for p in self.placements), ZERO)


class SeaPlan(NamedTuple):
    """Boxes, what ships LCL and the plan's cost (tuples, as planners make thousands)."""

    containers: tuple[Container, ...]
    lcl: tuple[Placement, ...]
    cost: Decimal

    @property
    def lcl_cbm(self) -> Decimal:
        return sum((p.volume_cbm for p in self.lcl), ZERO)

    @property
    def lcl_kg(self) -> Decimal:
        return sum((p.gross_kg for p in self.lcl), ZERO)

    @property
    def container_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.containers)


_BY_VOLUME = operator.attrgetter("by_volume")
_BY_WEIGHT = operator.attrgetter("by_weight")


def _validate(loads: Sequence[Load], types: Sequence[ContainerType]) -> None:
    if len({load.id for load in loads}) < len(loads):
        seen: set[str | int] = set()
        for load in loads:
            if load.id in seen:
                raise PackingError(f"Load {load.id!r} appears more than once.")
            seen.add(load.id)
    for load in loads:
        if load.problem:
            raise PackingError(load.problem)
    codes: set[str] = set()
    for t in types:
        if t.code in codes:
            raise PackingError(f"Container type {t.code!r} is listed twice.")
        codes.add(t.code)
        if t.problem:
            raise PackingError(t.problem)


def _fits(load: Load, t: ContainerType) -> bool:
    return load.volume_cbm <= t.usable_cbm and load.gross_kg <= t.payload_kg


# A fill of one container multiset: placements per container, and the LCL placements.
_Fill = tuple[list[list[Placement]], list[Placement]]


def _split_part(
    vol: Decimal, kg: Decimal, room_cbm: Decimal, room_kg: Decimal
) -> tuple[Decimal, Decimal]:
    """The largest part of (vol, kg), at the same density, that fits the room.

    The binding measure fills its room exactly; the other is its exact share
    rounded down to the grid (1 cm3, 1 g).
    """
    if vol <= room_cbm and kg <= room_kg:
        return vol, kg
    if vol > 0 and room_cbm * kg <= room_kg * vol:
        part_vol = min(room_cbm, vol)
        part_kg = (kg * part_vol / vol).quantize(KG_STEP, ROUND_DOWN)
    else:
        part_kg = min(room_kg, kg)
        part_vol = (vol * part_kg / kg).quantize(CBM_STEP, ROUND_DOWN)
    return max(min(part_vol, room_cbm, vol), ZERO), max(min(part_kg, room_kg, kg), ZERO)


def _place_splittable(
    loads: Sequence[Load],
    rooms_cbm: list[Decimal],
    rooms_kg: list[Decimal],
    content: list[list[Placement]],
    lcl: list[Placement],
) -> None:
    """Put splittable loads whole where they fit best, else spread them over the rooms."""
    for load in loads:
        best = _best_fit(load.volume_cbm, load.gross_kg, rooms_cbm, rooms_kg)
        if best >= 0:
            content[best].append(load.whole)
            rooms_cbm[best] -= load.volume_cbm
            rooms_kg[best] -= load.gross_kg
            continue
        vol, kg = load.volume_cbm, load.gross_kg
        order = sorted(range(len(rooms_cbm)), key=lambda c: (-rooms_cbm[c], -rooms_kg[c], c))
        for c in order:
            if vol <= 0 and kg <= 0:
                break
            part_vol, part_kg = _split_part(vol, kg, rooms_cbm[c], rooms_kg[c])
            if part_vol <= 0 and part_kg <= 0:
                continue
            content[c].append(Placement(load.id, part_vol, part_kg))
            rooms_cbm[c] -= part_vol
            rooms_kg[c] -= part_kg
            vol -= part_vol
            kg -= part_kg
        if vol > 0 or kg > 0:
            lcl.append(Placement(load.id, vol, kg))


def _best_fit(vol: Decimal, kg: Decimal, rooms_cbm: list[Decimal], rooms_kg: list[Decimal]) -> int:
    best = -1
    for c, (rc, rk) in enumerate(zip(rooms_cbm, rooms_kg, strict=True)):
        if vol <= rc and kg <= rk and (
            best < 0 or (rc, rk) < (rooms_cbm[best], rooms_kg[best])
        ):
            best = c
    return best


def _fill_greedy(
    combo: Sequence[ContainerType], whole: Sequence[Load], splittable: Sequence[Load]
) -> _Fill:
    """Best-fit decreasing in the given order: whole loads first, then splittable ones."""
    rooms_cbm = [t.usable_cbm for t in combo]
    rooms_kg = [t.payload_kg for t in combo]
    content: list[list[Placement]] = [[] for _ in combo]
    lcl: list[Placement] = []
    for load in whole:
        best = _best_fit(load.volume_cbm, load.gross_kg, rooms_cbm, rooms_kg)
        placement = load.whole
        if best < 0:
            lcl.append(placement)
        else:
            content[best].append(placement)
            rooms_cbm[best] -= load.volume_cbm
            rooms_kg[best] -= load.gross_kg
    _place_splittable(splittable, rooms_cbm, rooms_kg, content, lcl)
    return content, lcl


def _fills_exact(
    combo: Sequence[ContainerType], whole: Sequence[Load], splittable: Sequence[Load]
) -> list[_Fill]:
    """For each subset of the whole loads that could ship LCL, one packing of the rest.

    The rest is packed by an exhaustive search (first packing found), the splittable
    loads then take the remaining room.
    """
    fills: list[_Fill] = []
    n = len(whole)
    for mask in range(1 << n):
        inside = [whole[i] for i in range(n) if not mask >> i & 1]
        outside = [whole[i] for i in range(n) if mask >> i & 1]
        rooms_cbm = [t.usable_cbm for t in combo]
        rooms_kg = [t.payload_kg for t in combo]
        content: list[list[Placement]] = [[] for _ in combo]
        if not _assign(inside, 0, rooms_cbm, rooms_kg, content):
            continue
        lcl = [load.whole for load in outside]
        _place_splittable(splittable, rooms_cbm, rooms_kg, content, lcl)
        fills.append((content, lcl))
    return fills


def _assign(
    loads: Sequence[Load],
    k: int,
    rooms_cbm: list[Decimal],
    rooms_kg: list[Decimal],
    content: list[list[Placement]],
) -> bool:
    if k == len(loads):
        return True
    load = loads[k]
    tried: set[tuple[Decimal, Decimal]] = set()
    for c in range(len(rooms_cbm)):
        state = (rooms_cbm[c], rooms_kg[c])
        if state in tried or load.volume_cbm > state[0] or load.gross_kg > state[1]:
            continue
        tried.add(state)  # identical rooms are interchangeable
        rooms_cbm[c] -= load.volume_cbm
        rooms_kg[c] -= load.gross_kg
        content[c].append(load.whole)
        if _assign(loads, k + 1, rooms_cbm, rooms_kg, content):
            return True
        content[c].pop()
        rooms_cbm[c] += load.volume_cbm
        rooms_kg[c] += load.gross_kg
    return False


# Cargo on the packing grid: whole cm3 and whole grams, as integers.
_GridLoad = tuple[int, int]


def _grid(value: Decimal, places: int) -> int | None:
    """`value` in units of 10**-places when it is a whole number of them, else None."""
    scaled = value.scaleb(places)
    whole = int(scaled)
    return whole if whole == scaled else None


def _grid_loads(loads: Sequence[Load]) -> list[_GridLoad] | None:
    out: list[_GridLoad] = []
    for load in loads:
        grid = load.grid
        if grid is None:
            return None
        out.append(grid)
    return out


def _split_part_grid(vol: int, kg: int, room_cbm: int, room_kg: int) -> tuple[int, int]:
    """`_split_part` on grid units: the same exact shares rounded down, so the same part."""
    if vol <= room_cbm and kg <= room_kg:
        return vol, kg
    if vol > 0 and room_cbm * kg <= room_kg * vol:
        part_vol = min(room_cbm, vol)
        part_kg = kg * part_vol // vol
    else:
        part_kg = min(room_kg, kg)
        part_vol = vol * part_kg // kg
    return max(min(part_vol, room_cbm, vol), 0), max(min(part_kg, room_kg, kg), 0)


def _fill_greedy_grid(
    caps_cbm: Sequence[int], caps_kg: Sequence[int], whole: Sequence[_GridLoad],
    splittable: Sequence[_GridLoad],
) -> tuple[list[bool], int, int, bool]:
    """`_fill_grid` reduced to what prices the plan.

    Returns which containers hold something, the LCL volume and weight, and whether
    anything ships LCL.
    """
    content, lcl = _fill_grid(caps_cbm, caps_kg, (*whole, *splittable), len(whole))
    return ([bool(parts) for parts in content], sum(part[1] for part in lcl),
            sum(part[2] for part in lcl), bool(lcl))


# A fill on the grid: (load position, cm3, g) per container, the same for LCL.
_GridPart = tuple[int, int, int]
_GridFill = tuple[list[list[_GridPart]], list[_GridPart]]


def _fill_grid(
    caps_cbm: Sequence[int], caps_kg: Sequence[int], loads: Sequence[_GridLoad], n_whole: int,
) -> _GridFill:
    """`_fill_greedy` on grid units with every placement: the first `n_whole` loads stay whole.

    Positions index `loads`. Integers compare exactly like the Decimals they stand for
    and splits use the same exact shares, so the fill makes the same choices.
    """
    rooms_cbm = list(caps_cbm)
    rooms_kg = list(caps_kg)
    n = len(rooms_cbm)
    slots = range(n)
    content: list[list[_GridPart]] = [[] for _ in slots]
    lcl: list[_GridPart] = []
    # Containers with room left in both measures; once none is left, every load with
    # volume and weight ships LCL whole, as the full search would conclude.
    open_rooms = sum(1 for rc, rk in zip(rooms_cbm, rooms_kg, strict=True) if rc > 0 and rk > 0)
    for index, (vol, kg) in enumerate(loads):
        if not open_rooms and vol > 0 and kg > 0:
            lcl.append((index, vol, kg))
            continue
        # Best fit: the least room by volume, then by weight, among the boxes it fits.
        best = -1
        best_cbm = best_kg = 0
        for c in slots:
            rc = rooms_cbm[c]
            if vol <= rc:
                rk = rooms_kg[c]
                if kg <= rk and (best < 0 or rc < best_cbm or (rc == best_cbm and rk < best_kg)):
                    best, best_cbm, best_kg = c, rc, rk
        if best >= 0:
            left_cbm = rooms_cbm[best] = best_cbm - vol
            left_kg = rooms_kg[best] = best_kg - kg
            content[best].append((index, vol, kg))
            if best_cbm > 0 and best_kg > 0 and (left_cbm <= 0 or left_kg <= 0):
                open_rooms -= 1
            continue
        if index < n_whole:
            lcl.append((index, vol, kg))
            continue
        # Rooms in the same order as `_place_splittable`, leaving out the full ones:
        # `_split_part` gives them nothing.
        rooms = sorted(
            (-rc, -rk, c)
            for c, rc, rk in zip(slots, rooms_cbm, rooms_kg, strict=True)
            if (rc > 0 or vol <= 0) and (rk > 0 or kg <= 0)
        )
        for neg_cbm, neg_kg, c in rooms:
            if vol <= 0 and kg <= 0:
                break
            part_vol, part_kg = _split_part_grid(vol, kg, -neg_cbm, -neg_kg)
            if part_vol <= 0 and part_kg <= 0:
                continue
            content[c].append((index, part_vol, part_kg))
            left_cbm = rooms_cbm[c] = -neg_cbm - part_vol
            left_kg = rooms_kg[c] = -neg_kg - part_kg
            if neg_cbm < 0 and neg_kg < 0 and (left_cbm <= 0 or left_kg <= 0):
                open_rooms -= 1
            vol -= part_vol
            kg -= part_kg
        if vol > 0 or kg > 0:
            lcl.append((index, vol, kg))
    return content, lcl


def _near_combos(
    types: Sequence[ContainerType], total_cbm: Decimal, total_kg: Decimal
) -> list[tuple[int, ...]]:
    """A handful of multisets near the count bound of each type.

    For each type: as many as hold everything, one fewer (the rest ships LCL or in
    another box), and with the last box swapped for, or joined by, one of another type.
    """
    k = len(types)
    found: set[tuple[int, ...]] = set()
    for t, ctype in enumerate(types):
        need = max(
            math.ceil(total_cbm / ctype.usable_cbm), math.ceil(total_kg / ctype.payload_kg), 1
        )
        for m in (need - 1, need):
            base = [0] * k
            base[t] = m
            if m:
                found.add(tuple(base))
            for u in range(k):
                if u == t:
                    continue
                if m:
                    swapped = list(base)
                    swapped[t] -= 1
                    swapped[u] += 1
                    found.add(tuple(swapped))
                if m == need - 1:
                    joined = list(base)
                    joined[u] += 1
                    found.add(tuple(joined))
    return sorted(found)


_GridOrders = dict[bool, tuple[list[_GridLoad], list[_GridLoad]]]


def _grid_orders(
    orders: dict[bool, tuple[list[Load], list[Load]]], types: Sequence[ContainerType]
) -> tuple[_GridOrders, dict[str, tuple[int, int]]] | None:
    """Both load orders and every container's room on the grid, or None when off it."""
    caps: dict[str, tuple[int, int]] = {}
    for t in types:
        room = t.grid
        if room is None:
            return None
        caps[t.code] = room
    out: _GridOrders = {}
    for by_kg, (whole, splittable) in orders.items():
        whole_grid = _grid_loads(whole)
        splittable_grid = _grid_loads(splittable)
        if whole_grid is None or splittable_grid is None:
            return None
        out[by_kg] = (whole_grid, splittable_grid)
    return out, caps


def _count_bound(loads: Sequence[Load], types: Sequence[ContainerType]) -> int:
    total_cbm = sum((load.volume_cbm for load in loads), ZERO)
    total_kg = sum((load.gross_kg for load in loads), ZERO)
    min_cbm = min(t.usable_cbm for t in types)
    min_kg = min(t.payload_kg for t in types)
    return max(math.ceil(total_cbm / min_cbm), math.ceil(total_kg / min_kg)) + 1


def _count_vectors(
    types: Sequence[ContainerType], total_cbm: Decimal, total_kg: Decimal
) -> list[tuple[tuple[int, ...], Decimal, Decimal]] | None:
    """Every container count vector worth trying, with its room by volume and weight.

    A type never needs more boxes than hold everything alone, which keeps the
    vectors few. None when they would still be more than `_MAX_FLUID_VECTORS`.
    """
    needs = [
        max(math.ceil(total_cbm / t.usable_cbm), math.ceil(total_kg / t.payload_kg), 0)
        for t in types
    ]
    if math.prod(n + 1 for n in needs) > _MAX_FLUID_VECTORS:
        return None
    return [
        (counts,
         sum((t.usable_cbm * n for t, n in zip(types, counts, strict=True)), ZERO),
         sum((t.payload_kg * n for t, n in zip(types, counts, strict=True)), ZERO))
        for counts in itertools.product(*(range(n + 1) for n in needs))
    ]


def _all_combos(k: int, bound: int) -> list[tuple[int, ...]]:
    """Count vectors over k types with at most `bound` containers in total."""
    return [
        counts
        for counts in itertools.product(range(bound + 1), repeat=k)
        if sum(counts) <= bound
    ]


def _combo_total(k: int, bound: int) -> int:
    return math.comb(bound + k, k)


def _greedy_combos(
    types: Sequence[ContainerType], loads: Sequence[Load], bound: int
) -> list[tuple[int, ...]]:
    """A bounded family: all of one type, or many of one type plus one or two others."""
    k = len(types)
    total_cbm = sum((load.volume_cbm for load in loads), ZERO)
    total_kg = sum((load.gross_kg for load in loads), ZERO)
    found: set[tuple[int, ...]] = set()
    for t, ctype in enumerate(types):
        need = max(
            math.ceil(total_cbm / ctype.usable_cbm), math.ceil(total_kg / ctype.payload_kg)
        )
        for m in range(max(0, need - 3), min(bound, need + 1) + 1):
            base = [0] * k
            base[t] = m
            found.add(tuple(base))
            if m == 0:
                continue
            for a in range(k):
                for b in range(a, k):
                    mixed = list(base)
                    mixed[t] -= 1
                    mixed[a] += 1
                    found.add(tuple(mixed))
                    mixed[b] += 1
                    if sum(mixed) <= bound:
                        found.add(tuple(mixed))
    return sorted(found)


def plan_sea(
    loads: Sequence[Load],
    container_types: Sequence[ContainerType],
    lcl_cost: LclCost,
    *,
    fixed_cost: FixedCost | None = None,
    price_slack: Decimal | None = None,
    exact: bool = True,
    fast_plan: SeaPlan | None = None,
) -> SeaPlan:
    """The cheapest plan found for shipping `loads` in containers and LCL.

    Cost is the sum of container prices plus lcl_cost(lcl_kg, lcl_cbm), or, when given,
    fixed_cost(container_codes, lcl_kg, lcl_cbm) for the whole plan. Give `price_slack`
    when fixed_cost never charges less than the containers' prices minus that slack
    (a tariff that rounds each line and adds only fees and surcharges): the search then
    stops as soon as the cheapest remaining multiset cannot beat the best plan, which
    gives the same plan as trying them all.

    With `exact` (the default) a pool of up to `MAX_EXACT_LOADS` loads whose fast
    plan stays above the fluid bound gets the optimal plan: by branch and bound
    (`_fill_search`), or by the integer programme where the search cannot settle
    it; every larger pool gets the fewest boxes of each single type for its whole
    loads; without it only the fast fills run (for scoring
    many candidate pools, where only the chosen ones need the best plan). A caller
    that scored the pool so may pass that plan as `fast_plan` (what `exact=False`
    returns for the same arguments): the fast fills then do not run again.
    """
    if fast_plan is None:
        _validate(loads, container_types)  # else they were when the fast plan was made
    types = list(container_types)
    loads = list(loads)
    prices: dict[tuple[object, ...], Decimal] = {}
    lcl_prices: dict[tuple[Decimal, Decimal], Decimal] = {}
    price_of = {t.code: t.price for t in types}

    def cost(codes: tuple[str, ...], kg: Decimal, cbm: Decimal) -> Decimal:
        if fixed_cost is not None:
            key = (*codes, kg, cbm)
            if key not in prices:
                prices[key] = fixed_cost(codes, kg, cbm)
            return prices[key]
        lcl = ZERO
        if kg > 0 or cbm > 0:
            if (kg, cbm) not in lcl_prices:
                lcl_prices[(kg, cbm)] = lcl_cost(kg, cbm)
            lcl = lcl_prices[(kg, cbm)]
        return sum((price_of[c] for c in codes), ZERO) + lcl

    orders: dict[tuple[int, bool], list[Load]] = {}

    def order(seq: Sequence[Load], by_kg: bool) -> list[Load]:
        # Only `whole` and `splittable` are ordered, each the same way many times.
        key = (id(seq), by_kg)
        hit = orders.get(key)
        if hit is None:
            if by_kg:
                hit = sorted(seq, key=_BY_WEIGHT)
            else:
                hit = sorted(seq, key=_BY_VOLUME)
            orders[key] = hit
        return list(hit)

    splittable: list[Load] = []
    whole: list[Load] = []
    too_big: list[Placement] = []
    # What fits the least room and payload of all fits every type.
    least_cbm = min((t.usable_cbm for t in types), default=ZERO)
    least_kg = min((t.payload_kg for t in types), default=ZERO)
    for ld in loads:
        if ld.splittable:
            splittable.append(ld)
        elif (types and ld.volume_cbm <= least_cbm and ld.gross_kg <= least_kg) or any(
                _fits(ld, t) for t in types):
            whole.append(ld)
        else:
            too_big.append(ld.whole)

    best: SeaPlan | None = None
    best_key: tuple[Decimal, int, Decimal] | None = None
    # A greedy fill found best on the grid, built in full only once the search ends.
    best_greedy: tuple[list[ContainerType], bool] | None = None

    def build(combo: Sequence[ContainerType], fill: _Fill) -> tuple[SeaPlan, tuple[Decimal, int, Decimal]]:
        content, lcl = fill
        containers = tuple(
            Container(t.code, tuple(placed))
            for t, placed in zip(combo, content, strict=True)
            if placed
        )
        load_rank = {ld.id: k for k, ld in enumerate(loads)}
        lcl_all = tuple(sorted((*too_big, *lcl), key=lambda p: load_rank[p.load_id]))
        lcl_kg = sum((p.gross_kg for p in lcl_all), ZERO)
        lcl_cbm = sum((p.volume_cbm for p in lcl_all), ZERO)
        total = cost(tuple(c.code for c in containers), lcl_kg, lcl_cbm)
        return SeaPlan(containers, lcl_all, total), (total, len(containers), lcl_cbm)

    # The best fill considered, built in full only once the search ends.
    best_fill: tuple[Sequence[ContainerType], _Fill] | None = None
    big_kg = sum((p.gross_kg for p in too_big), ZERO)
    big_cbm = sum((p.volume_cbm for p in too_big), ZERO)

    def consider(combo: Sequence[ContainerType], fill: _Fill) -> None:
        # The key `build` would give, without building the plan.
        nonlocal best_key, best_fill, best_greedy
        content, lcl = fill
        codes = tuple(t.code for t, placed in zip(combo, content, strict=True) if placed)
        lcl_kg = sum((p.gross_kg for p in lcl), big_kg)
        lcl_cbm = sum((p.volume_cbm for p in lcl), big_cbm)
        key = (cost(codes, lcl_kg, lcl_cbm), len(codes), lcl_cbm)
        if best_key is None or key < best_key:
            best_key = key
            best_fill = (combo, fill)
            best_greedy = None

    many = len(whole) + len(splittable) > _MAX_EXACT_WHOLE
    if fast_plan is not None and not many:
        return fast_plan  # so few loads are planned the same way with or without `exact`
    near = bool(types) and many  # the fast fills near the count bound
    if near and fast_plan is not None:
        # They ran when the pool was scored.
        best = fast_plan
        best_key = (fast_plan.cost, len(fast_plan.containers), fast_plan.lcl_cbm)
    elif near:
        # Everything LCL by its key alone, built only if no fill beats it.
        lcl_kg = sum((ld.gross_kg for ld in loads), ZERO)
        lcl_cbm = sum((ld.volume_cbm for ld in loads), ZERO)
        best_key = (cost((), lcl_kg, lcl_cbm), 0, lcl_cbm)
        fast = _search_near_bound(
            types, order(whole, False), order(splittable, False), too_big, cost,
            ZERO if fixed_cost is None else price_slack,
        )
        if fast is not None:
            combo, fill = fast
            plan, key = build(combo, fill)
            if key < best_key:
                best, best_key = plan, key
        if best is None:
            best, best_key = build([], ([], _place_nothing([*whole, *splittable])))
    else:
        consider([], ([], _place_nothing([*whole, *splittable])))
    if not near and types and (whole or splittable):
        placeable = [*whole, *splittable]
        bound = _count_bound(placeable, types)
        if _combo_total(len(types), bound) <= _MAX_EXACT_COMBOS:
            combos = _all_combos(len(types), bound)
        else:
            combos = _greedy_combos(types, placeable, bound)
        # Cheapest multisets first: with plain prices, one that already costs more
        # than the best plan cannot win.
        type_prices = [t.price for t in types]
        floors = {counts: sum(map(operator.mul, type_prices, counts), ZERO) for counts in combos}
        combos.sort(key=lambda c: (floors[c], sum(c), c))
        total_cbm = sum((ld.volume_cbm for ld in placeable), ZERO)
        total_kg = sum((ld.gross_kg for ld in placeable), ZERO)
        too_big_kg, too_big_cbm = big_kg, big_cbm
        grid = _grid_orders(
            {by_kg: (order(whole, by_kg), order(splittable, by_kg)) for by_kg in (False, True)},
            types,
        )
        for counts in combos:
            combo = [t for t, n in zip(types, counts, strict=True) for _ in range(n)]
            if not combo:
                continue
            if best_key is not None:
                if fixed_cost is None and floors[counts] > best_key[0]:
                    break  # every later multiset costs more before any LCL
                if price_slack is not None and floors[counts] - price_slack > best_key[0]:
                    break  # every later multiset's plan would be priced above the best
            if best_key is not None:
                # Whatever exceeds the multiset's capacity ships LCL at least; prices
                # grow with the LCL volume and weight, so this bounds the plan from below.
                short_cbm = max(ZERO, total_cbm - sum((t.usable_cbm for t in combo), ZERO))
                short_kg = max(ZERO, total_kg - sum((t.payload_kg for t in combo), ZERO))
                short = (short_kg + too_big_kg, short_cbm + too_big_cbm)
                if cost(tuple(t.code for t in combo), *short) > best_key[0]:
                    continue
            every_assignment = (
                len(whole) <= _MAX_EXACT_WHOLE
                and (len(combo) + 1) ** len(whole) <= _MAX_EXACT_ASSIGNMENTS
            )
            if every_assignment:
                for fill in _fills_exact(combo, order(whole, False), order(splittable, False)):
                    consider(combo, fill)
                continue
            if grid is None:
                fill = _fill_greedy(combo, order(whole, False), order(splittable, False))
                consider(combo, fill)
                if fill[1]:
                    # Something ships LCL: also try placing the heaviest loads first.
                    consider(combo, _fill_greedy(combo, order(whole, True),
                                                 order(splittable, True)))
                continue
            # The same fills on integers; only one that beats the best is built in full.
            grid_loads, grid_caps = grid
            caps_cbm = [grid_caps[t.code][0] for t in combo]
            caps_kg = [grid_caps[t.code][1] for t in combo]
            for by_kg in (False, True):
                used, lcl_cbm_grid, lcl_kg_grid, any_lcl = _fill_greedy_grid(
                    caps_cbm, caps_kg, *grid_loads[by_kg]
                )
                lcl_cbm = Decimal(lcl_cbm_grid).scaleb(-6) + too_big_cbm
                lcl_kg = Decimal(lcl_kg_grid).scaleb(-3) + too_big_kg
                codes = tuple(t.code for t, full in zip(combo, used, strict=True) if full)
                key = (cost(codes, lcl_kg, lcl_cbm), len(codes), lcl_cbm)
                if best_key is None or key < best_key:
                    best_key = key
                    best_greedy = (combo, by_kg)
                if not any_lcl:
                    break
    placeable = [*whole, *splittable]
    if exact and near:
        if len(placeable) > MAX_EXACT_LOADS:
            beat = best_key[0] if best_key is not None else None
            for combo, fill in _fills_one_type(types, whole, splittable, cost, beat):
                consider(combo, fill)
        else:
            # The search returns at once when the best fill reaches the fluid bound.
            found = (_UNSETTLED if best is None
                     else _fill_search(types, whole, splittable, too_big, cost, best))
            solved = (_fill_mip(types, whole, splittable, too_big, cost)
                      if found == _UNSETTLED else found)
            if solved is not None and not isinstance(solved, str):
                consider(*solved)
    if best_greedy is not None:
        combo, by_kg = best_greedy
        best, key = build(combo, _fill_greedy(combo, order(whole, by_kg), order(splittable, by_kg)))
        if key != best_key:  # pragma: no cover - the grid fill mirrors the Decimal one
            raise PackingError("The integer fill disagrees with the exact one.")
    elif best_fill is not None:
        best, key = build(*best_fill)
        if key != best_key:  # pragma: no cover - the same sums either way
            raise PackingError("The plan disagrees with the fill it was chosen by.")
    if best is None:  # pragma: no cover - the all-LCL plan is always considered
        raise PackingError("No plan could be formed.")
    return best


def _search_near_bound(
    types: Sequence[ContainerType],
    whole: Sequence[Load],
    splittable: Sequence[Load],
    too_big: Sequence[Placement],
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
    slack: Decimal | None,
) -> tuple[list[ContainerType], _Fill] | None:
    """The best fill over a handful of multisets near the count bound.

    Each multiset gets a lower bound (its boxes plus, as LCL, whatever exceeds their
    room); they are filled best-fit decreasing, lowest bound first, until the next
    bound cannot beat the best plan or `_MAX_NEAR_FILLS` fills were made. Ties go
    to fewer containers, then less LCL volume, then the lower bound order.
    """
    loads = [*whole, *splittable]
    grid = _grid_orders({False: (list(whole), list(splittable))}, types)
    if grid is not None:  # the same sums, on integers
        on_grid = [*grid[0][False][0], *grid[0][False][1]]
        total_cbm = Decimal(sum(v for v, _kg in on_grid)).scaleb(-6)
        total_kg = Decimal(sum(kg for _v, kg in on_grid)).scaleb(-3)
    else:
        total_cbm = sum((ld.volume_cbm for ld in loads), ZERO)
        total_kg = sum((ld.gross_kg for ld in loads), ZERO)
    too_big_kg = sum((p.gross_kg for p in too_big), ZERO)
    too_big_cbm = sum((p.volume_cbm for p in too_big), ZERO)
    # Multisets by price. A multiset's bound is never below its price less the slack,
    # so bounds are worked out in price order only as far as the next one to fill
    # needs: every multiset not yet bounded is known to come after it.
    prices = [t.price for t in types]
    floors = sorted(
        (sum(map(operator.mul, prices, counts), ZERO), counts)
        for counts in _near_combos(types, total_cbm, total_kg)
    )

    if grid is not None:
        # The rooms summed on integers: only a shortfall becomes a Decimal again.
        box_codes = [(t.code,) for t in types]
        box_rooms = [grid[1][t.code] for t in types]
        grid_cbm = sum(v for v, _kg in on_grid)
        grid_kg = sum(kg for _v, kg in on_grid)

        def bounded(counts: tuple[int, ...]) -> tuple[Decimal, int, tuple[int, ...]]:
            codes: tuple[str, ...] = ()
            room_cbm = room_kg = 0
            for k, n in enumerate(counts):
                if n:
                    codes += box_codes[k] * n
                    room_cbm += box_rooms[k][0] * n
                    room_kg += box_rooms[k][1] * n
            over_kg = grid_kg - room_kg
            over_cbm = grid_cbm - room_cbm
            short_kg = too_big_kg if over_kg <= 0 else Decimal(over_kg).scaleb(-3) + too_big_kg
            short_cbm = (too_big_cbm if over_cbm <= 0
                         else Decimal(over_cbm).scaleb(-6) + too_big_cbm)
            return cost(codes, short_kg, short_cbm), len(codes), counts
    else:
        def bounded(counts: tuple[int, ...]) -> tuple[Decimal, int, tuple[int, ...]]:
            codes: tuple[str, ...] = ()
            room_cbm = room_kg = ZERO
            for t, n in zip(types, counts, strict=True):
                if n:
                    codes += (t.code,) * n
                    room_cbm += t.usable_cbm * n
                    room_kg += t.payload_kg * n
            short_kg = max(ZERO, total_kg - room_kg) + too_big_kg
            short_cbm = max(ZERO, total_cbm - room_cbm) + too_big_cbm
            return cost(codes, short_kg, short_cbm), len(codes), counts

    waiting: list[tuple[Decimal, int, tuple[int, ...]]] = []
    unbounded = 0

    def next_lowest() -> tuple[Decimal, int, tuple[int, ...]] | None:
        nonlocal unbounded
        while unbounded < len(floors) and (
            slack is None or not waiting or floors[unbounded][0] - slack <= waiting[0][0]
        ):
            heapq.heappush(waiting, bounded(floors[unbounded][1]))
            unbounded += 1
        return heapq.heappop(waiting) if waiting else None

    best_combo: list[ContainerType] | None = None
    best_fill: _Fill | None = None
    best_grid: _GridFill | None = None
    best_key: tuple[Decimal, int, Decimal] | None = None
    grid_loads: list[_GridLoad] = []
    caps: dict[str, tuple[int, int]] = {}
    if grid is not None:
        orders, caps = grid
        grid_loads = [*orders[False][0], *orders[False][1]]
    for _fills in range(_MAX_NEAR_FILLS):
        lowest = next_lowest()
        if lowest is None or (best_key is not None and lowest[0] > best_key[0]):
            break
        counts = lowest[2]
        combo = [t for t, n in zip(types, counts, strict=True) for _ in range(n)]
        fill: _Fill | None = None
        fill_grid: _GridFill | None = None
        if grid is None:
            fill = _fill_greedy(combo, whole, splittable)
            content, lcl = fill
            codes = tuple(t.code for t, placed in zip(combo, content, strict=True) if placed)
            lcl_kg = sum((p.gross_kg for p in lcl), ZERO) + too_big_kg
            lcl_cbm = sum((p.volume_cbm for p in lcl), ZERO) + too_big_cbm
        else:
            fill_grid = _fill_grid(
                [caps[t.code][0] for t in combo], [caps[t.code][1] for t in combo],
                grid_loads, len(whole),
            )
            codes = tuple(
                t.code for t, parts in zip(combo, fill_grid[0], strict=True) if parts
            )
            lcl_kg = Decimal(sum(part[2] for part in fill_grid[1])).scaleb(-3) + too_big_kg
            lcl_cbm = Decimal(sum(part[1] for part in fill_grid[1])).scaleb(-6) + too_big_cbm
        key = (cost(codes, lcl_kg, lcl_cbm), len(codes), lcl_cbm)
        if best_key is None or key < best_key:
            best_combo, best_fill, best_grid, best_key = combo, fill, fill_grid, key
    if best_combo is None:
        return None
    if best_grid is not None:
        content_grid, lcl_grid = best_grid
        best_fill = (
            [[_grid_placement(loads, grid_loads, part) for part in parts]
             for parts in content_grid],
            [_grid_placement(loads, grid_loads, part) for part in lcl_grid],
        )
    if best_fill is None:  # pragma: no cover - every filled multiset keeps its fill
        raise PackingError("The chosen fill was lost.")
    return best_combo, best_fill


def _fills_one_type(
    types: Sequence[ContainerType], whole: Sequence[Load], splittable: Sequence[Load],
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal] | None = None,
    beat: Decimal | None = None,
) -> list[tuple[list[ContainerType], _Fill]]:
    """Per type, the fewest boxes for the whole loads by volume (`pack_bins`), when
    that packing also respects the payload; splittable loads then take the room left.

    Given the best plan's cost to `beat`, a type is skipped when no plan in boxes of
    that type alone can cost less: from the boxes its whole loads need at least (the
    L2 bound by volume, and by weight) up, each count with what exceeds its room
    shipped LCL costs that much already."""
    fills: list[tuple[list[ContainerType], _Fill]] = []
    grid_whole = _grid_loads(whole)
    if grid_whole is None or not whole:
        return fills
    whole_kg = sum((ld.gross_kg for ld in whole), ZERO)
    total_kg = whole_kg + sum((ld.gross_kg for ld in splittable), ZERO)
    total_cbm = sum((ld.volume_cbm for ld in (*whole, *splittable)), ZERO)
    for t in types:
        cap = _grid(t.usable_cbm, 6)
        if cap is None or any(not _fits(ld, t) for ld in whole):
            continue
        sizes = [vol for vol, _kg in grid_whole]
        if cost is not None and beat is not None:
            least = max(bins_lower_bound(sizes, cap), math.ceil(whole_kg / t.payload_kg))
            if _one_type_floor(t, least, total_kg, total_cbm, cost) >= beat:
                continue
        bins = pack_bins(sizes, cap, time_limit=_MIP_SECONDS, arc_flow=False)
        if any(sum((whole[i].gross_kg for i in b), ZERO) > t.payload_kg for b in bins):
            continue
        combo = [t] * len(bins)
        content = [[whole[i].whole for i in b]
                   for b in bins]
        rooms_cbm = [t.usable_cbm - sum((p.volume_cbm for p in c), ZERO) for c in content]
        rooms_kg = [t.payload_kg - sum((p.gross_kg for p in c), ZERO) for c in content]
        lcl: list[Placement] = []
        _place_splittable(splittable, rooms_cbm, rooms_kg, content, lcl)
        fills.append((combo, (content, lcl)))
    return fills



def _one_type_floor(
    t: ContainerType, least: int, total_kg: Decimal, total_cbm: Decimal,
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
) -> Decimal:
    """The least any plan of `least` or more boxes of type `t` alone can cost: each
    count's boxes with the cargo beyond their room (volume and weight) shipped LCL,
    up to the count that holds it all (more boxes only cost more)."""
    floor: Decimal | None = None
    n = least
    while True:
        short_kg = max(ZERO, total_kg - t.payload_kg * n)
        short_cbm = max(ZERO, total_cbm - t.usable_cbm * n)
        price = cost((t.code,) * n, short_kg, short_cbm)
        floor = price if floor is None else min(floor, price)
        if short_kg <= 0 and short_cbm <= 0:
            return floor
        n += 1

def _lcl_model(
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
) -> tuple[float, float, float] | None:
    """The LCL charge as cost per tonne, per CBM and a minimum, read off the tariff.

    None when cargo outside containers cannot be priced (no LCL rate).
    """
    big = Decimal(1000)
    try:
        base_cbm = cost((), ZERO, big)
        per_cbm = (cost((), ZERO, 2 * big) - base_cbm) / big
        per_t = (cost((), 2 * big * 1000, ZERO) - cost((), big * 1000, ZERO)) / big
        fees = base_cbm - per_cbm * big
        minimum = cost((), ZERO, CBM_STEP) - fees
    except (ArithmeticError, ValueError):
        return None
    if not all(v.is_finite() for v in (per_cbm, per_t, minimum)):
        return None
    return float(per_t), float(per_cbm), float(max(minimum, ZERO))


# Steps the exact search of a small pool may take before it leaves the pool to the
# integer programme; leaves it may spread by a linear programme.
_SEARCH_NODES = 20_000
_SPREADS = 64
# A spread within this much of its programme's charge settles its leaf: the tariff's
# totals are whole minor units.
_SETTLE = 0.005
_UNSETTLED = "unsettled"


def _fill_search(
    types: Sequence[ContainerType],
    whole: Sequence[Load],
    splittable: Sequence[Load],
    too_big: Sequence[Placement],
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
    incumbent: SeaPlan,
) -> tuple[list[ContainerType], _Fill] | None | str:
    """The optimal plan of a small pool by branch and bound, on the integer programme's
    terms: box prices plus the LCL charge read off the tariff (`_lcl_model`).

    Container multisets (up to two boxes of a type beyond what holds all the cargo,
    one more than the programme allows) are taken cheapest bound first, where the
    bound is their price plus, as LCL, what exceeds their room; each is searched
    depth first, whole loads largest first into a box (one of each set of
    interchangeable boxes) or LCL, pruned by the same bound on what is left. The
    splittable loads then take the rooms as the greedy fill places them; where that
    fill leaves more LCL than the rooms' bound and the bound could still win, a
    linear programme spreads them over the rooms at the least LCL charge (the
    integer programme's terms for splittable parts, rounded to the grid the same
    way). Returns the better plan, None when `incumbent` is already optimal, or
    `_UNSETTLED` when the search cannot prove either within `_SEARCH_NODES` steps
    and `_SPREADS` spreads (the caller then runs the integer programme).
    """
    order = sorted(whole, key=_BY_VOLUME)
    search = _BoxSearch.of(types, order, splittable, too_big, cost)
    inc_lcl = _grid_loads([Load(p.load_id, p.volume_cbm, p.gross_kg, True)
                           for p in incumbent.lcl])
    price_of = {t.code: t.price for t in types}
    if search is None or inc_lcl is None or any(
            c.code not in price_of for c in incumbent.containers):
        return _UNSETTLED
    search.best = sum(float(price_of[c.code]) for c in incumbent.containers) + search.charge(
        sum(w for _v, w in inc_lcl), sum(v for v, _w in inc_lcl))
    for bound, counts in search.multisets():
        if bound >= search.best - _EPS:
            break
        if not search.run(counts):
            return _UNSETTLED
    if search.unsettled < search.best - _EPS:
        return _UNSETTLED
    if search.found is None:
        return None
    counts, where, spread = search.found
    combo = [types[k] for k, c in enumerate(counts) for _ in range(c)]
    content: list[list[Placement]] = [[] for _ in combo]
    rooms_cbm = [t.usable_cbm for t in combo]
    rooms_kg = [t.payload_kg for t in combo]
    out: list[Placement] = []
    for ld, s in zip(order, where, strict=True):
        if s < 0:
            out.append(ld.whole)
            continue
        content[s].append(ld.whole)
        rooms_cbm[s] -= ld.volume_cbm
        rooms_kg[s] -= ld.gross_kg
    if spread is None:
        _place_splittable(splittable, rooms_cbm, rooms_kg, content, out)
        return combo, (content, out)
    for ld, grid, placed in zip(splittable, search.splittable, spread, strict=True):
        for s, vol, kg in placed:
            part = (ld.whole if (vol, kg) == grid
                    else Placement(ld.id, Decimal(vol).scaleb(-6), Decimal(kg).scaleb(-3)))
            (content[s] if s >= 0 else out).append(part)
    return combo, (content, out)


_EPS = 1e-6


class _BoxSearch:
    """`_fill_search`'s depth-first search on grid units (cm3 and grams).

    Its first multiset's bound is the fluid bound: all cargo poured into the
    cheapest boxes, what exceeds their room shipped LCL."""

    @classmethod
    def of(
        cls, types: Sequence[ContainerType], whole: Sequence[Load],
        splittable: Sequence[Load], too_big: Sequence[Placement],
        cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
    ) -> _BoxSearch | None:
        """The search over these loads (whole ones in the order given), or None when
        the loads are off the grid or the tariff has no LCL charge to read."""
        lcl = _lcl_model(cost)
        grid_whole = _grid_loads(whole)
        grid_split = _grid_loads(splittable)
        grid_big = _grid_loads([Load(p.load_id, p.volume_cbm, p.gross_kg, True)
                                for p in too_big])
        caps = _grid_loads([Load(t.code, t.usable_cbm, t.payload_kg, False) for t in types])
        if (lcl is None or grid_whole is None or grid_split is None or grid_big is None
                or caps is None):
            return None
        return cls(lcl, grid_whole, grid_split, grid_big, caps, [float(t.price) for t in types])

    def __init__(
        self, lcl: tuple[float, float, float], whole: Sequence[_GridLoad],
        splittable: Sequence[_GridLoad], too_big: Sequence[_GridLoad],
        caps: Sequence[_GridLoad], prices: Sequence[float],
    ) -> None:
        self.per_t, self.per_cbm, self.minimum = lcl
        self.whole = list(whole)
        self.splittable = list(splittable)
        self.caps = list(caps)
        self.prices = list(prices)
        self.split_cbm = sum(v for v, _w in splittable)
        self.split_kg = sum(w for _v, w in splittable)
        self.big_cbm = sum(v for v, _w in too_big)
        self.big_kg = sum(w for _v, w in too_big)
        n = len(whole)
        self.tail_cbm = [0] * (n + 1)
        self.tail_kg = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.tail_cbm[i] = self.tail_cbm[i + 1] + whole[i][0]
            self.tail_kg[i] = self.tail_kg[i + 1] + whole[i][1]
        self.best = math.inf
        # The best leaf: its multiset, each whole load's box (-1: LCL) and, when the
        # linear programme spread them, each splittable load's parts.
        self.found: tuple[tuple[int, ...], list[int], list[list[_GridPart]] | None] | None = (
            None)
        self.unsettled = math.inf  # the least bound of a leaf the greedy could not settle
        self.nodes = 0
        self.spreads = 0  # leaves spread by the linear programme

    def charge(self, kg: int, cbm: int) -> float:
        if kg <= 0 and cbm <= 0:
            return 0.0
        return max(kg / 1e6 * self.per_t, cbm / 1e6 * self.per_cbm, self.minimum)

    def multisets(self) -> Iterator[tuple[float, tuple[int, ...]]]:
        """Container count vectors (each type up to two boxes beyond what holds all
        the cargo), cheapest bound first, ties to fewer boxes."""
        total_cbm = self.tail_cbm[0] + self.split_cbm
        total_kg = self.tail_kg[0] + self.split_kg
        need = [max(-(-total_cbm // v) if v else 0, -(-total_kg // w) if w else 0)
                for v, w in self.caps]
        grid = np.indices([k + 3 for k in need]).reshape(len(need), -1).T
        room_cbm = grid @ np.array([v for v, _w in self.caps], dtype=np.float64)
        room_kg = grid @ np.array([w for _v, w in self.caps], dtype=np.float64)
        over_cbm = np.maximum(0.0, total_cbm - room_cbm) + self.big_cbm
        over_kg = np.maximum(0.0, total_kg - room_kg) + self.big_kg
        charge = np.maximum.reduce([over_kg / 1e6 * self.per_t, over_cbm / 1e6 * self.per_cbm,
                                    np.full(len(grid), self.minimum)])
        charge[(over_cbm <= 0) & (over_kg <= 0)] = 0.0
        bound = grid @ np.array(self.prices, dtype=np.float64) + charge
        for r in np.lexsort((grid.sum(axis=1), bound)):
            yield float(bound[r]), tuple(int(c) for c in grid[r])

    def run(self, counts: tuple[int, ...]) -> bool:
        """Search one multiset; False when the step budget ran out."""
        self.counts = counts
        self.slots = [k for k, c in enumerate(counts) for _ in range(c)]
        self.room_cbm = [self.caps[k][0] for k in self.slots]
        self.room_kg = [self.caps[k][1] for k in self.slots]
        self.slot_price = [self.prices[k] for k in self.slots]
        self.boxes_price = sum(self.slot_price)
        self.where = [-1] * len(self.whole)
        self.lcl_cbm, self.lcl_kg = self.big_cbm, self.big_kg
        self.free_cbm, self.free_kg = sum(self.room_cbm), sum(self.room_kg)
        return self.dive(0)

    def dive(self, i: int) -> bool:
        self.nodes += 1
        if self.nodes > _SEARCH_NODES:
            return False
        floor = self.boxes_price + self.charge(
            self.lcl_kg + max(0, self.tail_kg[i] + self.split_kg - self.free_kg),
            self.lcl_cbm + max(0, self.tail_cbm[i] + self.split_cbm - self.free_cbm))
        if floor >= self.best - _EPS:
            return True
        if i == len(self.whole):
            self.leaf()
            return True
        vol, kg = self.whole[i]
        rc, rk = self.room_cbm, self.room_kg
        tried: set[tuple[int, int, int]] = set()
        for _c, _k, s in sorted((rc[s] - vol, rk[s] - kg, s) for s in range(len(rc))
                                if rc[s] >= vol and rk[s] >= kg):
            key = (self.slots[s], rc[s], rk[s])
            if key in tried:
                continue  # an interchangeable box was tried already
            tried.add(key)
            rc[s] -= vol
            rk[s] -= kg
            self.free_cbm -= vol
            self.free_kg -= kg
            self.where[i] = s
            ok = self.dive(i + 1)
            rc[s] += vol
            rk[s] += kg
            self.free_cbm += vol
            self.free_kg += kg
            self.where[i] = -1
            if not ok:
                return False
        self.lcl_cbm += vol
        self.lcl_kg += kg
        ok = self.dive(i + 1)
        self.lcl_cbm -= vol
        self.lcl_kg -= kg
        return ok

    def leaf(self) -> None:
        held = [False] * len(self.slots)
        for s in self.where:
            if s >= 0:
                held[s] = True
        by_whole = list(held)
        got_cbm = got_kg = floor_cbm = floor_kg = 0
        if self.splittable:
            content, parts = _fill_grid(self.room_cbm, self.room_kg, self.splittable, 0)
            for s, placed in enumerate(content):
                if placed:
                    held[s] = True
            got_cbm = sum(part[1] for part in parts)
            got_kg = sum(part[2] for part in parts)
            floor_cbm = max(0, self.split_cbm - self.free_cbm)
            floor_kg = max(0, self.split_kg - self.free_kg)
        got = self.charge(self.lcl_kg + got_kg, self.lcl_cbm + got_cbm)
        least = self.charge(self.lcl_kg + floor_kg, self.lcl_cbm + floor_cbm)
        value = sum(p for p, h in zip(self.slot_price, held, strict=True) if h) + got
        spread_parts: list[list[_GridPart]] | None = None
        if got > least + _EPS and self.boxes_price + least < self.best - _EPS:
            # The greedy spread leaves more LCL than the rooms' bound and the leaf could
            # still win: spread the splittable loads by the linear programme instead.
            spread = self.spread() if self.spreads < _SPREADS else None
            if spread is None:
                self.unsettled = min(self.unsettled, self.boxes_price + least)
            else:
                bound, charge, spread_by_load = spread
                if charge > bound + _SETTLE:
                    # Rounding to the grid left cargo out that the programme placed.
                    self.unsettled = min(self.unsettled, self.boxes_price + bound)
                for load_parts in spread_by_load:
                    for box, _vol, _kg in load_parts:
                        if box >= 0:
                            by_whole[box] = True
                spread_value = sum(
                    p for p, h in zip(self.slot_price, by_whole, strict=True) if h) + charge
                if spread_value < value - _EPS:
                    value, spread_parts = spread_value, spread_by_load
        if value < self.best - _EPS:
            self.best = value
            self.found = (self.counts, list(self.where), spread_parts)

    def spread(self) -> tuple[float, float, list[list[_GridPart]]] | None:
        """The splittable loads spread over the rooms the whole loads left, each at its
        own density, at the least LCL charge (every box paid for): a linear programme,
        its parts rounded down to the grid and what rounding leaves put where there is
        room. Returns the programme's charge (a bound for this leaf, within `_SETTLE`),
        the charge of the rounded spread and each load's parts ((box, cm3, g), box -1
        for LCL); None when the programme has no answer."""
        self.spreads += 1
        loads, slots = self.splittable, len(self.slots)
        n = len(loads) * slots
        # Each box keeps back what rounding can leave of every load, so it always fits.
        keep_cbm = len(loads) * slots + 1
        keep_kg = sum(kg // max(vol, 1) + 2 for vol, kg in loads) * slots + 1
        # Variables: x[j, s], the fraction of splittable load j in box s, then the charge
        # before the minimum; measures in CBM and tonnes.
        cost = np.zeros(n + 1)
        cost[n] = 1.0
        rows = np.zeros((2 * slots + len(loads) + 2, n + 1))
        limits = np.zeros(len(rows))
        for j, (vol, kg) in enumerate(loads):
            for s in range(slots):
                rows[s, j * slots + s] = vol / 1e6
                rows[slots + s, j * slots + s] = kg / 1e6
                rows[2 * slots + j, j * slots + s] = 1.0
                # The charge is at least each measure's rate on what is left out.
                rows[-2, j * slots + s] = -kg / 1e6 * self.per_t
                rows[-1, j * slots + s] = -vol / 1e6 * self.per_cbm
        for s in range(slots):
            limits[s] = max(0, self.room_cbm[s] - keep_cbm) / 1e6
            limits[slots + s] = max(0, self.room_kg[s] - keep_kg) / 1e6
        limits[2 * slots:2 * slots + len(loads)] = 1.0
        rows[-2, n] = rows[-1, n] = -1.0
        limits[-2] = -(self.lcl_kg + self.split_kg) / 1e6 * self.per_t
        limits[-1] = -(self.lcl_cbm + self.split_cbm) / 1e6 * self.per_cbm
        result = linprog(cost, A_ub=rows, b_ub=limits, bounds=[(0.0, 1.0)] * n + [(0.0, None)],
                         method="highs")
        if result.status != 0 or result.x is None:
            return None
        x = result.x
        rooms_cbm, rooms_kg = list(self.room_cbm), list(self.room_kg)
        parts: list[list[_GridPart]] = []
        out_cbm, out_kg = self.lcl_cbm, self.lcl_kg
        for j, (vol, kg) in enumerate(loads):
            shares = [(float(x[j * slots + s]), s) for s in range(slots)]
            placed, left_vol, left_kg = _place_shares_grid(vol, kg, shares, rooms_cbm, rooms_kg)
            if left_vol > 0 or left_kg > 0:
                placed.append((-1, left_vol, left_kg))
                out_cbm += left_vol
                out_kg += left_kg
            parts.append(placed)
        bound = float(result.fun)
        if bound > 1e-9:
            bound = max(bound, self.minimum)
        return bound, self.charge(out_kg, out_cbm), parts


def _place_shares_grid(
    vol: int, kg: int, shares: Sequence[tuple[float, int]], rooms_cbm: list[int],
    rooms_kg: list[int],
) -> tuple[list[_GridPart], int, int]:
    """A splittable load on the grid placed by the fractions a programme gave it per box
    ((fraction, box) pairs): each part rounded down at the load's density, within the
    box's room; what rounding leaves goes with a part it already has when there is
    room, else in any box with room. The parts (box, cm3, g) and what is left out."""
    if vol == 0 and kg == 0:
        return [(0 if rooms_cbm else -1, 0, 0)], 0, 0
    merged: dict[int, list[int]] = {}
    left_vol, left_kg = vol, kg
    for share, k in sorted(shares, key=lambda p: (-p[0], p[1])):
        if share <= 1e-9 or left_vol <= 0:
            continue
        want = min(int(vol * share), left_vol)
        want_kg = kg * want // vol if vol > 0 else min(int(kg * share), left_kg)
        part_vol, part_kg = _split_part_grid(want, min(want_kg, left_kg), rooms_cbm[k],
                                             rooms_kg[k])
        if part_vol <= 0 and part_kg <= 0:
            continue
        had = merged.setdefault(k, [0, 0])
        had[0] += part_vol
        had[1] += part_kg
        rooms_cbm[k] -= part_vol
        rooms_kg[k] -= part_kg
        left_vol -= part_vol
        left_kg -= part_kg
    if left_vol > 0 or left_kg > 0:
        for k in [*merged, *range(len(rooms_cbm))]:
            if left_vol <= rooms_cbm[k] and left_kg <= rooms_kg[k]:
                had = merged.setdefault(k, [0, 0])
                had[0] += left_vol
                had[1] += left_kg
                rooms_cbm[k] -= left_vol
                rooms_kg[k] -= left_kg
                left_vol = left_kg = 0
                break
    return [(k, v, g) for k, (v, g) in sorted(merged.items())], left_vol, left_kg


def _fill_mip(
    types: Sequence[ContainerType],
    whole: Sequence[Load],
    splittable: Sequence[Load],
    too_big: Sequence[Placement],
    cost: Callable[[tuple[str, ...], Decimal, Decimal], Decimal],
) -> tuple[list[ContainerType], _Fill] | None:
    """The optimal plan of a small pool by an integer programme (HiGHS).

    Boxes of each type are slots that may open (in order, to break symmetry);
    each whole load goes to one open box or to LCL; a splittable load's parts
    are fractions at its own density. The objective is the boxes' prices plus
    the LCL charge, max(per tonne x t, per CBM x CBM, minimum) when anything
    ships LCL. The parts are rounded down to the grid, and what rounding leaves
    goes where the load's largest part is when it fits, else to LCL.
    """
    lcl = _lcl_model(cost)
    # Largest whole loads first: they open the boxes (see the symmetry rows below).
    whole = sorted(whole, key=_BY_VOLUME)
    loads = [*whole, *splittable]
    n = len(loads)
    total_cbm = sum((ld.volume_cbm for ld in loads), ZERO)
    total_kg = sum((ld.gross_kg for ld in loads), ZERO)
    slots: list[ContainerType] = []
    for t in types:
        need = max(math.ceil(total_cbm / t.usable_cbm), math.ceil(total_kg / t.payload_kg), 1)
        slots += [t] * min(need + 1, n + sum(1 for ld in splittable if not _fits(ld, t)) * 2)
    m = len(slots)
    # Variables: open[s], x[i, s] (i-th load in slot s), lcl_part[i], lcl_used, lcl_charge.
    nx = n * m
    v_open = 0
    v_x = m
    v_lcl = m + nx
    v_used = v_lcl + n
    v_charge = v_used + 1
    nv = v_charge + 1
    c = np.zeros(nv)
    for s, t in enumerate(slots):
        c[v_open + s] = float(t.price)
    c[v_charge] = 1.0
    integrality = np.zeros(nv)
    integrality[v_open:v_open + m] = 1
    lower = np.zeros(nv)
    upper = np.ones(nv)
    upper[v_charge] = np.inf
    # Boxes of one type are interchangeable: number them by the first whole load
    # they hold, so the k-th box of a type never holds any of the first k whole loads
    # (boxes holding only splittable parts come last). Every plan has such a numbering.
    rank = [sum(1 for u in slots[:s] if u is t) for s, t in enumerate(slots)]
    for i, ld in enumerate(loads):
        for s, t in enumerate(slots):
            if not ld.splittable:
                integrality[v_x + i * m + s] = 1
                if not _fits(ld, t) or rank[s] > i:
                    upper[v_x + i * m + s] = 0
        if not ld.splittable:
            integrality[v_lcl + i] = 1
    integrality[v_used] = 1
    rows: list[tuple[dict[int, float], float, float]] = []
    for i in range(n):  # each load fully placed
        row = {v_x + i * m + s: 1.0 for s in range(m)}
        row[v_lcl + i] = 1.0
        rows.append((row, 1.0, 1.0))
    for s, t in enumerate(slots):
        vol_row = {v_x + i * m + s: float(ld.volume_cbm) for i, ld in enumerate(loads)}
        vol_row[v_open + s] = -float(t.usable_cbm)
        rows.append((vol_row, -np.inf, 0.0))
        kg_row = {v_x + i * m + s: float(ld.gross_kg) for i, ld in enumerate(loads)}
        kg_row[v_open + s] = -float(t.payload_kg)
        rows.append((kg_row, -np.inf, 0.0))
        if s + 1 < m and slots[s + 1] is t:
            rows.append(({v_open + s + 1: 1.0, v_open + s: -1.0}, -np.inf, 0.0))
    too_big_kg = float(sum((p.gross_kg for p in too_big), ZERO))
    too_big_cbm = float(sum((p.volume_cbm for p in too_big), ZERO))
    if lcl is None:
        if too_big:
            return None
        for i in range(n):
            upper[v_lcl + i] = 0
        upper[v_used] = 0
    else:
        per_t, per_cbm, minimum = lcl
        row_t = {v_lcl + i: float(ld.gross_kg) / 1000 * per_t for i, ld in enumerate(loads)}
        row_t[v_charge] = -1.0
        rows.append((row_t, -np.inf, -too_big_kg / 1000 * per_t))
        row_c = {v_lcl + i: float(ld.volume_cbm) * per_cbm for i, ld in enumerate(loads)}
        row_c[v_charge] = -1.0
        rows.append((row_c, -np.inf, -too_big_cbm * per_cbm))
        rows.append(({v_used: minimum, v_charge: -1.0}, -np.inf, 0.0))
        for i in range(n):
            rows.append(({v_lcl + i: 1.0, v_used: -1.0}, -np.inf, 0.0))
        if too_big:
            lower[v_used] = 1
        # The fluid bound in the programme's own terms lifts its root bound, so the
        # search stops as soon as a plan reaches it.
        vectors = _count_vectors(types, total_cbm, total_kg)
        if vectors is not None:
            floor = min(
                float(sum((t.price * n for t, n in zip(types, counts, strict=True)), ZERO))
                + _lcl_charge(lcl, float(max(ZERO, total_kg - room_kg)) + too_big_kg,
                              float(max(ZERO, total_cbm - room_cbm)) + too_big_cbm)
                for counts, room_cbm, room_kg in vectors
            )
            objective = {v_open + s: float(t.price) for s, t in enumerate(slots)}
            objective[v_charge] = 1.0
            rows.append((objective, floor * (1 - 1e-9) - 1e-6, np.inf))
    matrix = np.zeros((len(rows), nv))
    lo = np.empty(len(rows))
    hi = np.empty(len(rows))
    for r, (row, low, high) in enumerate(rows):
        for j, value in row.items():
            matrix[r, j] = value
        lo[r], hi[r] = low, high
    result = milp(
        c, constraints=[LinearConstraint(matrix, lo, hi)], integrality=integrality,
        bounds=Bounds(lower, upper), options={"time_limit": _MIP_SECONDS, "disp": False},
    )
    if result.x is None:
        return None
    x = result.x
    used = [s for s in range(m) if x[v_open + s] > 0.5]
    content: list[list[Placement]] = [[] for _ in used]
    rooms_cbm = [slots[s].usable_cbm for s in used]
    rooms_kg = [slots[s].payload_kg for s in used]
    out: list[Placement] = []
    for i, ld in enumerate(loads):
        shares = [(x[v_x + i * m + s], k) for k, s in enumerate(used)]
        if not ld.splittable:
            top_share, top = max(shares, default=(0.0, -1))
            if top >= 0 and top_share > 0.5 and _fits_room(ld.volume_cbm, ld.gross_kg,
                                                           rooms_cbm[top], rooms_kg[top]):
                content[top].append(ld.whole)
                rooms_cbm[top] -= ld.volume_cbm
                rooms_kg[top] -= ld.gross_kg
            else:
                out.append(ld.whole)
            continue
        _place_shares(ld, shares, rooms_cbm, rooms_kg, content, out)
    # The fill must hold every load exactly, within every box; otherwise the fast
    # fills stand.
    parts: dict[str | int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for placements in [*content, out]:
        for p in placements:
            parts[p.load_id][0] += p.volume_cbm
            parts[p.load_id][1] += p.gross_kg
    for ld in loads:
        if ld.id not in parts or parts[ld.id] != [ld.volume_cbm, ld.gross_kg]:
            return None
    for k, s in enumerate(used):
        if sum((p.volume_cbm for p in content[k]), ZERO) > slots[s].usable_cbm or sum(
                (p.gross_kg for p in content[k]), ZERO) > slots[s].payload_kg:
            return None
    return [slots[s] for s in used], (content, out)


def _place_shares(
    ld: Load, shares: Sequence[tuple[float, int]], rooms_cbm: list[Decimal],
    rooms_kg: list[Decimal], content: list[list[Placement]], out: list[Placement],
) -> None:
    """Place a splittable load by the fractions a programme gave it per box ((fraction,
    box) pairs): each part rounded down to the grid at the load's density, within the
    box's room; what rounding leaves goes with a part it already has when there is room,
    else in any box with room, else LCL."""
    vol, kg = ld.volume_cbm, ld.gross_kg
    if vol == 0 and kg == 0:  # nothing to carry: it rides in the first box
        (content[0] if content else out).append(Placement(ld.id, vol, kg))
        return
    placed: list[tuple[int, Decimal, Decimal]] = []
    for share, k in sorted(shares, key=lambda p: (-p[0], p[1])):
        if share <= 1e-9 or vol <= 0:
            continue
        want = min((ld.volume_cbm * Decimal(float(share))).quantize(CBM_STEP, ROUND_DOWN), vol)
        if ld.volume_cbm > 0:
            want_kg = (ld.gross_kg * want / ld.volume_cbm).quantize(KG_STEP, ROUND_DOWN)
        else:
            want_kg = min((ld.gross_kg * Decimal(float(share))).quantize(KG_STEP, ROUND_DOWN),
                          kg)
        part_vol, part_kg = _split_part(want, min(want_kg, kg), rooms_cbm[k], rooms_kg[k])
        if part_vol <= 0 and part_kg <= 0:
            continue
        placed.append((k, part_vol, part_kg))
        rooms_cbm[k] -= part_vol
        rooms_kg[k] -= part_kg
        vol -= part_vol
        kg -= part_kg
    if vol > 0 or kg > 0:
        held = [k for k, _v, _g in placed]
        for k in [*held, *range(len(rooms_cbm))]:
            if vol <= rooms_cbm[k] and kg <= rooms_kg[k]:
                placed.append((k, vol, kg))
                rooms_cbm[k] -= vol
                rooms_kg[k] -= kg
                vol = kg = ZERO
                break
    merged: dict[int, tuple[Decimal, Decimal]] = {}
    for k, part_vol, part_kg in placed:
        had = merged.get(k, (ZERO, ZERO))
        merged[k] = (had[0] + part_vol, had[1] + part_kg)
    for k, (part_vol, part_kg) in sorted(merged.items()):
        content[k].append(Placement(ld.id, part_vol, part_kg))
    if vol > 0 or kg > 0:
        out.append(Placement(ld.id, vol, kg))


def _lcl_charge(lcl: tuple[float, float, float], kg: float, cbm: float) -> float:
    """The programme's LCL charge: per tonne, per CBM or the minimum, whichever is most."""
    if kg <= 0 and cbm <= 0:
        return 0.0
    per_t, per_cbm, minimum = lcl
    return max(kg / 1000 * per_t, cbm * per_cbm, minimum)


def _fits_room(vol: Decimal, kg: Decimal, room_cbm: Decimal, room_kg: Decimal) -> bool:
    return vol <= room_cbm and kg <= room_kg


def _grid_placement(
    loads: Sequence[Load], grid_loads: Sequence[_GridLoad], part: _GridPart
) -> Placement:
    index, vol, kg = part
    load = loads[index]
    if grid_loads[index] == (vol, kg):
        return load.whole
    # Parts of a split load are read back off the grid.
    return Placement(load.id, Decimal(vol).scaleb(-6), Decimal(kg).scaleb(-3))


def _place_nothing(loads: Sequence[Load]) -> list[Placement]:
    return [ld.whole for ld in loads]


# ------------------------------------------- one container type, one measure
#
# The one-dimensional core of the engine: whole loads of integer size into
# containers of one integer capacity (volume on the packing grid, say). It
# serves the sea planner (a type's fewest boxes for the whole loads) and is
# what `benchmark packing` measures. Stages, each stopping at the lower bound:
#
# 1. First-fit decreasing against Martello and Toth's L2 bound, then minimum bin
#    slack when boxes may keep some room.
# 2. The arc-flow model (Valerio de Carvalho) solved as a linear programme with
#    HiGHS. Its optimum rounded up raises the bound (it almost always is the
#    optimum). When the loads fill the bound's boxes to the last unit, every box
#    must be full: waste arcs are left out and only arcs on a path that ends at
#    the capacity are kept, which shrinks the model several times over.
# 3. The relaxation's paths are the patterns of a fractional packing; their
#    counts rounded down are kept (fewer on each retry) and the loads left over
#    go to a limited discrepancy search over box completions and to the same
#    model as an integer programme with the number of boxes fixed (the programme
#    first when the leftovers must fill their boxes exactly, where the search is
#    weak). The programme is not started when its relaxation alone would not
#    finish in the time left.
# 4. The search and the integer programme on all loads, with what time is left.
#
# Every result is a valid packing; the time limit only decides how hard the
# last stages try, never validity.

BinPacking = list[list[int]]

# The integer programme is presolved up to this many arcs.
_PRESOLVE_ARCS = 4_000


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bins_lower_bound(sizes: Sequence[int], capacity: int) -> int:
    """Martello and Toth's L2 bound; never below ceil(sum / capacity)."""
    _check_bins(sizes, capacity)
    positive = sorted(s for s in sizes if s > 0)
    prefix = [0, *itertools.accumulate(positive)]
    n = len(positive)
    best = _ceil_div(prefix[n], capacity)
    half = bisect.bisect_right(positive, capacity // 2)  # items with 2 * s <= capacity
    for k in {0, *positive[:half]}:
        fit = bisect.bisect_right(positive, capacity - k)
        big = n - fit
        mid_count = fit - half
        mid_sum = prefix[fit] - prefix[half]
        small_sum = prefix[half] - prefix[bisect.bisect_left(positive, k)]
        free_in_mid = mid_count * capacity - mid_sum
        extra = max(0, _ceil_div(small_sum - free_in_mid, capacity))
        best = max(best, big + mid_count + extra)
    return best


def _check_bins(sizes: Sequence[int], capacity: int) -> None:
    if capacity <= 0:
        raise PackingError(f"The capacity must be positive, got {capacity}.")
    for i, s in enumerate(sizes):
        if s < 0:
            raise PackingError(f"Item {i} has a negative size ({s}).")
        if s > capacity:
            raise PackingError(f"Item {i} (size {s}) exceeds the capacity {capacity}.")


def validate_bins(bins: Sequence[Sequence[int]], sizes: Sequence[int], capacity: int) -> None:
    """Raise PackingError unless `bins` holds every item exactly once within capacity."""
    seen = [0] * len(sizes)
    for b, content in enumerate(bins):
        if not content:
            raise PackingError(f"Bin {b} is empty.")
        load = 0
        for i in content:
            if not 0 <= i < len(sizes):
                raise PackingError(f"Bin {b} holds an unknown item {i}.")
            seen[i] += 1
            load += sizes[i]
        if load > capacity:
            raise PackingError(f"Bin {b} is loaded to {load}, above the capacity {capacity}.")
    for i, times in enumerate(seen):
        if times != 1:
            raise PackingError(f"Item {i} is packed {times} times.")


def first_fit_decreasing(sizes: Sequence[int], capacity: int) -> BinPacking:
    _check_bins(sizes, capacity)
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    bins: BinPacking = []
    free: list[int] = []
    for i in order:
        s = sizes[i]
        for b, room in enumerate(free):
            if s <= room:
                bins[b].append(i)
                free[b] = room - s
                break
        else:
            bins.append([i])
            free.append(capacity - s)
    return bins


@dataclass
class _ArcFlow:
    """The arc-flow graph of distinct sizes `vals` (decreasing) with demands `demand`."""

    vals: list[int]
    demand: list[int]
    capacity: int
    full: bool  # every box filled exactly: no waste arcs
    arcs: list[tuple[int, int, int]]  # (tail, head, size index)
    nodes: list[int]
    waste: list[int]  # nodes with an arc to the capacity that carries no load

    @classmethod
    def build(
        cls, vals: list[int], demand: list[int], capacity: int, full: bool,
        *, max_arcs: int = 400_000, deadline: float = math.inf,
    ) -> _ArcFlow | None:
        """The graph of the sizes taken in decreasing order, or None once it grows past
        `max_arcs` arcs or the deadline. With `full`, only arcs on a path that ends
        exactly at the capacity are kept."""
        reach = {0}
        arcs: set[tuple[int, int, int]] = set()
        for t, v in enumerate(vals):
            if len(arcs) > max_arcs or time.perf_counter() > deadline:
                return None
            frontier = sorted(reach)
            added: set[int] = set()
            for _ in range(demand[t]):
                step: set[int] = set()
                for d in frontier:
                    e = d + v
                    if e <= capacity:
                        arcs.add((d, e, t))
                        step.add(e)
                if not step:
                    break
                added |= step
                frontier = sorted(step)
            reach |= added
        if full:
            into: defaultdict[int, list[int]] = defaultdict(list)
            for a, b, _t in arcs:
                into[b].append(a)
            live = {capacity}
            stack = [capacity]
            while stack:
                for a in into[stack.pop()]:
                    if a not in live:
                        live.add(a)
                        stack.append(a)
            arcs = {arc for arc in arcs if arc[1] in live}
            reach = live | {0}
        nodes = sorted(reach | {capacity})
        waste = [] if full else [n for n in nodes if n not in (0, capacity)]
        return cls(vals, demand, capacity, full, sorted(arcs), nodes, waste)

    def _model(self) -> tuple[Any, Any, Any, int]:
        index = {n: i for i, n in enumerate(self.nodes)}
        na = len(self.arcs)
        nv = na + len(self.waste) + 1
        z = nv - 1
        rows: list[int] = []
        cols: list[int] = []
        data: list[int] = []
        for j, (a, b, _t) in enumerate(self.arcs):
            rows += [index[a], index[b]]
            cols += [j, j]
            data += [-1, 1]
        for k, n in enumerate(self.waste):
            rows += [index[n], index[self.capacity]]
            cols += [na + k, na + k]
            data += [-1, 1]
        rows += [index[0], index[self.capacity]]
        cols += [z, z]
        data += [1, -1]
        flow = csr_matrix(coo_matrix((data, (rows, cols)), shape=(len(self.nodes), nv)))
        cover = csr_matrix(coo_matrix(
            ([1] * na, ([t for _a, _b, t in self.arcs], list(range(na)))),
            shape=(len(self.vals), nv),
        ))
        return flow, cover, index, z

    def solve(self, *, integral: bool, boxes: int | None, time_limit: float) -> list[float] | None:
        """Arc and waste flows of an optimal (fractional or integral) packing, or None."""
        flow, cover, _index, z = self._model()
        nv = z + 1
        cost = np.zeros(nv)
        cost[z] = 1
        demand = np.array(self.demand, dtype=float)
        upper = np.full(nv, np.inf)
        for j, (_a, _b, t) in enumerate(self.arcs):
            upper[j] = self.demand[t]
        lower = np.zeros(nv)
        if boxes is not None:
            lower[z] = upper[z] = boxes
        constraints = [
            LinearConstraint(flow, 0, 0),
            LinearConstraint(cover, demand, demand if self.full else np.inf),
        ]
        if not integral:
            # The relaxation through linprog: HiGHS' simplex without the MIP machinery.
            lp = linprog(
                cost, A_eq=flow if not self.full else vstack([flow, cover]),
                b_eq=np.zeros(flow.shape[0]) if not self.full
                else np.concatenate([np.zeros(flow.shape[0]), demand]),
                A_ub=None if self.full else -cover, b_ub=None if self.full else -demand,
                bounds=(0, None), method="highs",
                options={"time_limit": max(time_limit, 0.01)},
            )
            if lp.status != 0 or lp.x is None:  # a bound needs the proven optimum
                return None
            return [float(v) for v in lp.x]
        result = milp(
            cost, constraints=constraints, bounds=Bounds(lower, upper),
            integrality=np.ones(nv) if integral else np.zeros(nv),
            options={"time_limit": max(time_limit, 0.01), "disp": False,
                     # HiGHS' presolve can overrun the time limit many times over on
                     # big models; small ones gain from it and stay within it.
                     "presolve": len(self.arcs) <= _PRESOLVE_ARCS},
        )
        if result.x is None or (integral and result.status not in (0, 1)):
            return None
        if integral and result.status == 1 and not result.success and result.x is None:
            return None
        return [float(x) for x in result.x]

    def patterns(self, x: Sequence[float]) -> list[tuple[list[int], float]]:
        """Decompose a flow into paths 0 -> capacity: (size indices, amount)."""
        eps = 1e-7
        out: dict[int, list[list[Any]]] = defaultdict(list)
        na = len(self.arcs)
        for j, (a, b, t) in enumerate(self.arcs):
            if x[j] > eps:
                out[a].append([b, t, x[j]])
        for k, n in enumerate(self.waste):
            if x[na + k] > eps:
                out[n].append([self.capacity, -1, x[na + k]])
        found: list[tuple[list[int], float]] = []
        while any(e[2] > eps for e in out.get(0, ())):
            node = 0
            path: list[list[Any]] = []
            while node != self.capacity:
                live = [e for e in out.get(node, ()) if e[2] > eps]
                if not live:
                    break
                edge = max(live, key=lambda e: (e[2], -e[1]))
                path.append(edge)
                node = edge[0]
            if node != self.capacity:
                for edge in path:
                    edge[2] = 0.0
                continue
            amount = min(e[2] for e in path)
            for edge in path:
                edge[2] -= amount
            found.append(([e[1] for e in path if e[1] >= 0], amount))
        return found


def _bins_from_patterns(
    patterns: Sequence[tuple[list[int], int]], pools: list[list[int]]
) -> BinPacking:
    """Boxes from (size indices, count) patterns, drawing items from `pools` per size."""
    bins: BinPacking = []
    for pattern, count in patterns:
        for _ in range(count):
            content = [pools[t].pop() for t in pattern if pools[t]]
            if content:
                bins.append(content)
    return bins


def _min_slack(items: Sequence[int], sizes: Sequence[int], capacity: int) -> BinPacking:
    """Minimum bin slack: each box takes the largest item left and the subset of the
    others that fills what remains most closely (a subset-sum table per box)."""
    left = sorted(items, key=lambda i: (-sizes[i], i))
    bins: BinPacking = []
    while left:
        first, rest = left[0], left[1:]
        room = capacity - sizes[first]
        # reach[s]: the position in `rest` of the item that first reached sum s.
        reach: dict[int, tuple[int, int]] = {0: (-1, -1)}
        for k, i in enumerate(rest):
            size = sizes[i]
            if size > room or size == 0:
                continue
            for total in sorted(reach, reverse=True):
                new = total + size
                if new <= room and new not in reach:
                    reach[new] = (total, k)
            if room in reach:
                break
        total = max(reach)
        chosen: set[int] = set()
        while total:
            total, k = reach[total]
            chosen.add(k)
        bins.append([first, *(rest[k] for k in sorted(chosen))])
        left = [i for k, i in enumerate(rest) if k not in chosen]
    return bins


class _OutOfWork(Exception):
    """The search spent its work budget or its time."""


def _fill_boxes(
    vals: Sequence[int], counts: Sequence[int], boxes: int, capacity: int,
    *, work_limit: int, deadline: float,
) -> list[list[int]] | None:
    """Patterns (indices into `vals`, sizes decreasing) holding `counts` of each size in
    at most `boxes` boxes, by a limited discrepancy search over boxes; None if none
    is found.

    Each box starts with the largest item left and is completed by a set of smaller
    ones to which nothing left can be added (adding an item never hurts); completions
    leaving the least room come first, and the room left over all boxes may not exceed
    what the box count allows. A pass may stray from the first choice a given number
    of times in all (taking the k-th completion costs k - 1); each pass allows one
    more. Positions that failed are remembered with the allowance they had. The search
    stops once `work_limit` steps of building completions are spent or at the deadline.
    """
    cnt = list(counts)
    n = len(vals)
    total = sum(v * c for v, c in zip(vals, cnt, strict=True))
    if total > boxes * capacity:
        return None
    failed: dict[tuple[tuple[int, ...], int], int] = {}
    chosen: list[list[int]] = []
    pick: list[int] = []
    work = 0
    cut = False  # whether a pass left out completions for want of allowance

    def completions(start: int, room: int, slack: int, out: list[tuple[int, list[int]]]) -> None:
        nonlocal work
        work += 1
        if work > work_limit or (not work % 1024 and time.perf_counter() > deadline):
            raise _OutOfWork
        if len(out) >= _MAX_COMPLETIONS:
            return
        k = start
        while k < n and (not cnt[k] or vals[k] > room):
            k += 1
        if k == n:
            if room <= slack:
                out.append((room, list(pick)))
            return
        for j in range(k, n):
            if not cnt[j] or vals[j] > room:
                continue
            cnt[j] -= 1
            pick.append(j)
            completions(j, room - vals[j], slack, out)
            pick.pop()
            cnt[j] += 1
            if len(out) >= _MAX_COMPLETIONS:
                return

    def search(left_boxes: int, left_total: int, allowance: int) -> bool:
        nonlocal cut
        if not left_total:
            return True
        slack = left_boxes * capacity - left_total
        if slack < 0:
            return False
        key = (tuple(cnt), left_boxes)
        if failed.get(key, -1) >= allowance:
            return False
        if time.perf_counter() > deadline:
            raise _OutOfWork
        first = next(t for t in range(n) if cnt[t])
        cnt[first] -= 1
        options: list[tuple[int, list[int]]] = []
        completions(first, capacity - vals[first], slack, options)
        options.sort(key=operator.itemgetter(0))
        if len(options) > allowance + 1:
            cut = True
        for rank, (room, extra) in enumerate(options[:allowance + 1]):
            for t in extra:
                cnt[t] -= 1
            chosen.append([first, *extra])
            if search(left_boxes - 1, left_total - capacity + room, allowance - rank):
                return True
            chosen.pop()
            for t in extra:
                cnt[t] += 1
        cnt[first] += 1
        failed[key] = allowance
        return False

    try:
        allowance = 0
        while True:
            cut = False
            if search(boxes, total, allowance):
                return chosen
            if not cut:
                return None  # the pass left nothing out: there is no such packing
            allowance += 1
    except _OutOfWork:
        return None
    return None


# Completions of one box built at most.
_MAX_COMPLETIONS = 200
# Steps of building completions per box of the target, and for any search.
_WORK_PER_BOX = 5_000
_WORK_BASE = 5_000
# The same without the relaxation, where the search runs for many small pools and a
# deeper one (ten times as deep) found no box fewer on the 100k-demand market.
_QUICK_WORK = 500


def pack_bins(
    sizes: Sequence[int], capacity: int, *, time_limit: float = 1.5, arc_flow: bool = True,
) -> BinPacking:
    """Items (indices into `sizes`) in as few boxes of `capacity` as the stages find.

    Deterministic for a given input unless the time limit cuts a stage short.
    Zero-size items share the first box. Without `arc_flow` only the combinatorial
    stages run (first-fit decreasing, the minimum-slack fill and the depth-first
    search, each bounded by its own count of steps), which makes the result
    independent of the clock whenever the time limit does not bind: the container
    planner packs many small pools this way, where the relaxation costs more than
    it finds.
    """
    _check_bins(sizes, capacity)
    deadline = time.perf_counter() + time_limit
    best = first_fit_decreasing(sizes, capacity)
    bound = max(bins_lower_bound(sizes, capacity), 1 if sizes else 0)
    if len(best) <= bound:
        return best
    positive = [i for i, s in enumerate(sizes) if s > 0]
    zero = [i for i, s in enumerate(sizes) if s == 0]
    full = sum(sizes) == bound * capacity

    def finish(bins: BinPacking) -> BinPacking:
        bins = [[i for i in b if sizes[i] > 0] for b in bins]
        bins = [b for b in bins if b]
        if zero:
            bins[0].extend(zero)
        validate_bins(bins, sizes, capacity)
        return bins

    # Minimum bin slack when boxes may keep some room (with none to spare, every box
    # must be filled exactly and the arc-flow model without waste is quicker).
    if not full and len(sizes) * capacity <= 400_000:
        slack = _min_slack(positive, sizes, capacity)
        if len(slack) < len(best):
            best = slack
            if len(best) <= bound:
                return finish(best)
    vals = sorted({sizes[i] for i in positive}, reverse=True)
    position = {v: t for t, v in enumerate(vals)}

    def item_pools(items: Sequence[int]) -> list[list[int]]:
        pools: list[list[int]] = [[] for _ in vals]
        for i in sorted(items, key=lambda i: (-sizes[i], -i)):
            pools[position[sizes[i]]].append(i)
        return pools

    def demand_of(items: Sequence[int]) -> list[int]:
        demand = [0] * len(vals)
        for i in items:
            demand[position[sizes[i]]] += 1
        return demand

    def search(items: Sequence[int], boxes: int, share: float) -> BinPacking | None:
        """`items` in at most `boxes` boxes by the depth-first search with `share` of
        the time left at most, or None."""
        now = time.perf_counter()
        work = (_WORK_PER_BOX * boxes + _WORK_BASE if arc_flow
                else _QUICK_WORK * (boxes + 1))
        patterns = _fill_boxes(vals, demand_of(items), boxes, capacity, work_limit=work,
                               deadline=now + share * (deadline - now))
        if patterns is None:
            return None
        return _bins_from_patterns([(p, 1) for p in patterns], item_pools(items))

    def model(items: list[int], boxes: int, seconds: float) -> BinPacking | None:
        """`items` in exactly `boxes` boxes by the integer programme, or None."""
        total = sum(sizes[i] for i in items)
        graph = _ArcFlow.build(vals, demand_of(items), capacity, total == boxes * capacity,
                               deadline=deadline)
        if graph is None or lp_rate[0] * len(graph.arcs) > seconds:
            return None  # the programme would not get past its relaxation in time
        x = graph.solve(integral=True, boxes=boxes, time_limit=seconds)
        if x is None:
            return None
        rounded = [(p, int(round(a))) for p, a in graph.patterns([round(v) for v in x])]
        pools = item_pools(items)
        bins = _bins_from_patterns(rounded, pools)
        return None if any(pools) else bins

    def exact(items: list[int], boxes: int, share: float) -> BinPacking | None:
        """`items` in at most `boxes` boxes, or None: the search and the integer
        programme, the latter with `share` of the time left. When the items must fill
        every box exactly, the programme (whose model then shrinks to the paths that
        end at the capacity) goes first: the search is weak there."""
        if not items:
            return []
        if boxes < bins_lower_bound([sizes[i] for i in items], capacity):
            return None
        tight = sum(sizes[i] for i in items) == boxes * capacity
        for method in ("model", "search") if tight else ("search", "model"):
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            found = (model(items, boxes, left * share) if method == "model"
                     else search(items, boxes, share / 2))
            if found is not None:
                return found
        return None

    # Seconds per arc the relaxation took: the integer programme is not started when
    # even its relaxation would overrun the time left.
    lp_rate = [0.0]

    def relaxation(graph: _ArcFlow) -> list[float] | None:
        start = time.perf_counter()
        x = graph.solve(integral=False, boxes=None,
                        time_limit=max(deadline - start, 0.01))
        lp_rate[0] = (time.perf_counter() - start) / max(len(graph.arcs), 1)
        return x

    if not arc_flow:
        # The search at the bound, then (when first-fit left more than one box over
        # it) one box short of the best packing found.
        for boxes in sorted({bound, len(best) - 1}):
            if boxes < bound or boxes >= len(best) or time.perf_counter() >= deadline:
                continue
            found = search(positive, boxes, 1.0)
            if found is not None:
                return finish(found)
        return finish(best)
    graph = _ArcFlow.build(vals, demand_of(positive), capacity, full, deadline=deadline)
    x = None if graph is None else relaxation(graph)
    if graph is not None and x is None and full:
        # No fractional packing fills every box: one box more, and room to spare.
        bound += 1
        full = False
        if len(best) <= bound:
            return finish(best)
        graph = _ArcFlow.build(vals, demand_of(positive), capacity, full, deadline=deadline)
        x = None if graph is None else relaxation(graph)
    if graph is not None and x is not None:
        # The relaxation's optimum rounded up is a bound, and almost always the optimum.
        bound = max(bound, math.ceil(x[-1] - 1e-6))
        if len(best) <= bound:
            return finish(best)
        fractional = graph.patterns(x)
        # Keep the rounded-down patterns, fewer of them on each retry, and pack the rest.
        # The first completion almost always reaches the bound, so it may take most of
        # the time left: on a busy machine half of it can be too little for its model.
        for relax in (0, 1, 2, 4):
            if time.perf_counter() >= deadline:
                break
            kept = [(p, max(0, math.floor(a + 1e-6) - relax)) for p, a in fractional]
            pools = item_pools(positive)
            fixed = _bins_from_patterns(kept, pools)
            rest = [i for pool in pools for i in pool]
            rest_bins = exact(rest, bound - len(fixed), 0.95 if relax == 0 else 0.5)
            if rest_bins is not None:
                return finish(fixed + rest_bins)
            rest_ffd = first_fit_decreasing([sizes[i] for i in rest], capacity)
            candidate = fixed + [[rest[k] for k in b] for b in rest_ffd]
            if len(candidate) < len(best):
                best = candidate
    elif time.perf_counter() < deadline:
        # No model within reach: the search on everything.
        found = search(positive, bound, 1.0)
        if found is not None:
            return finish(found)
    left = deadline - time.perf_counter()
    if left > 0 and graph is not None:
        whole = exact(positive, bound, 1.0)
        if whole is not None:
            return finish(whole)
    return finish(best)
