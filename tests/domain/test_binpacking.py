"""One-dimensional bin packing: parsing, bounds, validity and the Falkenauer triplets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.binpacking import (
    Instance,
    first_fit_decreasing,
    l2_bound,
    lower_bound,
    pack,
    read_bpplib,
    validate_packing,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/binpacking"


def assert_valid(bins: list[list[int]], sizes: list[int] | tuple[int, ...], capacity: int) -> None:
    used = sorted(i for b in bins for i in b)
    assert used == list(range(len(sizes)))
    for b in bins:
        assert b
        assert sum(sizes[i] for i in b) <= capacity


# --- parsing -------------------------------------------------------------------------


def test_read_bpplib_parses_count_capacity_and_sizes() -> None:
    inst = read_bpplib("3\n10\n4\n6\n5\n", name="tiny")
    assert inst == Instance(name="tiny", capacity=10, sizes=(4, 6, 5))
    assert lower_bound(inst) == 2


def test_read_bpplib_ignores_blank_lines_and_surrounding_space() -> None:
    assert read_bpplib("\n 2 \n100\n\n 30\n70\n\n").sizes == (30, 70)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "item count and the capacity"),
        ("3\n10\n4\n6\n", "announces 3 items but 2"),
        ("2\n10\n4\n6\n5\n", "announces 2 items but 3"),
        ("2\nten\n4\n6\n", "Line 2 .the capacity. must be an integer"),
        ("2\n10\n4\n6.5\n", "Line 4 .an item size. must be an integer"),
        ("2\n10\n4\n11\n", "11 exceeds the capacity 10"),
        ("1\n10\n-1\n", "negative"),
        ("1\n0\n0\n", "capacity must be positive"),
        ("-1\n10\n", "cannot be negative"),
    ],
)
def test_read_bpplib_rejects_malformed_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_bpplib(text)


# --- bounds --------------------------------------------------------------------------


def test_lower_bound_is_the_continuous_bound() -> None:
    assert lower_bound(Instance("a", 10, (5, 5, 1))) == 2
    assert lower_bound(Instance("b", 10, (5, 5))) == 1
    assert lower_bound(Instance("c", 10, ())) == 0
    # Three items above half the capacity need three bins, but the sum says two.
    assert lower_bound(Instance("d", 10, (6, 6, 6))) == 2


def test_l2_bound_counts_items_above_half_capacity() -> None:
    assert l2_bound([6, 6, 6], 10) == 3
    assert l2_bound([6, 6, 6, 4, 4, 4], 10) == 3
    assert l2_bound([6, 6, 6, 5, 5], 10) == 4
    assert l2_bound([], 10) == 0


# --- packing -------------------------------------------------------------------------


def test_pack_handles_trivial_inputs() -> None:
    assert pack([], 10) == []
    assert pack([10], 10) == [[0]]
    assert pack([0, 0], 10) == [[0, 1]]


def test_pack_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="exceeds the capacity"):
        pack([11], 10)
    with pytest.raises(ValueError, match="negative"):
        pack([-1], 10)
    with pytest.raises(ValueError, match="capacity must be positive"):
        pack([1], 0)


def test_pack_finds_the_perfect_pairing_that_ffd_misses() -> None:
    # FFD puts 5 with 4 and wastes the rest; the optimum pairs 5+3+2 and 4+4+2.
    sizes = [5, 4, 4, 3, 2, 2]
    capacity = 10
    assert len(first_fit_decreasing(sizes, capacity)) == 3
    bins = pack(sizes, capacity)
    assert_valid(bins, sizes, capacity)
    assert len(bins) == 2


def test_pack_reaches_the_l2_bound_when_items_exceed_half() -> None:
    sizes = [6, 6, 6, 4, 4, 4]
    bins = pack(sizes, 10)
    assert_valid(bins, sizes, 10)
    assert len(bins) == 3


def test_validate_packing_reports_problems() -> None:
    with pytest.raises(ValueError, match="above the capacity"):
        validate_packing([[0, 1]], [6, 6], 10)
    with pytest.raises(ValueError, match="packed 0 times"):
        validate_packing([[0]], [6, 6], 10)
    with pytest.raises(ValueError, match="packed 2 times"):
        validate_packing([[0], [0, 1]], [3, 3], 10)
    validate_packing([[1], [0]], [6, 6], 10)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=60).flatmap(
        lambda cap: st.tuples(
            st.just(cap), st.lists(st.integers(min_value=0, max_value=cap), max_size=40)
        )
    )
)
def test_pack_uses_every_item_once_within_capacity(case: tuple[int, list[int]]) -> None:
    capacity, sizes = case
    bins = pack(sizes, capacity, time_limit=0.05)
    assert_valid(bins, sizes, capacity)
    validate_packing(bins, sizes, capacity)
    if sizes:
        assert l2_bound(sizes, capacity) <= len(bins) <= len(first_fit_decreasing(sizes, capacity))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 98), st.integers(1, 98)), min_size=1, max_size=12))
def test_pack_recovers_hidden_exact_triplets(cuts: list[tuple[int, int]]) -> None:
    # Build bins of exactly 100 from three parts each, then shuffle them deterministically.
    sizes: list[int] = []
    for a, b in cuts:
        lo, hi = sorted((a, b))
        if lo == hi:
            hi += 1
        sizes += [lo, hi - lo, 100 - hi] if hi < 100 else [lo, 99 - lo, 1]
    sizes = sorted(sizes, key=lambda s: (s * 7919) % 101)
    bins = pack(sizes, 100, time_limit=5.0)
    assert_valid(bins, sizes, 100)
    assert len(bins) == len(cuts)
    # The search ended at the bound, so the same input takes the same path again.
    assert pack(sizes, 100, time_limit=5.0) == bins


def test_pack_is_deterministic_on_a_fixed_instance() -> None:
    sizes = [(k * 37) % 91 + 10 for k in range(60)]
    first = pack(sizes, 150, time_limit=30)
    assert_valid(first, sizes, 150)
    assert pack(sizes, 150, time_limit=30) == first


# --- Falkenauer instances --------------------------------------------------------------


TRIPLETS = sorted(DATA.glob("Falkenauer_t*.txt")) if DATA.is_dir() else []


@pytest.mark.skipif(not DATA.is_dir(), reason="shared bin-packing data is not available")
def test_all_twenty_triplet_instances_are_present() -> None:
    assert len(TRIPLETS) == 20


@pytest.mark.skipif(not DATA.is_dir(), reason="shared bin-packing data is not available")
@pytest.mark.parametrize("path", TRIPLETS, ids=lambda p: p.stem)
def test_falkenauer_triplets_pack_into_40_bins(path: Path) -> None:
    inst = read_bpplib(path.read_text(), name=path.stem)
    assert (len(inst.sizes), inst.capacity, sum(inst.sizes)) == (120, 1000, 40_000)
    assert lower_bound(inst) == 40
    assert len(first_fit_decreasing(inst.sizes, inst.capacity)) > 40
    started = time.perf_counter()
    # The default time limit; the search stops as soon as it reaches 40 bins, normally
    # within a few hundredths of a second, so half a second leaves room for a busy machine.
    bins = pack(inst.sizes, inst.capacity)
    elapsed = time.perf_counter() - started
    assert_valid(bins, inst.sizes, inst.capacity)
    assert len(bins) == 40
    assert all(sum(inst.sizes[i] for i in b) == 1000 for b in bins)
    assert elapsed < 0.5
    # Reaching the bound does not depend on timing, so the same input gives the same bins.
    assert pack(inst.sizes, inst.capacity) == bins


@pytest.mark.skipif(
    not (DATA / "Falkenauer_u120_00.txt").is_file(), reason="shared data is not available"
)
def test_falkenauer_uniform_instance_reaches_its_optimum() -> None:
    inst = read_bpplib((DATA / "Falkenauer_u120_00.txt").read_text())
    bins = pack(inst.sizes, inst.capacity)
    assert_valid(bins, inst.sizes, inst.capacity)
    assert len(bins) == 48
