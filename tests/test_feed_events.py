"""DCSA tracking events: parsed, stored once per (partner, eventID), moving pools along."""

from __future__ import annotations

import random
import uuid

import pytest

from pooling.feed.dcsa import DcsaError, parse_event
from pooling.models import Notification, Pool, PoolEvent, TrackingEvent
from pooling.services.feed_events import tracking_events_post
from tests.conftest import client_for
from tests.factories import MembershipFactory, PartnerFactory, PoolMemberFactory
from tests.factories_feed import booked_pool, fixture_event, transport_event

URL = "/api/v1/partner/events/"


# --- the parser -------------------------------------------------------------------------


@pytest.mark.parametrize("name, event_type, code, location", [
    ("transport_departure", "TRANSPORT", "DEPA", "CNSZX"),
    ("transport_arrival", "TRANSPORT", "ARRI", "USLAX"),
    ("equipment_discharge", "EQUIPMENT", "DISC", "USLAX"),
    ("shipment_issued", "SHIPMENT", "ISSU", ""),
])
def test_fixtures_parse_into_typed_events(name, event_type, code, location) -> None:
    event = parse_event(fixture_event(name))

    assert (event.event_type, event.event_code, event.location) == (event_type, code, location)
    assert event.classifier == "ACT"
    assert "BAL-BKG-0001" in event.reference_values
    assert event.event_datetime is not None and event.event_datetime.tzinfo is not None


def test_a_retraction_has_no_payload_and_names_the_retracted_event() -> None:
    event = parse_event(fixture_event("retraction"))

    assert event.retracted_event_id == "5e51e72c-d872-4f0b-8f3a-2b4a8c5d0004"
    assert (event.classifier, event.event_code, event.event_datetime) == ("", "", None)


def _without(path: list[str]) -> dict:
    event = transport_event()
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


@pytest.mark.parametrize("event, field, words", [
    (_without(["metadata", "eventID"]), "metadata.eventID", "required"),
    (_without(["metadata", "publisher"]), "metadata.publisher", "required"),
    (_without(["payload", "eventDateTime"]), "payload.eventDateTime", "required"),
    (_without(["payload", "transportCall"]), "payload.transportCall", "required"),
    (_without(["payload"]), "payload", "required"),
    (transport_event(code="SAIL"), "payload.transportEventTypeCode", "not a known code"),
    (transport_event(classifier="REQ"), "payload.eventClassifierCode", "not a known code"),
    (transport_event(location="usla1"), "payload.transportCall.location.UNLocationCode",
     "not a UN/LOCODE"),
    (transport_event(when="2025-03-01T09:40:00"), "payload.eventDateTime", "UTC offset"),
    ({**fixture_event("retraction"), "payload": {"eventClassifierCode": "ACT"}}, "payload",
     "must not carry a payload"),
    ("not an event", "event", "must be an object"),
])
def test_bad_events_are_rejected_naming_the_field(event, field, words) -> None:
    with pytest.raises(DcsaError) as caught:
        parse_event(event)

    assert caught.value.field == field
    assert words in caught.value.message


# --- storing through the API ------------------------------------------------------------


@pytest.mark.django_db
def test_ten_thousand_events_sent_twice_in_shuffled_order_are_stored_once(partner,
                                                                          partner_api) -> None:
    # given 10,000 distinct events
    events = [transport_event(event_id=f"evt-{n:05d}", classifier="EST") for n in range(10_000)]
    second_pass = events[:]
    random.Random(7).shuffle(second_pass)
    statuses: dict[str, int] = {"stored": 0, "duplicate": 0, "rejected": 0}

    # when they are sent in batches of 1,000, then all again in another order
    for batch_source in (events, second_pass):
        for start in range(0, 10_000, 1000):
            response = partner_api.post(URL, batch_source[start:start + 1000], format="json")
            assert response.status_code == 200
            for result in response.json()["results"]:
                statuses[result["status"]] += 1

    # then each event is one row, and every second sending was reported as a duplicate
    assert TrackingEvent.objects.filter(partner=partner).count() == 10_000
    assert statuses == {"stored": 10_000, "duplicate": 10_000, "rejected": 0}


@pytest.mark.django_db
def test_a_mixed_batch_stores_exactly_the_good_events(partner, partner_api) -> None:
    # given good events with bad ones between them
    good = [transport_event(event_id=f"good-{n}") for n in range(3)]
    bad_code = transport_event(event_id="bad-code", code="XXXX")
    bad_locode = transport_event(event_id="bad-locode", location="LAX")
    missing_id = _without(["metadata", "eventID"])
    batch = [good[0], bad_code, good[1], missing_id, bad_locode, good[2], good[0]]

    # when the batch is posted
    response = partner_api.post(URL, batch, format="json")

    # then the good ones are stored, the repeat is a duplicate, and each bad one says why
    body = response.json()
    assert response.status_code == 200
    assert (body["stored"], body["duplicates"], body["rejected"]) == (3, 1, 3)
    assert [r["status"] for r in body["results"]] == [
        "stored", "rejected", "stored", "rejected", "rejected", "stored", "duplicate"]
    assert body["results"][1]["errors"] == {"payload.transportEventTypeCode": [
        "payload.transportEventTypeCode 'XXXX' is not a known code (one of ARRI, DEPA)."]}
    assert list(body["results"][3]["errors"]) == ["metadata.eventID"]
    assert list(body["results"][4]["errors"]) == ["payload.transportCall.location.UNLocationCode"]
    assert set(TrackingEvent.objects.values_list("event_id", flat=True)) == {
        "good-0", "good-1", "good-2"}


@pytest.mark.django_db
def test_a_single_bad_event_is_a_400_and_stores_nothing(partner_api) -> None:
    response = partner_api.post(URL, transport_event(location="XX1"), format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [
        "payload.transportCall.location.UNLocationCode"]
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
def test_a_single_event_is_201_then_200_as_a_duplicate(partner_api) -> None:
    event = fixture_event("shipment_issued")

    first = partner_api.post(URL, event, format="json")
    again = partner_api.post(URL, event, format="json")

    assert first.status_code == 201
    assert first.json()["results"][0]["status"] == "stored"
    assert again.status_code == 200
    assert again.json()["results"][0]["status"] == "duplicate"
    assert TrackingEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_batch_over_a_thousand_is_refused_whole(partner_api) -> None:
    response = partner_api.post(URL, [transport_event() for _ in range(1001)], format="json")

    assert response.status_code == 413
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db
def test_the_same_event_id_from_two_partners_is_two_events(partner) -> None:
    other = PartnerFactory()
    event = transport_event(event_id="shared-id")

    tracking_events_post(partner=partner, events=[event])
    tracking_events_post(partner=other, events=[event])

    assert TrackingEvent.objects.filter(event_id="shared-id").count() == 2


# --- pools move along -------------------------------------------------------------------


@pytest.mark.django_db
def test_actual_departure_puts_a_booked_pool_in_transit_and_tells_members(partner) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001")

    results = tracking_events_post(partner=partner, events=[fixture_event("transport_departure")])

    pool.refresh_from_db()
    assert results[0].status == "stored" and results[0].pool_id == pool.pk
    assert pool.state == Pool.State.IN_TRANSIT
    assert PoolEvent.objects.filter(pool=pool, to_state="in_transit").count() == 1
    assert Notification.objects.filter(pool=pool, kind="departure").count() == 2


@pytest.mark.django_db
def test_a_departure_sent_again_moves_nothing_twice(partner) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001")
    event = fixture_event("transport_departure")

    tracking_events_post(partner=partner, events=[event])
    tracking_events_post(partner=partner, events=[event])

    assert PoolEvent.objects.filter(pool=pool, to_state="in_transit").count() == 1
    assert Notification.objects.filter(pool=pool, kind="departure").count() == 2


@pytest.mark.django_db
def test_departure_and_arrival_in_one_batch_deliver_the_pool(partner) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001")

    tracking_events_post(partner=partner, events=[fixture_event("transport_arrival"),
                                                  fixture_event("transport_departure")])

    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED
    assert list(PoolEvent.objects.filter(pool=pool).values_list("to_state", flat=True)) == [
        "in_transit", "delivered"]
    assert Notification.objects.filter(pool=pool, kind="delivery").count() == 2


@pytest.mark.django_db
def test_discharge_at_the_destination_delivers_an_in_transit_pool(partner) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001", state=Pool.State.IN_TRANSIT)

    tracking_events_post(partner=partner, events=[fixture_event("equipment_discharge")])

    pool.refresh_from_db()
    assert pool.state == Pool.State.DELIVERED


@pytest.mark.django_db
def test_a_country_wide_pool_is_delivered_anywhere_in_its_country(partner) -> None:
    pool = booked_pool(partner, reference="BKG-C", destination="US",
                       state=Pool.State.IN_TRANSIT)

    tracking_events_post(partner=partner, events=[
        transport_event(code="ARRI", location="USLGB", booking="BKG-C")])

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


@pytest.mark.django_db
def test_another_partners_booking_reference_attaches_nothing(partner) -> None:
    pool = booked_pool(partner, reference="BKG-1")
    intruder = PartnerFactory()

    results = tracking_events_post(partner=intruder, events=[transport_event(booking="BKG-1")])

    pool.refresh_from_db()
    assert results[0].status == "stored" and results[0].pool_id is None
    assert pool.state == Pool.State.BOOKED
    assert not pool.tracking_events.exists()


@pytest.mark.django_db
def test_a_retraction_attaches_to_the_retracted_events_pool(partner) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001")
    tracking_events_post(partner=partner, events=[fixture_event("shipment_issued")])

    results = tracking_events_post(partner=partner, events=[fixture_event("retraction")])

    assert results[0].pool_id == pool.pk
    assert pool.tracking_events.count() == 2


# --- firms read them back ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_firm_reads_its_pools_events_in_dcsa_shape(partner, django_assert_max_num_queries
                                                           ) -> None:
    pool = booked_pool(partner, reference="BAL-BKG-0001", members=0)
    member = PoolMemberFactory(pool=pool)
    user = MembershipFactory(firm=member.firm).user
    events = [fixture_event(n) for n in ("transport_departure", "shipment_issued",
                                         "transport_arrival")]
    tracking_events_post(partner=partner, events=events)

    with django_assert_max_num_queries(8):
        response = client_for(user).get(f"/api/v1/pools/{pool.pk}/events/")

    assert response.status_code == 200
    assert [e["metadata"]["eventID"] for e in response.json()] == [
        e["metadata"]["eventID"] for e in events]
    assert response.json()[0] == events[0]


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

    assert [e["event"]["metadata"]["eventID"] for e in response.json()["results"]] == ["mine"]


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_first_answer(partner_api) -> None:
    batch = [transport_event(event_id=str(uuid.uuid4())) for _ in range(3)]

    first = partner_api.post(URL, batch, format="json", HTTP_IDEMPOTENCY_KEY="events-1")
    again = partner_api.post(URL, batch, format="json", HTTP_IDEMPOTENCY_KEY="events-1")

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert TrackingEvent.objects.count() == 3
