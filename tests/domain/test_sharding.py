"""Cutting a run into shards: every unit in exactly one shard, shards balanced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pooling.domain.sharding import shards_plan

lanes_st = st.dictionaries(
    st.tuples(st.sampled_from(["CNSZX", "CNNGB", "VNSGN", "INNSA"]),
              st.sampled_from(["sea", "air", "road"])),
    st.integers(1, 5000), max_size=12)
programmes_st = st.dictionaries(st.integers(1, 50), st.integers(1, 2000), max_size=5)


@given(lanes_st, programmes_st, st.integers(1, 20_000))
def test_every_unit_lands_in_exactly_one_shard(lanes, programmes, per_shard) -> None:  # type: ignore[no-untyped-def]
    shards = shards_plan(lanes, programmes, needs_per_shard=per_shard)
    assert [s.number for s in shards] == list(range(1, len(shards) + 1))
    assert sorted(lane for s in shards for lane in s.lanes) == sorted(lanes)
    assert sorted(p for s in shards for p in s.programmes) == sorted(programmes)
    assert sum(s.needs for s in shards) == sum(lanes.values()) + sum(programmes.values())
    # largest first to the lightest shard: no shard exceeds another by more than its
    # largest unit
    loads = [s.needs for s in shards]
    largest = max([*lanes.values(), *programmes.values()], default=0)
    assert max(loads) - min(loads) <= largest
    # deterministic
    assert shards_plan(lanes, programmes, needs_per_shard=per_shard) == shards


def test_shard_count_follows_the_needs_and_never_splits_a_lane_group() -> None:
    lanes = {("CNSZX", "sea"): 30_000, ("CNNGB", "sea"): 10_000, ("VNSGN", "air"): 10_000}
    shards = shards_plan(lanes, {7: 5_000}, needs_per_shard=20_000)
    assert len(shards) == 3
    assert shards[0].lanes == [("CNSZX", "sea")] and shards[0].needs == 30_000
    assert shards_plan({}, {}, needs_per_shard=10) == [shards_plan({}, {}, needs_per_shard=1)[0]]
    with pytest.raises(ValueError):
        shards_plan(lanes, {}, needs_per_shard=0)
