"""Ad-pool formation: worked examples and properties on random markets."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.ad_matching import (
    AdNeedIn,
    ProgrammeIn,
    Tier,
    cannot_pool_reason,
    match_ads,
    pool_cost,
    standalone_cost,
)
from pooling.domain.money import largest_remainder
from pooling.domain.proposals import MatchResult

D = Decimal
START = date(2026, 3, 1)
END = date(2026, 3, 31)

DSP = ProgrammeIn(
    id=1,
    name="Amazon DSP",
    currency="USD",
    markets=frozenset({"US", "UK"}),
    minimum_spend=D("50000"),
    tiers=(Tier(D("50000"), D("3")), Tier(D("100000"), D("5"))),
    management_fee_percent=D("2"),
    standalone_fee_percent=D("2"),
    min_flight_days=14,
    category_exclusive=False,
)


def need(
    nid: int,
    firm: int,
    budget: str,
    *,
    programme: int = 1,
    market: str = "US",
    currency: str = "USD",
    start: date = START,
    end: date = END,
    category: str = "home",
    excluded: frozenset[int] = frozenset(),
) -> AdNeedIn:
    return AdNeedIn(
        id=nid,
        firm_id=firm,
        programme_id=programme,
        market=market,
        budget=D(budget),
        currency=currency,
        flight_from=start,
        flight_to=end,
        category=category,
        excluded_firm_ids=excluded,
    )


def reasons(result: MatchResult) -> dict[int, str]:
    return {u.need_id: u.reason for u in result.unplaced}


def test_three_firms_reach_the_dsp_minimum() -> None:
    result = match_ads(
        [need(1, 10, "20000"), need(2, 11, "18000"), need(3, 12, "15000")], [DSP]
    )
    assert result.unplaced == ()
    (pool,) = result.pools
    assert pool.kind == "ads"
    assert pool.need_ids == (1, 2, 3)
    assert pool.programme_id == 1 and pool.market == "US"
    assert pool.flight_from == START and pool.flight_to == END
    # 53,000 spend, 3% rebate 1,590, 2% fee 1,060 -> 52,470
    assert pool.total_cost == D("52470.00")
    assert sum(m.share for m in pool.members) == pool.total_cost
    for member in pool.members:
        assert member.standalone_cost is None
        assert member.saving is None
        assert "gains access" in member.note
    assert pool.members[0].share == D("19800.00")
    assert pool.plan["rebate"] == "1590.00"
    assert pool.plan["next_tier"] == {"min_spend": "100000", "missing": "47000.00"}
    json.dumps(pool.plan)
    assert any("Amazon DSP" in r and "US" in r for r in pool.reasons)
    assert any("2026-03-01" in r for r in pool.reasons)


def test_a_lone_need_is_short_of_the_minimum() -> None:
    result = match_ads([need(1, 10, "12000")], [DSP])
    assert result.pools == ()
    assert "USD 38,000.00 short of the USD 50,000.00 minimum" in reasons(result)[1]


def test_exclusions_are_respected_in_both_directions() -> None:
    needs = [
        need(1, 10, "30000", excluded=frozenset({11})),
        need(2, 11, "30000"),
        need(3, 12, "30000"),
        need(4, 13, "30000"),
    ]
    result = match_ads(needs, [DSP])
    for pool in result.pools:
        firms = {m.firm_id for m in pool.members}
        assert not ({10, 11} <= firms)
    placed = {nid for pool in result.pools for nid in pool.need_ids}
    assert placed == {1, 2, 3, 4}

    # The excluded firm's own need names the excluder's firm: same outcome.
    mirrored = [
        need(1, 10, "30000"),
        need(2, 11, "30000", excluded=frozenset({10})),
        need(3, 12, "10000"),
    ]
    result = match_ads(mirrored, [DSP])
    for pool in result.pools:
        assert not ({10, 11} <= {m.firm_id for m in pool.members})


def test_category_exclusive_programme_keeps_categories_apart() -> None:
    programme = ProgrammeIn(**{**DSP.__dict__, "category_exclusive": True})
    needs = [
        need(1, 10, "30000", category="toys"),
        need(2, 11, "30000", category="toys"),
        need(3, 12, "25000", category="garden"),
        need(4, 13, "25000", category="garden"),
    ]
    result = match_ads(needs, [programme])
    assert len(result.pools) == 2
    for pool in result.pools:
        categories = [p["category"] for p in pool.plan["members"]]
        assert len(categories) == len(set(categories))


def test_one_need_per_firm_per_pool() -> None:
    result = match_ads([need(1, 10, "30000"), need(2, 10, "30000")], [DSP])
    assert result.pools == ()
    assert set(reasons(result)) == {1, 2}


def test_flights_must_overlap_for_the_programme_minimum() -> None:
    late = START + timedelta(days=25)
    needs = [
        need(1, 10, "30000"),
        need(2, 11, "30000", start=late, end=late + timedelta(days=30)),
    ]
    result = match_ads(needs, [DSP])
    assert result.pools == ()
    short = match_ads([need(3, 12, "30000", end=START + timedelta(days=5))], [DSP])
    assert "shorter than the 14-day minimum" in reasons(short)[3]


def test_screening_reasons() -> None:
    no_tiers = ProgrammeIn(**{**DSP.__dict__, "id": 2, "name": "Reseller", "tiers": (),
                          "minimum_spend": D(0), "standalone_fee_percent": DSP.management_fee_percent})
    result = match_ads(
        [
            need(1, 10, "30000", market="DE"),
            need(2, 11, "30000", currency="EUR"),
            need(3, 12, "30000", programme=2),
            need(4, 13, "30000", programme=9),
        ],
        [DSP, no_tiers],
    )
    why = reasons(result)
    assert "market DE" in why[1]
    assert "EUR" in why[2] and "USD" in why[2]
    assert why[3] == ("programme Reseller has no minimum spend, no spend tiers and no lower fee "
                      "pooled: a pool gains nothing over buying alone")
    assert "programme 9" in why[4]


def test_members_with_access_alone_save() -> None:
    # 60k alone earns 3% and pays 2% fee: 59,400; pooled at 110k earns 5%: 58,200.
    needs = [need(1, 10, "60000"), need(2, 11, "30000"), need(3, 12, "20000")]
    result = match_ads(needs, [DSP])
    (pool,) = result.pools
    big = pool.members[0]
    assert big.standalone_cost == standalone_cost(DSP, D("60000")) == D("59400.00")
    assert big.share == D("58200.00")
    assert big.saving == D("1200.00")


def test_member_better_off_alone_is_not_pooled() -> None:
    # Pooled management fee is higher than the standalone fee, and the big
    # buyer already reaches the top tier alone.
    programme = ProgrammeIn(
        **{**DSP.__dict__, "management_fee_percent": D("4"), "standalone_fee_percent": D("1")}
    )
    needs = [need(1, 10, "120000"), need(2, 11, "30000"), need(3, 12, "25000")]
    result = match_ads(needs, [programme])
    placed = {nid for pool in result.pools for nid in pool.need_ids}
    assert 1 not in placed
    assert "better terms alone" in reasons(result)[1]
    assert placed == {2, 3}


def test_member_of_a_sub_minimum_group_is_rescued_into_another_pool() -> None:
    mid = START + timedelta(days=14)
    needs = [
        need(1, 10, "40000", end=mid - timedelta(days=1)),
        need(2, 11, "30000", start=mid),
        need(3, 12, "25000", start=mid),
        need(4, 13, "5000"),
    ]
    result = match_ads(needs, [DSP])
    assert [p.need_ids for p in result.pools] == [(2, 3, 4)]
    assert "USD 5,000.00 short of the USD 50,000.00 minimum" in reasons(result)[1]


# ----------------------------------------------------------------- properties

MARKETS = ("US", "UK")


@st.composite
def markets(draw: st.DrawFn) -> tuple[list[AdNeedIn], list[ProgrammeIn]]:
    programmes = [
        DSP,
        ProgrammeIn(
            id=2,
            name="Reseller",
            currency="USD",
            markets=frozenset({"US"}),
            minimum_spend=D("5000"),
            tiers=(Tier(D("5000"), D("1")), Tier(D("20000"), D("4"))),
            management_fee_percent=D("1"),
            standalone_fee_percent=D("3"),
            min_flight_days=7,
            category_exclusive=True,
        ),
    ]
    count = draw(st.integers(min_value=0, max_value=30))
    firms = draw(st.integers(min_value=1, max_value=12))
    needs = []
    for i in range(count):
        start = START + timedelta(days=draw(st.integers(0, 40)))
        needs.append(
            need(
                i + 1,
                draw(st.integers(1, firms)),
                str(draw(st.integers(1, 80)) * 1000),
                programme=draw(st.sampled_from([1, 2])),
                market=draw(st.sampled_from(MARKETS)),
                start=start,
                end=start + timedelta(days=draw(st.integers(0, 60))),
                category=draw(st.sampled_from(["toys", "home", "beauty"])),
                excluded=frozenset(draw(st.sets(st.integers(1, firms), max_size=2))),
            )
        )
    return needs, programmes


@settings(max_examples=50, deadline=None)
@given(markets(), st.randoms(use_true_random=False))
def test_pool_properties(
    market: tuple[list[AdNeedIn], list[ProgrammeIn]], rnd: random.Random
) -> None:
    needs, programmes = market
    by_id = {n.id: n for n in needs}
    progs = {p.id: p for p in programmes}
    result = match_ads(needs, programmes)

    placed = [nid for pool in result.pools for nid in pool.need_ids]
    unplaced = [u.need_id for u in result.unplaced]
    assert len(placed) == len(set(placed))
    assert sorted(placed + unplaced) == sorted(by_id)

    for pool in result.pools:
        assert pool.programme_id is not None and pool.flight_from and pool.flight_to
        programme = progs[pool.programme_id]
        members = [by_id[m.need_id] for m in pool.members]
        assert len(members) >= 2
        assert sum(n.budget for n in members) >= programme.minimum_spend
        assert sum(m.share for m in pool.members) == pool.total_cost
        firms = [n.firm_id for n in members]
        assert len(firms) == len(set(firms))
        for n in members:
            assert n.market == pool.market and n.programme_id == programme.id
            assert n.flight_from <= pool.flight_from and pool.flight_to <= n.flight_to
            assert n.excluded_firm_ids.isdisjoint(set(firms) - {n.firm_id})
        assert (pool.flight_to - pool.flight_from).days + 1 >= programme.min_flight_days
        if programme.category_exclusive:
            cats = [n.category for n in members]
            assert len(cats) == len(set(cats))
        for m in pool.members:
            if m.standalone_cost is not None:
                assert m.saving is not None and m.saving >= 0
                assert m.share <= m.standalone_cost
        json.dumps(pool.plan)

    assert match_ads(needs, programmes) == result
    shuffled = list(needs)
    rnd.shuffle(shuffled)
    assert match_ads(shuffled, list(reversed(programmes))) == result


# A programme with a minimum and no spend tiers: pools buy access (and the fee difference).
ACCESS_ONLY = ProgrammeIn(**{**DSP.__dict__, "id": 7, "name": "Google Ads agency pool",
                             "minimum_spend": D("10000"), "tiers": (),
                             "management_fee_percent": D("7"),
                             "standalone_fee_percent": D("12")})


def test_needs_on_a_programme_without_tiers_pool_to_reach_its_minimum() -> None:
    # given two budgets below the 10,000 minimum and one that is alone too small even paired
    needs = [need(1, 10, "6000", programme=7), need(2, 11, "5000", programme=7)]

    # when matching runs
    result = match_ads(needs, [ACCESS_ONLY])

    # then they pool: 11,000 reaches the minimum, no rebate, a 7% fee; both gain access
    assert len(result.pools) == 1 and result.unplaced == ()
    pool = result.pools[0]
    assert pool.total_cost == D("11770.00")
    assert [(m.need_id, m.standalone_cost, m.share, m.saving) for m in pool.members] == [
        (1, None, D("6420.00"), None), (2, None, D("5350.00"), None)]
    assert pool.plan["tier_min_spend"] is None and pool.plan["rebate"] == "0.00"
    assert pool.reasons[0] == "Both needs buy Google Ads agency pool in market US in USD."


def test_without_tiers_a_member_who_pays_more_pooled_than_alone_stays_out() -> None:
    # given the cooperative's fee above the fee a firm pays alone
    dear = ProgrammeIn(**{**ACCESS_ONLY.__dict__, "management_fee_percent": D("10"),
                          "standalone_fee_percent": D("5")})
    needs = [need(1, 10, "15000", programme=7), need(2, 11, "6000", programme=7),
             need(3, 12, "5000", programme=7)]

    # when matching runs
    result = match_ads(needs, [dear])

    # then the firm that reaches the minimum alone buys alone; the two below it pool
    assert [sorted(m.need_id for m in p.members) for p in result.pools] == [[2, 3]]
    assert all(m.saving is None for m in result.pools[0].members)  # access gained
    assert pool_cost(dear, [needs[0], needs[1]]) is None


def test_a_programme_pools_when_a_pool_can_gain_something() -> None:
    assert cannot_pool_reason(ACCESS_ONLY) is None  # a minimum: access
    assert cannot_pool_reason(DSP) is None  # tiers
    fees_only = ProgrammeIn(**{**ACCESS_ONLY.__dict__, "minimum_spend": D(0)})
    assert cannot_pool_reason(fees_only) is None  # 7% pooled against 12% alone
    nothing = ProgrammeIn(**{**fees_only.__dict__, "standalone_fee_percent": D("7")})
    assert cannot_pool_reason(nothing) == (
        "programme Google Ads agency pool has no minimum spend, no spend tiers and no lower "
        "fee pooled: a pool gains nothing over buying alone")
    result = match_ads([need(1, 10, "6000", programme=7), need(2, 11, "5000", programme=7)],
                       [nothing])
    assert result.pools == () and len(result.unplaced) == 2


@settings(max_examples=300, deadline=None)
@given(
    budgets=st.lists(st.integers(min_value=1, max_value=2_000_000), min_size=2, max_size=12),
    cents=st.lists(st.integers(min_value=0, max_value=99), min_size=12, max_size=12),
    fee=st.integers(min_value=0, max_value=1500),
    alone_fee=st.integers(min_value=0, max_value=1500),
    minimum=st.integers(min_value=0, max_value=3_000_000),
)
def test_pool_cost_agrees_with_the_exact_split(
    budgets: list[int], cents: list[int], fee: int, alone_fee: int, minimum: int,
) -> None:
    # given a programme whose pooled and standalone fees may come within a cent of
    # each other, and needs of any size
    programme = ProgrammeIn(**{
        **DSP.__dict__, "minimum_spend": D(minimum),
        "tiers": (Tier(D(minimum), D("1.5")), Tier(D(minimum * 3), D("4"))),
        "management_fee_percent": D(fee) / 100, "standalone_fee_percent": D(alone_fee) / 100})
    needs = [need(i, 100 + i, f"{b}.{c:02d}")
             for i, (b, c) in enumerate(zip(budgets, cents[:len(budgets)], strict=True))]

    # when a pool of them is priced
    priced = pool_cost(programme, needs)

    # then it is exactly what the largest-remainder split of the pooled total allows:
    # refused when any member with access alone would pay more pooled than alone
    cur = programme.currency
    spend = sum((n.budget.quantize(D("0.01")) for n in needs), D(0))
    if spend < programme.minimum_spend:
        assert priced is None
        return
    tier = max((t for t in programme.tiers if t.min_spend <= spend),
               key=lambda t: (t.min_spend, t.rebate_percent), default=None)
    rebate = (spend * (tier.rebate_percent if tier else 0) / 100).quantize(
        D("0.01"), "ROUND_HALF_UP")
    total = spend - rebate + (spend * programme.management_fee_percent / 100).quantize(
        D("0.01"), "ROUND_HALF_UP")
    shares = largest_remainder(total, [n.budget.quantize(D("0.01")) for n in needs], cur)
    alone = [standalone_cost(programme, n.budget) for n in needs]
    dearer = any(own is not None and share > own for own, share in zip(alone, shares, strict=True))
    assert priced == (None if dearer else total)
