from __future__ import annotations

import threading

import pytest

from accounts.models import IdempotencyRecord, PartnerAPIKey
from coop.api.idempotency import fingerprint
from pooling.models import FxRate

pytestmark = pytest.mark.django_db


def test_schema_and_docs_are_served(client) -> None:
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_one_error_shape_for_validation_errors(coordinator_api, partner) -> None:
    response = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/",
                                    {"expiry_date": "yesterday"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert set(body["error"]["fields"]) == {"name", "expiry_date"}
    assert body["error"]["message"].startswith("Invalid input.")


def test_unauthenticated_calls_get_the_error_shape(client) -> None:
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "message" in response.json()["error"]


def test_same_key_and_body_replays_the_first_response(coordinator_api, partner) -> None:
    url = f"/api/v1/partners/{partner.pk}/keys/"
    first = coordinator_api.post(url, {"name": "feed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = coordinator_api.post(url, {"name": "feed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == {**first.json(), "key": None}
    assert again["Idempotent-Replayed"] == "true"
    assert again["Idempotent-Redacted"] == "key"
    assert PartnerAPIKey.objects.count() == 1


def test_same_key_with_another_body_is_422_and_changes_nothing(coordinator_api, partner) -> None:
    url = f"/api/v1/partners/{partner.pk}/keys/"
    coordinator_api.post(url, {"name": "feed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = coordinator_api.post(url, {"name": "other"}, format="json",
                                    HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert PartnerAPIKey.objects.count() == 1


def test_same_key_while_the_first_is_running_is_409(coordinator_api, coordinator, partner) -> None:
    url = f"/api/v1/partners/{partner.pk}/keys/"
    IdempotencyRecord.objects.create(
        scope=f"user:{coordinator.pk}", key="k-3", method="POST", path=url,
        request_hash=fingerprint("POST", url, "", {"name": "feed"}),
    )

    response = coordinator_api.post(url, {"name": "feed"}, format="json",
                                    HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert not PartnerAPIKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_run_the_write_once(coordinator_api, partner, coordinator) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from tests.conftest import client_for

    url = f"/api/v1/partners/{partner.pk}/keys/"
    results: list[int] = []

    def call() -> None:
        response = client_for(coordinator).post(url, {"name": "feed"}, format="json",
                                                HTTP_IDEMPOTENCY_KEY="k-race")
        results.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert PartnerAPIKey.objects.count() == 1
    assert set(results) <= {201, 409}
    assert results.count(201) >= 1


def test_idempotency_keys_older_than_the_ttl_are_forgotten(settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tasks import idempotency_records_prune

    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    old = IdempotencyRecord.objects.create(scope="user:1", key="old", method="POST", path="/",
                                           request_hash="h", state="done")
    running = IdempotencyRecord.objects.create(scope="user:1", key="running", method="POST",
                                               path="/", request_hash="h")
    IdempotencyRecord.objects.create(scope="user:1", key="fresh", method="POST",
                                     path="/", request_hash="h", state="done")
    IdempotencyRecord.objects.filter(pk__in=[old.pk, running.pk]).update(
        created_at=timezone.now() - timedelta(hours=25))

    assert idempotency_records_prune() == 2

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.parametrize(("query", "field"), [
    ("page_size=null", "page_size"), ("page_size=0", "page_size"),
    ("page_size=501", "page_size"), ("page_size=-5", "page_size"),
    ("page_size=%EF%BC%91", "page_size"),  # a full-width digit one
    ("page=abc", "page"), ("page=0", "page"), ("page=1.5", "page"),
])
def test_a_page_or_page_size_that_is_not_a_whole_number_in_range_is_a_400(
        coordinator_api, query, field) -> None:
    response = coordinator_api.get(f"/api/v1/fx-rates/?{query}")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_pages_in_range_are_served_and_a_page_past_the_last_is_a_404(coordinator_api) -> None:
    for quote in ("EUR", "JPY", "GBP"):
        FxRate.objects.create(base="USD", quote=quote, rate="1.5", as_of="2026-11-03",
                              posted_by="a coordinator")

    first = coordinator_api.get("/api/v1/fx-rates/?page_size=2")
    last = coordinator_api.get("/api/v1/fx-rates/?page_size=2&page=last")
    past = coordinator_api.get("/api/v1/fx-rates/?page_size=2&page=3")

    assert first.status_code == last.status_code == 200
    assert (len(first.json()["results"]), len(last.json()["results"])) == (2, 1)
    assert first.json()["count"] == 3
    assert past.status_code == 404


def test_the_schema_declares_the_page_bounds(client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"]
                  for p in schema["paths"]["/api/v1/fx-rates/"]["get"]["parameters"]}
    assert parameters["page"]["minimum"] == 1
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 500)
