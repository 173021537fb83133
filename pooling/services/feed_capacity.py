"""Capacity partners offer (equipment or allotments) and FX rates posted to the cooperative."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Partner
from accounts.reference import validate_currency
from coop.errors import Conflict
from pooling.models import CapacityOffer, FxRate, RateCard
from pooling.models.choices import Equipment

LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


@transaction.atomic
def capacity_offer_create(
    *, partner: Partner, origin: str, destination: str, mode: str, departure_date: date,
    cutoff_at: datetime, equipment: dict[str, int] | None = None,
    allotment_kg: Decimal | None = None, allotment_cbm: Decimal | None = None,
    rate_card_id: int | None = None,
) -> CapacityOffer:
    errors: dict[str, list[str]] = {}
    if not LOCODE.match(origin):
        errors["origin"] = [f"{origin!r} is not a UN/LOCODE such as CNSZX."]
    if not (LOCODE.match(destination) or COUNTRY.match(destination)):
        errors["destination"] = [f"{destination!r} is neither a UN/LOCODE nor a country code."]
    equipment = equipment or {}
    unknown = sorted(set(equipment) - set(Equipment.values))
    if unknown:
        errors["equipment"] = [f"Unknown equipment {', '.join(unknown)}."]
    elif any(not isinstance(n, int) or n <= 0 for n in equipment.values()):
        errors["equipment"] = ["Container counts are whole numbers above zero."]
    if not equipment and allotment_kg is None and allotment_cbm is None:
        errors["equipment"] = ["Offer containers, or an allotment in kg or CBM."]
    for name, value in (("allotment_kg", allotment_kg), ("allotment_cbm", allotment_cbm)):
        if value is not None and value <= 0:
            errors[name] = ["An allotment is above zero."]
    if cutoff_at.date() > departure_date:
        errors["cutoff_at"] = ["The booking cut-off is on or before the departure date."]
    card = None
    if rate_card_id is not None:
        card = RateCard.objects.filter(pk=rate_card_id, partner=partner).first()
        if card is None:
            errors["rate_card"] = [f"You have no rate card #{rate_card_id}."]
    if errors:
        raise ValidationError(errors)
    return CapacityOffer.objects.create(
        partner=partner, rate_card=card, origin=origin, destination=destination, mode=mode,
        departure_date=departure_date, cutoff_at=cutoff_at, equipment=equipment,
        allotment_kg=allotment_kg, allotment_cbm=allotment_cbm)


@transaction.atomic
def fx_rate_post(*, base: str, quote: str, rate: Decimal, as_of: date,
                 posted_by: str) -> tuple[FxRate, bool]:
    """Record a rate for a day; posting the same rate again changes nothing."""
    for name, code in (("base", base), ("quote", quote)):
        try:
            validate_currency(code)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from None
    if base == quote:
        raise ValidationError({"quote": ["Base and quote currencies differ."]})
    if rate <= 0:
        raise ValidationError({"rate": ["A rate is above zero."]})
    existing = FxRate.objects.filter(base=base, quote=quote, as_of=as_of).first()
    if existing is not None:
        if existing.rate == rate:
            return existing, False
        raise Conflict(f"{base}/{quote} on {as_of} is already {existing.rate}.",
                       fields={"rate": [f"Already posted as {existing.rate} for this day."]})
    try:
        with transaction.atomic():
            return FxRate.objects.create(base=base, quote=quote, rate=rate, as_of=as_of,
                                         posted_by=posted_by), True
    except IntegrityError:
        raise Conflict(f"{base}/{quote} on {as_of} was posted at the same time.") from None
