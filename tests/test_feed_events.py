"""DCSA Track & Trace 3.0.0 events: built from the published spec, posted as the spec's
`POST /events`, stored once per (partner, eventID), updated, retracted, moving pools."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest

from pooling.feed import dcsa
from pooling.models import Notification, Pool, PoolEvent, TrackingEvent
from pooling.selectors.tracking import tracking_timeline
from pooling.services.feed_events import tracking_events_post
from tests import dcsa_builder as build
from tests.conftest import client_for
from tests.factories import MembershipFactory, PartnerFactory, PoolMemberFactory
from tests.factories_feed import booked_pool, transport_event

URL = "/api/v1/partner/events/"
LATER = "2025-03-02T09:40:00+08:00"


def _post(partner_api, events, **headers):  # type: ignore[no-untyped-def]
    return partner_api.post(URL, {"events": events}, format="json",
                            HTTP_API_VERSION=headers.pop("version", "3.0.0"), **headers)


def _valid(name: str, body: object) -> bool:
    return bool(dcsa.validator_for(name).is_valid(body))


def _feedback(body: dict, index: int) -> list[dict]:
    prefix = f"$.events[{index}]"
    return [f for f in body["feedbackElements"]
            if f["propertyPath"] == prefix or f["propertyPath"].startswith(prefix + ".")]


# --- every type, classifier and code of the spec -----------------------------------------


@pytest.mark.django_db
def test_every_event_type_classifier_and_code_of_the_spec_is_stored_and_attached(
        partner, partner_api) -> None:
    # given a booked pool and one event for every (type, classifier, code) the spec lists
    pool = booked_pool(partner, reference="BKG-ALL")
    kinds = build.every_kind()
    events = [build.event(kind, event_id=f"{kind}-{classifier}-{code}", classifier=classifier,
                          code=code, booking="BKG-ALL") for kind, classifier, code in kinds]
    assert all(_valid("Event", e) for e in events)
    assert {k for k, _, _ in kinds} == {"SHIPMENT", "TRANSPORT", "EQUIPMENT", "IOT", "REEFER"}
    assert {"AMCF", "PENM", "UPRE", "SUDL"} <= {c for _, _, c in kinds}

    # when they are posted as the spec's POST /events
    response = _post(partner_api, events)

    # then all are stored, attached to the pool, and the answer is in the spec's shape
    body = response.json()
    assert response.status_code == 200, body
    assert response["API-Version"] == "3.0.0"
    assert _valid("PostEventsResponse", body)
    assert body["summary"]["stored"] == len(kinds) == 171
    assert body["feedbackElements"] == []
    stored = {e.event_id: e for e in TrackingEvent.objects.filter(partner=partner)}
    assert len(stored) == len(kinds)
    for kind, classifier, code in kinds:
        row = stored[f"{kind}-{classifier}-{code}"]
        assert (row.event_type, row.classifier, row.event_code, row.pool_id) == (
            kind, classifier, code, pool.pk)
        assert row.event_datetime is not None and row.event_datetime.utcoffset().total_seconds() == 0
    assert stored["REEFER-ACT-MEAS"].equipment_reference == "APZU4812090"


@pytest.mark.django_db
def test_document_types_amf_and_pfd_attach_through_their_reference(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="BKG-9")
    events = []
    for n, doc in enumerate(("AMF", "PFD")):
        event = build.event("SHIPMENT", event_id=f"doc-{doc}", code="ISSU", booking="BKG-9")
        event["shipmentDetails"]["additionalDocumentReferences"] = [
            {"typeCode": doc, "reference": f"{doc}-{n}"}]
        events.append(event)

    body = _post(partner_api, events).json()

    assert body["summary"]["stored"] == 2
    assert set(TrackingEvent.objects.values_list("pool_id", flat=True)) == {pool.pk}


# --- duplicates, updates, retractions ------------------------------------------------------


@pytest.mark.django_db
def test_duplicates_are_stored_once_and_reported(partner, partner_api) -> None:
    booked_pool(partner, reference="BKG-1")
    event = transport_event(event_id="dup-1")

    first = _post(partner_api, [event, event])
    again = _post(partner_api, [event])

    assert [r["status"] for r in first.json()["results"]] == ["stored", "duplicate"]
    assert again.json()["results"][0]["status"] == "duplicate"
    assert _feedback(again.json(), 0)[0]["severity"] == "INFO"
    assert TrackingEvent.objects.filter(event_id="dup-1").count() == 1


@pytest.mark.django_db
def test_a_later_event_updated_date_time_replaces_the_event_and_an_earlier_is_ignored(
        partner, partner_api) -> None:
    booked_pool(partner, reference="BKG-1")
    original = build.event("TRANSPORT", event_id="upd-1", code="ARRI", classifier="EST",
                           location="USLAX", when="2025-03-19T05:30:00-07:00")
    _post(partner_api, [original])

    # when the same eventID comes with a new ETA and a later eventUpdatedDateTime
    changed = {**original, "eventDateTime": "2025-03-21T05:30:00-07:00", "eventUpdatedDateTime": LATER}
    stale = {**original, "eventDateTime": "2025-03-25T05:30:00-07:00"}
    body = _post(partner_api, [changed, stale]).json()

    # then the change replaces it, and the stale one (same update time) is ignored with a warning
    assert [r["status"] for r in body["results"]] == ["updated", "ignored"]
    assert _feedback(body, 1)[0]["severity"] == "WARN"
    assert _feedback(body, 1)[0]["propertyPath"] == "$.events[1].eventUpdatedDateTime"
    row = TrackingEvent.objects.get(event_id="upd-1")
    assert row.event_datetime.isoformat() == "2025-03-21T12:30:00+00:00"
    assert row.payload == changed
    assert TrackingEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_retraction_removes_the_event_from_the_timeline_and_says_so(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="BKG-1")
    keep, drop = transport_event(event_id="keep"), transport_event(event_id="drop", code="ARRI")
    _post(partner_api, [keep, drop])

    body = _post(partner_api, [{"eventID": "drop", "isRetracted": True}]).json()
    late = _post(partner_api, [{**drop, "eventUpdatedDateTime": LATER}]).json()

    assert body["results"][0] == {"index": 0, "eventID": "drop", "status": "retracted",
                                  "pool": pool.pk}
    assert "removed from the pool's timeline" in _feedback(body, 0)[0]["message"]
    assert late["results"][0]["status"] == "ignored"
    assert TrackingEvent.objects.get(event_id="drop").is_retracted
    timeline = tracking_timeline(pool=pool)
    assert [r.event.event_id for r in timeline.rows] == ["keep"]
    assert timeline.retracted == 1


@pytest.mark.django_db
def test_a_retraction_of_an_unknown_event_id_is_recorded(partner, partner_api) -> None:
    body = _post(partner_api, [{"eventID": "never-sent", "isRetracted": True}]).json()

    assert body["results"][0]["status"] == "retracted"
    assert _feedback(body, 0)[0]["severity"] == "WARN"
    assert TrackingEvent.objects.get(event_id="never-sent").is_retracted


# --- attachment --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_naming_no_known_booking_is_stored_unattached_and_reported(partner,
                                                                           partner_api) -> None:
    body = _post(partner_api, [transport_event(event_id="lost", booking="NOBODY")]).json()

    assert body["results"][0]["status"] == "stored"
    assert body["summary"]["unattached"] == 1
    assert "not attached to a pool" in _feedback(body, 0)[0]["message"]
    assert TrackingEvent.objects.get(event_id="lost").pool_id is None


@pytest.mark.django_db
def test_later_events_attach_through_transport_document_or_equipment(partner, partner_api) -> None:
    pool = booked_pool(partner, reference="BKG-7")
    first = build.event("SHIPMENT", event_id="s1", code="ISSU", booking="BKG-7",
                        references=[{"typeCode": "TRD", "reference": "BL-777"}])
    first["equipmentDetails"] = {"equipmentReference": "MSKU1234565"}
    _post(partner_api, [first])

    by_document = build.event("SHIPMENT", event_id="s2", code="SURR", booking=None,
                              references=[{"typeCode": "TRD", "reference": "BL-777"}])
    by_document["shipmentDetails"]["documentReference"] = {"typeCode": "TRD", "reference": "BL-777"}
    by_container = build.event("EQUIPMENT", event_id="e1", code="GTOT", booking=None,
                               equipment="MSKU1234565")
    body = _post(partner_api, [by_document, by_container]).json()

    assert [r.get("pool") for r in body["results"]] == [pool.pk, pool.pk]


@pytest.mark.django_db
def test_another_partners_booking_reference_attaches_nothing(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")

    result = tracking_events_post(partner=PartnerFactory(), events=[transport_event()])

    pool.refresh_from_db()
    assert result.outcomes[0].status == "stored" and result.outcomes[0].pool_id is None
    assert pool.state == Pool.State.BOOKED
    assert not pool.tracking_events.exists()


# --- hostile input -----------------------------------------------------------------------


@pytest.mark.django_db
def test_hostile_events_get_feedback_one_each_and_never_fail_the_batch(partner, partner_api) -> None:
    booked_pool(partner, reference="BKG-1")
    good = transport_event(event_id="good")
    codes_as_list = transport_event(event_id="list")
    codes_as_list["eventClassification"]["eventTypeCode"] = ["TRANSPORT"]
    unknown_code = transport_event(event_id="unknown")
    unknown_code["eventClassification"]["transportEventTypeCode"] = "XXXX"
    far_future = transport_event(event_id="future", when="9999-12-31T23:59:59-14:00")
    huge = transport_event(event_id="huge")
    huge["eventLocation"]["locationName"] = "x" * 200_000
    long_id = transport_event(event_id="i" * 501)
    bad_locode = transport_event(event_id="locode", location="LAX12")
    no_offset = transport_event(event_id="naive", when="2025-03-01T09:40:00")
    batch = [good, codes_as_list, unknown_code, far_future, huge, long_id, bad_locode, no_offset,
             17, None, "event", []]
    raw = json.dumps({"events": batch})
    # a NUL and a lone surrogate, written as JSON escapes exactly as a hostile client sends them
    raw = raw[:-2] + ', {"eventID": "nul\\u0000"}, {"eventID": "half\\ud800"}]}'

    response = partner_api.post(URL, raw, content_type="application/json", HTTP_API_VERSION="3.0.0")

    body = response.json()
    assert response.status_code == 200
    assert _valid("PostEventsResponse", body)
    assert [r["status"] for r in body["results"]] == ["stored"] + ["refused"] * 13
    paths = {index: [f["propertyPath"] for f in _feedback(body, index) if f["severity"] == "ERROR"]
             for index in range(1, 14)}
    assert paths[1] == ["$.events[1].eventClassification.eventTypeCode"]
    assert paths[2] == ["$.events[2].eventClassification.transportEventTypeCode"]
    assert paths[3] == ["$.events[3].eventDateTime"]
    assert paths[4] == ["$.events[4]"]
    assert paths[5] == ["$.events[5].eventID"]
    assert paths[6] == ["$.events[6].eventLocation.UNLocationCode"]
    assert paths[7] == ["$.events[7].eventDateTime"]
    assert all(paths[i] == [f"$.events[{i}]"] for i in (8, 9, 10, 11))
    assert paths[12] == ["$.events[12].eventID"] and paths[13] == ["$.events[13].eventID"]
    assert "x" * 100 not in response.content.decode()
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["good"]


@pytest.mark.django_db
def test_a_batch_of_only_bad_events_is_a_400_in_the_spec_error_shape(partner_api) -> None:
    response = _post(partner_api, [transport_event(location="XX1")])

    assert response.status_code == 400
    assert response["API-Version"] == "3.0.0"
    assert _valid("PostEventsError", response.json())
    assert response.json()["feedbackElements"][0]["severity"] == "ERROR"
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
def test_the_api_schema_declares_both_answers_a_post_can_get_as_a_400(partner_api,
                                                                      client) -> None:
    # given the served schema's 400 for POST /api/v1/partner/events/
    schema = client.get("/api/schema/", {"format": "json"}).json()
    declared = schema["paths"][URL]["post"]["responses"]["400"]["content"][
        "application/json"]["schema"]
    validator = jsonschema.Draft7Validator({**declared, "components": schema["components"]})

    # when a batch of only bad events, and a body that is no batch, are posted
    refused = _post(partner_api, [transport_event(location="XX1"), 7])
    malformed = partner_api.post(URL, {"events": "x"}, format="json", HTTP_API_VERSION="3.0.0")

    # then both answers are what the schema says
    assert (refused.status_code, malformed.status_code) == (400, 400)
    assert "summary" in refused.json() and "error" in malformed.json()
    assert validator.is_valid(refused.json()) and validator.is_valid(malformed.json())


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    [{"metadata": {"eventID": "x"}, "payload": {}}],
    {"metadata": {"eventID": "x"}, "payload": {}},
])
def test_the_beta_1_shape_is_refused_with_a_pointer_to_3_0_0(partner_api, body) -> None:
    response = partner_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response["API-Version"] == "3.0.0"
    assert response.json()["error"]["code"] == "dcsa_version_unsupported"
    assert '{"events": [Event, ...]}' in response.json()["error"]["message"]
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, version", [
    ({"events": {"eventID": "x"}}, "3.0.0"),
    ({"events": "x"}, "3.0.0"),
    ({}, "3.0.0"),
    ({"events": []}, "3.0.0-Beta-1"),
    ({"events": []}, "2.2.0"),
])
def test_a_request_not_in_the_3_0_0_shape_is_a_400_with_feedback(partner_api, body, version) -> None:
    response = partner_api.post(URL, body, format="json", HTTP_API_VERSION=version)

    assert response.status_code == 400
    assert _valid("PostEventsError", response.json())
    assert response.json()["feedbackElements"]


@pytest.mark.django_db
def test_a_batch_over_a_thousand_is_refused_whole(partner_api) -> None:
    response = _post(partner_api, [transport_event() for _ in range(1001)])

    assert response.status_code == 413
    assert response["API-Version"] == "3.0.0"
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
def test_without_a_key_the_answer_still_carries_api_version(client) -> None:
    response = client.post(URL, {"events": []}, content_type="application/json")

    assert response.status_code in (401, 403)
    assert response["API-Version"] == "3.0.0"
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
def test_ten_thousand_events_sent_twice_in_shuffled_order_are_stored_once(partner,
                                                                          partner_api) -> None:
    events = [transport_event(event_id=f"evt-{n:05d}", classifier="EST") for n in range(10_000)]
    second_pass = events[:]
    random.Random(7).shuffle(second_pass)
    statuses: dict[str, int] = {"stored": 0, "duplicate": 0}

    for batch_source in (events, second_pass):
        for start in range(0, 10_000, 1000):
            response = _post(partner_api, batch_source[start:start + 1000])
            assert response.status_code == 200
            for result in response.json()["results"]:
                statuses[result["status"]] += 1

    assert TrackingEvent.objects.filter(partner=partner).count() == 10_000
    assert statuses == {"stored": 10_000, "duplicate": 10_000}


@pytest.mark.django_db
def test_the_same_event_id_from_two_partners_is_two_events(partner) -> None:
    event = transport_event(event_id="shared-id")

    tracking_events_post(partner=partner, events=[event])
    tracking_events_post(partner=PartnerFactory(), events=[event])

    assert TrackingEvent.objects.filter(event_id="shared-id").count() == 2


# --- pools move along -------------------------------------------------------------------


@pytest.mark.django_db
def test_actual_departure_puts_a_booked_pool_in_transit_and_tells_members(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")

    result = tracking_events_post(partner=partner, events=[transport_event(code="DEPA")])

    pool.refresh_from_db()
    assert result.outcomes[0].status == "stored" and result.outcomes[0].pool_id == pool.pk
    assert pool.state == Pool.State.IN_TRANSIT
    assert PoolEvent.objects.filter(pool=pool, to_state="in_transit").count() == 1
    assert Notification.objects.filter(pool=pool, kind="departure").count() == 2


@pytest.mark.django_db
def test_a_departure_sent_again_moves_nothing_twice(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")
    event = transport_event(code="DEPA")

    tracking_events_post(partner=partner, events=[event])
    tracking_events_post(partner=partner, events=[event])

    assert PoolEvent.objects.filter(pool=pool, to_state="in_transit").count() == 1
    assert Notification.objects.filter(pool=pool, kind="departure").count() == 2


@pytest.mark.django_db
def test_departure_and_arrival_in_one_batch_deliver_the_pool(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")

    tracking_events_post(partner=partner, events=[
        transport_event(code="ARRI", location="USLAX", when="2025-03-19T05:30:00-07:00"),
        transport_event(code="DEPA", location="CNSZX")])

    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED
    assert list(PoolEvent.objects.filter(pool=pool).values_list("to_state", flat=True)) == [
        "in_transit", "delivered"]


@pytest.mark.django_db
def test_discharge_at_the_destination_delivers_an_in_transit_pool(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1", state=Pool.State.IN_TRANSIT)

    tracking_events_post(partner=partner, events=[
        build.event("EQUIPMENT", event_id="disc", code="DISC", location="USLAX")])

    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED


@pytest.mark.django_db
def test_arrival_elsewhere_or_estimated_does_not_deliver(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1", state=Pool.State.IN_TRANSIT)

    tracking_events_post(partner=partner, events=[
        transport_event(code="ARRI", location="KRPUS"),
        transport_event(code="ARRI", location="USLAX", classifier="EST"),
    ])

    pool.refresh_from_db()
    assert pool.state == Pool.State.IN_TRANSIT
    assert pool.tracking_events.count() == 2


# --- the timeline and the ETA ----------------------------------------------------------


@pytest.mark.django_db
def test_the_timeline_speaks_in_words_newest_first(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")
    departure = transport_event(event_id="t-dep", code="DEPA", when="2025-03-01T09:40:00+08:00")
    departure["eventLocation"]["locationName"] = "Shenzhen (Yantian)"
    departure["transportDetails"]["transportCall"]["vesselTransport"]["vesselName"] = "Ever Given"
    gate = build.event("EQUIPMENT", event_id="t-gate", code="GTOT", equipment="MSKU1234565",
                       when="2025-02-28T09:40:00+08:00")
    reefer = build.event("REEFER", event_id="t-reefer", when="2025-03-02T09:40:00+08:00")
    reefer["reeferDetails"]["temperatureProbeMeasurements"][0]["measuredTemperatureValue"] = 4.1
    tracking_events_post(partner=partner, events=[gate, departure, reefer])

    rows = tracking_timeline(pool=pool).rows

    assert [r.event.event_id for r in rows] == ["t-reefer", "t-dep", "t-gate"]
    assert rows[0].words.startswith("Reefer APZU4812090 temperature 4.1 °C")
    assert rows[1].words.startswith("Departed Shenzhen (Yantian) (CNSZX)")
    assert "vessel Ever Given, voyage 2103S" in rows[1].words
    assert rows[2].words.startswith("Container MSKU1234565 gated out full")
    assert [r.classifier for r in rows] == ["Actual", "Actual", "Actual"]


@pytest.mark.django_db
def test_an_eta_past_a_members_deliver_by_flags_the_pool_and_tells_that_member_once(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1", members=0)
    early = PoolMemberFactory(pool=pool, demand__deliver_by="2025-03-10",
                              demand__ready_from="2025-02-01")
    fine = PoolMemberFactory(pool=pool, demand__deliver_by="2025-04-30",
                             demand__ready_from="2025-02-01")
    MembershipFactory(firm=early.firm)
    MembershipFactory(firm=fine.firm)
    eta = transport_event(event_id="eta", code="ARRI", classifier="EST", location="USLAX",
                          when="2025-03-19T05:30:00-07:00")

    tracking_events_post(partner=partner, events=[eta])
    tracking_events_post(partner=partner, events=[eta])

    timeline = tracking_timeline(pool=pool)
    assert timeline.eta is not None and timeline.eta.event_id == "eta"
    assert [m.firm_id for m in timeline.late] == [early.firm_id]
    notes = Notification.objects.filter(pool=pool, title__contains="arrival now expected")
    assert list(notes.values_list("firm_id", flat=True)) == [early.firm_id]


# --- firms read them back ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_firm_reads_its_pools_events_in_dcsa_shape(partner, django_assert_max_num_queries
                                                           ) -> None:
    pool = booked_pool(partner, reference="BKG-1", members=0)
    member = PoolMemberFactory(pool=pool)
    user = MembershipFactory(firm=member.firm).user
    events = [transport_event(event_id=f"r-{n}", when=f"2025-03-0{n + 1}T09:40:00+08:00")
              for n in range(3)]
    tracking_events_post(partner=partner, events=events)

    with django_assert_max_num_queries(8):
        response = client_for(user).get(f"/api/v1/pools/{pool.pk}/events/")

    assert response.status_code == 200
    assert response.json() == events
    assert all(_valid("Event", e) for e in response.json())


@pytest.mark.django_db
def test_a_pools_events_answer_is_what_the_schema_declares_with_and_without_events(
        partner, client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    declared = schema["paths"]["/api/v1/pools/{pool_id}/events/"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"]
    validator = jsonschema.Draft7Validator({**declared, "components": schema["components"]})
    pool = booked_pool(partner, reference="BKG-1", members=0)
    member = PoolMemberFactory(pool=pool)
    reader = client_for(MembershipFactory(firm=member.firm).user)

    before = reader.get(f"/api/v1/pools/{pool.pk}/events/").json()
    tracking_events_post(partner=partner, events=[transport_event(event_id="r-1")])
    after = reader.get(f"/api/v1/pools/{pool.pk}/events/").json()

    assert (before, len(after)) == ([], 1)
    assert validator.is_valid(before) and validator.is_valid(after)


@pytest.mark.django_db
def test_a_firm_without_a_member_gets_404(partner, api) -> None:
    pool = booked_pool(partner)

    response = api.get(f"/api/v1/pools/{pool.pk}/events/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_partners_list_their_own_events_only(partner, partner_api) -> None:
    tracking_events_post(partner=partner, events=[transport_event(event_id="mine")])
    tracking_events_post(partner=PartnerFactory(), events=[transport_event(event_id="theirs")])

    response = partner_api.get(URL)

    assert [e["event"]["eventID"] for e in response.json()["results"]] == ["mine"]


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_first_answer(partner_api) -> None:
    batch = [transport_event(event_id=f"idem-{n}") for n in range(3)]

    first = _post(partner_api, batch, HTTP_IDEMPOTENCY_KEY="events-1")
    again = _post(partner_api, batch, HTTP_IDEMPOTENCY_KEY="events-1")

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert TrackingEvent.objects.count() == 3


def test_words_say_planned_and_estimated_moves_as_nouns_and_name_documents_and_sensors() -> None:
    from pooling.feed.words import event_words

    eta = build.event("TRANSPORT", event_id="w1", code="ARRI", classifier="EST", location="USLAX")
    eta["eventLocation"] = {"UNLocationCode": "USLAX", "locationName": "Los Angeles"}
    door = build.event("IOT", event_id="w2", equipment="MSKU1234565")
    door["iotDetails"] = {"iotEventCode": "DRO"}
    door.pop("eventLocation")
    issued = build.event("SHIPMENT", event_id="w3", code="ISSU", booking=None)

    assert event_words(eta).startswith("Arrival at Los Angeles (USLAX)")
    assert event_words(door) == "Container MSKU1234565: door opened"
    assert event_words(issued) == "Transport Document TRD-w3: issued"
    assert event_words({"eventID": "x", "isRetracted": True}) == "Retracted event"
    assert event_words({"eventClassification": {"eventTypeCode": ["TRANSPORT"]}}) == "Event"
