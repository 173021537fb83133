"""Chargeable weight per mode and W/M, as the demand validator derives and stores them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pooling.domain.units import KG_PER_CBM, Mode, chargeable_weight, revenue_tons
from pooling.services.needs import demand_input_parse

TODAY = dt.date(2026, 3, 2)


def _demand(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "origin": "CNSZX", "destination": "USLAX", "mode": "air", "gross_kg": "100",
        "volume_cbm": "1", "ready_from": "2026-03-10", "deliver_by": "2026-04-10",
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(("mode", "kg_per_cbm"), [
    ("air", Decimal("166.667")), ("express", Decimal("200.000")), ("road", Decimal("333.000")),
    ("rail", Decimal("333.000")), ("sea_lcl", Decimal("1000.000")),
    ("sea_fcl", Decimal("1000.000")),
])
def test_one_cbm_of_light_cargo_is_charged_at_the_mode_factor(mode, kg_per_cbm) -> None:
    # given 1 kg in one cubic metre / when derived / then the volumetric weight wins
    assert chargeable_weight(mode, Decimal("1"), Decimal("1")) == kg_per_cbm


def test_air_divides_cubic_centimetres_by_6000_and_express_by_5000() -> None:
    # 60 x 50 x 40 cm = 120,000 cm3
    volume = Decimal("0.12")
    assert chargeable_weight("air", Decimal("10"), volume) == Decimal("20.000")  # 120000/6000
    assert chargeable_weight("express", Decimal("10"), volume) == Decimal("24.000")  # /5000


def test_heavy_cargo_is_charged_by_its_gross_weight() -> None:
    assert chargeable_weight("air", Decimal("500"), Decimal("1")) == Decimal("500.000")
    assert chargeable_weight("road", Decimal("334"), Decimal("1")) == Decimal("334.000")


def test_at_the_break_even_density_gross_and_volumetric_weight_agree() -> None:
    # road: exactly 333 kg in 1 CBM
    assert chargeable_weight("road", Decimal("333"), Decimal("1")) == Decimal("333.000")


def test_w_m_is_the_larger_of_tonnes_and_cubic_metres() -> None:
    assert revenue_tons(Decimal("2000"), Decimal("8")) == Decimal("8.000")
    assert revenue_tons(Decimal("9500"), Decimal("8")) == Decimal("9.500")
    assert revenue_tons(Decimal("1000"), Decimal("1")) == Decimal("1.000")  # the tie
    assert revenue_tons(Decimal("0.4"), Decimal("0.000001")) == Decimal("0.000")


@given(
    mode=st.sampled_from(list(Mode)),
    gross=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500_000), places=3),
    volume=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1000), places=6),
)
def test_chargeable_weight_is_never_below_gross_nor_volumetric_weight(mode, gross, volume) -> None:
    charged = chargeable_weight(mode, gross, volume)
    assert charged >= gross
    assert charged >= (volume * KG_PER_CBM[mode]).quantize(Decimal("0.001")) - Decimal("0.001")
    assert revenue_tons(gross, volume) >= volume.quantize(Decimal("0.001")) - Decimal("0.001")


def test_the_validator_derives_chargeable_weight_and_w_m_for_the_mode() -> None:
    air = demand_input_parse(_demand(mode="air", gross_kg="100", volume_cbm="1.2"), today=TODAY)
    sea = demand_input_parse(_demand(mode="sea_lcl", gross_kg="2500", volume_cbm="1.2"),
                             today=TODAY)

    assert air.chargeable_kg == Decimal("200.000")
    assert sea.chargeable_kg == Decimal("2500.000")
    assert sea.revenue_tons == Decimal("2.500")


def test_package_lines_give_the_totals() -> None:
    # given 10 cartons of 60 x 40 x 40 cm at 12.5 kg and 2 of 100 x 100 x 50 at 80 kg
    data = demand_input_parse(_demand(gross_kg="", volume_cbm="", mode="air", lines=[
        {"count": 10, "length_cm": "60", "width_cm": "40", "height_cm": "40",
         "gross_kg_each": "12.5"},
        {"count": "2", "length_cm": "100", "width_cm": "100", "height_cm": "50",
         "gross_kg_each": "80"},
    ]), today=TODAY)

    assert data.gross_kg == Decimal("285.000")
    assert data.volume_cbm == Decimal("1.960000")
    assert data.chargeable_kg == Decimal("326.667")  # 1.96 CBM x 166.667
    assert len(data.lines) == 2
