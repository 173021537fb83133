"""A stored rate card row ⇄ the pure tariff engine's `RateCard`.

The JSON columns keep amounts as strings so no float ever touches a price:
weight breaks `[{"min_kg": "45", "rate_per_kg": "4.30", "label": "+45"}]`,
equipment `[{"code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"}]`,
fees `[{"code": "DOC", "description": "Documentation", "amount": "75.00"}]`,
surcharges `[{"code": "BAF", "description": "Fuel", "percent": "10"}]` or `per_kg`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pooling.domain import tariff
from pooling.domain.units import Mode


class RateCardParseError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _dec(value: Any, field: str, what: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RateCardParseError(f"{what} must be a number, not {value!r}.", field=field) from None
    if not number.is_finite():
        raise RateCardParseError(f"{what} must be a finite number.", field=field)
    return number


def _opt_dec(value: Any, field: str, what: str) -> Decimal | None:
    return None if value is None or value == "" else _dec(value, field, what)


def _items(value: Any, field: str) -> Sequence[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RateCardParseError("Expected a list of objects.", field=field)
    return value


def weight_breaks(raw: Any) -> tuple[tariff.WeightBreak, ...]:
    out = []
    for index, item in enumerate(_items(raw, "weight_breaks"), start=1):
        out.append(tariff.WeightBreak(
            min_kg=_dec(item.get("min_kg"), "weight_breaks", f"Weight break {index}'s min_kg"),
            rate_per_kg=_dec(item.get("rate_per_kg"), "weight_breaks",
                             f"Weight break {index}'s rate_per_kg"),
        ))
    return tuple(out)


def equipment(raw: Any) -> tuple[tariff.EquipmentRate, ...]:
    out = []
    for item in _items(raw, "equipment"):
        code = str(item.get("code") or "")
        out.append(tariff.EquipmentRate(
            code=code,
            price=_dec(item.get("price"), "equipment", f"The {code or 'container'} price"),
            usable_cbm=_dec(item.get("usable_cbm"), "equipment", f"The {code} usable CBM"),
            payload_kg=_dec(item.get("payload_kg"), "equipment", f"The {code} payload"),
        ))
    return tuple(out)


def fees(raw: Any) -> tuple[tariff.FixedFee, ...]:
    return tuple(
        tariff.FixedFee(code=str(item.get("code") or ""),
                        description=str(item.get("description") or item.get("code") or ""),
                        amount=_dec(item.get("amount"), "fees", f"Fee {item.get('code')}"))
        for item in _items(raw, "fees")
    )


def surcharges(raw: Any) -> tuple[tariff.Surcharge, ...]:
    return tuple(
        tariff.Surcharge(
            code=str(item.get("code") or ""),
            description=str(item.get("description") or item.get("code") or ""),
            percent=_opt_dec(item.get("percent"), "surcharges", f"Surcharge {item.get('code')}"),
            per_kg=_opt_dec(item.get("per_kg"), "surcharges", f"Surcharge {item.get('code')}"),
        )
        for item in _items(raw, "surcharges")
    )


def card_from_values(values: Mapping[str, Any]) -> tariff.RateCard:
    """Build the engine's card from a row's (or an upload's) field values."""
    try:
        mode = Mode(values["mode"])
    except ValueError:
        raise RateCardParseError(f"{values['mode']!r} is not a transport mode.",
                                 field="mode") from None
    kg_per_cbm = values.get("kg_per_cbm")
    return tariff.RateCard(
        id=values.get("id") or "new",
        version=int(values.get("version") or 1),
        currency=values["currency"],
        mode=mode,
        origin=values["origin"],
        destination=values["destination"],
        kg_per_cbm=None if kg_per_cbm is None else _dec(kg_per_cbm, "kg_per_cbm",
                                                        "The volumetric factor"),
        minimum_charge=_dec(values.get("minimum_charge") or 0, "minimum_charge",
                            "The minimum charge"),
        weight_breaks=weight_breaks(values.get("weight_breaks")),
        higher_break_rule=bool(values.get("higher_break_rule", True)),
        lcl_rate_per_wm=_opt_dec(values.get("lcl_rate_per_wm"), "lcl_rate_per_wm",
                                 "The LCL rate per W/M"),
        lcl_minimum_wm=_dec(values.get("lcl_minimum_wm", 1), "lcl_minimum_wm",
                            "The LCL minimum W/M"),
        equipment=equipment(values.get("equipment")),
        fees=fees(values.get("fees")),
        surcharges=surcharges(values.get("surcharges")),
        allowed_cargo_classes=frozenset(values.get("allowed_cargo_classes") or ["general"]),
        transit_days=int(values.get("transit_days") or 0),
    )


def card_from_row(row: Any) -> tariff.RateCard:
    """The engine's card for a stored `pooling.models.RateCard` row."""
    return card_from_values({
        "id": row.pk, "version": row.version, "currency": row.currency, "mode": row.mode,
        "origin": row.origin, "destination": row.destination, "kg_per_cbm": row.kg_per_cbm,
        "minimum_charge": row.minimum_charge, "weight_breaks": row.weight_breaks,
        "higher_break_rule": row.higher_break_rule, "lcl_rate_per_wm": row.lcl_rate_per_wm,
        "lcl_minimum_wm": row.lcl_minimum_wm, "equipment": row.equipment, "fees": row.fees,
        "surcharges": row.surcharges, "allowed_cargo_classes": row.allowed_cargo_classes,
        "transit_days": row.transit_days,
    })


def _s(value: Decimal) -> str:
    """An amount as a plain string: at least two decimals, no padding zeros beyond them."""
    cents = value.quantize(Decimal("0.01"))
    return format(cents if cents == value else value.normalize(), "f")


def _q(value: Decimal) -> str:
    """A quantity as a plain string without padding zeros (66, 0.5, 26500)."""
    return format(value.normalize(), "f")


def break_label(brk: tariff.WeightBreak) -> str:
    return "N" if brk.min_kg == 0 else f"+{_q(brk.min_kg)}"


def json_columns(card: tariff.RateCard) -> dict[str, Any]:
    """The JSON columns of a row for `card`, amounts as strings."""
    return {
        "weight_breaks": [{"label": break_label(b), "min_kg": _q(b.min_kg),
                           "rate_per_kg": _s(b.rate_per_kg)} for b in card.weight_breaks],
        "equipment": [{"code": e.code, "price": _s(e.price), "usable_cbm": _q(e.usable_cbm),
                       "payload_kg": _q(e.payload_kg)} for e in card.equipment],
        "fees": [{"code": f.code, "description": f.description, "amount": _s(f.amount)}
                 for f in card.fees],
        "surcharges": [
            {"code": s.code, "description": s.description,
             **({"percent": _q(s.percent)} if s.percent is not None else {}),
             **({"per_kg": _s(s.per_kg)} if s.per_kg is not None else {})}
            for s in card.surcharges
        ],
        "allowed_cargo_classes": sorted(card.allowed_cargo_classes),
    }
