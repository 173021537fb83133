"""A stored DCSA 3.0.0 event in a member's words, e.g. "Departed Shenzhen (USLAX), vessel
King of the Seas, voyage 2103S" or "Container MSKU1234565 gated out full".

Pure Python: reads the event as published and the spec's own code labels.
"""

from __future__ import annotations

from typing import Any

from .dcsa import label

TRANSPORT_VERBS = {"ARRI": "Arrived", "DEPA": "Departed"}
PLANNED_NOUNS = {"ARRI": ("Arrival", "at"), "DEPA": ("Departure", "from")}  # planned or estimated
EQUIPMENT_VERBS = {
    "AVDO": "available for drop-off", "AVPU": "available for pick-up", "CROS": "crossed a border",
    "CUSI": "selected by customs for inspection", "CUSR": "released by customs",
    "CUSS": "selected by customs for a scan", "DISC": "discharged", "DROP": "dropped off",
    "GTIN": "gated in", "GTOT": "gated out", "INSP": "inspected", "LOAD": "loaded",
    "PICK": "picked up", "RMVD": "removed", "RSEA": "resealed", "STRP": "stripped",
    "STUF": "stuffed",
}
UNITS = {"CEL": "°C", "FAH": "°F"}


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _place(event: dict[str, Any]) -> str:
    location = event.get("eventLocation") or {}
    name = _text(_get(location, "locationName")) or _text(_get(location, "address", "city"))
    code = _text(_get(location, "UNLocationCode"))
    facility = _text(_get(location, "facility", "facilityName"))
    if name and code:
        name = f"{name} ({code})"
    name = name or code
    if facility and name:
        return f"{name}, {facility}"
    return name or facility


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def event_words(event: dict[str, Any]) -> str:
    """One line for the timeline; unknown or missing parts are simply left out."""
    if event.get("isRetracted") is True:
        return "Retracted event"
    classification = event.get("eventClassification") or {}
    kind = _text(classification.get("eventTypeCode"))
    place = _place(event)
    at = f" at {place}" if place else ""
    equipment = _text(_get(event, "equipmentDetails", "equipmentReference"))
    container = f"Container {equipment}" if equipment else "Container"
    if kind == "TRANSPORT":
        code = _text(classification.get("transportEventTypeCode"))
        if classification.get("eventClassifierCode") in ("PLN", "EST") and code in PLANNED_NOUNS:
            noun, preposition = PLANNED_NOUNS[code]
            words = f"{noun}{f' {preposition} {place}' if place else ''}"
        else:
            verb = TRANSPORT_VERBS.get(code, label("EventClassification", "transportEventTypeCode",
                                                   code))
            words = f"{verb or 'Transport event'}{' ' + place if place else ''}"
        call = _get(event, "transportDetails", "transportCall") or {}
        vessel = _text(_get(call, "vesselTransport", "vesselName"))
        voyage = _text(_get(call, "exportVoyageNumberOrReference", "carrierVoyageNumber")) or _text(
            _get(call, "importVoyageNumberOrReference", "carrierVoyageNumber"))
        mode = _text(call.get("modeOfTransport")) if isinstance(call, dict) else ""
        if vessel:
            words += f", vessel {vessel}"
        elif mode:
            words += f", by {label('TransportCall', 'modeOfTransport', mode).lower()}"
        if voyage:
            words += f", voyage {voyage}"
        remark = _text(_get(event, "transportDetails", "changeRemark"))
        return words + (f" ({remark})" if remark else "")
    if kind == "EQUIPMENT":
        code = _text(classification.get("equipmentEventTypeCode"))
        verb = EQUIPMENT_VERBS.get(code) or label("EventClassification", "equipmentEventTypeCode",
                                                  code).lower() or "moved"
        empty = _text(_get(event, "equipmentDetails", "emptyIndicatorCode"))
        load = {"LADEN": " full", "EMPTY": " empty"}.get(empty, "")
        return f"{container} {verb}{load}{at}"
    if kind == "REEFER":
        reefer = event.get("reeferDetails") or {}
        unit = UNITS.get(_text(reefer.get("temperatureUnit")), "")
        probes = reefer.get("temperatureProbeMeasurements") or []
        reading = next((_number(p.get("measuredTemperatureValue")) for p in probes
                        if isinstance(p, dict) and _number(p.get("measuredTemperatureValue"))), "")
        reading = reading or _number(reefer.get("ambientMeasuredTemperature"))
        setpoint = _number(reefer.get("internalSetpointTemperature"))
        code = _text(classification.get("reeferEventTypeCode"))
        if code == "ADJU" and setpoint:
            return f"Reefer{' ' + equipment if equipment else ''} set to {setpoint} {unit}".rstrip()
        words = f"Reefer{' ' + equipment if equipment else ''} temperature"
        words += f" {reading} {unit}".rstrip() if reading else " measured"
        return words + (f" (set point {setpoint} {unit})".replace(" )", ")") if setpoint else "")
    if kind == "IOT":
        code = _text(_get(event, "iotDetails", "iotEventCode"))
        what = label("IotDetails", "iotEventCode", code).lower() if code else "sensor event"
        return f"{container}: {what}{at}"
    if kind == "SHIPMENT":
        code = _text(classification.get("shipmentEventTypeCode"))
        document = _get(event, "shipmentDetails", "documentReference") or {}
        doc_type = _text(document.get("typeCode")) if isinstance(document, dict) else ""
        reference = _text(document.get("reference")) if isinstance(document, dict) else ""
        name = label("DocumentReference", "typeCode", doc_type) if doc_type else "Shipment"
        status = label("EventClassification", "shipmentEventTypeCode", code).lower() if code else "updated"
        return f"{name}{' ' + reference if reference else ''}: {status}"
    return f"Event{at}" if at else "Event"
