from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import PartnerAPIKey

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_hashed_at_rest_and_records_its_last_use(coordinator_api, partner) -> None:
    response = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/",
                                    {"name": "production feed"}, format="json")
    assert response.status_code == 201
    key = response.json()["key"]
    stored = PartnerAPIKey.objects.get(partner=partner)
    assert key not in stored.hashed_key and key not in stored.id
    assert stored.last_used_at is None
    assert "key" not in coordinator_api.get(f"/api/v1/partners/{partner.pk}/keys/").json()["results"][0]

    me = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/partner/me/")

    assert me.status_code == 200
    assert me.json() == {"id": partner.pk, "name": partner.name, "kind": "logistics",
                         "key_name": "production feed"}
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_revoked_key_is_refused(coordinator_api, partner) -> None:
    key = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/", {"name": "k"},
                               format="json").json()
    coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/{key['api_key']['id']}/revoke/")

    response = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key['key']}").get("/api/v1/partner/me/")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."


@pytest.mark.parametrize("header", ["Api-Key", "Api-Key nodot", "Api-Key a.b c", "Api-Key .x"])
def test_a_malformed_key_gets_a_clear_message(header) -> None:
    response = APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/partner/me/")

    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Malformed API key")


def test_an_unknown_key_is_refused() -> None:
    response = APIClient(HTTP_AUTHORIZATION="Api-Key abcdefgh.notarealkey").get(
        "/api/v1/partner/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Unknown API key."


def test_a_partner_key_does_not_reach_firm_endpoints(partner_api) -> None:
    assert partner_api.get("/api/v1/me/").status_code == 403


def test_only_coordinators_issue_keys(api, partner) -> None:
    response = api.post(f"/api/v1/partners/{partner.pk}/keys/", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert not PartnerAPIKey.objects.exists()


def test_a_key_needs_a_name(coordinator_api, partner) -> None:
    response = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/", {"name": ""},
                                    format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    assert not PartnerAPIKey.objects.exists()
