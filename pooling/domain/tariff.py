"""Freight tariffs: the one place a freight price is computed.

Pure Python: no Django imports. A partner's rate card (`RateCard`) goes in, a
priced `Quote` comes out. Every amount is a `Decimal`; each quote line is
computed exactly and rounded once to the currency's minor unit, and a quote's
total is the sum of its rounded lines, so the total always equals the lines.

Pricing rules
-------------
* Weight-rated modes (air, express, road, rail): chargeable weight is
  max(gross kg, CBM x kg-per-CBM) with the card's factor or the mode default.
  Freight is the applicable weight break's rate times the chargeable weight.
  With the higher-break rule every higher break is also priced at its own
  minimum weight, and the cheapest wins. Freight is never below the card's
  minimum charge; when the minimum applies, the freight line is a single
  per-shipment "MIN" line.
* Sea LCL: freight = max(W/M, lcl_minimum_wm) x lcl_rate_per_wm, where
  W/M = max(tonnes, CBM x kg-per-CBM / 1000) (one CBM is one tonne by default).
* Sea FCL: one per-container line per equipment type, plus an LCL line for any
  remainder that does not fill a container.
* Fixed fees are charged once per shipment.
* Percentage surcharges (e.g. fuel) produce one "percentage" line per freight
  line, `applies_to` naming that freight line's charge code, so a settlement
  can split each surcharge line exactly like the freight line it belongs to.
  The percentage is taken of the freight line's rounded amount.
* Per-kg surcharges (e.g. peak season) are charged on the actual chargeable
  weight of weight- or measure-rated freight (the "FRT"/"MIN" line, or the
  "LCL" line, in kg of W/M). Container freight is priced per box and carries
  no per-kg surcharge. These lines also name their freight line in
  `applies_to`.

Invariant of every line: amount == quantize(quantity x unit_price). For
percentage lines the quantity is the percent and the unit price is one
percent of the freight line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache

from pooling.domain import wording
from pooling.domain.money import MoneyError, minor_unit, quantize, quantum
from pooling.domain.units import (
    KG,
    KG_PER_CBM,
    SEA_MODES,
    WM,
    Mode,
    chargeable_weight,
    revenue_tons,
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)

WEIGHT_RATED_MODES = frozenset({Mode.AIR, Mode.EXPRESS, Mode.ROAD, Mode.RAIL})

BASIS_PER_KG = "per_kg"
BASIS_PER_WM = "per_wm"
BASIS_PER_CONTAINER = "per_container"
BASIS_PER_SHIPMENT = "per_shipment"
BASIS_PERCENTAGE = "percentage"
BASES = frozenset(
    {BASIS_PER_KG, BASIS_PER_WM, BASIS_PER_CONTAINER, BASIS_PER_SHIPMENT, BASIS_PERCENTAGE}
)

FREIGHT_CODE = "FRT"
MINIMUM_CODE = "MIN"
LCL_CODE = "LCL"
CONTAINER_CODE_PREFIX = "FRT-"

_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

_MODE_LABELS: dict[Mode, str] = {
    Mode.AIR: "Air freight",
    Mode.EXPRESS: "Express freight",
    Mode.ROAD: "Road freight",
    Mode.RAIL: "Rail freight",
    Mode.SEA_LCL: "Sea freight",
    Mode.SEA_FCL: "Sea freight",
}


class TariffError(ValueError):
    """A rate card or shipment that cannot be priced; `field` names the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (_restore_tariff_error, (self.message, self.field))


def _restore_tariff_error(message: str, field: str) -> TariffError:
    return TariffError(message, field=field)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class WeightBreak:
    """From `min_kg` chargeable kg upward, `rate_per_kg` applies ("N" is min_kg=0)."""

    min_kg: Decimal
    rate_per_kg: Decimal


@dataclass(frozen=True)
class EquipmentRate:
    """Price of one container of a type ("20GP", "40GP", "40HC", ...)."""

    code: str
    price: Decimal
    usable_cbm: Decimal
    payload_kg: Decimal


@dataclass(frozen=True)
class FixedFee:
    """A per-shipment fee such as documentation (DOC) or customs (CUS)."""

    code: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Surcharge:
    """Exactly one of `percent` (of freight) or `per_kg` (per chargeable kg) is set."""

    code: str
    description: str
    percent: Decimal | None = None
    per_kg: Decimal | None = None


@dataclass(frozen=True)
class RateCard:
    id: int | str
    version: int
    currency: str
    mode: Mode
    origin: str
    destination: str
    kg_per_cbm: Decimal | None
    minimum_charge: Decimal
    weight_breaks: tuple[WeightBreak, ...] = ()
    higher_break_rule: bool = True
    lcl_rate_per_wm: Decimal | None = None
    lcl_minimum_wm: Decimal = Decimal(1)
    equipment: tuple[EquipmentRate, ...] = ()
    fees: tuple[FixedFee, ...] = ()
    surcharges: tuple[Surcharge, ...] = ()
    allowed_cargo_classes: frozenset[str] = frozenset({"general"})
    transit_days: int = 0

    def validate(self) -> None:
        """Raise `TariffError` naming the first offending field; return None if sound."""
        _validate_card(self)

    def accepts(self, cargo_class: str) -> bool:
        return cargo_class in self.allowed_cargo_classes

    def equipment_rate(self, code: str) -> EquipmentRate:
        for rate in self.equipment:
            if rate.code == code:
                return rate
        offered = ", ".join(rate.code for rate in self.equipment) or "none"
        raise TariffError(
            f"Rate card {self.id} v{self.version} has no rate for {code!r} containers "
            f"(offered: {offered}).",
            field="equipment",
        )

    @property
    def volumetric_factor(self) -> Decimal:
        """Kg charged per CBM: the card's override, else the mode default."""
        if self.kg_per_cbm is not None:
            return self.kg_per_cbm
        return KG_PER_CBM[Mode(self.mode)]


# -------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class QuoteLine:
    charge_code: str
    description: str
    basis: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    applies_to: str | None = None
    equipment: str | None = None


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    total: Decimal
    chargeable_kg: Decimal
    revenue_tons: Decimal
    note: str

    def freight_lines(self) -> tuple[QuoteLine, ...]:
        """The freight lines (weight, minimum, LCL and container freight)."""
        return tuple(line for line in self.lines if _is_freight_code(line.charge_code))


# ----------------------------------------------------------------------- validation


@lru_cache(maxsize=256)
def _is_known_currency(code: str) -> bool:
    try:
        minor_unit(code)
    except MoneyError:
        return False
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a project dependency
        return True
    return pycountry.currencies.get(alpha_3=code) is not None


def _check_amount(value: object, field_name: str, what: str, *, positive: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TariffError(f"{what} must be a finite Decimal, not {value!r}.", field=field_name)
    if positive and value <= 0:
        raise TariffError(f"{what} must be greater than zero, not {value}.", field=field_name)
    if value < 0:
        raise TariffError(f"{what} cannot be negative ({value}).", field=field_name)


def _validate_card(card: RateCard) -> None:
    if not isinstance(card.version, int) or isinstance(card.version, bool) or card.version < 1:
        raise TariffError(f"Version must be a whole number from 1, not {card.version!r}.",
                          field="version")
    if not isinstance(card.currency, str) or not _is_known_currency(card.currency):
        raise TariffError(f"{card.currency!r} is not a known ISO 4217 currency code.",
                          field="currency")
    try:
        mode = Mode(card.mode)
    except ValueError:
        raise TariffError(f"{card.mode!r} is not a transport mode.", field="mode") from None
    if not isinstance(card.origin, str) or not _LOCODE.match(card.origin):
        raise TariffError(f"Origin {card.origin!r} is not a UN/LOCODE such as 'CNSZX'.",
                          field="origin")
    if not isinstance(card.destination, str) or not (
        _LOCODE.match(card.destination) or _COUNTRY.match(card.destination)
    ):
        raise TariffError(
            f"Destination {card.destination!r} is neither a UN/LOCODE such as 'DEHAM' "
            "nor a two-letter country code.",
            field="destination",
        )
    if card.kg_per_cbm is not None:
        _check_amount(card.kg_per_cbm, "kg_per_cbm", "The volumetric factor", positive=True)
    _check_amount(card.minimum_charge, "minimum_charge", "The minimum charge")
    _validate_breaks(card.weight_breaks, mode)
    if card.lcl_rate_per_wm is not None:
        _check_amount(card.lcl_rate_per_wm, "lcl_rate_per_wm", "The LCL rate per W/M")
    elif mode == Mode.SEA_LCL:
        raise TariffError("A sea LCL rate card needs a rate per W/M.", field="lcl_rate_per_wm")
    _check_amount(card.lcl_minimum_wm, "lcl_minimum_wm", "The LCL minimum W/M")
    _validate_equipment(card.equipment, mode)
    _validate_fees(card.fees)
    _validate_surcharges(card.surcharges)
    if not isinstance(card.transit_days, int) or card.transit_days < 0:
        raise TariffError(f"Transit days cannot be negative ({card.transit_days}).",
                          field="transit_days")


def _validate_breaks(breaks: tuple[WeightBreak, ...], mode: Mode) -> None:
    if mode in WEIGHT_RATED_MODES and not breaks:
        raise TariffError(f"A {mode.value} rate card needs weight breaks.", field="weight_breaks")
    previous: Decimal | None = None
    for index, brk in enumerate(breaks):
        _check_amount(brk.min_kg, "weight_breaks", f"Weight break {index + 1}'s minimum kg")
        _check_amount(brk.rate_per_kg, "weight_breaks", f"Weight break {index + 1}'s rate per kg")
        if index == 0 and brk.min_kg != 0:
            raise TariffError(
                f"The first weight break must start at 0 kg (the normal rate), not {brk.min_kg}.",
                field="weight_breaks",
            )
        if previous is not None and brk.min_kg <= previous:
            problem = "repeats" if brk.min_kg == previous else "is below"
            raise TariffError(
                f"Weight break {index + 1} at {_fmt(brk.min_kg)} kg {problem} the break before "
                f"it ({_fmt(previous)} kg); breaks must be strictly ascending.",
                field="weight_breaks",
            )
        previous = brk.min_kg


def _validate_equipment(equipment: tuple[EquipmentRate, ...], mode: Mode) -> None:
    if mode == Mode.SEA_FCL and not equipment:
        raise TariffError("A sea FCL rate card needs at least one container rate.",
                          field="equipment")
    seen: set[str] = set()
    for rate in equipment:
        if not isinstance(rate.code, str) or not rate.code:
            raise TariffError("Every container rate needs an equipment code.", field="equipment")
        if rate.code in seen:
            raise TariffError(f"Container type {rate.code} is priced twice.", field="equipment")
        seen.add(rate.code)
        _check_amount(rate.price, "equipment", f"The {rate.code} price")
        _check_amount(rate.usable_cbm, "equipment", f"The {rate.code} usable CBM", positive=True)
        _check_amount(rate.payload_kg, "equipment", f"The {rate.code} payload", positive=True)


def _validate_fees(fees: tuple[FixedFee, ...]) -> None:
    for fee in fees:
        if not isinstance(fee.code, str) or not fee.code:
            raise TariffError("Every fee needs a code.", field="fees")
        if _is_freight_code(fee.code):
            raise TariffError(f"Fee code {fee.code} is reserved for freight.", field="fees")
        _check_amount(fee.amount, "fees", f"Fee {fee.code}")


def _validate_surcharges(surcharges: tuple[Surcharge, ...]) -> None:
    for surcharge in surcharges:
        if not isinstance(surcharge.code, str) or not surcharge.code:
            raise TariffError("Every surcharge needs a code.", field="surcharges")
        if _is_freight_code(surcharge.code):
            raise TariffError(f"Surcharge code {surcharge.code} is reserved for freight.",
                              field="surcharges")
        if (surcharge.percent is None) == (surcharge.per_kg is None):
            raise TariffError(
                f"Surcharge {surcharge.code} needs exactly one of a percentage or a rate per kg.",
                field="surcharges",
            )
        if surcharge.percent is not None:
            _check_amount(surcharge.percent, "surcharges", f"Surcharge {surcharge.code}'s percent")
        if surcharge.per_kg is not None:
            _check_amount(surcharge.per_kg, "surcharges", f"Surcharge {surcharge.code}'s rate")


def _is_freight_code(code: str) -> bool:
    return code in (FREIGHT_CODE, MINIMUM_CODE, LCL_CODE) or code.startswith(
        CONTAINER_CODE_PREFIX
    )


def _check_cargo(gross_kg: object, volume_cbm: object, *, allow_empty: bool = False,
                 prefix: str = "") -> None:
    _check_amount(gross_kg, f"{prefix}gross_kg", "The gross weight")
    _check_amount(volume_cbm, f"{prefix}volume_cbm", "The volume")
    if not allow_empty and gross_kg == 0 and volume_cbm == 0:
        raise TariffError("A shipment needs a weight or a volume above zero.",
                          field=f"{prefix}gross_kg")


# ---------------------------------------------------------------------- line makers


def _fmt(value: Decimal) -> str:
    """A quantity without a tail of zeros, grouped: 45, 0.3, 1,200."""
    return wording.number(value)


def _break_label(brk: WeightBreak) -> str:
    return "N" if brk.min_kg == 0 else f"+{_fmt(brk.min_kg)}"


def _line(code: str, description: str, basis: str, quantity: Decimal, unit_price: Decimal,
          currency: str, *, applies_to: str | None = None,
          equipment: str | None = None) -> QuoteLine:
    return QuoteLine(
        charge_code=code,
        description=description,
        basis=basis,
        quantity=quantity,
        unit_price=unit_price,
        amount=quantize(quantity * unit_price, currency),
        applies_to=applies_to,
        equipment=equipment,
    )


@dataclass(frozen=True)
class _Freight:
    """A priced freight line and the chargeable kg its per-kg surcharges use."""

    line: QuoteLine
    surcharge_kg: Decimal | None  # None: no per-kg surcharges (container freight)


def _extras(card: RateCard, freight: Sequence[_Freight]) -> list[QuoteLine]:
    """Fees once per shipment, then each surcharge over every freight line."""
    currency = card.currency
    lines = [
        _line(fee.code, fee.description, BASIS_PER_SHIPMENT, ONE, fee.amount, currency)
        for fee in card.fees
    ]
    for surcharge in card.surcharges:
        for item in freight:
            base = item.line
            if surcharge.percent is not None:
                lines.append(_line(
                    surcharge.code,
                    f"{surcharge.description} {_fmt(surcharge.percent)}% of {base.charge_code}",
                    BASIS_PERCENTAGE,
                    surcharge.percent,
                    base.amount / HUNDRED,
                    currency,
                    applies_to=base.charge_code,
                    equipment=base.equipment,
                ))
            elif surcharge.per_kg is not None and item.surcharge_kg is not None:
                lines.append(_line(
                    surcharge.code,
                    f"{surcharge.description} on {_fmt(item.surcharge_kg)} kg",
                    BASIS_PER_KG,
                    item.surcharge_kg,
                    surcharge.per_kg,
                    currency,
                    applies_to=base.charge_code,
                ))
    return lines


def _quote(card: RateCard, freight: Sequence[_Freight], *, chargeable_kg: Decimal,
           tons: Decimal, note: str) -> Quote:
    lines = tuple([item.line for item in freight] + _extras(card, freight))
    total = sum((line.amount for line in lines), ZERO)
    return Quote(
        currency=card.currency,
        lines=lines,
        total=quantize(total, card.currency),
        chargeable_kg=chargeable_kg,
        revenue_tons=tons,
        note=note,
    )


def _weight_freight(card: RateCard, chargeable_kg: Decimal) -> tuple[_Freight, str]:
    """Freight for a weight-rated mode: applicable break, higher breaks, minimum."""
    mode = Mode(card.mode)
    breaks = card.weight_breaks
    applicable = breaks[0]
    for brk in breaks:
        if brk.min_kg <= chargeable_kg:
            applicable = brk
        else:
            break
    best_brk, best_kg = applicable, chargeable_kg
    best_cost = applicable.rate_per_kg * chargeable_kg
    if card.higher_break_rule:
        for brk in breaks:
            if brk.min_kg > chargeable_kg:
                cost = brk.rate_per_kg * brk.min_kg
                if cost < best_cost:
                    best_brk, best_kg, best_cost = brk, brk.min_kg, cost
    label = _MODE_LABELS[mode]
    if best_cost < card.minimum_charge:
        line = _line(MINIMUM_CODE, f"{label}, minimum charge", BASIS_PER_SHIPMENT, ONE,
                     card.minimum_charge, card.currency)
        note = (f"Minimum charge applies: {_fmt(chargeable_kg)} kg chargeable would cost "
                f"less than {card.minimum_charge} {card.currency}.")
    else:
        line = _line(
            FREIGHT_CODE,
            f"{label}, {_break_label(best_brk)} rate on {_fmt(best_kg)} kg",
            BASIS_PER_KG,
            best_kg,
            best_brk.rate_per_kg,
            card.currency,
        )
        if best_brk is applicable:
            note = f"{_fmt(chargeable_kg)} kg chargeable at the {_break_label(best_brk)} rate."
        else:
            note = (f"{_fmt(chargeable_kg)} kg chargeable, charged as {_fmt(best_kg)} kg at the "
                    f"{_break_label(best_brk)} rate (cheaper than the "
                    f"{_break_label(applicable)} rate).")
    return _Freight(line, chargeable_kg), note


def _wm(card: RateCard, gross_kg: Decimal, volume_cbm: Decimal) -> Decimal:
    """W/M with the card's factor: max(tonnes, CBM x factor / 1000), to 0.001."""
    factor = card.volumetric_factor
    measure = volume_cbm if factor == THOUSAND else volume_cbm * factor / THOUSAND
    return revenue_tons(gross_kg, measure)


def _lcl_freight(card: RateCard, gross_kg: Decimal, volume_cbm: Decimal) -> _Freight:
    rate = card.lcl_rate_per_wm
    if rate is None:
        raise TariffError(
            f"Rate card {card.id} v{card.version} has no LCL rate, so cargo outside whole "
            "containers cannot be priced.",
            field="lcl_rate_per_wm",
        )
    wm = _wm(card, gross_kg, volume_cbm)
    charged = max(wm, card.lcl_minimum_wm)
    minimum = " (minimum)" if charged > wm else ""
    line = _line(LCL_CODE, f"Sea freight LCL, {_fmt(charged)} W/M{minimum}", BASIS_PER_WM,
                 charged, rate, card.currency)
    return _Freight(line, wm * THOUSAND)


def _container_freight(card: RateCard, containers: Iterable[str]) -> list[_Freight]:
    counts: dict[str, int] = {}
    known = {rate.code for rate in card.equipment}
    for code in containers:
        if code not in known:
            offered = ", ".join(rate.code for rate in card.equipment) or "none"
            raise TariffError(
                f"Rate card {card.id} v{card.version} has no rate for {code!r} containers "
                f"(offered: {offered}).",
                field="containers",
            )
        counts[code] = counts.get(code, 0) + 1
    freight = []
    for rate in card.equipment:  # card order keeps quotes deterministic
        count = counts.get(rate.code)
        if count:
            line = _line(f"{CONTAINER_CODE_PREFIX}{rate.code}",
                         f"Sea freight FCL, {count} x {rate.code}", BASIS_PER_CONTAINER,
                         Decimal(count), rate.price, card.currency, equipment=rate.code)
            freight.append(_Freight(line, None))
    return freight


def _plan_note(freight: Sequence[_Freight]) -> str:
    parts = []
    for item in freight:
        line = item.line
        if line.basis == BASIS_PER_CONTAINER:
            parts.append(f"{_fmt(line.quantity)} x {line.equipment}")
        else:
            parts.append(f"LCL {_fmt(line.quantity)} W/M")
    return "Sea plan: " + " + ".join(parts) + "."


# ------------------------------------------------------------------------ public API


def price_consignment(card: RateCard, *, gross_kg: Decimal, volume_cbm: Decimal) -> Quote:
    """Price one consignment on a weight-rated card (air, express, road, rail) or as LCL.

    On a sea card the consignment is priced as LCL (the card needs an LCL rate).
    """
    card.validate()
    _check_cargo(gross_kg, volume_cbm)
    mode = Mode(card.mode)
    tons = revenue_tons(gross_kg, volume_cbm)
    if mode in SEA_MODES:
        freight = _lcl_freight(card, gross_kg, volume_cbm)
        wm = _wm(card, gross_kg, volume_cbm)
        note = f"LCL: {_fmt(wm)} W/M"
        if freight.line.quantity > wm:
            note += f", charged at the {_fmt(card.lcl_minimum_wm)} W/M minimum"
        return _quote(card, [freight], chargeable_kg=wm * THOUSAND, tons=wm, note=note + ".")
    kg = chargeable_weight(mode, gross_kg, volume_cbm, card.kg_per_cbm)
    weight_freight, note = _weight_freight(card, kg)
    return _quote(card, [weight_freight], chargeable_kg=kg, tons=tons, note=note)


def price_sea_plan(card: RateCard, *, containers: Sequence[str], lcl_gross_kg: Decimal,
                   lcl_volume_cbm: Decimal) -> Quote:
    """Price whole containers plus an LCL remainder as one sea shipment.

    One per-container line per equipment type (quantity = count), an "LCL"
    line when the remainder is not empty, fees once, and each percentage
    surcharge once per freight line. The quote's chargeable_kg and
    revenue_tons describe the LCL remainder, the only cargo priced by weight
    or measure here.
    """
    card.validate()
    mode = Mode(card.mode)
    if mode not in SEA_MODES:
        raise TariffError(f"A {mode.value} rate card cannot price containers and LCL.",
                          field="mode")
    if isinstance(containers, str):
        raise TariffError("Containers must be a list of equipment codes, not one string.",
                          field="containers")
    _check_cargo(lcl_gross_kg, lcl_volume_cbm, allow_empty=True, prefix="lcl_")
    freight = _container_freight(card, containers)
    has_lcl = lcl_gross_kg > 0 or lcl_volume_cbm > 0
    if not freight and not has_lcl:
        raise TariffError("A sea plan needs at least one container or some LCL cargo.",
                          field="containers")
    return _sea_plan(card, freight, lcl_gross_kg, lcl_volume_cbm)


def _sea_plan(card: RateCard, freight: list[_Freight], lcl_gross_kg: Decimal,
              lcl_volume_cbm: Decimal) -> Quote:
    wm = ZERO
    if lcl_gross_kg > 0 or lcl_volume_cbm > 0:
        lcl = _lcl_freight(card, lcl_gross_kg, lcl_volume_cbm)
        wm = _wm(card, lcl_gross_kg, lcl_volume_cbm)
        freight = [*freight, lcl]
    return _quote(card, freight, chargeable_kg=wm * THOUSAND, tons=wm, note=_plan_note(freight))


def _ceil_div(numerator: Decimal, denominator: Decimal) -> int:
    return int((numerator / denominator).to_integral_value(ROUND_CEILING))


def _containers_needed(rate: EquipmentRate, gross_kg: Decimal, volume_cbm: Decimal) -> int:
    return max(_ceil_div(volume_cbm, rate.usable_cbm), _ceil_div(gross_kg, rate.payload_kg), 0)


def _remainder(rate: EquipmentRate, count: int, gross_kg: Decimal,
               volume_cbm: Decimal) -> tuple[Decimal, Decimal]:
    """Cargo left after `count` containers, loading evenly dense cargo to the first limit."""
    if count == 0:
        return gross_kg, volume_cbm
    # Volume binds when a container fills by volume before it reaches its payload.
    if rate.usable_cbm * gross_kg <= rate.payload_kg * volume_cbm:
        left_cbm = max(volume_cbm - count * rate.usable_cbm, ZERO)
        left_kg = (gross_kg * left_cbm / volume_cbm).quantize(KG, ROUND_HALF_UP)
    else:
        left_kg = max(gross_kg - count * rate.payload_kg, ZERO)
        left_cbm = volume_cbm * left_kg / gross_kg
    return left_kg, left_cbm


def _fits_whole(rate: EquipmentRate, gross_kg: Decimal, volume_cbm: Decimal) -> bool:
    return volume_cbm <= rate.usable_cbm and gross_kg <= rate.payload_kg


def cheapest_standalone_sea(card: RateCard, *, gross_kg: Decimal, volume_cbm: Decimal,
                            splittable: bool = True) -> Quote:
    """The cheapest way one shipper ships this cargo alone on a sea card.

    The same rules as a pool's plan: a load that may not be split ships whole,
    in LCL or in one container that holds it (the sea planner's plan for one
    whole load). A splittable load's candidates: all LCL; k containers of one
    type (k = 0..enough for everything) with the rest as LCL, or with the rest
    in as few containers of one type as hold it. The lowest total wins; ties
    keep the earlier (simpler) candidate. The quote's chargeable_kg and
    revenue_tons describe the whole cargo.
    """
    card.validate()
    mode = Mode(card.mode)
    if mode not in SEA_MODES:
        raise TariffError(f"A {mode.value} rate card cannot price sea freight.", field="mode")
    _check_cargo(gross_kg, volume_cbm)
    has_lcl = card.lcl_rate_per_wm is not None
    best: Quote | None = None

    def consider(quote: Quote) -> None:
        nonlocal best
        if best is None or quote.total < best.total:
            best = quote

    if has_lcl:
        consider(_sea_plan(card, [], gross_kg, volume_cbm))
    if not splittable:
        for rate in card.equipment:
            if _fits_whole(rate, gross_kg, volume_cbm):
                consider(_sea_plan(card, _container_freight(card, [rate.code]), ZERO, ZERO))
        if best is None:
            raise TariffError(
                "The load may not be split, fits no container whole and the rate card has "
                "no LCL rate.", field="equipment")
        wm = _wm(card, gross_kg, volume_cbm)
        return replace(best, chargeable_kg=wm * THOUSAND, revenue_tons=wm)
    for first in card.equipment:
        needed = _containers_needed(first, gross_kg, volume_cbm)
        for count in range(1, needed + 1):
            left_kg, left_cbm = _remainder(first, count, gross_kg, volume_cbm)
            boxes = [first.code] * count
            if left_kg == 0 and left_cbm == 0:
                consider(_sea_plan(card, _container_freight(card, boxes), ZERO, ZERO))
                continue
            if has_lcl:
                consider(_sea_plan(card, _container_freight(card, boxes), left_kg, left_cbm))
            for second in card.equipment:
                extra = _containers_needed(second, left_kg, left_cbm)
                plan = boxes + [second.code] * extra
                consider(_sea_plan(card, _container_freight(card, plan), ZERO, ZERO))
    if best is None:  # pragma: no cover - validation guarantees LCL or equipment
        raise TariffError("The rate card offers neither LCL nor containers.", field="equipment")
    wm = _wm(card, gross_kg, volume_cbm)
    return replace(best, chargeable_kg=wm * THOUSAND, revenue_tons=wm)


def price(card: RateCard, *, gross_kg: Decimal, volume_cbm: Decimal,
          splittable: bool = True) -> Quote:
    """Price one shipper's consignment the way its card's mode is sold.

    On a container card a load that may not be split is never split.
    """
    if card.mode == Mode.SEA_FCL:
        return cheapest_standalone_sea(card, gross_kg=gross_kg, volume_cbm=volume_cbm,
                                       splittable=splittable)
    return price_consignment(card, gross_kg=gross_kg, volume_cbm=volume_cbm)


# ------------------------------------------------------------- totals-only pricing


# Plan totals a pricer remembers at most (then it starts again).
_PLANS_KEPT = 50_000


class CardPricer:
    """A validated rate card compiled for pricing totals fast.

    Matching prices thousands of candidate plans and standalone loads per card
    but only needs their totals. A pricer validates the card once and keeps its
    breaks, fees and surcharges as plain tuples; every total it returns is
    exactly the `total` of the quote the public functions above build for the
    same input (the same lines rounded the same way, summed), without building
    the lines. Inputs are trusted: callers check cargo the way those functions do.
    """

    __slots__ = (
        "_breaks", "_by_kg", "_by_wm", "_container_lines", "_equipment", "_factor", "_fees",
        "_lcl_factor", "_lcl_minimum", "_lcl_rate", "_minimum", "_mode", "_percents",
        "_per_kg", "_plans", "_position", "_quantum", "_sea", "card", "has_lcl",
    )

    def __init__(self, card: RateCard) -> None:
        card.validate()
        self.card = card
        self._mode = Mode(card.mode)
        self._sea = self._mode in SEA_MODES
        self._quantum = quantum(card.currency)
        self._factor = card.volumetric_factor
        self._lcl_factor = None if self._factor == THOUSAND else self._factor
        self._minimum = card.minimum_charge
        self._breaks = tuple((b.min_kg, b.rate_per_kg) for b in card.weight_breaks)
        self._lcl_rate = card.lcl_rate_per_wm
        self._lcl_minimum = card.lcl_minimum_wm
        self.has_lcl = card.lcl_rate_per_wm is not None
        self._equipment = tuple(card.equipment)
        self._fees = sum((self._round(ONE * fee.amount) for fee in card.fees), ZERO)
        self._percents = tuple(s.percent for s in card.surcharges if s.percent is not None)
        self._per_kg = tuple(
            s.per_kg for s in card.surcharges if s.percent is None and s.per_kg is not None
        )
        self._container_lines: dict[tuple[int, int], Decimal] = {}
        # Freight and surcharges depend on the chargeable kg (or W/M) alone.
        self._by_kg: dict[Decimal, Decimal] = {}
        self._by_wm: dict[Decimal, Decimal] = {}
        self._position = {rate.code: i for i, rate in enumerate(self._equipment)}
        self._plans: dict[tuple[str, ...], Decimal] = {}

    def _round(self, amount: Decimal) -> Decimal:
        return amount.quantize(self._quantum, ROUND_HALF_UP)

    def _freight_with_surcharges(self, amount: Decimal, surcharge_kg: Decimal | None) -> Decimal:
        """A rounded freight line plus the surcharge lines that apply to it."""
        q = self._quantum
        total = amount
        if self._percents:
            base = amount / HUNDRED
            for percent in self._percents:
                total += (percent * base).quantize(q, ROUND_HALF_UP)
        if surcharge_kg is not None:
            for rate in self._per_kg:
                total += (surcharge_kg * rate).quantize(q, ROUND_HALF_UP)
        return total

    def _weight_total(self, gross_kg: Decimal, volume_cbm: Decimal) -> Decimal:
        kg = max(gross_kg, volume_cbm * self._factor).quantize(KG, ROUND_HALF_UP)
        hit = self._by_kg.get(kg)
        if hit is None:
            hit = self._by_kg[kg] = self._weight_freight_total(kg)
        return hit

    def _weight_freight_total(self, kg: Decimal) -> Decimal:
        breaks = self._breaks
        applicable_rate = breaks[0][1]
        for min_kg, rate in breaks:
            if min_kg <= kg:
                applicable_rate = rate
            else:
                break
        best_cost = applicable_rate * kg
        if self.card.higher_break_rule:
            for min_kg, rate in breaks:
                if min_kg > kg:
                    cost = rate * min_kg
                    if cost < best_cost:
                        best_cost = cost
        if best_cost < self._minimum:
            amount = self._round(ONE * self._minimum)
        else:
            amount = self._round(best_cost)
        return self._freight_with_surcharges(amount, kg)

    def _lcl_total(self, gross_kg: Decimal, volume_cbm: Decimal) -> Decimal:
        """The LCL line and its surcharges (fees not included)."""
        rate = self._lcl_rate
        if rate is None:
            raise TariffError(
                f"Rate card {self.card.id} v{self.card.version} has no LCL rate, so cargo "
                "outside whole containers cannot be priced.",
                field="lcl_rate_per_wm",
            )
        factor = self._lcl_factor
        measure = volume_cbm if factor is None else volume_cbm * factor / THOUSAND
        wm = max(gross_kg / THOUSAND, measure).quantize(WM, ROUND_HALF_UP)
        hit = self._by_wm.get(wm)
        if hit is None:
            charged = max(wm, self._lcl_minimum)
            hit = self._by_wm[wm] = self._freight_with_surcharges(
                self._round(charged * rate), wm * THOUSAND
            )
        return hit

    def _containers_total(self, counts: Sequence[int]) -> Decimal:
        """Container lines and their surcharges; counts follow the card's equipment order."""
        total = ZERO
        for index, count in enumerate(counts):
            if count:
                total += self._line(index, count)
        return total

    def plan_total(self, counts: Sequence[int], lcl_gross_kg: Decimal,
                   lcl_volume_cbm: Decimal) -> Decimal:
        """`price_sea_plan(...).total` for container counts in the card's equipment order."""
        total = self._fees + self._containers_total(counts)
        if lcl_gross_kg > 0 or lcl_volume_cbm > 0:
            total += self._lcl_total(lcl_gross_kg, lcl_volume_cbm)
        return self._round(total)

    def plan_total_of(self, codes: tuple[str, ...], lcl_gross_kg: Decimal,
                      lcl_volume_cbm: Decimal) -> Decimal:
        """`plan_total` for container codes the card offers; the boxes' own total is
        remembered (planners price the same boxes for many pools)."""
        if lcl_gross_kg > 0 or lcl_volume_cbm > 0:
            return self.plan_total(self.counts(codes), lcl_gross_kg, lcl_volume_cbm)
        total = self._plans.get(codes)
        if total is None:
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            total = self._plans[codes] = self.plan_total(self.counts(codes), ZERO, ZERO)
        return total

    def plan_summary(self, counts: Sequence[int], lcl_gross_kg: Decimal,
                     lcl_volume_cbm: Decimal) -> tuple[Decimal, Decimal, str]:
        """`price_sea_plan(...)`'s total, revenue_tons and note, without building its lines."""
        parts = [
            f"{_fmt(Decimal(count))} x {rate.code}"
            for rate, count in zip(self._equipment, counts, strict=True)
            if count
        ]
        wm = ZERO
        if lcl_gross_kg > 0 or lcl_volume_cbm > 0:
            factor = self._lcl_factor
            measure = lcl_volume_cbm if factor is None else lcl_volume_cbm * factor / THOUSAND
            wm = max(lcl_gross_kg / THOUSAND, measure).quantize(WM, ROUND_HALF_UP)
            parts.append(f"LCL {_fmt(max(wm, self._lcl_minimum))} W/M")
        note = "Sea plan: " + " + ".join(parts) + "."
        return self.plan_total(counts, lcl_gross_kg, lcl_volume_cbm), wm, note

    def consignment_total(self, gross_kg: Decimal, volume_cbm: Decimal) -> Decimal:
        """`price_consignment(...).total`."""
        if self._sea:
            return self._round(self._fees + self._lcl_total(gross_kg, volume_cbm))
        return self._round(self._fees + self._weight_total(gross_kg, volume_cbm))

    def _line(self, index: int, count: int) -> Decimal:
        """`count` containers of one type: the rounded line plus its surcharges."""
        amount = self._container_lines.get((index, count))
        if amount is None:
            line = self._round(Decimal(count) * self._equipment[index].price)
            amount = self._container_lines[(index, count)] = self._freight_with_surcharges(
                line, None
            )
        return amount

    def standalone_sea_total(self, gross_kg: Decimal, volume_cbm: Decimal,
                             splittable: bool = True) -> Decimal:
        """`cheapest_standalone_sea(...).total`: the lowest total of the same candidates.

        A candidate never costs less than its fees and containers, so one whose
        containers alone reach the best total so far is not priced. Each candidate's
        total is `plan_total` of its counts, summed line by line without building them.
        """
        fees = self._fees
        best: Decimal | None = None
        if self.has_lcl:
            best = self.plan_total((), gross_kg, volume_cbm)
        equipment = self._equipment
        if not splittable:
            for i, rate in enumerate(equipment):
                if _fits_whole(rate, gross_kg, volume_cbm):
                    total = self._round(fees + self._line(i, 1))
                    if best is None or total < best:
                        best = total
            if best is None:
                raise TariffError(
                    "The load may not be split, fits no container whole and the rate card "
                    "has no LCL rate.", field="equipment")
            return best
        line_of = self._line
        round_ = self._round
        for i, first in enumerate(equipment):
            needed = _containers_needed(first, gross_kg, volume_cbm)
            for count in range(1, needed + 1):
                line = line_of(i, count)
                boxes = fees + line
                if best is not None and boxes >= best:
                    break  # more boxes of this type only cost more
                left_kg, left_cbm = _remainder(first, count, gross_kg, volume_cbm)
                if left_kg == 0 and left_cbm == 0:
                    best = round_(boxes)
                    continue
                if self.has_lcl:
                    total = round_(boxes + self._lcl_total(left_kg, left_cbm))
                    if best is None or total < best:
                        best = total
                for j, second in enumerate(equipment):
                    extra = _containers_needed(second, left_kg, left_cbm)
                    if j == i:
                        total = round_(fees + line_of(i, count + extra))
                    elif extra:
                        total = round_(boxes + line_of(j, extra))
                    else:
                        total = round_(boxes)
                    if best is None or total < best:
                        best = total
        if best is None:  # pragma: no cover - validation guarantees LCL or equipment
            raise TariffError("The rate card offers neither LCL nor containers.",
                              field="equipment")
        return best

    def price_total(self, gross_kg: Decimal, volume_cbm: Decimal,
                    splittable: bool = True) -> Decimal:
        """`price(...).total`."""
        if self._mode == Mode.SEA_FCL:
            return self.standalone_sea_total(gross_kg, volume_cbm, splittable)
        return self.consignment_total(gross_kg, volume_cbm)

    def counts(self, containers: Iterable[str]) -> list[int]:
        """Container codes as counts in the card's equipment order."""
        index = self._position
        counts = [0] * len(self._equipment)
        for code in containers:
            position = index.get(code)
            if position is None:
                offered = ", ".join(rate.code for rate in self._equipment) or "none"
                raise TariffError(
                    f"Rate card {self.card.id} v{self.card.version} has no rate for {code!r} "
                    f"containers (offered: {offered}).",
                    field="containers",
                )
            counts[position] += 1
        return counts


def price_total(card: RateCard, *, gross_kg: Decimal, volume_cbm: Decimal,
                splittable: bool = True) -> Decimal:
    """`price(card, ...).total`, without building the quote's lines."""
    pricer = CardPricer(card)
    _check_cargo(gross_kg, volume_cbm)
    return pricer.price_total(gross_kg, volume_cbm, splittable)


def sea_plan_total(card: RateCard, *, containers: Sequence[str], lcl_gross_kg: Decimal,
                   lcl_volume_cbm: Decimal) -> Decimal:
    """`price_sea_plan(card, ...).total`, without building the quote's lines."""
    pricer = CardPricer(card)
    mode = Mode(card.mode)
    if mode not in SEA_MODES:
        raise TariffError(f"A {mode.value} rate card cannot price containers and LCL.",
                          field="mode")
    if isinstance(containers, str):
        raise TariffError("Containers must be a list of equipment codes, not one string.",
                          field="containers")
    _check_cargo(lcl_gross_kg, lcl_volume_cbm, allow_empty=True, prefix="lcl_")
    counts = pricer.counts(containers)
    has_lcl = lcl_gross_kg > 0 or lcl_volume_cbm > 0
    if not any(counts) and not has_lcl:
        raise TariffError("A sea plan needs at least one container or some LCL cargo.",
                          field="containers")
    if has_lcl and not pricer.has_lcl:
        raise TariffError(
            f"Rate card {card.id} v{card.version} has no LCL rate, so cargo outside whole "
            "containers cannot be priced.",
            field="lcl_rate_per_wm",
        )
    return pricer.plan_total(counts, lcl_gross_kg, lcl_volume_cbm)
