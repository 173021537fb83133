"""Cutting a matching run into shards that never need each other's data.

A shard is a set of lane groups (origin and mode family: every rate card,
capacity offer and demand that could ever share a pool) and programmes (ad
needs pool only with needs on their own programme). Units are dealt out
largest first to the shard with the fewest needs so far (longest processing
time first), which keeps the shards within one unit of each other; the deal is
deterministic for a given input.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

Lane = tuple[str, str]


@dataclass
class ShardPlan:
    number: int
    lanes: list[Lane] = field(default_factory=list)
    programmes: list[int] = field(default_factory=list)
    needs: int = 0


def shards_plan(
    lanes: Mapping[Lane, int], programmes: Mapping[int, int], *, needs_per_shard: int
) -> list[ShardPlan]:
    """As many shards as `needs_per_shard` asks for (at least one, at most one per
    unit), each lane group and programme in exactly one of them."""
    if needs_per_shard < 1:
        raise ValueError("needs_per_shard must be at least 1.")
    units: list[tuple[int, str, Lane | int]] = [
        *((count, f"lane:{lane[0]}:{lane[1]}", lane) for lane, count in lanes.items()),
        *((count, f"programme:{pid:012d}", pid) for pid, count in programmes.items()),
    ]
    units.sort(key=lambda u: (-u[0], u[1]))
    total = sum(u[0] for u in units)
    count = max(1, min(len(units), math.ceil(total / needs_per_shard)))
    shards = [ShardPlan(number=n) for n in range(1, count + 1)]
    heap = [(0, shard.number) for shard in shards]
    for needs, _key, unit in units:
        load, number = heapq.heappop(heap)
        shard = shards[number - 1]
        if isinstance(unit, tuple):
            shard.lanes.append(unit)
        else:
            shard.programmes.append(unit)
        shard.needs += needs
        heapq.heappush(heap, (load + needs, number))
    for shard in shards:
        shard.lanes.sort()
        shard.programmes.sort()
    return shards
