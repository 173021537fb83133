"""The packing engine's one-dimensional core: bounds, validity, exact small cases."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.packing import (
    PackingError,
    bins_lower_bound,
    first_fit_decreasing,
    pack_bins,
    validate_bins,
)


def assert_valid(bins: list[list[int]], sizes: list[int], capacity: int) -> None:
    assert sorted(i for b in bins for i in b) == list(range(len(sizes)))
    for b in bins:
        assert b
        assert sum(sizes[i] for i in b) <= capacity


def test_l2_bound_counts_items_above_half_capacity() -> None:
    # given three items above half the capacity: no two share a box
    sizes = [60, 60, 60, 10]
    # then the bound sees three boxes where the continuous bound sees two
    assert bins_lower_bound(sizes, 100) == 3


def test_pack_finds_the_perfect_pairing_that_ffd_misses() -> None:
    # given sizes where first-fit decreasing wastes a box: 2 x (50+30+20) and 2 x (45+35+20)
    sizes = [50, 50, 45, 45, 35, 35, 30, 30, 20, 20, 20, 20]
    ffd = first_fit_decreasing(sizes, 100)
    # when the engine packs them
    bins = pack_bins(sizes, 100)
    # then it uses the four full boxes, and not more than first-fit decreasing
    assert_valid(bins, sizes, 100)
    assert len(bins) == 4 <= len(ffd)


def test_pack_recovers_hidden_exact_triplets() -> None:
    # given 30 boxes of capacity 1000 each cut into three pieces, shuffled
    rng = random.Random(7)
    sizes: list[int] = []
    for _ in range(30):
        a = rng.randint(250, 499)
        b = rng.randint(250, min(499, 1000 - a - 250))
        sizes += [a, b, 1000 - a - b]
    rng.shuffle(sizes)
    # when packed, then every box is full again: 30 boxes
    bins = pack_bins(sizes, 1000)
    assert_valid(bins, sizes, 1000)
    assert len(bins) == 30


def test_pack_handles_trivial_inputs() -> None:
    assert pack_bins([], 10) == []
    assert pack_bins([0, 0], 10) == [[0, 1]]
    assert pack_bins([10], 10) == [[0]]


def test_pack_rejects_bad_input_and_validate_reports_problems() -> None:
    with pytest.raises(PackingError, match="exceeds the capacity"):
        pack_bins([11], 10)
    with pytest.raises(PackingError, match="capacity must be positive"):
        pack_bins([1], 0)
    with pytest.raises(PackingError, match="packed 2 times"):
        validate_bins([[0], [0]], [1], 10)
    with pytest.raises(PackingError, match="above the capacity"):
        validate_bins([[0, 1]], [6, 6], 10)


@settings(max_examples=40, deadline=None)
@given(st.integers(5, 60).flatmap(
    lambda c: st.tuples(st.just(c), st.lists(st.integers(0, c), max_size=25))))
def test_pack_uses_every_item_once_within_capacity_and_meets_the_bound(
    case: tuple[int, list[int]],
) -> None:
    capacity, sizes = case
    bins = pack_bins(sizes, capacity, time_limit=0.5)
    assert_valid(bins, sizes, capacity)
    assert bins_lower_bound(sizes, capacity) <= len(bins) <= max(
        len(first_fit_decreasing(sizes, capacity)), 0)


def test_pack_is_deterministic_on_a_fixed_instance() -> None:
    rng = random.Random(3)
    sizes = [rng.randint(20, 100) for _ in range(120)]
    assert pack_bins(sizes, 150) == pack_bins(sizes, 150)


def test_pack_without_the_relaxation_still_finds_the_pairing_and_repeats_itself() -> None:
    # given the sizes first-fit decreasing packs in five boxes where four are full
    sizes = [50, 50, 45, 45, 35, 35, 30, 30, 20, 20, 20, 20]
    assert len(first_fit_decreasing(sizes, 100)) > 4
    # when the planner's cheaper mode packs them twice
    first = pack_bins(sizes, 100, arc_flow=False)
    second = pack_bins(sizes, 100, arc_flow=False)
    # then the search alone finds the four full boxes, the same way both times
    assert_valid(first, sizes, 100)
    assert len(first) == 4
    assert first == second


@settings(max_examples=40, deadline=None)
@given(st.integers(5, 60).flatmap(
    lambda c: st.tuples(st.just(c), st.lists(st.integers(0, c), max_size=25))))
def test_pack_without_the_relaxation_is_valid_and_never_worse_than_ffd(
    case: tuple[int, list[int]],
) -> None:
    capacity, sizes = case
    bins = pack_bins(sizes, capacity, arc_flow=False)
    assert_valid(bins, sizes, capacity)
    assert len(bins) <= len(first_fit_decreasing(sizes, capacity))
    assert len(bins) >= bins_lower_bound(sizes, capacity)
