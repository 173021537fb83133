"""Grouping by saving: small hand-made markets where the earlier rules lost money."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain import grouping
from pooling.domain.logistics_matching import match_logistics, price_pool
from pooling.domain.tariff import price
from pooling.domain.units import Mode
from tests.domain.test_logistics_matching import TODAY, air_card, demand, lane, sea_card

D = Decimal
DAY = timedelta(days=1)


def total_of(pools: list[list[int]], needs: list, card, ship_dates: list[date]) -> Decimal:
    """What the market pays for these pools, everyone else alone."""
    pooled = {n for p in pools for n in p}
    by_id = {d.id: d for d in needs}
    total = D(0)
    for members, day in zip(pools, ship_dates, strict=True):
        proposal = price_pool(card, [by_id[n] for n in members], ship_date=day, partner_id=1)
        assert proposal is not None
        total += proposal.total_cost
    for d in needs:
        if d.id not in pooled:
            total += price(card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm,
                           splittable=d.splittable).total
    return total


def market_total(result, needs: list, card) -> Decimal:
    pooled = {n for p in result.pools for n in p.need_ids}
    alone = sum((price(card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm,
                       splittable=d.splittable).total for d in needs if d.id not in pooled), D(0))
    return sum((p.total_cost for p in result.pools), D(0)) + alone


def test_the_date_that_saves_most_wins_over_the_earliest_busiest_one() -> None:
    # given two dates each covered by three demands: early {1, 2, 3}, late {3, 4, 5};
    # demand 3 (400 kg) reaches the 1,000 kg break only with the late pair (300 kg each)
    card = air_card()
    early_ready, late_ready = date(2026, 11, 2), date(2026, 11, 20)
    needs = [
        demand(1, 11, "20", "0.1", ready=early_ready, due=date(2026, 11, 12)),
        demand(2, 12, "20", "0.1", ready=early_ready, due=date(2026, 11, 12)),
        demand(3, 13, "400", "0.5", ready=early_ready, due=date(2026, 12, 31)),
        demand(4, 14, "300", "0.5", ready=late_ready, due=date(2026, 12, 31)),
        demand(5, 15, "300", "0.5", ready=late_ready, due=date(2026, 12, 31)),
    ]
    # when matched
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    # then 3 pools with 4 and 5 on the late date
    assert [p.need_ids for p in result.pools] == [(1, 2), (3, 4, 5)] or [
        p.need_ids for p in result.pools] == [(3, 4, 5)]
    assert any(p.need_ids == (3, 4, 5) for p in result.pools)
    # and the market pays less than with the earliest busiest date's pools
    old = total_of([[1, 2, 3], [4, 5]], needs, card,
                   [early_ready + 3 * DAY, late_ready + 3 * DAY])
    assert market_total(result, needs, card) < old


def test_a_demand_that_makes_a_pool_dearer_does_not_join_it() -> None:
    # given a sea card and three whole loads covering one date: two 30 CBM loads fill
    # a 40HC (66 CBM) together, a third 30 CBM load would need a second box
    card = sea_card()
    needs = [demand(i, 10 + i, "3000", "30", mode=Mode.SEA_FCL) for i in (1, 2, 3)]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    # then the matched pools never cost the market more than everyone joining
    everyone = total_of([[1, 2, 3]], needs, card, [result.pools[0].ship_date]) \
        if result.pools else None
    assert result.pools
    assert everyone is not None
    assert market_total(result, needs, card) <= everyone
    for pool in result.pools:
        for m in pool.members:
            assert m.share <= m.standalone_cost


def test_a_pool_that_does_not_save_is_retried_without_its_worst_member() -> None:
    # given two small air demands that save together and a huge one that alone is
    # already past the last break: pooling all three does not save more than the pair
    card = air_card()
    needs = [
        demand(1, 11, "60", "0.1"),
        demand(2, 12, "60", "0.1"),
        demand(3, 13, "5000", "1"),
    ]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    pooled = {n for p in result.pools for n in p.need_ids}
    # then the pair is pooled (the old rule discarded everyone when the three did not save)
    assert {1, 2} <= pooled
    alone = sum((price(card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm).total
                 for d in needs), D(0))
    assert market_total(result, needs, card) < alone


def test_whole_loads_alone_are_priced_whole_so_a_saving_pool_is_found() -> None:
    # given two whole 30 CBM loads where 20GP + 2 CBM LCL is the cheapest split alone
    card = sea_card(equipment=(sea_card().equipment[0],
                               sea_card().equipment[1].__class__("40GP", D(2500), D(58),
                                                                 D(26600))),
                    fees=())
    needs = [demand(i, 10 + i, "6000", "29", mode=Mode.SEA_FCL) for i in (1, 2)]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    (pool,) = result.pools
    for member in pool.members:
        # the standalone cost is the whole load's (one box that holds it, or LCL)
        assert member.standalone_cost == price(card, gross_kg=D(6000), volume_cbm=D(29),
                                               splittable=False).total
        assert member.share < member.standalone_cost


needs_strategy = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 900)),
    min_size=2, max_size=9,
)


@settings(max_examples=30, deadline=None)
@given(needs_strategy)
def test_exact_partition_never_loses_to_the_local_search(raw: list[tuple[int, int, int]]) -> None:
    # given needs on a line with a concave pooled price (the larger, the cheaper per unit)
    base = date(2026, 11, 1)
    needs = [grouping.Need(base + a * DAY, base + (a + b) * DAY, D(100) + D(w))
             for a, b, w in raw]

    def price_of(members: tuple[int, ...]) -> Decimal:
        weight = sum(raw[i][2] for i in members)
        return D(100) + D(weight) * D("0.8")

    exact, _ = grouping.partition(needs, price_of, exact_limit=12)
    local, search = grouping.partition(needs, price_of, exact_limit=1)
    if len(needs) < 2 or not grouping.components(needs) or all(
            len(p) < 2 for p in grouping.components(needs)):
        return
    saving = sum((g.saving for g in exact), D(0))
    assert saving >= sum((g.saving for g in local), D(0))
    seen: set[int] = set()
    for g in exact:
        assert not seen & set(g.members)
        seen |= set(g.members)
        assert all(needs[i].first <= g.ship_date <= needs[i].last for i in g.members)
    assert grouping.partition(needs, price_of)[0] == exact
    assert search.method == "local search" and search.budget >= grouping.BUDGET_FLOOR
    assert grouping.partition(needs, price_of, exact_limit=1)[0] == local
