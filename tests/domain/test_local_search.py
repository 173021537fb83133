"""The local search on long chains of needs: hand-made markets, its budget, and properties."""

from __future__ import annotations

import json
import math
import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.benchmarks import matching_quality
from pooling.domain import grouping
from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn, Tier, match_ads, standalone_cost
from pooling.domain.logistics_matching import (
    CapacityIn,
    DemandIn,
    LaneCard,
    match_logistics,
    price_pool,
)
from pooling.domain.tariff import price
from pooling.domain.units import Mode
from tests.domain.test_logistics_matching import READY, TODAY, air_card, demand, lane, sea_card

D = Decimal
DAY = timedelta(days=1)
# Budgets of 0, 1 and 5 pricings per need (and the floor), with no limit for the call.
PER_NEED = {n: grouping.Budget(per_need=n, total=None) for n in (0, 1, 5)}


def market_total(result, needs: list[DemandIn], card) -> Decimal:  # type: ignore[no-untyped-def]
    """What the market pays: its pools, and every other demand alone."""
    pooled = {n for p in result.pools for n in p.need_ids}
    alone = sum((price(card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm,
                       splittable=d.splittable).total for d in needs if d.id not in pooled), D(0))
    return sum((p.total_cost for p in result.pools), D(0)) + alone


def box(nid: int, ready: date, due: date) -> DemandIn:
    """A whole 6 CBM load: eleven of them fill a 40HC (66 CBM) exactly."""
    return demand(nid, 100 + nid, "1000", "6", mode=Mode.SEA_FCL, ready=ready, due=due)


def test_the_busiest_date_rule_loses_money_where_the_local_search_fills_both_boxes() -> None:
    # given a chain of 22 whole 6 CBM loads on one sea lane: eleven early ones that ship
    # 5-7 Nov, seven late ones that ship 15-17 Nov, and four that may ship on either
    card = sea_card()
    flexible = [box(i, date(2026, 11, 2), date(2026, 12, 7)) for i in range(1, 5)]
    early = [box(i, date(2026, 11, 2), date(2026, 11, 27)) for i in range(5, 16)]
    late = [box(i, date(2026, 11, 12), date(2026, 12, 7)) for i in range(16, 23)]
    needs = [*flexible, *early, *late]

    # when matched (a chain longer than the exact search takes)
    result = match_logistics(needs, [lane(card)], [], today=TODAY)

    # then the flexible loads ship late, so each pool fills one 40HC and nothing goes LCL
    assert result.search.local == 1 and result.search.exact == 0
    assert [(p.need_ids, p.ship_date) for p in result.pools] == [
        (tuple(range(5, 16)), date(2026, 11, 5)),
        ((1, 2, 3, 4, *range(16, 23)), date(2026, 11, 15)),
    ]
    assert [[c["code"] for c in p.plan["containers"]] for p in result.pools] == [["40HC"]] * 2
    assert [p.plan["lcl"]["volume_cbm"] for p in result.pools] == ["0", "0"]
    assert market_total(result, needs, card) == D("5700.00")
    # and the busiest date rule (5 Nov covers 15 loads: take them all, then the rest)
    # pays 1,160 more: 24 CBM of the first pool and all of the second go LCL
    busiest = [price_pool(card, [*early, *flexible], ship_date=date(2026, 11, 5)),
               price_pool(card, late, ship_date=date(2026, 11, 15))]
    assert [p.total_cost for p in busiest if p is not None] == [D("4290.00"), D("2570.00")]
    assert market_total(result, needs, card) == D("6860.00") - D("1160.00")
    for pool in result.pools:
        for member in pool.members:
            assert member.standalone_cost is not None and member.share <= member.standalone_cost


def test_a_demand_left_out_of_full_pools_is_told_so() -> None:
    # given thirteen air demands that may all ship together, in pools of at most two
    card = air_card()
    needs = [demand(i, 10 + i, "80", "0.1") for i in range(1, 14)]

    # when matched
    result = match_logistics(needs, [lane(card)], [], today=TODAY, max_members=2)

    # then six pairs ship and the one left over is told why
    assert [len(p.members) for p in result.pools] == [2] * 6
    (left,) = result.unplaced
    assert left.reason == (
        "every pool on rate card AIR1 v1 shipping in its window is full (2 demands), and no "
        "other group the search tried with it costs less than its members alone")


# --------------------------------------------------------------- the budget

def _boxes_market(count: int = 120) -> tuple[list[grouping.Need], list[int]]:
    rng = random.Random(5)  # noqa: S311 - a fixed test market
    base = date(2026, 11, 1)
    sizes = [rng.randint(1, 9) for _ in range(count)]
    needs = []
    for _ in sizes:
        first = base + rng.randint(0, 30) * DAY
        needs.append(grouping.Need(first, first + rng.randint(3, 8) * DAY, D(110)))
    return needs, sizes


def _boxes(sizes: list[int]):  # type: ignore[no-untyped-def]
    def pool_price(members: tuple[int, ...]) -> Decimal:
        # a fee of 10 and boxes of 10 units at 100 each: alone every need pays 110
        return D(100 * math.ceil(sum(sizes[i] for i in members) / 10) + 10)
    return pool_price


def test_the_search_is_deterministic_for_the_same_input_and_budget() -> None:
    # given one chain of 120 needs priced by boxes
    needs, sizes = _boxes_market()
    pool_price = _boxes(sizes)

    # when partitioned twice with the same budget
    first = grouping.partition(needs, pool_price, max_members=8, budget=PER_NEED[1])
    again = grouping.partition(needs, pool_price, max_members=8, budget=PER_NEED[1])

    # then the pools and the record of the search are the same (the matchers hand needs
    # over in id order, so the order they arrive in does not matter: see below)
    assert first == again
    assert first[1].local == 1 and first[1].spent == first[1].priced > 0
    assert first[1].moves > 0


def test_a_smaller_budget_is_recorded_as_spent() -> None:
    # given one chain of 120 needs priced by boxes
    needs, sizes = _boxes_market()

    # when searched with the floor only, and with five pricings per need
    _small, small = grouping.partition(needs, _boxes(sizes), max_members=8,
                                       budget=PER_NEED[0])
    _large, large = grouping.partition(needs, _boxes(sizes), max_members=8,
                                       budget=PER_NEED[5])

    # then the small budget ran out and says so; the large one did not
    assert (small.budget, small.spent, small.exhausted) == (grouping.BUDGET_FLOOR,
                                                            grouping.BUDGET_FLOOR, 1)
    assert (large.budget, large.exhausted) == (600, 0)
    assert grouping.BUDGET_FLOOR < large.spent < large.budget
    assert small.method == large.method == "local search"


def test_a_smaller_budget_is_recorded_by_the_matchers() -> None:
    # given 200 sea demands ready within three weeks: one chain on one lane
    card = matching_quality._sea_card()
    demands = matching_quality._demands(random.Random("budget"), Mode.SEA_FCL, 200,  # noqa: S311
                                        ready_days=20)
    cards = [LaneCard(card, 1, date(2026, 1, 1), None)]

    # when matched with the floor only, and with five pricings per need
    tight = match_logistics(demands, cards, [], today=matching_quality.TODAY,
                            budget=PER_NEED[0])
    ample = match_logistics(demands, cards, [], today=matching_quality.TODAY,
                            budget=PER_NEED[5])

    # then the tight budget ran out and says so, the ample one did not, and here the
    # longer search leaves the market paying less
    assert (tight.search.budget, tight.search.spent, tight.search.exhausted) == (50, 50, 1)
    assert (ample.search.budget, ample.search.exhausted) == (1000, 0)
    assert ample.search.spent < ample.search.budget
    assert sum(p.total_cost for p in ample.pools) < sum(p.total_cost for p in tight.pools)
    assert {n for p in ample.pools for n in p.need_ids} == {d.id for d in demands}


def test_the_chains_of_one_call_share_its_total_budget() -> None:
    # given two chains of 120 needs, far apart in time, and a call limited to 60 pricings
    needs, sizes = _boxes_market()
    later = [grouping.Need(n.first + 100 * DAY, n.last + 100 * DAY, n.standalone)
             for n in needs]
    both, both_sizes = [*needs, *later], [*sizes, *sizes]
    budget = grouping.Budget(per_need=1, total=60)

    # when partitioned with the share the call's chains leave each
    share = budget.share(grouping.large_components(both))
    _found, search = grouping.partition(both, _boxes(both_sizes), max_members=8,
                                        budget=budget, share=share)

    # then each chain asked for 120 and got half of the 60
    assert grouping.large_components(both) == [120, 120]
    assert share == 0.25
    assert (search.local, search.budget, search.exhausted) == (2, 60, 2)
    assert budget.share([10]) == 1.0 and budget.component(10) == grouping.BUDGET_FLOOR


def test_the_local_search_never_ends_below_its_start() -> None:
    # given a start that pairs needs with a common date, earliest deadline first
    needs, sizes = _boxes_market(60)
    pool_price = _boxes(sizes)

    def pairs(part):  # type: ignore[no-untyped-def]
        open_ = sorted(part, key=lambda i: (needs[i].last, i))
        out = []
        while open_:
            head = open_.pop(0)
            mate = next((j for j in open_ if needs[j].first <= needs[head].last), None)
            if mate is not None:
                open_.remove(mate)
                out.append([head, mate])
        return out

    start = pairs(range(60))
    start_saving = sum((max(D(0), D(220) - pool_price(tuple(p))) for p in start), D(0))

    # when the local search starts from it
    found, search = grouping.partition(needs, pool_price, max_members=8, start=pairs)

    # then it saves more, by its moves
    assert search.moves > 0
    assert sum((g.saving for g in found), D(0)) > start_saving


# -------------------------------------------------------------- properties

@st.composite
def long_chains(draw: st.DrawFn) -> list[DemandIn]:
    sea = draw(st.booleans())
    needs = []
    for i in range(draw(st.integers(13, 30))):
        ready = READY + draw(st.integers(0, 10)) * DAY
        # the sea card needs 23 days (3 to consolidate, 20 in transit), air 6
        span = draw(st.integers(24, 40)) if sea else draw(st.integers(6, 16))
        kg = draw(st.integers(50, 9000)) if sea else draw(st.integers(5, 400))
        cbm = D(draw(st.integers(5, 350) if sea else st.integers(1, 20))) / 10
        needs.append(demand(i + 1, draw(st.integers(1, 40)), str(kg), str(cbm),
                            mode=Mode.SEA_FCL if sea else Mode.AIR,
                            splittable=draw(st.booleans()), ready=ready,
                            due=ready + span * DAY))
    return needs


@settings(max_examples=25, deadline=None)
@given(long_chains(), st.randoms(use_true_random=False))
def test_pools_on_long_chains_keep_every_rule(needs: list[DemandIn], rnd: random.Random) -> None:
    cards = [lane(sea_card()), lane(air_card())]
    by_card = {str(c.card.id): c.card for c in cards}
    by_id = {n.id: n for n in needs}
    result = match_logistics(needs, cards, [], today=TODAY)

    placed = [nid for pool in result.pools for nid in pool.need_ids]
    assert len(placed) == len(set(placed))  # no demand in two pools
    assert sorted(placed + [u.need_id for u in result.unplaced]) == sorted(by_id)
    for pool in result.pools:
        card = by_card[str(pool.rate_card_id)]
        assert pool.ship_date is not None and len(pool.members) >= 2
        assert len(pool.members) <= 40
        assert pool.total_cost < pool.standalone_total
        assert sum(m.share for m in pool.members) == pool.total_cost
        for member in pool.members:
            d = by_id[member.need_id]
            # the ship date lies in every member's window
            assert d.ready_from + 3 * DAY <= pool.ship_date
            assert pool.ship_date + card.transit_days * DAY <= d.deliver_by
            # and no member pays more pooled than alone
            assert member.standalone_cost is not None
            assert member.share <= member.standalone_cost
        json.dumps(pool.plan)
    assert result.search.exact + result.search.local >= 1

    # deterministic, whatever the order the demands come in
    assert match_logistics(needs, cards, [], today=TODAY) == result
    shuffled = list(needs)
    rnd.shuffle(shuffled)
    assert match_logistics(shuffled, list(reversed(cards)), [], today=TODAY) == result


@settings(max_examples=25, deadline=None)
@given(long_chains(), st.integers(200, 3000), st.integers(1, 40))
def test_pools_on_capacity_offers_never_overbook_them(needs: list[DemandIn], kg: int,
                                                     cbm: int) -> None:
    cards = [lane(sea_card()), lane(air_card())]
    offers = [CapacityIn(id=k + 1, partner_id=1, rate_card_id=None, origin="CNSZX",
                         destination="USLAX", mode=mode, departure=READY + (5 + 4 * k) * DAY,
                         cutoff=READY + (3 + 4 * k) * DAY, kg=D(kg), cbm=D(cbm), equipment={})
              for k in range(3) for mode in (Mode.SEA_FCL, Mode.AIR)]
    by_id = {n.id: n for n in needs}
    result = match_logistics(needs, cards, offers, today=TODAY)

    used: dict[tuple[str, date], tuple[Decimal, Decimal]] = {}
    for pool in result.pools:
        assert pool.ship_date is not None
        assert pool.plan["capacity_offer_ids"]
        key = (pool.mode, pool.ship_date)
        weight, volume = used.get(key, (D(0), D(0)))
        used[key] = (weight + sum((by_id[m.need_id].gross_kg for m in pool.members), D(0)),
                     volume + sum((by_id[m.need_id].volume_cbm for m in pool.members), D(0)))
    for weight, volume in used.values():
        assert weight <= kg and volume <= cbm
    assert result.search.by_date >= 1 and result.search.local == 0


PROGRAMME = ProgrammeIn(
    id=1, name="Amazon DSP", currency="USD", markets=frozenset({"US"}),
    minimum_spend=D("50000"), tiers=(Tier(D("50000"), D("3")), Tier(D("100000"), D("5"))),
    management_fee_percent=D("2"), standalone_fee_percent=D("3"), min_flight_days=14,
    category_exclusive=True,
)


@st.composite
def long_flights(draw: st.DrawFn) -> list[AdNeedIn]:
    count = draw(st.integers(13, 30))
    firms = draw(st.integers(8, 30))
    needs = []
    for i in range(count):
        start = date(2026, 3, 1) + draw(st.integers(0, 20)) * DAY
        needs.append(AdNeedIn(
            id=i + 1, firm_id=draw(st.integers(1, firms)), programme_id=1, market="US",
            budget=D(draw(st.integers(3, 80)) * 1000), currency="USD", flight_from=start,
            flight_to=start + draw(st.integers(20, 60)) * DAY,
            category=draw(st.sampled_from(["home", "toys", "beauty", "garden", "sports"])),
            excluded_firm_ids=frozenset(draw(st.sets(st.integers(1, firms), max_size=2)))))
    return needs


@settings(max_examples=40, deadline=None)
@given(long_flights(), st.randoms(use_true_random=False))
def test_ad_pools_on_long_chains_keep_every_rule(needs: list[AdNeedIn],
                                                 rnd: random.Random) -> None:
    by_id = {n.id: n for n in needs}
    result = match_ads(needs, [PROGRAMME])

    placed = [nid for pool in result.pools for nid in pool.need_ids]
    assert len(placed) == len(set(placed))
    assert sorted(placed + [u.need_id for u in result.unplaced]) == sorted(by_id)
    for pool in result.pools:
        members = [by_id[m.need_id] for m in pool.members]
        firms = [n.firm_id for n in members]
        assert len(firms) == len(set(firms))  # one need per firm
        assert len({n.category for n in members}) == len(members)  # categories apart
        assert sum(n.budget for n in members) >= PROGRAMME.minimum_spend
        assert pool.flight_from is not None and pool.flight_to is not None
        assert (pool.flight_to - pool.flight_from).days + 1 >= PROGRAMME.min_flight_days
        for n in members:
            assert n.excluded_firm_ids.isdisjoint(set(firms) - {n.firm_id})
            assert n.flight_from <= pool.flight_from and pool.flight_to <= n.flight_to
        for m in pool.members:
            alone = standalone_cost(PROGRAMME, by_id[m.need_id].budget)
            assert m.standalone_cost == alone
            if alone is not None:
                assert m.share <= alone
    assert match_ads(needs, [PROGRAMME]) == result
    shuffled = list(needs)
    rnd.shuffle(shuffled)
    assert match_ads(shuffled, [PROGRAMME]) == result
