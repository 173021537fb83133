"""Builders for the partner feed's tests: DCSA events, booked pools, API payloads."""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import Partner
from pooling.models import Pool
from tests import dcsa_builder
from tests.factories import MembershipFactory, PoolFactory, PoolMemberFactory, SeaRateCardFactory


def transport_event(*, event_id: str | None = None, code: str = "DEPA", classifier: str = "ACT",
                    location: str = "CNSZX", booking: str = "BKG-1",
                    when: str = "2025-03-01T09:40:00+08:00") -> dict[str, Any]:
    """A DCSA 3.0.0 transport event, built from the published schema."""
    return dcsa_builder.event("TRANSPORT", event_id=event_id or str(uuid.uuid4()), code=code,
                              classifier=classifier, location=location, booking=booking, when=when)


def events_body(*events: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(events)}


def booked_pool(partner: Partner, *, reference: str = "BKG-1", members: int = 2,
                destination: str = "USLAX", state: str = Pool.State.BOOKED) -> Pool:
    pool = PoolFactory(rate_card=SeaRateCardFactory(partner=partner), state=state,
                       booking_reference=reference, destination=destination)
    for _ in range(members):
        member = PoolMemberFactory(pool=pool)
        MembershipFactory(firm=member.firm)
    pool.refresh_from_db()
    return pool


def sea_card_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "origin": "CNSZX", "destination": "USLAX", "mode": "sea_fcl", "currency": "USD",
        "valid_from": "2025-01-01", "lcl_rate_per_wm": "95.00", "lcl_minimum_wm": "1",
        "equipment": [
            {"code": "20GP", "price": "1800.00", "usable_cbm": "28", "payload_kg": "21700"},
            {"code": "40GP", "price": "2600.00", "usable_cbm": "58", "payload_kg": "26600"},
            {"code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"},
        ],
        "fees": [{"code": "DOC", "description": "Documentation", "amount": "75.00"}],
        "surcharges": [{"code": "BAF", "description": "Bunker fuel", "percent": "10"}],
        "allowed_cargo_classes": ["general"], "transit_days": 18,
    }
    body.update(overrides)
    return body


def air_card_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "origin": "CNSZX", "destination": "DEFRA", "mode": "air", "currency": "USD",
        "valid_from": "2025-01-01", "minimum_charge": "75.00",
        "weight_breaks": [
            {"min_kg": "0", "rate_per_kg": "5.20"}, {"min_kg": "45", "rate_per_kg": "4.30"},
            {"min_kg": "100", "rate_per_kg": "3.70"}, {"min_kg": "300", "rate_per_kg": "3.20"},
            {"min_kg": "500", "rate_per_kg": "2.90"}, {"min_kg": "1000", "rate_per_kg": "2.60"},
        ],
        "transit_days": 3,
    }
    body.update(overrides)
    return body
