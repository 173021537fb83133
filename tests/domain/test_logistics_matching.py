"""Logistics pools: worked examples and properties on random markets."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.logistics_matching import (
    CapacityIn,
    DemandIn,
    LaneCard,
    match_logistics,
    price_pool,
)
from pooling.domain.proposals import MatchResult
from pooling.domain.tariff import (
    EquipmentRate,
    FixedFee,
    RateCard,
    Surcharge,
    WeightBreak,
    price,
)
from pooling.domain.units import Mode

D = Decimal
TODAY = date(2026, 11, 1)
READY = date(2026, 11, 2)
DUE = date(2026, 12, 31)

BREAKS = (
    WeightBreak(D(0), D("6.5")),
    WeightBreak(D(45), D("5.0")),
    WeightBreak(D(100), D("4.2")),
    WeightBreak(D(300), D("3.6")),
    WeightBreak(D(500), D("3.2")),
    WeightBreak(D(1000), D("2.9")),
)
EQUIPMENT = (
    EquipmentRate("20GP", D(1800), D(28), D(21700)),
    EquipmentRate("40GP", D(2600), D(58), D(26600)),
    EquipmentRate("40HC", D(2800), D(66), D(26500)),
)


def air_card(
    card_id: int | str = "AIR1", destination: str = "USLAX", **extra: object
) -> RateCard:
    fields: dict[str, object] = {
        "id": card_id,
        "version": 1,
        "currency": "USD",
        "mode": Mode.AIR,
        "origin": "CNSZX",
        "destination": destination,
        "kg_per_cbm": None,
        "minimum_charge": D(75),
        "weight_breaks": BREAKS,
        "fees": (FixedFee("DOC", "Documentation", D(35)),),
        "surcharges": (Surcharge("FSC", "Fuel", percent=D(10)),),
        "allowed_cargo_classes": frozenset({"general", "lithium_batteries", "magnetic"}),
        "transit_days": 3,
    }
    fields.update(extra)
    return RateCard(**fields)  # type: ignore[arg-type]


def sea_card(card_id: int | str = "SEA1", destination: str = "USLAX", **extra: object) -> RateCard:
    fields: dict[str, object] = {
        "id": card_id,
        "version": 2,
        "currency": "USD",
        "mode": Mode.SEA_FCL,
        "origin": "CNSZX",
        "destination": destination,
        "kg_per_cbm": None,
        "minimum_charge": D(0),
        "lcl_rate_per_wm": D(60),
        "equipment": EQUIPMENT,
        "fees": (FixedFee("DOC", "Documentation", D(50)),),
        "allowed_cargo_classes": frozenset({"general", "liquids", "other_dg"}),
        "transit_days": 20,
    }
    fields.update(extra)
    return RateCard(**fields)  # type: ignore[arg-type]


def lane(card: RateCard, partner: int = 1, valid_to: date | None = None) -> LaneCard:
    return LaneCard(card=card, partner_id=partner, valid_from=date(2026, 1, 1), valid_to=valid_to)


def demand(
    nid: int,
    firm: int,
    kg: str,
    cbm: str,
    *,
    mode: Mode = Mode.AIR,
    origin: str = "CNSZX",
    destination: str = "USLAX",
    cargo: str = "general",
    un: str = "",
    splittable: bool = False,
    ready: date = READY,
    due: date = DUE,
) -> DemandIn:
    return DemandIn(
        id=nid,
        firm_id=firm,
        origin=origin,
        destination=destination,
        mode=mode,
        cargo_class=cargo,
        un_class=un,
        gross_kg=D(kg),
        volume_cbm=D(cbm),
        splittable=splittable,
        ready_from=ready,
        deliver_by=due,
    )


def reasons(result: MatchResult) -> dict[int, str]:
    return {u.need_id: u.reason for u in result.unplaced}


def test_air_demands_reach_the_300_kg_break() -> None:
    card = air_card()
    needs = [demand(i, 10 + i, "80", "0.1") for i in range(1, 5)]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    assert result.unplaced == ()
    (pool,) = result.pools
    assert pool.need_ids == (1, 2, 3, 4)
    assert pool.rate_card_id == "AIR1" and pool.mode == "air"
    assert pool.ship_date == READY + timedelta(days=3)
    # 320 kg at +300: 1,152 + DOC 35 + fuel 115.20
    assert pool.total_cost == D("1302.20")
    alone = price(card, gross_kg=D(80), volume_cbm=D("0.1")).total
    assert alone == D("475.00")
    assert pool.standalone_total == 4 * alone
    assert sum(m.share for m in pool.members) == pool.total_cost
    for member in pool.members:
        assert member.standalone_cost == alone
        assert member.share <= alone and member.saving == alone - member.share
        assert member.chargeable_kg == D("80.000")
    assert "+300" in pool.plan["break_applied"]
    assert pool.plan["total_chargeable_kg"] == "320.000"
    assert [m["chargeable_kg"] for m in pool.plan["members"]] == ["80.000"] * 4
    json.dumps(pool.plan)
    assert any("CNSZX\u2192USLAX" in r for r in pool.reasons)
    assert any("2026-11-05" in r for r in pool.reasons)
    # The reasons are about the pool as a whole; what each member pays is on its row.
    member = pool.members[0]
    assert len(pool.reasons) == 4
    assert not any(r.startswith("Firm ") for r in pool.reasons)
    json.dumps(list(pool.reasons))
    assert member.note == f"saves USD {member.saving:,} against shipping alone"


def test_lcl_demands_consolidate_into_a_40hc() -> None:
    card = sea_card()
    needs = [
        demand(i, 20 + i, "3000", "12.8", mode=Mode.SEA_LCL, due=date(2027, 1, 31))
        for i in range(1, 6)
    ]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    assert result.unplaced == ()
    (pool,) = result.pools
    containers = pool.plan["containers"]
    assert [c["code"] for c in containers] == ["40HC"]
    assert sorted(m["need_id"] for m in containers[0]["members"]) == [1, 2, 3, 4, 5]
    assert containers[0]["used_cbm"] == "64.0"
    assert pool.plan["lcl"]["members"] == []
    assert pool.total_cost == D("2850.00")
    for member in pool.members:
        assert member.standalone_cost == D("818.00")  # 12.8 W/M x 60 + DOC 50
        assert member.share <= D("818.00")
    json.dumps(pool.plan)


def test_no_rate_card_and_short_windows_are_explained() -> None:
    result = match_logistics(
        [
            demand(1, 1, "100", "1", destination="USNYC"),
            demand(2, 2, "5000", "20", mode=Mode.SEA_LCL, ready=date(2026, 12, 1),
                   due=date(2026, 12, 5)),
        ],
        [lane(air_card()), lane(sea_card())],
        [],
        today=TODAY,
    )
    why = reasons(result)
    assert why[1] == "no rate card for CNSZX\u2192USNYC by air"
    assert why[2].startswith(
        "window too short: ready 2026-12-01, deliver by 2026-12-05, transit 20 days"
    )


def test_a_lone_demand_has_no_one_to_pool_with() -> None:
    needs = [
        demand(1, 1, "80", "0.1", due=date(2026, 11, 9)),
        demand(2, 2, "80", "0.1", ready=date(2026, 11, 20)),
    ]
    result = match_logistics(needs, [lane(air_card())], [], today=TODAY)
    assert result.pools == ()
    assert "no other demand on the lane fits its window" in reasons(result)[1]


def test_country_card_serves_the_lane_but_exact_lane_wins() -> None:
    country = air_card("AIR-US", destination="US")
    result = match_logistics(
        [demand(1, 1, "80", "0.1", destination="USJFK"),
         demand(2, 2, "80", "0.1", destination="USJFK")],
        [lane(country)],
        [],
        today=TODAY,
    )
    (pool,) = result.pools
    assert pool.rate_card_id == "AIR-US" and pool.destination == "USJFK"

    exact = air_card("AIR-LAX", weight_breaks=tuple(
        WeightBreak(b.min_kg, b.rate_per_kg + 1) for b in BREAKS))
    result = match_logistics(
        [demand(1, 1, "80", "0.1"), demand(2, 2, "80", "0.1")],
        [lane(country), lane(exact)],
        [],
        today=TODAY,
    )
    (pool,) = result.pools
    assert pool.rate_card_id == "AIR-LAX"


def test_cheapest_card_among_equals() -> None:
    dear = air_card("A", weight_breaks=tuple(
        WeightBreak(b.min_kg, b.rate_per_kg + 1) for b in BREAKS))
    cheap = air_card("B")
    result = match_logistics(
        [demand(1, 1, "80", "0.1"), demand(2, 2, "80", "0.1")],
        [lane(dear), lane(cheap)],
        [],
        today=TODAY,
    )
    assert [p.rate_card_id for p in result.pools] == ["B"]


def test_cargo_classes() -> None:
    card = sea_card()
    needs = [
        demand(1, 1, "3000", "12", mode=Mode.SEA_LCL, cargo="other_dg", un="3"),
        demand(2, 2, "3000", "12", mode=Mode.SEA_LCL, cargo="other_dg", un="8"),
        demand(3, 3, "3000", "12", mode=Mode.SEA_LCL, cargo="powders"),
    ]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    assert result.pools == ()
    why = reasons(result)
    assert "no other demand" in why[1] and "no other demand" in why[2]
    assert "cargo class powders is not accepted" in why[3]

    mixed = [
        demand(4, 4, "80", "0.1", cargo="general"),
        demand(5, 5, "80", "0.1", cargo="lithium_batteries"),
        demand(6, 6, "80", "0.1", cargo="magnetic"),
    ]
    result = match_logistics(mixed, [lane(air_card())], [], today=TODAY)
    assert [p.need_ids for p in result.pools] == [(4, 5, 6)]


def test_capacity_fixes_the_date_and_limits_the_pool() -> None:
    card = air_card()
    cap = CapacityIn(
        id=1, partner_id=1, rate_card_id="AIR1", origin="CNSZX", destination="USLAX",
        mode=Mode.AIR, departure=date(2026, 11, 12), cutoff=date(2026, 11, 10),
        kg=D(250), cbm=None, equipment={},
    )
    needs = [demand(i, i, "80", "0.1") for i in range(1, 5)]
    result = match_logistics(needs, [lane(card)], [cap], today=TODAY)
    (pool,) = result.pools
    assert pool.ship_date == date(2026, 11, 12)
    assert len(pool.members) == 3
    assert pool.plan["capacity_offer_ids"] == [1]
    (left,) = result.unplaced
    assert left.need_id not in pool.need_ids


def test_heavy_cargo_without_lcl_rate() -> None:
    card = sea_card(lcl_rate_per_wm=None)
    needs = [
        demand(1, 1, "30000", "20", mode=Mode.SEA_FCL),
        demand(2, 2, "3000", "20", mode=Mode.SEA_FCL),
    ]
    result = match_logistics(needs, [lane(card)], [], today=TODAY)
    assert "heavier than any container's payload (26,600 kg)" in reasons(result)[1]


def test_pooling_that_does_not_save_is_not_proposed() -> None:
    flat = air_card(
        minimum_charge=D(0), fees=(), surcharges=(),
        weight_breaks=(WeightBreak(D(0), D(4)),),
    )
    result = match_logistics(
        [demand(1, 1, "80", "0.1"), demand(2, 2, "90", "0.1")], [lane(flat)], [], today=TODAY
    )
    assert result.pools == ()
    assert "pooling does not save" in reasons(result)[1]


def test_card_validity_bounds_the_ship_date() -> None:
    card = air_card()
    result = match_logistics(
        [demand(1, 1, "80", "0.1"), demand(2, 2, "80", "0.1")],
        [lane(card, valid_to=date(2026, 11, 3))],
        [],
        today=TODAY,
    )
    assert result.pools == ()
    assert "valid" in reasons(result)[1]


# ----------------------------------------------------------------- properties

ORIGINS = ("CNSZX", "CNNGB")
DESTS = ("USLAX", "USNYC", "DEHAM")
MODES = (Mode.AIR, Mode.SEA_LCL, Mode.SEA_FCL, Mode.ROAD)


def market_cards() -> list[LaneCard]:
    cards = []
    for origin in ORIGINS:
        cards.append(lane(air_card(f"A-{origin}", destination="US", origin=origin)))
        cards.append(lane(sea_card(f"S-{origin}", destination="USLAX", origin=origin)))
        cards.append(lane(sea_card(f"S2-{origin}", destination="DEHAM", origin=origin,
                                   lcl_rate_per_wm=None, transit_days=30)))
        cards.append(lane(air_card(f"R-{origin}", destination="DEHAM", origin=origin,
                                   mode=Mode.ROAD, transit_days=14)))
    return cards


@st.composite
def markets(draw: st.DrawFn) -> list[DemandIn]:
    count = draw(st.integers(min_value=0, max_value=40))
    needs = []
    for i in range(count):
        mode = draw(st.sampled_from(MODES))
        sea = mode in (Mode.SEA_LCL, Mode.SEA_FCL)
        ready = TODAY + timedelta(days=draw(st.integers(-5, 30)))
        kg = draw(st.integers(1, 12000 if sea else 600))
        cbm = D(draw(st.integers(1, 400 if sea else 30))) / 10
        cargo = draw(st.sampled_from(["general", "general", "other_dg", "liquids"]))
        needs.append(
            demand(
                i + 1,
                draw(st.integers(1, 15)),
                str(kg),
                str(cbm),
                mode=mode,
                origin=draw(st.sampled_from(ORIGINS)),
                destination=draw(st.sampled_from(DESTS)),
                cargo=cargo,
                un=draw(st.sampled_from(["3", "8"])) if cargo == "other_dg" else "",
                splittable=draw(st.booleans()),
                ready=ready,
                due=ready + timedelta(days=draw(st.integers(0, 60))),
            )
        )
    return needs


@settings(max_examples=50, deadline=None)
@given(markets(), st.randoms(use_true_random=False))
def test_pool_properties(needs: list[DemandIn], rnd: random.Random) -> None:
    cards = market_cards()
    by_card = {str(c.card.id): c.card for c in cards}
    by_id = {n.id: n for n in needs}
    result = match_logistics(needs, cards, [], today=TODAY, consolidation_days=3)

    placed = [nid for pool in result.pools for nid in pool.need_ids]
    unplaced = [u.need_id for u in result.unplaced]
    assert len(placed) == len(set(placed))
    assert sorted(placed + unplaced) == sorted(by_id)
    assert all(u.reason for u in result.unplaced)

    for pool in result.pools:
        card = by_card[str(pool.rate_card_id)]
        assert pool.ship_date is not None and pool.ship_date >= TODAY
        assert len(pool.members) >= 2
        assert pool.total_cost < pool.standalone_total
        assert sum(m.share for m in pool.members) == pool.total_cost
        for member in pool.members:
            d = by_id[member.need_id]
            assert (d.origin, d.destination) == (pool.origin, pool.destination)
            assert d.ready_from + timedelta(days=3) <= pool.ship_date
            assert pool.ship_date + timedelta(days=card.transit_days) <= d.deliver_by
            assert member.standalone_cost is not None
            assert member.share <= member.standalone_cost
            assert member.standalone_cost == price(
                card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm
            ).total
        if pool.plan["type"] == "sea":
            equipment = {e.code: e for e in card.equipment}
            for box in pool.plan["containers"]:
                rate = equipment[box["code"]]
                assert D(box["used_cbm"]) <= rate.usable_cbm
                assert D(box["used_kg"]) <= rate.payload_kg
        classes = {by_id[m.need_id].cargo_class for m in pool.members}
        if "other_dg" in classes:
            assert len(classes) == 1
            assert len({by_id[m.need_id].un_class for m in pool.members}) == 1
        json.dumps(pool.plan)

    again = match_logistics(needs, cards, [], today=TODAY, consolidation_days=3)
    assert again == result
    shuffled = list(needs)
    rnd.shuffle(shuffled)
    cards_shuffled = list(cards)
    rnd.shuffle(cards_shuffled)
    assert match_logistics(shuffled, cards_shuffled, [], today=TODAY) == result


def test_capacity_is_shared_by_every_pool_on_the_departure() -> None:
    card = air_card(allowed_cargo_classes=frozenset({"general", "other_dg"}))
    cap = CapacityIn(
        id=7, partner_id=1, rate_card_id=None, origin="CNSZX", destination="USLAX",
        mode=Mode.AIR, departure=date(2026, 11, 12), cutoff=date(2026, 11, 10),
        kg=D(400), cbm=D(10), equipment={},
    )
    needs = [
        demand(1, 1, "150", "0.1"),
        demand(2, 2, "150", "0.1"),
        demand(3, 3, "150", "0.1", cargo="other_dg", un="9"),
        demand(4, 4, "150", "0.1", cargo="other_dg", un="9"),
    ]
    result = match_logistics(needs, [lane(card)], [cap], today=TODAY)
    assert [p.need_ids for p in result.pools] == [(1, 2)]
    assert "capacity" in reasons(result)[3]


def test_price_pool_prices_members_exactly_as_matching_proposed_them() -> None:
    # Given a sea pool and an air pool that matching proposed
    sea = sea_card()
    sea_needs = [
        demand(i, 20 + i, str(2000 + 150 * i), str(9 + i), mode=Mode.SEA_LCL,
               splittable=i % 2 == 0, due=date(2027, 1, 31))
        for i in range(1, 8)
    ]
    air = air_card()
    air_needs = [demand(i, 10 + i, "80", "0.1") for i in range(11, 15)]
    result = match_logistics([*sea_needs, *air_needs], [lane(sea), lane(air)], [], today=TODAY)
    assert len(result.pools) == 2
    for pool, card, needs in ((p, c, n) for p in result.pools
                              for c, n in ((sea, sea_needs), (air, air_needs))
                              if p.rate_card_id == c.id):
        assert pool.ship_date is not None
        # When the same members are priced again on the same card and date
        again = price_pool(card, list(reversed(needs)), ship_date=pool.ship_date, partner_id=1)
        # Then the proposal is the one matching made, member for member
        assert again == pool


def test_price_pool_without_members_is_none() -> None:
    assert price_pool(sea_card(), [], ship_date=TODAY) is None


def test_matching_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    card = air_card()
    needs = [demand(i, 10 + i, "80", "0.1") for i in range(1, 3)]
    assert gc.isenabled()
    match_logistics(needs, [lane(card)], [], today=TODAY)
    assert gc.isenabled()
    gc.disable()
    try:
        match_logistics(needs, [lane(card)], [], today=TODAY)
        assert not gc.isenabled()
    finally:
        gc.enable()
