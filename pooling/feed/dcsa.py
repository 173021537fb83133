"""DCSA Track & Trace v3 events: `{metadata, payload}` in, `TrackingEventIn` out.

Follows the event domain v3.1.0 (TRANSPORT, EQUIPMENT and SHIPMENT events,
classifiers PLN/EST/ACT, retractions by `retractedEventID`). Pure Python: the
parser checks what the standard requires and reports the first problem with
the JSON path of the offending field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

EVENT_TYPES = frozenset({"TRANSPORT", "EQUIPMENT", "SHIPMENT"})
CLASSIFIERS = frozenset({"PLN", "EST", "ACT"})
PUBLISHER_ROLES = frozenset({"CA", "AG", "VSP", "SVP"})
TRANSPORT_CODES = frozenset({"ARRI", "DEPA"})
EQUIPMENT_CODES = frozenset({
    "LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "AVPU", "PICK", "AVDO", "DROP", "INSP",
    "RSEA", "RMVD", "CUSS", "CUSI", "CUSR", "CROS",
})
SHIPMENT_CODES = frozenset({
    "RECE", "DRFT", "PENA", "PENU", "PENC", "CONF", "REJE", "APPR", "ISSU", "SURR", "SUBM",
    "VOID", "REQS", "CMPL", "HOLD", "RELS", "CANC",
})
DOCUMENT_TYPES = frozenset({
    "CBR", "BKG", "SHI", "TRD", "DEI", "DEO", "TRO", "CRO", "ARN", "VGM", "CAS", "CUC", "DGD",
    "OOG", "CQU", "INV", "HCE", "PCE", "VCE", "FCE", "ICE", "CEA", "CEO",
})
EMPTY_INDICATORS = frozenset({"EMPTY", "LADEN"})
UN_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
MAX_ID = 100


class DcsaError(ValueError):
    """The event breaks the standard; `field` is the JSON path of the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class TrackingEventIn:
    event_id: str
    event_type: str
    classifier: str  # empty for retractions
    event_code: str  # transport, equipment or shipment event type code; empty for retractions
    event_datetime: datetime | None
    event_created_datetime: datetime
    location: str  # UN/LOCODE, or empty
    references: tuple[tuple[str, str], ...]  # (type, value) from every reference list
    retracted_event_id: str
    raw: dict[str, Any]

    @property
    def reference_values(self) -> frozenset[str]:
        """Every reference that may name a booking: documents and free references alike."""
        return frozenset(value for _, value in self.references)

    @property
    def is_actual(self) -> bool:
        return self.classifier == "ACT"


def _require(obj: dict[str, Any], key: str, path: str) -> Any:
    value = obj.get(key)
    if value is None or value == "":
        raise DcsaError(f"{path}.{key} is required.", field=f"{path}.{key}")
    return value


def _string(obj: dict[str, Any], key: str, path: str, *, max_length: int = MAX_ID) -> str:
    value = _require(obj, key, path)
    if not isinstance(value, str):
        raise DcsaError(f"{path}.{key} must be a string.", field=f"{path}.{key}")
    if len(value) > max_length:
        raise DcsaError(f"{path}.{key} is longer than {max_length} characters.",
                        field=f"{path}.{key}")
    return value


def _code(obj: dict[str, Any], key: str, path: str, allowed: frozenset[str]) -> str:
    value = _require(obj, key, path)
    if value not in allowed:
        raise DcsaError(
            f"{path}.{key} {value!r} is not a known code (one of {', '.join(sorted(allowed))}).",
            field=f"{path}.{key}",
        )
    return str(value)


def _datetime(obj: dict[str, Any], key: str, path: str) -> datetime:
    value = _require(obj, key, path)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise DcsaError(f"{path}.{key} must be an ISO 8601 date-time, not {value!r}.",
                        field=f"{path}.{key}")
    if parsed.tzinfo is None:
        raise DcsaError(f"{path}.{key} needs a UTC offset, e.g. 2024-03-01T08:30:00+08:00.",
                        field=f"{path}.{key}")
    return parsed


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DcsaError(f"{path} must be an object.", field=path)
    return value


def _location(obj: dict[str, Any] | None, path: str) -> str:
    if not obj:
        return ""
    location = _object(obj, path)
    code = location.get("UNLocationCode")
    if code is None:
        return ""
    if not isinstance(code, str) or not UN_LOCODE.match(code):
        raise DcsaError(
            f"{path}.UNLocationCode {code!r} is not a UN/LOCODE (two-letter country code and "
            "three letters or digits 2-9, e.g. USLAX).",
            field=f"{path}.UNLocationCode",
        )
    return code


def _reference_list(value: Any, path: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DcsaError(f"{path} must be a list of {{type, value}} objects.", field=path)
    out = []
    for index, item in enumerate(value):
        entry = _object(item, f"{path}.{index}")
        kind = _string(entry, "type", f"{path}.{index}", max_length=3)
        ref = _string(entry, "value", f"{path}.{index}")
        out.append((kind, ref))
    return out


def parse_event(item: Any) -> TrackingEventIn:
    """One DCSA event, checked; raise `DcsaError` naming the first problem."""
    event = _object(item, "event")
    metadata = _object(event.get("metadata"), "metadata") if "metadata" in event else None
    if metadata is None:
        raise DcsaError("metadata is required.", field="metadata")
    event_id = _string(metadata, "eventID", "metadata")
    created = _datetime(metadata, "eventCreatedDateTime", "metadata")
    event_type = _code(metadata, "eventType", "metadata", EVENT_TYPES)
    publisher = _object(_require(metadata, "publisher", "metadata"), "metadata.publisher")
    _string(publisher, "carrierCode", "metadata.publisher", max_length=4)
    _string(publisher, "carrierCodeListProvider", "metadata.publisher", max_length=5)
    _code(metadata, "publisherRole", "metadata", PUBLISHER_ROLES)
    retracted = metadata.get("retractedEventID")
    payload = event.get("payload")
    if retracted is not None:
        retracted = _string(metadata, "retractedEventID", "metadata")
        if payload is not None:
            raise DcsaError("A retraction (metadata.retractedEventID) must not carry a payload.",
                            field="payload")
        return TrackingEventIn(
            event_id=event_id, event_type=event_type, classifier="", event_code="",
            event_datetime=None, event_created_datetime=created, location="", references=(),
            retracted_event_id=retracted, raw=event,
        )
    if payload is None:
        raise DcsaError("payload is required unless metadata.retractedEventID is given.",
                        field="payload")
    body = _object(payload, "payload")
    if body.get("eventType", event_type) != event_type:
        raise DcsaError(f"payload.eventType {body.get('eventType')!r} differs from "
                        f"metadata.eventType {event_type!r}.", field="payload.eventType")
    classifier = _code(body, "eventClassifierCode", "payload", CLASSIFIERS)
    happened = _datetime(body, "eventDateTime", "payload")
    references = _reference_list(body.get("relatedDocumentReferences"),
                                 "payload.relatedDocumentReferences")
    references += _reference_list(body.get("references"), "payload.references")
    location = ""
    if event_type == "TRANSPORT":
        code = _code(body, "transportEventTypeCode", "payload", TRANSPORT_CODES)
        call = _object(_require(body, "transportCall", "payload"), "payload.transportCall")
        _string(call, "transportCallReference", "payload.transportCall")
        location = _location(call.get("location"), "payload.transportCall.location")
    elif event_type == "EQUIPMENT":
        code = _code(body, "equipmentEventTypeCode", "payload", EQUIPMENT_CODES)
        _code(body, "emptyIndicatorCode", "payload", EMPTY_INDICATORS)
        for key in ("eventLocation", "location"):
            location = location or _location(body.get(key), f"payload.{key}")
        if body.get("transportCall") is not None:
            equipment_call = _object(body["transportCall"], "payload.transportCall")
            location = location or _location(equipment_call.get("location"),
                                             "payload.transportCall.location")
    else:
        if classifier != "ACT":
            raise DcsaError("A SHIPMENT event's eventClassifierCode must be ACT.",
                            field="payload.eventClassifierCode")
        code = _code(body, "shipmentEventTypeCode", "payload", SHIPMENT_CODES)
        document_type = _code(body, "documentTypeCode", "payload", DOCUMENT_TYPES)
        document = _string(body, "documentReference", "payload")
        references.insert(0, (document_type, document))
    return TrackingEventIn(
        event_id=event_id, event_type=event_type, classifier=classifier, event_code=code,
        event_datetime=happened, event_created_datetime=created, location=location,
        references=tuple(references), retracted_event_id="", raw=event,
    )

