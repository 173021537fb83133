"""Held-out bin-packing instances generated with a seed: the engine reaches their optimum.

Triplets are made the Falkenauer way (boxes of capacity 1000 cut into three pieces of
25-50 %, shuffled), so n / 3 boxes are optimal by construction. Uniform instances are
checked against the arc-flow relaxation's bound, which their packing must meet. The time
limits are generous: speed is what `benchmark packing` shows.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from pooling.domain.packing import _ArcFlow, pack_bins, validate_bins

GENEROUS_SECONDS = 30.0


def falkenauer_triplets(boxes: int, seed: int, capacity: int = 1000) -> list[int]:
    rng = random.Random(seed)
    sizes: list[int] = []
    for _ in range(boxes):
        first = rng.randint(380, 490)
        room = capacity - first
        second = rng.randint(250, room // 2)
        sizes += [first, second, room - second]
    rng.shuffle(sizes)
    return sizes


def relaxation_bound(sizes: list[int], capacity: int) -> int:
    counts = Counter(sizes)
    vals = sorted(counts, reverse=True)
    graph = _ArcFlow.build(vals, [counts[v] for v in vals], capacity, False)
    assert graph is not None
    x = graph.solve(integral=False, boxes=None, time_limit=GENEROUS_SECONDS)
    assert x is not None
    return math.ceil(x[-1] - 1e-6)


@pytest.mark.parametrize(("items", "seed"), [(249, 11), (501, 12), (1002, 13), (1002, 14)])
def test_generated_triplets_pack_into_a_third_as_many_boxes(items: int, seed: int) -> None:
    # given shuffled triplets that fill items / 3 boxes exactly
    sizes = falkenauer_triplets(items // 3, seed)
    # when packed with time to spare
    bins = pack_bins(sizes, 1000, time_limit=GENEROUS_SECONDS)
    # then every box is full again
    validate_bins(bins, sizes, 1000)
    assert len(bins) == items // 3


@pytest.mark.parametrize(("items", "capacity", "low", "seed"),
                         [(250, 150, 20, 21), (500, 150, 20, 22), (1000, 150, 20, 23),
                          (200, 100, 30, 24)])
def test_generated_uniform_instances_pack_at_the_relaxation_bound(
    items: int, capacity: int, low: int, seed: int,
) -> None:
    # given sizes uniform in [low, 100]
    rng = random.Random(seed)
    sizes = [rng.randint(low, 100) for _ in range(items)]
    # when packed, then the box count is the arc-flow bound (no packing can use fewer)
    bins = pack_bins(sizes, capacity, time_limit=GENEROUS_SECONDS)
    validate_bins(bins, sizes, capacity)
    assert len(bins) == relaxation_bound(sizes, capacity)
