"""DCSA Track & Trace 3.0.0 events: one published `Event` in, `TrackingEventIn` out.

The published specification (`spec/TNT_v3.0.0.yaml`, kept unchanged) is the
source of every rule here: each event is validated against its `Event` schema
with `jsonschema-rs` (a maintained JSON Schema validator, fast enough to check
every event of a 1,000-event batch), and the code lists (event types, classifiers, event type
codes, document types, ...) are read from the specification's descriptions, so
the parser cannot drift from the standard. The specification requires no field;
neither does this parser, beyond what an event needs to be stored at all.

Pure Python, no Django: `parse_event` returns the parsed event and its feedback
(`Feedback`, the spec's `FeedbackElement`), or raises `EventRefused` with the
feedback that says why. Feedback messages never echo the partner's strings, so
no hostile input can leak into a response.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC_PATH = Path(__file__).with_name("spec") / "TNT_v3.0.0.yaml"
SPEC_URI = "urn:dcsa:tnt:3.0.0"
API_VERSION = "3.0.0"

ERROR, WARN, INFO = "ERROR", "WARN", "INFO"
EVENT_TYPES = ("SHIPMENT", "TRANSPORT", "EQUIPMENT", "IOT", "REEFER")
TYPE_CODE_FIELDS = {
    "SHIPMENT": "shipmentEventTypeCode", "TRANSPORT": "transportEventTypeCode",
    "EQUIPMENT": "equipmentEventTypeCode", "IOT": "iotEventTypeCode",
    "REEFER": "reeferEventTypeCode",
}
# Code lists whose unknown codes refuse the event: they say what the event is and where
# it attaches. An unknown code anywhere else is stored with a warning.
STRICT_CODE_LISTS = frozenset({
    ("EventClassification", name) for name in
    ("eventTypeCode", "eventClassifierCode", *TYPE_CODE_FIELDS.values())
} | {("DocumentReference", "typeCode"), ("ShipmentReference", "typeCode")})
UN_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
MAX_EVENT_CHARS = 100_000
MAX_ERRORS = 10
_CODE_LINE = re.compile(r"^\s*-\s*`([A-Za-z0-9]+)`\s*(?:-\s*(.+?)|\((.+?)\))\s*$", re.MULTILINE)
_OPEN_LIST = ("including but not limited to", "any other code")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Feedback:
    """The spec's `FeedbackElement`: severity, message and the JSONPath it is about."""

    severity: str
    message: str
    property_path: str

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "message": self.message[:5000],
                "propertyPath": self.property_path[:1000]}


class EventRefused(ValueError):
    """The event cannot be stored; `feedback` says why (at least one ERROR)."""

    def __init__(self, feedback: list[Feedback]) -> None:
        super().__init__(feedback[0].message)
        self.feedback = feedback


@dataclass(frozen=True, slots=True)
class TrackingEventIn:
    event_id: str
    is_retracted: bool
    event_type: str  # one of EVENT_TYPES, or empty when the event does not say
    classifier: str  # PLN, EST, ACT or empty
    event_code: str  # the event type code of its type, or empty
    event_datetime: datetime | None  # UTC
    event_updated_datetime: datetime | None  # UTC
    location: str  # UN/LOCODE, or empty
    references: tuple[tuple[str, str], ...]  # (type code, reference) of documents, shipments, equipment
    equipment_reference: str
    content_hash: str
    raw: dict[str, Any]
    feedback: tuple[Feedback, ...] = field(default=())

    @property
    def reference_values(self) -> frozenset[str]:
        return frozenset(value for _, value in self.references)

    @property
    def is_actual(self) -> bool:
        return self.classifier == "ACT"


# ------------------------------------------------------------------ the specification


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def schemas() -> dict[str, Any]:
    components: dict[str, Any] = spec()["components"]["schemas"]
    return components


@cache
def validator_for(name: str) -> Any:
    """A validator for one of the spec's component schemas (`Event`, `PostEventsResponse`, ...).

    OpenAPI 3.0 schema objects are JSON Schema Draft 4 plus annotations (`example`), which
    validation ignores; `format` (date-time, date) is checked.
    """
    registry = jsonschema_rs.Registry([(SPEC_URI, spec())])
    return jsonschema_rs.Draft4Validator({"$ref": f"{SPEC_URI}#/components/schemas/{name}"},
                                         registry=registry, validate_formats=True)


@cache
def code_lists() -> dict[tuple[str, str], dict[str, str]]:
    """(schema, property) -> {code: label}, for every closed code list in the descriptions."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for schema_name, schema in schemas().items():
        for prop, sub in (schema.get("properties") or {}).items():
            description = sub.get("description") or ""
            if sub.get("type") != "string" or any(p in description for p in _OPEN_LIST):
                continue
            codes = {m.group(1): (m.group(2) or m.group(3)).strip()
                     for m in _CODE_LINE.finditer(description)}
            if codes:
                out[(schema_name, prop)] = codes
    return out


def label(schema_name: str, prop: str, code: str) -> str:
    """The spec's words for a code, e.g. ("EquipmentDetails", "emptyIndicatorCode", "LADEN")."""
    return code_lists().get((schema_name, prop), {}).get(code, code)


def _ref_name(sub: Mapping[str, Any]) -> str | None:
    ref = sub.get("$ref")
    if ref is None and sub.get("allOf"):
        ref = sub["allOf"][0].get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


@cache
def _walk_plan(schema_name: str) -> tuple[tuple[str, str, str], ...]:
    """For one schema: (property, kind, target) with kind object, array or code."""
    plan = []
    lists = code_lists()
    for prop, sub in (schemas()[schema_name].get("properties") or {}).items():
        if (name := _ref_name(sub)) is not None:
            plan.append((prop, "object", name))
        elif sub.get("type") == "array" and (name := _ref_name(sub.get("items") or {})):
            plan.append((prop, "array", name))
        elif (schema_name, prop) in lists:
            plan.append((prop, "code", schema_name))
    return tuple(plan)


def _code_feedback(value: Any, schema_name: str, path: str) -> Iterator[Feedback]:
    if not isinstance(value, dict):
        return
    for prop, kind, target in _walk_plan(schema_name):
        item = value.get(prop)
        if item is None:
            continue
        if kind == "object":
            yield from _code_feedback(item, target, f"{path}.{prop}")
        elif kind == "array":
            for index, element in enumerate(item):
                yield from _code_feedback(element, target, f"{path}.{prop}[{index}]")
        elif item not in code_lists()[(target, prop)]:
            strict = (target, prop) in STRICT_CODE_LISTS
            known = ", ".join(code_lists()[(target, prop)])
            yield Feedback(ERROR if strict else WARN,
                           f"{prop} is not a code of the DCSA 3.0.0 list ({known})"
                           + ("." if strict else "; the event is stored, the code is shown as sent."),
                           f"{path}.{prop}")


# ------------------------------------------------------------------ hostile input


def _json_path(base: str, parts: Any) -> str:
    out = base
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _unsafe_text(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains an unpaired UTF-16 surrogate (not valid Unicode)"
    return None


def _scan(event: dict[str, Any], base: str) -> tuple[str, Feedback | None]:
    """The event as canonical JSON, and the first piece of it no database or JSON encoder can
    hold (a NUL, a lone surrogate), or too much of it. One pass over the encoded text finds
    whether there is a problem; only then is the event walked to name where it is."""
    try:
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (RecursionError, ValueError):
        return "", Feedback(ERROR, "The event is nested too deeply to be read.", base)
    if len(canonical) > MAX_EVENT_CHARS:
        return canonical, Feedback(ERROR, f"The event is longer than {MAX_EVENT_CHARS:,} characters "
                                          "as JSON.", base)
    if "\\u0000" not in canonical and not _SURROGATE.search(canonical):
        return canonical, None
    stack: list[tuple[Any, str]] = [(event, base)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if (problem := _unsafe_text(value)) is not None:
                return canonical, Feedback(ERROR, f"A text value {problem}.", path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if (problem := _unsafe_text(key)) is not None:
                    return canonical, Feedback(ERROR, f"A property name {problem}.", path)
                stack.append((item, f"{path}.{key}" if len(path) < 900 else path))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return canonical, None


def _schema_message(kind: Any) -> str:
    """Our words for a schema violation; never the offending value itself."""
    rule = type(kind).__name__
    if rule == "Type":
        return f"must be of type {' or '.join(map(str, kind.types))} per the DCSA 3.0.0 schema."
    if rule == "MaxLength":
        return f"is longer than the {kind.limit} characters DCSA 3.0.0 allows."
    if rule == "MaxItems":
        return f"holds more than the {kind.limit} items DCSA 3.0.0 allows."
    if rule == "Format":
        return f"must be an RFC 3339 {kind.format:.20} (e.g. 2025-01-23T01:23:45Z)."
    return f"breaks the DCSA 3.0.0 schema rule {rule:.40}."


def _schema_feedback(event: dict[str, Any], base: str) -> list[Feedback]:
    validator = validator_for("Event")
    if validator.is_valid(event):
        return []
    out = []
    for error in validator.iter_errors(event):
        out.append(Feedback(ERROR, _schema_message(error.kind), _json_path(base, error.instance_path)))
        if len(out) >= MAX_ERRORS:
            break
    return out


def _timestamp(value: Any, path: str) -> datetime | None:
    """An RFC 3339 date-time as aware UTC; refused when UTC would leave years 1-9999."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventRefused([Feedback(ERROR, "must be an RFC 3339 date-time with a UTC offset.",
                                     path)]) from None
    if parsed.tzinfo is None:
        raise EventRefused([Feedback(ERROR, "needs a UTC offset, e.g. 2025-01-23T01:23:45Z.", path)])
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise EventRefused([Feedback(ERROR, "lies outside years 1-9999 once converted to UTC.",
                                     path)]) from None


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _references(event: dict[str, Any]) -> list[tuple[str, str]]:
    shipment = event.get("shipmentDetails") or {}
    documents = [shipment.get("documentReference"), *(shipment.get("additionalDocumentReferences") or [])]
    for replacement in shipment.get("documentReferenceReplacements") or []:
        documents += replacement.get("newReferences") or []
    shipments = list(shipment.get("shipmentReferences") or [])
    for replacement in shipment.get("shipmentReferenceReplacements") or []:
        shipments += replacement.get("newReferences") or []
    out = [(str(d.get("typeCode") or ""), d["reference"]) for d in documents + shipments
           if isinstance(d, dict) and d.get("reference")]
    equipment = _dig(event, "equipmentDetails", "equipmentReference")
    if equipment:
        out.append(("EQ", equipment))
    return list(dict.fromkeys(out))


def parse_event(item: Any, *, path: str = "$.events[0]") -> TrackingEventIn:
    """One published 3.0.0 event, checked; raise `EventRefused` with the spec's feedback."""
    if not isinstance(item, dict):
        raise EventRefused([Feedback(ERROR, "Each event must be a JSON object.", path)])
    canonical, problem = _scan(item, path)
    if problem is not None:
        raise EventRefused([problem])
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    retracted = item.get("isRetracted")
    if retracted is True:
        # Spec: with the flag set, anything but eventID is irrelevant, so only that is checked.
        event_id = item.get("eventID")
        if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 500:
            raise EventRefused([Feedback(ERROR, "A retraction needs the eventID (text, up to 500 "
                                         "characters) of the event it retracts.", f"{path}.eventID")])
        return TrackingEventIn(
            event_id=event_id, is_retracted=True, event_type="", classifier="", event_code="",
            event_datetime=None, event_updated_datetime=None, location="", references=(),
            equipment_reference="", content_hash=digest, raw=item)
    errors = _schema_feedback(item, path)
    if errors:
        raise EventRefused(errors)
    codes = list(_code_feedback(item, "Event", path))
    if any(f.severity == ERROR for f in codes):
        raise EventRefused([f for f in codes if f.severity == ERROR])
    feedback = list(codes)
    classification = item.get("eventClassification") or {}
    event_type = classification.get("eventTypeCode") or next(
        (kind for kind, key in TYPE_CODE_FIELDS.items() if classification.get(key)), "")
    event_code = classification.get(TYPE_CODE_FIELDS.get(event_type, ""), "") or ""
    location = _dig(item, "eventLocation", "UNLocationCode") or ""
    if location and not UN_LOCODE.match(location):
        raise EventRefused([Feedback(
            ERROR, "UNLocationCode must be a UN/LOCODE: two-letter country code and three "
                   "letters or digits 2-9, e.g. USLAX.", f"{path}.eventLocation.UNLocationCode")])
    happened = _timestamp(item.get("eventDateTime"), f"{path}.eventDateTime")
    updated = _timestamp(item.get("eventUpdatedDateTime"), f"{path}.eventUpdatedDateTime")
    event_id = item.get("eventID")
    if not event_id:
        event_id = f"sha256:{digest}"
        feedback.append(Feedback(INFO, f"The event has no eventID; it is stored as {event_id}, so "
                                       "sending it again stores nothing new.", f"{path}.eventID"))
    return TrackingEventIn(
        event_id=event_id, is_retracted=False, event_type=event_type,
        classifier=classification.get("eventClassifierCode") or "", event_code=event_code,
        event_datetime=happened, event_updated_datetime=updated, location=location,
        references=tuple(_references(item)),
        equipment_reference=_dig(item, "equipmentDetails", "equipmentReference") or "",
        content_hash=digest, raw=item, feedback=tuple(feedback))


def is_beta_shape(body: Any) -> bool:
    """A Beta-1 event (`{metadata, payload}`), alone or in a bare array."""
    if isinstance(body, dict) and "events" in body:
        return False
    items = body if isinstance(body, list) else [body]
    return any(isinstance(i, dict) and ("metadata" in i or "payload" in i) for i in items[:5])
