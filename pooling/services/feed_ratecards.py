"""Partners' rate cards: versioned uploads, and quotes from the tariff engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q

from accounts.models import Partner
from coop.errors import ApplicationError
from pooling.domain import tariff
from pooling.feed import ratecards
from pooling.models import RateCard
from pooling.models.choices import CargoClass
from pooling.services.locks import lock_partner


def _domain_card(values: dict[str, Any]) -> tariff.RateCard:
    try:
        card = ratecards.card_from_values(values)
        card.validate()
    except (ratecards.RateCardParseError, tariff.TariffError) as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    return card


@transaction.atomic
def rate_card_upload(
    *, partner: Partner, origin: str, destination: str, mode: str, currency: str,
    valid_from: date, valid_to: date | None = None, kg_per_cbm: Decimal | None = None,
    minimum_charge: Decimal = Decimal(0), weight_breaks: Sequence[dict[str, Any]] = (),
    higher_break_rule: bool = True, lcl_rate_per_wm: Decimal | None = None,
    lcl_minimum_wm: Decimal = Decimal(1), equipment: Sequence[dict[str, Any]] = (),
    fees: Sequence[dict[str, Any]] = (), surcharges: Sequence[dict[str, Any]] = (),
    allowed_cargo_classes: Sequence[str] = ("general",), transit_days: int = 0,
) -> RateCard:
    """Store a new version of the lane's card; it supersedes older ones from `valid_from`."""
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": ["The validity cannot end before it starts."]})
    unknown = sorted(set(allowed_cargo_classes) - set(CargoClass.values))
    if unknown:
        raise ValidationError({"allowed_cargo_classes": [
            f"Unknown cargo class {', '.join(unknown)}; use {', '.join(CargoClass.values)}."]})
    card = _domain_card({
        "origin": origin, "destination": destination, "mode": mode, "currency": currency,
        "kg_per_cbm": kg_per_cbm, "minimum_charge": minimum_charge,
        "weight_breaks": list(weight_breaks), "higher_break_rule": higher_break_rule,
        "lcl_rate_per_wm": lcl_rate_per_wm, "lcl_minimum_wm": lcl_minimum_wm,
        "equipment": list(equipment), "fees": list(fees), "surcharges": list(surcharges),
        "allowed_cargo_classes": list(allowed_cargo_classes), "transit_days": transit_days,
    })
    # One upload per partner at a time, so versions number without gaps or collisions.
    lock_partner(partner)
    lane = RateCard.objects.filter(partner=partner, origin=origin, destination=destination,
                                   mode=mode)
    version = (lane.aggregate(v=Max("version"))["v"] or 0) + 1
    lane.filter(Q(superseded_from__isnull=True) | Q(superseded_from__gt=valid_from)).update(
        superseded_from=valid_from)
    return RateCard.objects.create(
        partner=partner, origin=origin, destination=destination, mode=mode, version=version,
        currency=currency, valid_from=valid_from, valid_to=valid_to, kg_per_cbm=kg_per_cbm,
        minimum_charge=minimum_charge, higher_break_rule=higher_break_rule,
        lcl_rate_per_wm=lcl_rate_per_wm, lcl_minimum_wm=lcl_minimum_wm,
        transit_days=transit_days, **ratecards.json_columns(card),
    )


def quote_price(
    *, card: RateCard, gross_kg: Decimal, volume_cbm: Decimal,
    containers: Sequence[str] | None = None, cargo_class: str = "general",
) -> tariff.Quote:
    """Price a shipment on a stored card; the engine computes, this only translates errors."""
    domain = ratecards.card_from_row(card)
    if not domain.accepts(cargo_class):
        raise ApplicationError(
            f"Rate card v{card.version} does not carry {cargo_class} cargo.",
            fields={"cargo_class": [f"Allowed: {', '.join(sorted(domain.allowed_cargo_classes))}."]},
        )
    try:
        if containers:
            return tariff.price_sea_plan(domain, containers=list(containers),
                                         lcl_gross_kg=gross_kg, lcl_volume_cbm=volume_cbm)
        return tariff.price(domain, gross_kg=gross_kg, volume_cbm=volume_cbm)
    except tariff.TariffError as exc:
        raise ApplicationError(exc.message, fields={exc.field: [exc.message]}) from None
