"""Freight pricing: worked examples, validation errors and properties."""

from __future__ import annotations

import pickle
from dataclasses import replace
from decimal import Decimal
from math import ceil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.money import quantize
from pooling.domain.tariff import (
    BASES,
    CardPricer,
    EquipmentRate,
    FixedFee,
    Quote,
    RateCard,
    Surcharge,
    TariffError,
    WeightBreak,
    cheapest_standalone_sea,
    price,
    price_consignment,
    price_sea_plan,
    price_total,
    sea_plan_total,
)
from pooling.domain.units import Mode, kg_per_cbm_from_divisor

D = Decimal

AIR_BREAKS = (
    WeightBreak(D(0), D("5.00")),
    WeightBreak(D(45), D("4.20")),
    WeightBreak(D(100), D("3.60")),
    WeightBreak(D(300), D("3.10")),
)
FUEL = Surcharge("FUEL", "Fuel surcharge", percent=D(12))
PEAK = Surcharge("PSS", "Peak season surcharge", per_kg=D("0.50"))
DOC = FixedFee("DOC", "Documentation", D("50.00"))

GP20 = EquipmentRate("20GP", D(1500), D(28), D(21700))
GP40 = EquipmentRate("40GP", D(1700), D(58), D(26600))
HC40 = EquipmentRate("40HC", D(1900), D(66), D(26500))


def air_card(**changes: object) -> RateCard:
    card = RateCard(
        id=1,
        version=1,
        currency="USD",
        mode=Mode.AIR,
        origin="CNSZX",
        destination="DEFRA",
        kg_per_cbm=None,
        minimum_charge=D("75.00"),
        weight_breaks=AIR_BREAKS,
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def lcl_card(**changes: object) -> RateCard:
    card = RateCard(
        id="lcl-1",
        version=2,
        currency="USD",
        mode=Mode.SEA_LCL,
        origin="CNSHA",
        destination="US",
        kg_per_cbm=None,
        minimum_charge=D(0),
        lcl_rate_per_wm=D(80),
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def fcl_card(**changes: object) -> RateCard:
    card = RateCard(
        id="fcl-1",
        version=1,
        currency="USD",
        mode=Mode.SEA_FCL,
        origin="CNSHA",
        destination="USLAX",
        kg_per_cbm=None,
        minimum_charge=D(0),
        lcl_rate_per_wm=D(150),
        equipment=(GP20, GP40, HC40),
        fees=(DOC,),
        surcharges=(FUEL,),
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def codes(quote: Quote) -> list[str]:
    return [line.charge_code for line in quote.lines]


# ------------------------------------------------------------------ weight-rated modes


def test_air_volumetric_weight_and_break() -> None:
    quote = price_consignment(air_card(), gross_kg=D(30), volume_cbm=D("0.3"))
    assert quote.chargeable_kg == D("50.000")
    assert quote.revenue_tons == D("0.300")
    (line,) = quote.lines
    assert line.charge_code == "FRT"
    assert line.basis == "per_kg"
    assert line.quantity == D(50)
    assert line.unit_price == D("4.20")
    assert line.amount == D("210.00")
    assert quote.total == D("210.00")
    assert quote.currency == "USD"


def test_air_higher_break_is_cheaper() -> None:
    quote = price_consignment(air_card(), gross_kg=D(95), volume_cbm=D(0))
    (line,) = quote.lines
    assert line.quantity == D(100)
    assert line.unit_price == D("3.60")
    assert line.amount == D("360.00")
    assert quote.chargeable_kg == D("95.000")
    assert "+100" in quote.note


def test_air_without_higher_break_rule_uses_applicable_break() -> None:
    quote = price_consignment(air_card(higher_break_rule=False), gross_kg=D(95), volume_cbm=D(0))
    (line,) = quote.lines
    assert line.quantity == D(95)
    assert line.unit_price == D("4.20")
    assert quote.total == D("399.00")


def test_air_at_exact_break_weight() -> None:
    quote = price_consignment(air_card(), gross_kg=D(100), volume_cbm=D(0))
    assert quote.total == D("360.00")
    assert quote.lines[0].unit_price == D("3.60")


def test_air_minimum_charge() -> None:
    quote = price_consignment(air_card(), gross_kg=D(2), volume_cbm=D(0))
    (line,) = quote.lines
    assert line.charge_code == "MIN"
    assert line.basis == "per_shipment"
    assert line.quantity == D(1)
    assert line.unit_price == D("75.00")
    assert quote.total == D("75.00")
    assert quote.chargeable_kg == D("2.000")


def test_express_default_factor_is_5000() -> None:
    card = air_card(mode=Mode.EXPRESS)
    quote = price_consignment(card, gross_kg=D(30), volume_cbm=D("0.3"))
    assert quote.chargeable_kg == D("60.000")
    assert quote.total == D("252.00")  # 60 kg at +45


def test_card_factor_overrides_mode_default() -> None:
    card = air_card(kg_per_cbm=kg_per_cbm_from_divisor(D(5000)))
    quote = price_consignment(card, gross_kg=D(30), volume_cbm=D("0.3"))
    assert quote.chargeable_kg == D("60.000")


def test_road_default_factor() -> None:
    card = air_card(mode=Mode.ROAD, minimum_charge=D(0))
    quote = price_consignment(card, gross_kg=D(100), volume_cbm=D(1))
    assert quote.chargeable_kg == D("333.000")
    assert quote.total == D("1032.30")  # 333 x 3.10


def test_fees_and_surcharges_follow_freight() -> None:
    card = air_card(fees=(DOC,), surcharges=(FUEL, PEAK))
    quote = price_consignment(card, gross_kg=D(95), volume_cbm=D(0))
    assert codes(quote) == ["FRT", "DOC", "FUEL", "PSS"]
    frt, doc, fuel, peak = quote.lines
    assert doc.basis == "per_shipment"
    assert doc.amount == D("50.00")
    assert fuel.basis == "percentage"
    assert fuel.applies_to == "FRT"
    assert fuel.quantity == D(12)
    assert fuel.amount == D("43.20")  # 12% of 360.00
    assert peak.basis == "per_kg"
    assert peak.quantity == D("95.000")  # actual chargeable kg, not the break weight
    assert peak.amount == D("47.50")
    assert quote.total == D("500.70")


def test_fuel_on_minimum_charge() -> None:
    quote = price_consignment(air_card(surcharges=(FUEL,)), gross_kg=D(2), volume_cbm=D(0))
    assert codes(quote) == ["MIN", "FUEL"]
    assert quote.lines[1].applies_to == "MIN"
    assert quote.lines[1].amount == D("9.00")
    assert quote.total == D("84.00")


def test_zero_decimal_currency_rounds_to_whole_units() -> None:
    card = air_card(
        currency="JPY",
        minimum_charge=D(0),
        weight_breaks=(WeightBreak(D(0), D("512.5")),),
        surcharges=(Surcharge("FUEL", "Fuel", percent=D("12.5")),),
    )
    quote = price_consignment(card, gross_kg=D(3), volume_cbm=D(0))
    assert [line.amount for line in quote.lines] == [D(1538), D(192)]
    assert quote.total == D(1730)


# ----------------------------------------------------------------------------- sea LCL


def test_lcl_minimum_one_wm() -> None:
    quote = price_consignment(lcl_card(), gross_kg=D(200), volume_cbm=D("0.4"))
    (line,) = quote.lines
    assert line.charge_code == "LCL"
    assert line.basis == "per_wm"
    assert line.quantity == D(1)
    assert line.amount == D("80.00")
    assert quote.revenue_tons == D("0.400")
    assert "minimum" in quote.note


def test_lcl_weight_or_measure() -> None:
    by_measure = price_consignment(lcl_card(), gross_kg=D(1200), volume_cbm=D("2.5"))
    assert by_measure.lines[0].quantity == D("2.500")
    assert by_measure.total == D("200.00")
    by_weight = price_consignment(lcl_card(), gross_kg=D(3000), volume_cbm=D(1))
    assert by_weight.total == D("240.00")
    assert by_weight.chargeable_kg == D(3000)


def test_price_dispatches_lcl_to_consignment() -> None:
    assert price(lcl_card(), gross_kg=D(1200), volume_cbm=D("2.5")).total == D("200.00")


# ----------------------------------------------------------------------------- sea FCL


def test_sea_plan_lines() -> None:
    quote = price_sea_plan(
        fcl_card(), containers=["20GP"], lcl_gross_kg=D(400), lcl_volume_cbm=D(2)
    )
    assert codes(quote) == ["FRT-20GP", "LCL", "DOC", "FUEL", "FUEL"]
    box, lcl, doc, fuel_box, fuel_lcl = quote.lines
    assert (box.basis, box.quantity, box.amount, box.equipment) == (
        "per_container", D(1), D("1500.00"), "20GP"
    )
    assert (lcl.basis, lcl.quantity, lcl.amount) == ("per_wm", D("2.000"), D("300.00"))
    assert doc.amount == D("50.00")
    assert (fuel_box.applies_to, fuel_box.amount) == ("FRT-20GP", D("180.00"))
    assert (fuel_lcl.applies_to, fuel_lcl.amount) == ("LCL", D("36.00"))
    assert quote.total == D("2066.00")
    assert quote.revenue_tons == D("2.000")


def test_sea_plan_groups_containers_per_type() -> None:
    quote = price_sea_plan(
        fcl_card(), containers=["40HC", "20GP", "40HC"], lcl_gross_kg=D(0), lcl_volume_cbm=D(0)
    )
    assert codes(quote) == ["FRT-20GP", "FRT-40HC", "DOC", "FUEL", "FUEL"]
    assert quote.lines[1].quantity == D(2)
    assert quote.lines[1].amount == D("3800.00")
    assert quote.total == D("1500") + D("3800") + D("50") + D("180") + D("456")


def test_sea_plan_needs_lcl_rate_for_remainder() -> None:
    card = fcl_card(lcl_rate_per_wm=None)
    with pytest.raises(TariffError) as excinfo:
        price_sea_plan(card, containers=["20GP"], lcl_gross_kg=D(10), lcl_volume_cbm=D(1))
    assert excinfo.value.field == "lcl_rate_per_wm"
    # Whole containers alone are fine without an LCL rate.
    quote = price_sea_plan(card, containers=["20GP"], lcl_gross_kg=D(0), lcl_volume_cbm=D(0))
    assert quote.total == D("1730.00")


def test_sea_plan_unknown_container() -> None:
    with pytest.raises(TariffError) as excinfo:
        price_sea_plan(fcl_card(), containers=["45HC"], lcl_gross_kg=D(0), lcl_volume_cbm=D(0))
    assert excinfo.value.field == "containers"


def test_sea_plan_needs_something_to_ship() -> None:
    with pytest.raises(TariffError) as excinfo:
        price_sea_plan(fcl_card(), containers=[], lcl_gross_kg=D(0), lcl_volume_cbm=D(0))
    assert excinfo.value.field == "containers"


def test_thirty_cbm_cheapest_as_one_40gp() -> None:
    quote = cheapest_standalone_sea(fcl_card(), gross_kg=D(6000), volume_cbm=D(30))
    assert codes(quote) == ["FRT-40GP", "DOC", "FUEL"]
    assert quote.lines[2].amount == D("204.00")
    assert quote.total == D("1954.00")
    assert quote.revenue_tons == D("30.000")
    assert quote.chargeable_kg == D(30000)
    # The alternative it beat: one 20GP (28 CBM) plus 2 CBM as LCL.
    alternative = price_sea_plan(
        fcl_card(), containers=["20GP"], lcl_gross_kg=D(400), lcl_volume_cbm=D(2)
    )
    assert alternative.total == D("2066.00") > quote.total
    assert price(fcl_card(), gross_kg=D(6000), volume_cbm=D(30)) == quote


def test_twenty_gp_plus_lcl_wins_when_40gp_is_dear() -> None:
    card = fcl_card(equipment=(GP20, replace(GP40, price=D(2500))), fees=(), surcharges=())
    quote = cheapest_standalone_sea(card, gross_kg=D(6000), volume_cbm=D(30))
    assert codes(quote) == ["FRT-20GP", "LCL"]
    assert quote.lines[1].quantity == D("2.000")
    assert quote.total == D("1800.00")


def test_a_whole_load_alone_is_never_split_into_a_box_and_lcl() -> None:
    # given 30 CBM that may not be split, where 20GP + 2 CBM LCL is the cheapest split
    card = fcl_card(equipment=(GP20, replace(GP40, price=D(2500))), fees=(), surcharges=())
    split = cheapest_standalone_sea(card, gross_kg=D(6000), volume_cbm=D(30))
    assert split.total == D("1800.00")
    # when priced alone as a whole load
    whole = cheapest_standalone_sea(card, gross_kg=D(6000), volume_cbm=D(30), splittable=False)
    # then it ships in one box that holds it whole (the 40GP) or all LCL, whichever is cheaper
    assert codes(whole) == ["FRT-40GP"]
    assert whole.total == D("2500.00")
    assert price(card, gross_kg=D(6000), volume_cbm=D(30), splittable=False) == whole
    assert CardPricer(card).price_total(D(6000), D(30), False) == whole.total
    assert price_total(card, gross_kg=D(6000), volume_cbm=D(30), splittable=False) == whole.total


def test_a_whole_load_too_big_for_any_box_and_no_lcl_cannot_be_priced() -> None:
    card = fcl_card(lcl_rate_per_wm=None, fees=(), surcharges=())
    with pytest.raises(TariffError) as excinfo:
        cheapest_standalone_sea(card, gross_kg=D(30000), volume_cbm=D(10), splittable=False)
    assert excinfo.value.field == "equipment"


def test_small_cargo_goes_lcl() -> None:
    quote = cheapest_standalone_sea(fcl_card(), gross_kg=D(500), volume_cbm=D(3))
    assert codes(quote) == ["LCL", "DOC", "FUEL"]
    assert quote.total == D("450.00") + D("50.00") + D("54.00")


def test_heavy_cargo_is_limited_by_payload() -> None:
    card = fcl_card(lcl_rate_per_wm=None, fees=(), surcharges=())
    # 30,000 kg in 10 CBM: one 20GP holds 21,700 kg, so two are needed.
    quote = cheapest_standalone_sea(card, gross_kg=D(30000), volume_cbm=D(10))
    assert quote.total == D("3000.00")
    assert quote.lines[0].quantity == D(2)


def test_mixed_container_types_when_cheaper() -> None:
    card = fcl_card(lcl_rate_per_wm=None, equipment=(GP20, GP40), fees=(), surcharges=())
    # 70 CBM: 40GP + 20GP (3200) beats 2 x 40GP (3400) and 3 x 20GP (4500).
    quote = cheapest_standalone_sea(card, gross_kg=D(7000), volume_cbm=D(70))
    assert codes(quote) == ["FRT-20GP", "FRT-40GP"]
    assert quote.total == D("3200.00")


def test_cheapest_standalone_needs_sea_card() -> None:
    with pytest.raises(TariffError) as excinfo:
        cheapest_standalone_sea(air_card(), gross_kg=D(10), volume_cbm=D(1))
    assert excinfo.value.field == "mode"


# -------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight_breaks": (WeightBreak(D(0), D(5)), WeightBreak(D(45), D(4)),
                            WeightBreak(D(45), D(3)))}, "weight_breaks"),
        ({"weight_breaks": (WeightBreak(D(0), D(5)), WeightBreak(D(100), D(4)),
                            WeightBreak(D(45), D(3)))}, "weight_breaks"),
        ({"weight_breaks": (WeightBreak(D(45), D(4)),)}, "weight_breaks"),
        ({"weight_breaks": (WeightBreak(D(0), D(-1)),)}, "weight_breaks"),
        ({"weight_breaks": ()}, "weight_breaks"),
        ({"minimum_charge": D("-0.01")}, "minimum_charge"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"fees": (FixedFee("DOC", "Docs", D(-5)),)}, "fees"),
        ({"surcharges": (Surcharge("FUEL", "Fuel", percent=D(-1)),)}, "surcharges"),
        ({"surcharges": (Surcharge("X", "Both", percent=D(1), per_kg=D(1)),)}, "surcharges"),
        ({"surcharges": (Surcharge("X", "Neither"),)}, "surcharges"),
        ({"transit_days": -1}, "transit_days"),
        ({"kg_per_cbm": D(0)}, "kg_per_cbm"),
        ({"minimum_charge": 75.0}, "minimum_charge"),
        ({"minimum_charge": D("NaN")}, "minimum_charge"),
        ({"origin": "Shenzhen"}, "origin"),
        ({"destination": "DEU"}, "destination"),
        ({"mode": "teleport"}, "mode"),
    ],
)
def test_air_card_validation(changes: dict[str, object], field: str) -> None:
    card = air_card(**changes)
    with pytest.raises(TariffError) as excinfo:
        card.validate()
    assert excinfo.value.field == field
    assert str(excinfo.value)


def test_overlapping_breaks_message() -> None:
    card = air_card(weight_breaks=(WeightBreak(D(0), D(5)), WeightBreak(D(0), D(4))))
    with pytest.raises(TariffError, match="strictly ascending") as excinfo:
        price_consignment(card, gross_kg=D(10), volume_cbm=D(0))
    assert excinfo.value.field == "weight_breaks"


@pytest.mark.parametrize(
    ("card", "field"),
    [
        (fcl_card(equipment=(replace(GP20, price=D(-1)),)), "equipment"),
        (fcl_card(equipment=(replace(GP20, usable_cbm=D(0)),)), "equipment"),
        (fcl_card(equipment=(replace(GP20, payload_kg=D(-1)),)), "equipment"),
        (fcl_card(equipment=(GP20, GP20)), "equipment"),
        (fcl_card(equipment=()), "equipment"),
        (fcl_card(lcl_rate_per_wm=D(-1)), "lcl_rate_per_wm"),
        (lcl_card(lcl_rate_per_wm=None), "lcl_rate_per_wm"),
        (lcl_card(lcl_minimum_wm=D(-1)), "lcl_minimum_wm"),
    ],
)
def test_sea_card_validation(card: RateCard, field: str) -> None:
    with pytest.raises(TariffError) as excinfo:
        card.validate()
    assert excinfo.value.field == field


def test_valid_cards_pass() -> None:
    air_card().validate()
    lcl_card().validate()
    fcl_card().validate()


@pytest.mark.parametrize(
    ("gross", "volume", "field"),
    [(D(-1), D(0), "gross_kg"), (D(1), D(-1), "volume_cbm"), (D(0), D(0), "gross_kg")],
)
def test_bad_shipment(gross: Decimal, volume: Decimal, field: str) -> None:
    with pytest.raises(TariffError) as excinfo:
        price(air_card(), gross_kg=gross, volume_cbm=volume)
    assert excinfo.value.field == field


def test_accepts_and_equipment_rate() -> None:
    card = fcl_card(allowed_cargo_classes=frozenset({"general", "battery"}))
    assert card.accepts("battery")
    assert not card.accepts("dangerous")
    assert air_card().accepts("general")
    assert card.equipment_rate("40HC") == HC40
    with pytest.raises(TariffError) as excinfo:
        card.equipment_rate("45HC")
    assert excinfo.value.field == "equipment"


def test_tariff_error_survives_pickling() -> None:
    error = TariffError("Bad break.", field="weight_breaks")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301
    assert isinstance(copy, TariffError)
    assert (copy.field, str(copy)) == ("weight_breaks", "Bad break.")
    assert isinstance(error, ValueError)


# -------------------------------------------------------------------------- properties

kgs = st.decimals(min_value=0, max_value=5000, places=3, allow_nan=False, allow_infinity=False)
cbms = st.decimals(min_value=0, max_value=200, places=3, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=20, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def weight_cards(draw: st.DrawFn) -> RateCard:
    mins = sorted(draw(st.sets(st.integers(min_value=1, max_value=1000), max_size=5)))
    breaks = tuple(
        WeightBreak(D(m), draw(rates)) for m in [0, *mins]
    )
    surcharges = []
    if draw(st.booleans()):
        surcharges.append(Surcharge("FUEL", "Fuel", percent=draw(rates)))
    if draw(st.booleans()):
        surcharges.append(Surcharge("PSS", "Peak", per_kg=draw(rates)))
    return air_card(
        mode=draw(st.sampled_from([Mode.AIR, Mode.EXPRESS, Mode.ROAD, Mode.RAIL])),
        weight_breaks=breaks,
        minimum_charge=draw(st.decimals(min_value=0, max_value=200, places=2)),
        higher_break_rule=draw(st.booleans()),
        fees=(DOC,) if draw(st.booleans()) else (),
        surcharges=tuple(surcharges),
    )


def assert_well_formed(quote: Quote) -> None:
    assert quote.total == sum((line.amount for line in quote.lines), D(0))
    freight_codes = {line.charge_code for line in quote.freight_lines()}
    for line in quote.lines:
        assert line.amount >= 0
        assert line.quantity >= 0
        assert line.basis in BASES
        assert line.amount == quantize(line.quantity * line.unit_price, quote.currency)
        if line.basis == "percentage":
            assert line.applies_to in freight_codes


@settings(max_examples=200, deadline=None)
@given(card=weight_cards(), gross=kgs, volume=cbms, more=kgs)
def test_weight_priced_quotes_are_well_formed_and_monotone(
    card: RateCard, gross: Decimal, volume: Decimal, more: Decimal
) -> None:
    if gross == 0 and volume == 0:
        gross = D("0.001")
    lighter = price(card, gross_kg=gross, volume_cbm=volume)
    heavier = price(card, gross_kg=gross + more, volume_cbm=volume)
    bulkier = price(card, gross_kg=gross, volume_cbm=volume + more / 100)
    for quote in (lighter, heavier, bulkier):
        assert_well_formed(quote)
    if card.higher_break_rule:
        assert heavier.total >= lighter.total
        assert bulkier.total >= lighter.total


@settings(max_examples=100, deadline=None)
@given(gross=kgs, more=kgs, volume=cbms, rate=rates, minimum=st.sampled_from([D(0), D(1)]))
def test_lcl_quotes_are_well_formed_and_monotone(
    gross: Decimal, more: Decimal, volume: Decimal, rate: Decimal, minimum: Decimal
) -> None:
    if gross == 0 and volume == 0:
        volume = D("0.001")
    card = lcl_card(lcl_rate_per_wm=rate, lcl_minimum_wm=minimum, surcharges=(FUEL, PEAK))
    lighter = price(card, gross_kg=gross, volume_cbm=volume)
    heavier = price(card, gross_kg=gross + more, volume_cbm=volume)
    assert_well_formed(lighter)
    assert_well_formed(heavier)
    assert heavier.total >= lighter.total


@settings(max_examples=100, deadline=None)
@given(
    gross=st.decimals(min_value=1, max_value=60000, places=1),
    volume=st.decimals(min_value=0, max_value=150, places=2),
    with_lcl=st.booleans(),
)
def test_cheapest_standalone_sea_beats_simple_plans(
    gross: Decimal, volume: Decimal, with_lcl: bool
) -> None:
    card = fcl_card(lcl_rate_per_wm=D(150) if with_lcl else None, surcharges=(FUEL, PEAK))
    best = cheapest_standalone_sea(card, gross_kg=gross, volume_cbm=volume)
    assert_well_formed(best)
    if with_lcl:
        all_lcl = price_consignment(card, gross_kg=gross, volume_cbm=volume)
        assert best.total <= all_lcl.total
    for rate in card.equipment:
        needed = max(ceil(volume / rate.usable_cbm), ceil(gross / rate.payload_kg), 1)
        boxes = price_sea_plan(
            card, containers=[rate.code] * needed, lcl_gross_kg=D(0), lcl_volume_cbm=D(0)
        )
        assert best.total <= boxes.total


# ------------------------------------------------------------- totals-only pricing


@st.composite
def surcharge_sets(draw: st.DrawFn) -> tuple[Surcharge, ...]:
    chosen = []
    if draw(st.booleans()):
        chosen.append(Surcharge("FUEL", "Fuel", percent=draw(rates)))
    if draw(st.booleans()):
        chosen.append(Surcharge("PSS", "Peak", per_kg=draw(rates)))
    if draw(st.booleans()):
        chosen.append(Surcharge("CAF", "Currency", percent=draw(rates)))
    return tuple(chosen)


@st.composite
def sea_cards(draw: st.DrawFn) -> RateCard:
    money = st.decimals(min_value=0, max_value=4000, places=2)
    equipment = tuple(
        EquipmentRate(code, draw(money), D(cbm), D(kg))
        for code, cbm, kg in (("20GP", 28, 21700), ("40GP", 58, 26600), ("40HC", 66, 26500))
        if draw(st.booleans())
    )
    mode = Mode.SEA_FCL if equipment else Mode.SEA_LCL
    with_lcl = mode == Mode.SEA_LCL or draw(st.booleans())
    return fcl_card(
        mode=mode,
        equipment=equipment,
        lcl_rate_per_wm=draw(st.decimals(min_value=0, max_value=200, places=2))
        if with_lcl else None,
        lcl_minimum_wm=draw(st.sampled_from([D(0), D(1), D("2.5")])),
        kg_per_cbm=draw(st.sampled_from([None, D(1000), D(333), D("166.667")])),
        currency=draw(st.sampled_from(["USD", "JPY", "KWD"])),
        fees=(DOC,) if draw(st.booleans()) else (),
        surcharges=draw(surcharge_sets()),
    )


@settings(max_examples=200, deadline=None)
@given(card=weight_cards(), gross=kgs, volume=cbms,
       currency=st.sampled_from(["USD", "JPY", "KWD"]))
def test_price_total_equals_the_quote_total_on_weight_cards(
    card: RateCard, gross: Decimal, volume: Decimal, currency: str
) -> None:
    card = replace(card, currency=currency)
    if gross == 0 and volume == 0:
        gross = D("0.001")
    expected = price(card, gross_kg=gross, volume_cbm=volume).total
    assert price_total(card, gross_kg=gross, volume_cbm=volume) == expected
    assert CardPricer(card).price_total(gross, volume) == expected


@settings(max_examples=200, deadline=None)
@given(card=sea_cards(), gross=st.decimals(min_value=0, max_value=80000, places=3),
       volume=cbms)
def test_price_total_equals_the_quote_total_on_sea_cards(
    card: RateCard, gross: Decimal, volume: Decimal
) -> None:
    if gross == 0 and volume == 0:
        volume = D("0.001")
    expected = price(card, gross_kg=gross, volume_cbm=volume).total
    assert price_total(card, gross_kg=gross, volume_cbm=volume) == expected
    assert CardPricer(card).price_total(gross, volume) == expected


@settings(max_examples=200, deadline=None)
@given(card=sea_cards(), picks=st.lists(st.integers(min_value=0, max_value=2), max_size=6),
       gross=kgs, volume=cbms)
def test_sea_plan_total_equals_the_quote_total(
    card: RateCard, picks: list[int], gross: Decimal, volume: Decimal
) -> None:
    offered = [rate.code for rate in card.equipment]
    containers = [offered[i % len(offered)] for i in picks] if offered else []
    if card.lcl_rate_per_wm is None:
        gross = volume = D(0)
    if not containers and gross == 0 and volume == 0:
        return
    expected = price_sea_plan(
        card, containers=containers, lcl_gross_kg=gross, lcl_volume_cbm=volume
    ).total
    assert sea_plan_total(
        card, containers=containers, lcl_gross_kg=gross, lcl_volume_cbm=volume
    ) == expected
    # and the pricer's total for the same codes, asked twice (the second from memory)
    pricer = CardPricer(card)
    for _ in range(2):
        assert pricer.plan_total_of(tuple(containers), gross, volume) == expected


@pytest.mark.parametrize(
    ("card", "containers", "gross", "field"),
    [
        (air_card(), ["20GP"], D(0), "mode"),
        (fcl_card(), "20GP", D(0), "containers"),
        (fcl_card(), ["45HC"], D(0), "containers"),
        (fcl_card(), [], D(0), "containers"),
        (fcl_card(lcl_rate_per_wm=None), ["20GP"], D(10), "lcl_rate_per_wm"),
        (fcl_card(), ["20GP"], D(-1), "lcl_gross_kg"),
        (fcl_card(currency="XXY"), ["20GP"], D(0), "currency"),
    ],
)
def test_sea_plan_total_refuses_what_price_sea_plan_refuses(
    card: RateCard, containers: list[str], gross: Decimal, field: str
) -> None:
    for function in (price_sea_plan, sea_plan_total):
        with pytest.raises(TariffError) as caught:
            function(card, containers=containers, lcl_gross_kg=gross,  # type: ignore[operator]
                     lcl_volume_cbm=D(0))
        assert caught.value.field == field


def test_price_total_refuses_what_price_refuses() -> None:
    with pytest.raises(TariffError) as bad_card:
        price_total(air_card(weight_breaks=()), gross_kg=D(10), volume_cbm=D(0))
    with pytest.raises(TariffError) as empty:
        price_total(air_card(), gross_kg=D(0), volume_cbm=D(0))
    assert (bad_card.value.field, empty.value.field) == ("weight_breaks", "gross_kg")
