"""Demo partner feed: Blue Anchor's rate cards and capacity, Brightreach's programmes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pooling.models import CapacityOffer, ChannelProgramme, RateCard, WebhookEndpoint
from pooling.services.feed_ratecards import rate_card_upload
from pooling.services.webhooks import webhook_endpoint_create

LOGISTICS_PARTNER = "Blue Anchor Logistics (demo)"
ADVERTISING_PARTNER = "Brightreach Media (demo)"
DEMO_WEBHOOK_URL = "http://127.0.0.1:8001/demo-webhooks/"

SEA_CARD: dict[str, Any] = {
    "origin": "CNSZX", "destination": "USLAX", "mode": "sea_lcl", "currency": "USD",
    "lcl_rate_per_wm": Decimal("95.00"), "lcl_minimum_wm": Decimal("1"),
    "equipment": [
        {"code": "20GP", "price": "1800.00", "usable_cbm": "28", "payload_kg": "21700"},
        {"code": "40GP", "price": "2600.00", "usable_cbm": "58", "payload_kg": "26600"},
        {"code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"},
    ],
    "fees": [{"code": "DOC", "description": "Documentation", "amount": "75.00"}],
    "surcharges": [{"code": "BAF", "description": "Bunker adjustment (fuel)", "percent": "10"}],
    "allowed_cargo_classes": ["general", "magnetic", "powders"], "transit_days": 18,
}

AIR_CARD: dict[str, Any] = {
    "origin": "CNSZX", "destination": "DEFRA", "mode": "air", "currency": "USD",
    "minimum_charge": Decimal("75.00"),
    "weight_breaks": [
        {"min_kg": "0", "rate_per_kg": "5.20"}, {"min_kg": "45", "rate_per_kg": "4.30"},
        {"min_kg": "100", "rate_per_kg": "3.70"}, {"min_kg": "300", "rate_per_kg": "3.20"},
        {"min_kg": "500", "rate_per_kg": "2.90"}, {"min_kg": "1000", "rate_per_kg": "2.60"},
    ],
    "fees": [{"code": "DOC", "description": "Air waybill", "amount": "35.00"}],
    "surcharges": [{"code": "FSC", "description": "Fuel", "percent": "12"}],
    "allowed_cargo_classes": ["general", "lithium_batteries"], "transit_days": 3,
}


# A second sea lane, so the demo also has a pool waiting for the coordinator.
SEA_CARD_HAMBURG: dict[str, Any] = {
    **SEA_CARD, "origin": "CNNGB", "destination": "DEHAM", "lcl_rate_per_wm": Decimal("82.00"),
    "transit_days": 30,
}


def load(report: Any, ctx: dict[str, Any]) -> None:
    partners = ctx["partners"]
    logistics = partners[LOGISTICS_PARTNER]
    today = timezone.localdate()
    cards: dict[str, RateCard] = {}
    for key, spec in (("sea_lcl", SEA_CARD), ("air", AIR_CARD),
                      ("sea_lcl_hamburg", SEA_CARD_HAMBURG)):
        lane = {k: spec[k] for k in ("origin", "destination", "mode")}
        card = RateCard.objects.filter(partner=logistics, **lane).order_by("-version").first()
        if card is None:
            card = rate_card_upload(partner=logistics, valid_from=today - dt.timedelta(days=30),
                                    **spec)
            report.created.append(f"rate card {card}")
        cards[key] = card

    if not CapacityOffer.objects.filter(partner=logistics).exists():
        offers = [
            ("CNSZX", "USLAX", "sea_lcl", 16, {"40HC": 2, "20GP": 1}, None, None, cards["sea_lcl"]),
            ("CNSZX", "DEFRA", "air", 11, {}, Decimal("1500"), Decimal("9"), cards["air"]),
            ("CNSZX", "DEFRA", "air", 20, {}, Decimal("2500"), Decimal("15"), cards["air"]),
        ]
        for origin, dest, mode, days, equipment, kg, cbm, card in offers:
            departure = today + dt.timedelta(days=days)
            CapacityOffer.objects.create(
                partner=logistics, rate_card=card, origin=origin, destination=dest, mode=mode,
                departure_date=departure, equipment=equipment, allotment_kg=kg, allotment_cbm=cbm,
                cutoff_at=timezone.now() + dt.timedelta(days=days - 3))
            report.created.append(f"capacity {origin}→{dest} {mode} departing {departure}")

    if not WebhookEndpoint.objects.filter(partner=logistics, url=DEMO_WEBHOOK_URL).exists():
        endpoint = webhook_endpoint_create(partner=logistics, url=DEMO_WEBHOOK_URL).endpoint
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False,
            disabled_reason="Demo endpoint: nothing listens on this local URL, so it is "
                            "disabled; register your own receiver to see signed webhooks.")
        report.created.append(f"webhook endpoint {DEMO_WEBHOOK_URL} (disabled)")

    advertising = partners.get(ADVERTISING_PARTNER)
    programmes = ctx.get("programmes") or []
    if advertising is not None and programmes:
        linked = ChannelProgramme.objects.filter(
            pk__in=[p.pk for p in programmes], partner__isnull=True).update(partner=advertising)
        if linked:
            report.created.append(f"{linked} programmes bought through {advertising.name}")
    ctx["rate_cards"] = cards


def dcsa_journey(*, pool: Any, reference: str, departed: dt.datetime,
                 arrived: dt.datetime) -> list[dict[str, Any]]:
    """The demo partner's DCSA Track & Trace 3.0.0 events for one booked pool: the booking
    confirmed, the container gated in and loaded, the vessel's estimated and actual departure
    and arrival, a reefer reading and a door sensor on the way, discharge and gate-out."""
    container = "MSKU7045121"
    origin, destination = pool.origin, pool.destination or "USLAX"
    names = {"CNSZX": "Shenzhen (Yantian)", "USLAX": "Los Angeles", "CNNGB": "Ningbo",
             "DEHAM": "Hamburg", "DEFRA": "Frankfurt"}
    vessel = {"transportCall": {"modeOfTransport": "VESSEL",
                                "vesselTransport": {"vesselName": "Blue Anchor Horizon",
                                                    "vesselIMONumber": "9321483"},
                                "exportVoyageNumberOrReference": {"carrierVoyageNumber": "0142E"}}}
    shipment = {"documentReference": {"typeCode": "BKG", "reference": reference},
                "additionalDocumentReferences": [{"typeCode": "TRD", "reference": f"BL-{reference}"}]}
    transit = arrived - departed

    def event(key: str, kind: str, code: str, classifier: str, when: dt.datetime, where: str,
              **details: Any) -> dict[str, Any]:
        field = {"SHIPMENT": "shipmentEventTypeCode", "TRANSPORT": "transportEventTypeCode",
                 "EQUIPMENT": "equipmentEventTypeCode", "IOT": "iotEventTypeCode",
                 "REEFER": "reeferEventTypeCode"}[kind]
        out: dict[str, Any] = {
            "eventID": f"demo-{pool.pk}-{key}",
            "eventDateTime": when.replace(microsecond=0).isoformat(),  # RFC 3339, 30 chars max
            "eventUpdatedDateTime": min(when, timezone.now()).replace(microsecond=0).isoformat(),
            "eventClassification": {"eventTypeCode": kind, "eventClassifierCode": classifier,
                                    field: code},
            "eventLocation": {"UNLocationCode": where, "locationName": names.get(where, where)},
            "eventRouting": {"originatingParty": {"partyCode": "BAL", "codeListProvider": "ZZZ"}},
            "shipmentDetails": shipment,
        }
        out.update(details)
        return out

    box = {"equipmentReference": container, "ISOEquipmentCode": "45R1"}
    return [
        event("conf", "SHIPMENT", "CONF", "ACT", departed - dt.timedelta(days=6), origin),
        event("gtin", "EQUIPMENT", "GTIN", "ACT", departed - dt.timedelta(days=2), origin,
              equipmentDetails={**box, "emptyIndicatorCode": "LADEN"}),
        event("depa-pln", "TRANSPORT", "DEPA", "PLN", departed - dt.timedelta(hours=12), origin,
              transportDetails=vessel),
        event("load", "EQUIPMENT", "LOAD", "ACT", departed - dt.timedelta(hours=6), origin,
              equipmentDetails={**box, "emptyIndicatorCode": "LADEN"}, transportDetails=vessel),
        event("depa", "TRANSPORT", "DEPA", "ACT", departed, origin, transportDetails=vessel),
        event("reefer", "REEFER", "MEAS", "ACT", departed + transit / 2, origin,
              equipmentDetails=box, reeferDetails={
                  "temperatureUnit": "CEL", "internalSetpointTemperature": 4,
                  "temperatureProbeMeasurements": [{"measuredTemperatureValue": 4.1}]}),
        event("iot", "IOT", "DETC", "ACT", departed + transit / 3, origin,
              equipmentDetails=box, iotDetails={"iotEventCode": "DRC"}),
        event("arri-est", "TRANSPORT", "ARRI", "EST", arrived + dt.timedelta(hours=8), destination,
              transportDetails=vessel),
        event("arri", "TRANSPORT", "ARRI", "ACT", arrived, destination, transportDetails=vessel),
        event("disc", "EQUIPMENT", "DISC", "ACT", arrived + dt.timedelta(hours=3), destination,
              equipmentDetails={**box, "emptyIndicatorCode": "LADEN"}),
    ]
