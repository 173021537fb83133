"""Units of freight: chargeable weight per mode and revenue tons for sea.

Pure Python. Factors follow DESIGN.md; a partner's rate card may override the
volumetric factor, so every function takes it as an argument with a default.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Mode(StrEnum):
    AIR = "air"
    EXPRESS = "express"
    SEA_LCL = "sea_lcl"
    SEA_FCL = "sea_fcl"
    RAIL = "rail"
    ROAD = "road"


SEA_MODES = frozenset({Mode.SEA_LCL, Mode.SEA_FCL})

# Kilograms charged per cubic metre of volume, by mode (volumetric weight).
KG_PER_CBM: dict[Mode, Decimal] = {
    Mode.AIR: Decimal(1_000_000) / Decimal(6000),  # 166.67 kg per CBM
    Mode.EXPRESS: Decimal(1_000_000) / Decimal(5000),  # 200 kg per CBM
    Mode.ROAD: Decimal(333),
    Mode.RAIL: Decimal(333),
    Mode.SEA_LCL: Decimal(1000),  # W/M: one tonne or one CBM
    Mode.SEA_FCL: Decimal(1000),
}

KG = Decimal("0.001")
WM = Decimal("0.001")
CBM = Decimal("0.000001")


def mode_family(mode: Mode | str) -> str:
    """Modes that can share one pool: sea LCL and FCL consolidate together."""
    mode = Mode(mode)
    return "sea" if mode in SEA_MODES else mode.value


def family_modes(family: str) -> frozenset[Mode]:
    """The modes of one family, the inverse of `mode_family`."""
    return frozenset(m for m in Mode if mode_family(m) == family)


def kg_per_cbm_from_divisor(divisor_cm3_per_kg: Decimal) -> Decimal:
    """A rate card's volumetric divisor (e.g. 6000 cm3/kg) as kg per CBM."""
    return Decimal(1_000_000) / divisor_cm3_per_kg


def volume_cbm(length_cm: Decimal, width_cm: Decimal, height_cm: Decimal) -> Decimal:
    return (length_cm * width_cm * height_cm / Decimal(1_000_000)).quantize(
        CBM, rounding=ROUND_HALF_UP
    )


def chargeable_weight(
    mode: Mode | str,
    gross_kg: Decimal,
    volume_cbm: Decimal,
    kg_per_cbm: Decimal | None = None,
) -> Decimal:
    """max(gross weight, volumetric weight) in kg, to the gram."""
    mode = Mode(mode)
    factor = kg_per_cbm if kg_per_cbm is not None else KG_PER_CBM[mode]
    return max(gross_kg, volume_cbm * factor).quantize(KG, ROUND_HALF_UP)


def revenue_tons(gross_kg: Decimal, volume_cbm: Decimal) -> Decimal:
    """Sea freight's W/M: the larger of tonnes and cubic metres."""
    return max(gross_kg / Decimal(1000), volume_cbm).quantize(WM, ROUND_HALF_UP)
