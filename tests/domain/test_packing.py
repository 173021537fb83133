"""Choosing containers for a sea pool: exact small cases and properties."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pooling.domain.packing import (
    ContainerType,
    Load,
    PackingError,
    Placement,
    SeaPlan,
    _BoxSearch,
    _fill_greedy,
    _fill_greedy_grid,
    _fill_mip,
    _fill_search,
    _fills_one_type,
    _grid_loads,
    _one_type_floor,
    bins_lower_bound,
    plan_sea,
)
from pooling.domain.tariff import EquipmentRate, FixedFee, RateCard, Surcharge, sea_plan_total
from pooling.domain.units import Mode

D = Decimal
GP20 = ContainerType("20GP", D("1500"), D("28"), D("21700"))
GP40 = ContainerType("40GP", D("2400"), D("58"), D("26600"))
HC40 = ContainerType("40HC", D("2600"), D("67"), D("26500"))
TYPES = (GP20, GP40, HC40)


def lcl_rate(kg: Decimal, cbm: Decimal) -> Decimal:
    """90 per W/M (one tonne or one CBM), minimum one W/M; nothing costs nothing."""
    if kg == 0 and cbm == 0:
        return D(0)
    return max(kg / 1000, cbm, D(1)) * D(90)


def load(id_: str, cbm: str, kg: str, splittable: bool = False) -> Load:
    return Load(id_, D(cbm), D(kg), splittable)


def recompute(plan: SeaPlan, types: Sequence[ContainerType] = TYPES) -> Decimal:
    price = {t.code: t.price for t in types}
    total = sum((price[c.code] for c in plan.containers), D(0))
    return total + lcl_rate(plan.lcl_kg, plan.lcl_cbm)


def check_invariants(plan: SeaPlan, loads: Sequence[Load], types: Sequence[ContainerType]) -> None:
    by_code = {t.code: t for t in types}
    for container in plan.containers:
        t = by_code[container.code]
        assert container.placements
        assert container.used_cbm <= t.usable_cbm
        assert container.used_kg <= t.payload_kg
    parts: dict[str | int, list[Placement]] = {}
    for p in [*(p for c in plan.containers for p in c.placements), *plan.lcl]:
        assert p.volume_cbm >= 0 and p.gross_kg >= 0
        parts.setdefault(p.load_id, []).append(p)
    assert set(parts) == {ld.id for ld in loads}
    for ld in loads:
        assert sum((p.volume_cbm for p in parts[ld.id]), D(0)) == ld.volume_cbm
        assert sum((p.gross_kg for p in parts[ld.id]), D(0)) == ld.gross_kg
        if not ld.splittable:
            assert len(parts[ld.id]) == 1


# --- exact cases -----------------------------------------------------------------------


def test_no_loads_cost_nothing() -> None:
    plan = plan_sea([], TYPES, lcl_rate)
    assert plan == SeaPlan((), (), D(0))


def test_small_load_ships_lcl() -> None:
    plan = plan_sea([load("a", "3", "800")], TYPES, lcl_rate)
    assert plan.containers == ()
    assert plan.lcl == (Placement("a", D(3), D(800)),)
    assert plan.cost == D(270)


def test_load_worth_a_container_gets_the_cheapest_that_fits() -> None:
    plan = plan_sea([load("a", "25", "9000")], TYPES, lcl_rate)
    assert plan.container_codes == ("20GP",)
    assert plan.lcl == ()
    assert plan.cost == D(1500)


def test_payload_binds_as_well_as_volume() -> None:
    def dear_lcl(kg: Decimal, cbm: Decimal) -> Decimal:
        return lcl_rate(kg, cbm) * 2

    # 10 CBM but 24 t: too heavy for a 20GP (21.7 t); 24 W/M of LCL cost 4320 at this
    # rate, so the 40GP (26.6 t) at 2400 wins over the dearer 40HC (26.5 t, 2600).
    plan = plan_sea([load("a", "10", "24000")], TYPES, dear_lcl)
    assert plan.container_codes == ("40GP",)
    assert plan.cost == D(2400)
    # 26.55 t fits only the 40GP, even when the 40HC is offered cheaper.
    cheap_hc = ContainerType("40HC", D("2000"), D("67"), D("26500"))
    heavy = plan_sea([load("a", "10", "26550")], [GP20, GP40, cheap_hc], dear_lcl)
    assert heavy.container_codes == ("40GP",)
    # At the ordinary rate 24 W/M of LCL (2160) is cheaper than any box that carries it.
    assert plan_sea([load("a", "10", "24000")], TYPES, lcl_rate).containers == ()


def test_two_loads_share_one_container() -> None:
    plan = plan_sea([load("a", "15", "3000"), load("b", "12", "4000")], TYPES, lcl_rate)
    assert plan.container_codes == ("20GP",)
    assert plan.cost == D(1500)
    assert {p.load_id for p in plan.containers[0].placements} == {"a", "b"}


def test_three_loads_exact_choice_between_container_and_lcl() -> None:
    # a+b fill a 20GP exactly; c is small and ships LCL rather than a second box.
    loads = [load("a", "20", "5000"), load("b", "8", "2000"), load("c", "4", "1000")]
    plan = plan_sea(loads, TYPES, lcl_rate)
    assert plan.container_codes == ("20GP",)
    assert plan.lcl == (Placement("c", D(4), D(1000)),)
    assert plan.cost == D(1500) + D(360)


def test_three_loads_best_of_every_container_multiset() -> None:
    loads = [load("a", "20", "5000"), load("b", "15", "3000"), load("c", "40", "9000", True)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    # One 40HC (67 CBM) takes a, b and 32 CBM of c; the other 8 CBM of c ship LCL.
    assert plan.container_codes == ("40HC",)
    assert plan.lcl_cbm == D(8)
    assert plan.lcl_kg == D(1800)
    assert plan.cost == D(2600) + D(720)
    check_invariants(plan, loads, TYPES)


def test_non_splittable_load_too_big_for_any_container_ships_lcl_whole() -> None:
    loads = [load("huge", "80", "10000"), load("a", "27", "5000")]
    plan = plan_sea(loads, TYPES, lcl_rate)
    assert plan.container_codes == ("20GP",)
    assert plan.lcl == (Placement("huge", D(80), D(10000)),)
    assert plan.cost == D(1500) + D(80) * 90


def test_splittable_load_spreads_over_containers() -> None:
    plan = plan_sea([load("big", "130", "30000", True)], TYPES, lcl_rate)
    loads = [load("big", "130", "30000", True)]
    check_invariants(plan, loads, TYPES)
    assert plan.cost == recompute(plan)
    # 2 x 40HC (134 CBM, 53 t) at 5200 beat every alternative that needs LCL.
    assert plan.container_codes == ("40HC", "40HC")
    assert plan.lcl == ()


def test_split_parts_keep_density_and_add_up_exactly() -> None:
    loads = [load("x", "100.333333", "12345.678", True)]
    plan = plan_sea(loads, [GP20], lcl_rate)
    check_invariants(plan, loads, [GP20])
    for c in plan.containers:
        for p in c.placements:
            assert p.volume_cbm <= D(28)


def test_fixed_cost_replaces_the_formula() -> None:
    calls: list[tuple[tuple[str, ...], Decimal, Decimal]] = []

    def tariff(codes: Sequence[str], kg: Decimal, cbm: Decimal) -> Decimal:
        calls.append((tuple(codes), kg, cbm))
        # Every container carries a 1000 surcharge: LCL becomes the better deal.
        return sum((D(1000) + {"20GP": D(1500)}.get(c, D(5000)) for c in codes), D(0)) + (
            lcl_rate(kg, cbm)
        )

    plan = plan_sea([load("a", "25", "9000")], TYPES, lcl_rate, fixed_cost=tariff)
    assert calls
    assert plan.containers == ()
    assert plan.cost == D(25) * 90


def test_rejects_bad_input() -> None:
    with pytest.raises(PackingError, match="more than once"):
        plan_sea([load("a", "1", "1"), load("a", "2", "2")], TYPES, lcl_rate)
    with pytest.raises(PackingError, match="negative"):
        plan_sea([load("a", "-1", "1")], TYPES, lcl_rate)
    with pytest.raises(PackingError, match="finite Decimal"):
        plan_sea([Load("a", 1.5, D(1), False)], TYPES, lcl_rate)  # type: ignore[arg-type]
    with pytest.raises(PackingError, match="must be positive"):
        plan_sea([], [ContainerType("X", D(1), D(0), D(1))], lcl_rate)
    with pytest.raises(PackingError, match="listed twice"):
        plan_sea([], [GP20, GP20], lcl_rate)


def test_no_container_types_means_all_lcl() -> None:
    plan = plan_sea([load("a", "30", "1000", True)], [], lcl_rate)
    assert plan.containers == ()
    assert plan.cost == D(2700)


# --- brute force on tiny pools ----------------------------------------------------------


def brute_force(loads: Sequence[Load], types: Sequence[ContainerType]) -> Decimal:
    """Cheapest plan for whole (non-splittable) loads over every assignment."""
    best = lcl_rate(
        sum((ld.gross_kg for ld in loads), D(0)), sum((ld.volume_cbm for ld in loads), D(0))
    )
    n = len(loads)
    # Each load goes to LCL (-1) or to one of n container slots, each slot of some type.
    for slot_types in itertools.product(range(len(types)), repeat=n):
        for target in itertools.product(range(-1, n), repeat=n):
            cbm = [D(0)] * n
            kg = [D(0)] * n
            for ld, t in zip(loads, target, strict=True):
                if t >= 0:
                    cbm[t] += ld.volume_cbm
                    kg[t] += ld.gross_kg
            if any(
                cbm[s] > types[slot_types[s]].usable_cbm or kg[s] > types[slot_types[s]].payload_kg
                for s in range(n)
            ):
                continue
            used = {t for t in target if t >= 0}
            lcl_loads = [ld for ld, t in zip(loads, target, strict=True) if t < 0]
            cost = sum((types[slot_types[s]].price for s in used), D(0)) + lcl_rate(
                sum((ld.gross_kg for ld in lcl_loads), D(0)),
                sum((ld.volume_cbm for ld in lcl_loads), D(0)),
            )
            best = min(best, cost)
    return best


cbm_values = st.decimals(min_value=D("0.5"), max_value=D("60"), places=1)
kg_values = st.decimals(min_value=D("50"), max_value=D("25000"), places=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cbm_values, kg_values), min_size=1, max_size=3))
def test_tiny_pools_match_brute_force(specs: list[tuple[Decimal, Decimal]]) -> None:
    loads = [Load(f"L{k}", cbm, kg, False) for k, (cbm, kg) in enumerate(specs)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == brute_force(loads, TYPES)


# --- properties -------------------------------------------------------------------------

load_specs = st.lists(
    st.tuples(
        st.decimals(min_value=D("0"), max_value=D("90"), places=3),
        st.decimals(min_value=D("0"), max_value=D("30000"), places=2),
        st.booleans(),
    ),
    max_size=14,
)


@settings(max_examples=120, deadline=None)
@given(load_specs, st.sets(st.sampled_from(TYPES), min_size=0, max_size=3))
def test_plan_properties(
    specs: list[tuple[Decimal, Decimal, bool]], chosen: set[ContainerType]
) -> None:
    types = sorted(chosen, key=lambda t: t.code)
    loads = [Load(k, cbm, kg, split) for k, (cbm, kg, split) in enumerate(specs)]
    plan = plan_sea(loads, types, lcl_rate)
    check_invariants(plan, loads, types)
    assert plan.cost == recompute(plan, TYPES)
    all_lcl = lcl_rate(
        sum((ld.gross_kg for ld in loads), D(0)), sum((ld.volume_cbm for ld in loads), D(0))
    )
    assert plan.cost <= all_lcl
    assert plan_sea(loads, types, lcl_rate) == plan
    assert plan_sea(list(loads), list(types), lcl_rate) == plan


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0.1"), max_value=D("30"), places=2),
            st.decimals(min_value=D("10"), max_value=D("9000"), places=0),
            st.booleans(),
        ),
        min_size=30,
        max_size=60,
    )
)
def test_large_pools_stay_valid(specs: list[tuple[Decimal, Decimal, bool]]) -> None:
    loads = [Load(k, cbm, kg, split) for k, (cbm, kg, split) in enumerate(specs)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == recompute(plan)
    assert plan.cost <= lcl_rate(
        sum((ld.gross_kg for ld in loads), D(0)), sum((ld.volume_cbm for ld in loads), D(0))
    )


# --- the fast paths make the same plans -------------------------------------------------

SEA_CARD = RateCard(
    id="SEA", version=1, currency="USD", mode=Mode.SEA_FCL, origin="CNSHA",
    destination="USLAX", kg_per_cbm=None, minimum_charge=D(0), lcl_rate_per_wm=D("91.50"),
    equipment=tuple(EquipmentRate(t.code, t.price, t.usable_cbm, t.payload_kg) for t in TYPES),
    fees=(FixedFee("DOC", "Documentation", D("75.00")),),
    surcharges=(Surcharge("BAF", "Fuel", percent=D("10.5")),),
)


def card_cost(codes: Sequence[str], kg: Decimal, cbm: Decimal) -> Decimal:
    if not codes and kg == 0 and cbm == 0:
        return D(0)
    return sea_plan_total(SEA_CARD, containers=list(codes), lcl_gross_kg=kg, lcl_volume_cbm=cbm)


def card_lcl(kg: Decimal, cbm: Decimal) -> Decimal:
    return card_cost((), kg, cbm)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0.1"), max_value=D("40"), places=3),
            st.decimals(min_value=D("10"), max_value=D("12000"), places=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_stopping_early_on_a_tariff_gives_the_same_plan(
    specs: list[tuple[Decimal, Decimal, bool]],
) -> None:
    # Given a tariff that rounds each line and only adds fees and surcharges
    loads = [Load(k, cbm, kg, split) for k, (cbm, kg, split) in enumerate(specs)]
    # When the search may stop once no multiset can win
    fast = plan_sea(loads, TYPES, card_lcl, fixed_cost=card_cost, price_slack=D("0.03"))
    # Then it finds exactly the plan the full search finds
    assert fast == plan_sea(loads, TYPES, card_lcl, fixed_cost=card_cost)
    check_invariants(fast, loads, TYPES)
    # And so do the fast fills alone (the multisets bounded only as far as they are filled)
    quick = plan_sea(loads, TYPES, card_lcl, fixed_cost=card_cost, price_slack=D("0.03"),
                     exact=False)
    assert quick == plan_sea(loads, TYPES, card_lcl, fixed_cost=card_cost, exact=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0"), max_value=D("70"), places=6),
            st.decimals(min_value=D("0"), max_value=D("30000"), places=3),
            st.booleans(),
        ),
        max_size=25,
    ),
    st.lists(st.sampled_from(TYPES), min_size=1, max_size=6),
)
def test_fill_on_the_integer_grid_matches_the_decimal_fill(
    specs: list[tuple[Decimal, Decimal, bool]], combo: list[ContainerType]
) -> None:
    # Given loads in whole cm3 and grams, some splittable
    whole = [Load(k, cbm, kg, False) for k, (cbm, kg, split) in enumerate(specs) if not split]
    splittable = [Load(k, cbm, kg, True) for k, (cbm, kg, split) in enumerate(specs) if split]
    # When both fills run on the same container multiset
    content, lcl = _fill_greedy(combo, whole, splittable)
    whole_grid, splittable_grid = _grid_loads(whole), _grid_loads(splittable)
    assert whole_grid is not None and splittable_grid is not None
    used, lcl_cbm, lcl_kg, any_lcl = _fill_greedy_grid(
        [int(t.usable_cbm * 1_000_000) for t in combo], [int(t.payload_kg * 1000) for t in combo],
        whole_grid, splittable_grid,
    )
    # Then they use the same containers and send the same cargo to LCL
    assert used == [bool(placed) for placed in content]
    assert D(lcl_cbm).scaleb(-6) == sum((p.volume_cbm for p in lcl), D(0))
    assert D(lcl_kg).scaleb(-3) == sum((p.gross_kg for p in lcl), D(0))
    assert any_lcl == bool(lcl)


def test_loads_off_the_grid_still_plan() -> None:
    loads = [load("a", "20.0000005", "9000"), load("b", "20", "9000.0004", splittable=True)]
    plan = plan_sea(loads, TYPES, card_lcl, fixed_cost=card_cost, price_slack=D("0.03"))
    check_invariants(plan, loads, TYPES)
    assert plan.container_codes == ("40GP",)


def test_five_whole_loads_get_the_exact_plan_that_best_fit_decreasing_misses() -> None:
    # given five whole loads that best-fit decreasing leaves 7.1 CBM of in LCL
    loads = [load(str(i), v, "2000") for i, v in enumerate(["22.8", "19.4", "22.1", "7.1", "20.0"])]
    # when planned exactly, then a 40HC and a 20GP hold everything: 4,100, nothing LCL
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert sorted(plan.container_codes) == ["20GP", "40HC"]
    assert plan.lcl == ()
    assert plan.cost == D(4100)
    # and the fast fills alone cost more (the old rule loses money here)
    assert plan_sea(loads, TYPES, lcl_rate, exact=False).cost > plan.cost


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(100, 12000), st.booleans()),
                min_size=5, max_size=9))
def test_exact_plan_is_valid_and_never_dearer_than_the_fast_one(
    raw: list[tuple[int, int, bool]],
) -> None:
    loads = [Load(str(i), D(v) / 10, D(kg), sp) for i, (v, kg, sp) in enumerate(raw)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == recompute(plan)
    assert plan.cost <= plan_sea(loads, TYPES, lcl_rate, exact=False).cost


def cheapest_by_subsets(loads: Sequence[Load], types: Sequence[ContainerType]) -> Decimal:
    """Cheapest plan for whole loads: some go LCL, the rest are partitioned into boxes,
    each box the cheapest type that holds its subset (dynamic programme over subsets)."""
    n = len(loads)
    full = (1 << n) - 1
    box = {}
    for mask in range(1, full + 1):
        members = [loads[i] for i in range(n) if mask >> i & 1]
        cbm = sum((ld.volume_cbm for ld in members), D(0))
        kg = sum((ld.gross_kg for ld in members), D(0))
        fitting = [t.price for t in types if cbm <= t.usable_cbm and kg <= t.payload_kg]
        if fitting:
            box[mask] = min(fitting)
    boxed = {0: D(0)}
    for mask in range(1, full + 1):
        low = mask & -mask
        best = None
        sub = mask
        while sub:
            if sub & low and sub in box and (mask ^ sub) in boxed:
                value = box[sub] + boxed[mask ^ sub]
                best = value if best is None or value < best else best
            sub = (sub - 1) & mask
        if best is not None:
            boxed[mask] = best
    options = []
    for rest, value in boxed.items():
        lcl = [loads[i] for i in range(n) if not (rest >> i & 1)]
        options.append(value + lcl_rate(sum((ld.gross_kg for ld in lcl), D(0)),
                                        sum((ld.volume_cbm for ld in lcl), D(0))))
    return min(options)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(5, 400), st.integers(100, 12000)), min_size=5, max_size=8))
def test_exact_plan_of_whole_loads_is_the_cheapest_partition(raw: list[tuple[int, int]]) -> None:
    # given five to eight whole loads, when planned, then no partition into boxes and
    # LCL is cheaper: boxes numbered by their first load lose no plan
    loads = [Load(str(i), D(v) / 10, D(kg), False) for i, (v, kg) in enumerate(raw)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == cheapest_by_subsets(loads, TYPES)


def tariff_cost(codes: Sequence[str], kg: Decimal, cbm: Decimal) -> Decimal:
    price = {t.code: t.price for t in TYPES}
    return sum((price[c] for c in codes), D(0)) + lcl_rate(kg, cbm)


def fill_cost(fill: tuple[list[ContainerType], tuple[list[list[Placement]], list[Placement]]]
              ) -> Decimal:
    combo, (content, lcl) = fill
    codes = [t.code for t, placed in zip(combo, content, strict=True) if placed]
    return tariff_cost(codes, sum((p.gross_kg for p in lcl), D(0)),
                       sum((p.volume_cbm for p in lcl), D(0)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 350), st.integers(100, 12000), st.booleans()),
                min_size=5, max_size=13))
def test_branch_and_bound_is_never_dearer_than_the_integer_programme(
    raw: list[tuple[int, int, bool]],
) -> None:
    # given a small pool of whole and splittable loads and its fast plan
    loads = [Load(str(i), D(v) / 10, D(kg), sp) for i, (v, kg, sp) in enumerate(raw)]
    whole = [ld for ld in loads if not ld.splittable]
    splittable = [ld for ld in loads if ld.splittable]
    fast = plan_sea(loads, TYPES, lcl_rate, exact=False)
    # when the search and the integer programme both plan it
    found = _fill_search(TYPES, whole, splittable, (), tariff_cost, fast)
    mip = _fill_mip(TYPES, whole, splittable, (), tariff_cost)
    if found == "unsettled":
        return  # the planner then takes the programme's plan
    # then the search's plan (or the fast plan it proved optimal) costs no more
    ours = fast.cost if found is None else fill_cost(found)  # type: ignore[arg-type]
    assert ours <= fast.cost
    if mip is not None:
        assert ours <= fill_cost(mip) + D("0.01")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(5, 400), st.integers(100, 12000)), min_size=9, max_size=11))
def test_larger_whole_pools_get_the_cheapest_partition(raw: list[tuple[int, int]]) -> None:
    loads = [Load(str(i), D(v) / 10, D(kg), False) for i, (v, kg) in enumerate(raw)]
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == cheapest_by_subsets(loads, TYPES)


def test_a_search_cut_short_leaves_the_pool_to_the_integer_programme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the five loads best-fit decreasing misplaces, and a search allowed one step
    monkeypatch.setattr("pooling.domain.packing._SEARCH_NODES", 1)
    loads = [load(str(i), v, "2000") for i, v in enumerate(["22.8", "19.4", "22.1", "7.1", "20.0"])]
    fast = plan_sea(loads, TYPES, lcl_rate, exact=False)
    # then the search cannot settle it
    assert _fill_search(TYPES, loads, [], (), tariff_cost, fast) == "unsettled"
    # and the plan is still the optimum, from the integer programme
    assert plan_sea(loads, TYPES, lcl_rate).cost == D(4100) < fast.cost


def test_the_search_spreads_splittable_loads_by_the_linear_programme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given four whole loads and three splittable ones of different densities, which the
    # greedy spread leaves partly LCL although three boxes' rooms hold them all
    whole = [load(f"w{i}", v, kg) for i, (v, kg) in enumerate(
        [("38.0", "6840.0"), ("10.5", "2299.5"), ("57.0", "25593.0"), ("6.4", "1459.2")])]
    splittable = [load(f"s{i}", v, kg, True) for i, (v, kg) in enumerate(
        [("58.2", "24036.6"), ("27.3", "8408.4"), ("9.6", "2534.4")])]
    loads = [*whole, *splittable]
    fast = plan_sea(loads, TYPES, lcl_rate, exact=False)
    assert fast.lcl  # the fast fills ship some of it LCL
    # when the search plans it, then it settles the pool itself, at the programme's optimum
    found = _fill_search(TYPES, whole, splittable, (), tariff_cost, fast)
    assert found not in ("unsettled", None)
    mip = _fill_mip(TYPES, whole, splittable, (), tariff_cost)
    assert mip is not None
    assert fill_cost(found) == fill_cost(mip) == D(8900) < fast.cost  # type: ignore[arg-type]

    # and the planner gives that plan without the integer programme
    def no_programme(*_args: object) -> None:
        raise AssertionError("the integer programme ran")

    monkeypatch.setattr("pooling.domain.packing._fill_mip", no_programme)
    plan = plan_sea(loads, TYPES, lcl_rate)
    check_invariants(plan, loads, TYPES)
    assert plan.cost == D(8900) and not plan.lcl


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 400), st.integers(100, 12000), st.booleans()),
                min_size=1, max_size=12))
def test_fluid_bound_never_exceeds_a_plan(raw: list[tuple[int, int, bool]]) -> None:
    loads = [Load(str(i), D(v) / 10, D(kg), sp) for i, (v, kg, sp) in enumerate(raw)]
    plan = plan_sea(loads, TYPES, lcl_rate)

    def cost(codes: Sequence[str], kg: Decimal, cbm: Decimal) -> Decimal:
        price = {t.code: t.price for t in TYPES}
        return sum((price[c] for c in codes), D(0)) + lcl_rate(kg, cbm)

    search = _BoxSearch.of(TYPES, [ld for ld in loads if not ld.splittable],
                           [ld for ld in loads if ld.splittable], (), cost)
    assert search is not None
    floor, _counts = next(search.multisets())
    assert floor <= float(plan.cost) + 1e-6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 350), st.integers(100, 12000), st.booleans()),
                min_size=1, max_size=24))
def test_the_fast_plan_passed_in_gives_the_same_exact_plan(raw: list[tuple[int, int, bool]]) -> None:
    # given a pool scored by its fast plan, when the exact plan reuses that plan
    loads = [Load(str(i), D(v) / 10, D(kg), sp) for i, (v, kg, sp) in enumerate(raw)]
    fast = plan_sea(loads, TYPES, lcl_rate, exact=False)
    # then it is the plan the exact planner finds on its own
    assert plan_sea(loads, TYPES, lcl_rate, fast_plan=fast) == plan_sea(loads, TYPES, lcl_rate)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(5, 300), st.integers(100, 12000), st.booleans()),
                min_size=16, max_size=40))
# One 40HC holds the whole loads; the splittable one overflows it, and LCL beats a second box.
@example([(40, 1000, False)] * 16 + [(50, 1000, True)])
def test_a_single_type_plan_never_costs_less_than_its_floor(
    raw: list[tuple[int, int, bool]],
) -> None:
    # given a large pool, whose single-type plans are skipped when their floor cannot win
    loads = [Load(str(i), D(v) / 10, D(kg), sp) for i, (v, kg, sp) in enumerate(raw)]
    whole = [ld for ld in loads if not ld.splittable]
    splittable = [ld for ld in loads if ld.splittable]
    total_kg = sum((ld.gross_kg for ld in loads), D(0))
    total_cbm = sum((ld.volume_cbm for ld in loads), D(0))
    # then every single-type plan found costs at least that type's floor
    for combo, (content, lcl) in _fills_one_type(TYPES, whole, splittable):
        t = combo[0]
        least = max(bins_lower_bound([int(ld.volume_cbm * 10**6) for ld in whole],
                                     int(t.usable_cbm * 10**6)),
                    -(-sum((ld.gross_kg for ld in whole), D(0)) // t.payload_kg))
        used = tuple(t.code for box in content if box)
        cost = card_cost(used, sum((p.gross_kg for p in lcl), D(0)),
                         sum((p.volume_cbm for p in lcl), D(0)))
        assert _one_type_floor(t, int(least), total_kg, total_cbm, card_cost) <= cost
