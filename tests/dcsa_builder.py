"""DCSA Track & Trace 3.0.0 events built from the published specification itself.

Every property of a schema gets a value: its `example` when the spec gives one, else
the first code of its code list, else a value of its type; so a built event carries
every field the spec defines. Nothing is copied from example files.
"""

from __future__ import annotations

import copy
from typing import Any

from pooling.feed import dcsa

WHEN = "2025-03-01T09:40:00+08:00"


def _value(sub: dict[str, Any], owner: str, prop: str, depth: int) -> Any:
    ref = sub.get("$ref") or (sub.get("allOf") or [{}])[0].get("$ref")
    if ref:
        return sample(ref.rsplit("/", 1)[-1], depth + 1)
    kind = sub.get("type")
    if kind == "array":
        return [_value(sub.get("items") or {}, owner, prop, depth)]
    if kind == "object":
        return {}
    if "example" in sub:
        return sub["example"]
    if kind == "string":
        if sub.get("format") == "date-time":
            return WHEN
        if sub.get("format") == "date":
            return "2025-03-01"
        codes = dcsa.code_lists().get((owner, prop))
        value = next(iter(codes)) if codes else f"{prop}-1"
        return value[: sub.get("maxLength", 100)]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 1
    return None


def sample(name: str, depth: int = 0) -> dict[str, Any]:
    """A value for every property of the spec's component schema `name`."""
    schema = dcsa.schemas()[name]
    out = {}
    for prop, sub in (schema.get("properties") or {}).items():
        value = _value(sub, name, prop, depth)
        if value is not None:
            out[prop] = value
    return out


DETAILS = {  # what each event type carries beyond routing, location and shipment details
    "SHIPMENT": (),
    "TRANSPORT": ("transportDetails",),
    "EQUIPMENT": ("equipmentDetails", "transportDetails"),
    "IOT": ("equipmentDetails", "iotDetails"),
    "REEFER": ("equipmentDetails", "reeferDetails"),
}


def classifiers() -> list[str]:
    return list(dcsa.code_lists()[("EventClassification", "eventClassifierCode")])


def event_types() -> list[str]:
    return list(dcsa.code_lists()[("EventClassification", "eventTypeCode")])


def type_codes(event_type: str) -> list[str]:
    return list(dcsa.code_lists()[("EventClassification", dcsa.TYPE_CODE_FIELDS[event_type])])


def every_kind() -> list[tuple[str, str, str]]:
    """(event type, classifier, event type code) for every combination the spec lists."""
    return [(kind, classifier, code) for kind in event_types() for code in type_codes(kind)
            for classifier in classifiers()]


def event(event_type: str, *, event_id: str, classifier: str = "ACT", code: str | None = None,
          booking: str | None = "BKG-1", location: str = "CNSZX", when: str = WHEN,
          updated: str | None = WHEN, references: list[dict[str, str]] | None = None,
          equipment: str | None = None) -> dict[str, Any]:
    full = sample("Event")
    out: dict[str, Any] = {
        "eventID": event_id, "eventDateTime": when,
        "eventRouting": full["eventRouting"], "eventLocation": copy.deepcopy(full["eventLocation"]),
        "eventClassification": {
            "eventTypeCode": event_type, "eventClassifierCode": classifier,
            dcsa.TYPE_CODE_FIELDS[event_type]: code or type_codes(event_type)[0]},
        "shipmentDetails": copy.deepcopy(full["shipmentDetails"]),
    }
    if updated is not None:
        out["eventUpdatedDateTime"] = updated
    out["eventLocation"]["UNLocationCode"] = location
    for key in DETAILS[event_type]:
        out[key] = copy.deepcopy(full[key])
    shipment = out["shipmentDetails"]
    shipment["documentReference"] = ({"typeCode": "BKG", "reference": booking} if booking
                                     else {"typeCode": "TRD", "reference": f"TRD-{event_id}"[:100]})
    shipment["additionalDocumentReferences"] = references or []
    shipment["shipmentReferences"] = []
    shipment.pop("documentReferenceReplacements", None)
    shipment.pop("shipmentReferenceReplacements", None)
    if "equipmentDetails" in out:
        out["equipmentDetails"]["equipmentReference"] = equipment or "APZU4812090"
    return out
