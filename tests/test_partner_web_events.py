"""Partners (and coordinators) upload DCSA 3.0.0 event files on the web and see the
feedback per event, as the API gives it."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pooling.models import TrackingEvent
from tests.factories import PartnerFactory, UserFactory
from tests.factories_feed import booked_pool, transport_event

pytestmark = pytest.mark.django_db

URL = reverse("pooling:partner-events-upload")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _file(body: object, name: str = "events.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(body).encode(), content_type="application/json")


def test_a_partner_uploads_an_events_file_and_sees_feedback_per_event():
    partner = PartnerFactory()
    user = UserFactory()
    partner.users.add(user)
    pool = booked_pool(partner, reference="BKG-1")
    bad = transport_event(event_id="bad", location="XX1")

    response = _client(user).post(URL, {"partner": partner.pk, "file": _file(
        {"events": [transport_event(event_id="good"), bad]})})

    html = response.content.decode()
    assert response.status_code == 200
    assert f"#{pool.pk}" in html
    assert "$.events[1].eventLocation.UNLocationCode" in html
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["good"]


def test_a_file_that_is_not_dcsa_json_is_refused_and_stores_nothing():
    partner = PartnerFactory()
    user = UserFactory()
    partner.users.add(user)

    response = _client(user).post(URL, {"partner": partner.pk, "file": SimpleUploadedFile(
        "x.json", b"\xff\xfenot json")})

    assert response.status_code == 400
    assert "DCSA Track &amp; Trace 3.0.0" in response.content.decode()
    assert not TrackingEvent.objects.exists()


def test_a_coordinator_uploads_for_any_partner_and_an_outsider_gets_404():
    partner = PartnerFactory()
    coordinator = UserFactory(is_coordinator=True)
    outsider = UserFactory()

    ok = _client(coordinator).post(URL, {"partner": partner.pk, "file": _file(
        {"events": [transport_event(event_id="c1")]})})
    denied = _client(outsider).post(URL, {"partner": partner.pk, "file": _file(
        {"events": [transport_event(event_id="o1")]})})

    assert ok.status_code == 200
    assert denied.status_code == 404
    assert list(TrackingEvent.objects.values_list("event_id", flat=True)) == ["c1"]
