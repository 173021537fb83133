"""Logins, tokens, keys and headers: brute force is throttled, tokens are hashed, expire
and can be revoked, key lists show no hash, every page carries the security headers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import PartnerAPIKey
from accounts.services import partner_key_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def _token(email: str, password: str = PASSWORD, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json")


# --- tokens ---------------------------------------------------------------------------


def test_tokens_are_stored_hashed_new_per_login_and_expire(firm_user, settings) -> None:
    first = _token(firm_user.email).json()
    second = _token(firm_user.email).json()

    assert first["token"] != second["token"]
    stored = AuthToken.objects.filter(user=firm_user)
    assert stored.count() == 2
    for row in stored:
        assert first["token"] not in (row.digest, row.token_key)
        assert row.expiry is not None and row.expiry > timezone.now()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {first['token']}").get(
        "/api/v1/me/").status_code == 200

    AuthToken.objects.filter(user=firm_user).update(expiry=timezone.now() - dt.timedelta(1))
    expired = APIClient(HTTP_AUTHORIZATION=f"Token {first['token']}").get("/api/v1/me/")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"]


def test_a_user_revokes_one_token_or_all(firm_user) -> None:
    tokens = [_token(firm_user.email).json()["token"] for _ in range(3)]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {tokens[0]}")

    assert client.post("/api/v1/auth/token/revoke/", {}, format="json").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    still = APIClient(HTTP_AUTHORIZATION=f"Token {tokens[1]}")
    assert still.get("/api/v1/me/").status_code == 200

    assert still.post("/api/v1/auth/token/revoke/", {"all": True},
                      format="json").status_code == 204
    assert APIClient(HTTP_AUTHORIZATION=f"Token {tokens[2]}").get(
        "/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=firm_user).exists()


# --- brute force ----------------------------------------------------------------------


def test_the_token_endpoint_throttles_failures_per_account(firm_user, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "login_account": "3/hour", "login_address": "100/hour"}}
    answers = [_token(firm_user.email, "wrong", address=f"10.0.0.{i}").status_code
               for i in range(3)]

    blocked = _token(firm_user.email, address="10.0.9.9")

    assert answers == [400, 400, 400]
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "throttled"
    assert not AuthToken.objects.exists()


def test_the_token_endpoint_throttles_failures_per_address(firm_user, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "login_account": "100/hour", "login_address": "3/hour"}}
    for n in range(3):
        assert _token(f"nobody{n}@example.com", "x", address="10.1.1.1").status_code == 400

    blocked = _token(firm_user.email, address="10.1.1.1")
    elsewhere = _token(firm_user.email, address="10.1.1.2")

    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert elsewhere.status_code == 200


def test_the_web_login_says_it_is_throttled(firm_user, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "login_account": "2/hour", "login_address": "100/hour"}}
    client = Client()
    for _ in range(2):
        wrong = client.post("/accounts/login/", {"username": firm_user.email, "password": "x"})
        assert wrong.status_code == 200

    blocked = client.post("/accounts/login/", {"username": firm_user.email,
                                               "password": PASSWORD})

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Too many failed sign-ins" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_web_login_is_not_slowed_down(firm_user) -> None:
    client = Client()
    for _ in range(15):
        response = client.post("/accounts/login/", {"username": firm_user.email,
                                                    "password": PASSWORD})
        assert response.status_code == 302
        client.logout()


# --- partner keys ---------------------------------------------------------------------


def test_the_key_list_shows_the_public_prefix_but_never_the_hash(coordinator_api, partner) -> None:
    new = partner_key_create(partner=partner, name="feed")
    stored = PartnerAPIKey.objects.get(pk=new.api_key.pk)
    hashed = stored.hashed_key

    listed = coordinator_api.get(f"/api/v1/partners/{partner.pk}/keys/")

    assert listed.status_code == 200
    assert hashed not in listed.content.decode()
    assert stored.pk not in listed.content.decode()
    row = listed.json()["results"][0]
    assert row["id"] == row["prefix"] == stored.prefix
    revoked = coordinator_api.post(f"/api/v1/partners/{partner.pk}/keys/{row['id']}/revoke/")
    assert revoked.status_code == 200
    assert PartnerAPIKey.objects.get(pk=stored.pk).revoked


# --- headers --------------------------------------------------------------------------


def test_every_page_and_answer_carries_csp_and_permissions_policy(client, firm_user) -> None:
    client.force_login(firm_user)
    for url in ("/", "/accounts/login/", "/dashboard/", "/api/v1/me/"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "camera=()" in response["Permissions-Policy"]


def test_pages_hold_no_inline_script(client, firm_user) -> None:
    client.force_login(firm_user)
    page = client.get("/dashboard/").content.decode()
    assert " onchange=" not in page and " onclick=" not in page
    import re

    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
