from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Firm, Invitation, Membership, User
from accounts.services import invitation_create

pytestmark = pytest.mark.django_db

GOOD = {
    "full_name": "Mei Wong", "email": "mei@example.com", "password": "harbour-lights-42",
    "legal_name": "Wong Trading Ltd", "country": "HK", "billing_currency": "USD",
    "growth_stage": "startup", "product_categories": ["toys"],
}


def test_signup_creates_user_firm_and_owner_membership_and_signs_in(client) -> None:
    response = client.post(reverse("accounts:signup"), GOOD)

    assert response.status_code == 302
    assert response["Location"] == reverse("pooling:dashboard")
    membership = Membership.objects.get(user__email="mei@example.com")
    assert membership.role == "owner"
    assert membership.firm.legal_name == "Wong Trading Ltd"
    assert membership.firm.country == "HK"
    assert client.get(reverse("pooling:dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "XX", "Select a valid choice"),
        ("billing_currency", "ABC", "Select a valid choice"),
        ("password", "password", "This password is too common"),
        ("password", "12345678901", "entirely numeric"),
        ("email", "not-an-email", "Enter a valid email address"),
    ],
)
def test_signup_bad_input_gets_a_field_error_and_creates_nothing(client, field, value, message) -> None:
    response = client.post(reverse("accounts:signup"), {**GOOD, field: value})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.exists()
    assert not Firm.objects.exists()


def test_signup_with_a_used_email_is_refused_and_no_firm_is_half_created(client) -> None:
    User.objects.create_user("mei@example.com", "whatever-pass-1")

    response = client.post(reverse("accounts:signup"), {**GOOD, "email": "MEI@example.com"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    assert not Firm.objects.exists()
    assert User.objects.count() == 1


def test_login_logout_and_password_reset(client) -> None:
    User.objects.create_user("a@example.com", "harbour-lights-42")
    response = client.post(reverse("accounts:login"),
                           {"username": "a@example.com", "password": "harbour-lights-42"})
    assert response.status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302

    response = client.post(reverse("accounts:password-reset"), {"email": "a@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_invite_a_colleague_who_signs_up_through_the_link(
    client, firm_user, firm, django_capture_on_commit_callbacks
) -> None:
    client.force_login(firm_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invite"), {"email": "colleague@example.com",
                                                            "role": "member"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/invitations/" in w)
    client.logout()

    response = client.post(link, {"full_name": "Col League", "password": "harbour-lights-42"})

    assert response.status_code == 302
    colleague = User.objects.get(email="colleague@example.com")
    assert colleague.memberships.get().firm == firm
    assert Invitation.objects.get().accepted_at is not None
    # the link works once only
    assert client.get(link).status_code == 404


def test_a_user_of_two_firms_switches_the_firm_they_act_for(client, firm_user, firm) -> None:
    second = Membership.objects.create(
        user=firm_user, firm=Firm.objects.create(legal_name="Second Ltd", country="DE",
                                                 billing_currency="EUR", growth_stage="mature"))
    client.force_login(firm_user)

    client.post(reverse("accounts:switch-firm"), {"firm": second.firm_id})

    assert client.get(reverse("pooling:dashboard")).context["acting_firm"] == second.firm


def test_switching_to_a_firm_you_are_not_in_is_refused(client, firm_user, firm) -> None:
    stranger = Firm.objects.create(legal_name="Stranger", country="DE", billing_currency="EUR",
                                   growth_stage="mature")
    client.force_login(firm_user)

    client.post(reverse("accounts:switch-firm"), {"firm": stranger.pk})

    assert client.get(reverse("pooling:dashboard")).context["acting_firm"] == firm


def test_invitation_for_an_existing_member_is_refused(firm_user, firm) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        invitation_create(firm=firm, invited_by=firm_user, email=firm_user.email)
    assert "already a member" in str(error.value)
    assert not Invitation.objects.exists()


def test_api_user_of_several_firms_must_name_one(api, firm_user) -> None:
    Membership.objects.create(
        user=firm_user, firm=Firm.objects.create(legal_name="Second Ltd", country="DE",
                                                 billing_currency="EUR", growth_stage="mature"))
    firm = firm_user.memberships.first().firm

    refused = api.get(f"/api/v1/firms/{firm.pk}/")
    named = api.get(f"/api/v1/firms/{firm.pk}/", HTTP_X_FIRM=str(firm.pk))

    assert refused.status_code == 400
    assert "X-Firm" in refused.json()["error"]["fields"]
    assert named.status_code == 200
    assert named.json()["legal_name"] == firm.legal_name


def test_token_auth(client, firm_user, firm) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/auth/token/",
                                {"email": firm_user.email, "password": "correct-horse-battery-9"},
                                format="json")
    token = response.json()["token"]
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["firms"][0]["id"] == firm.pk

    wrong = APIClient().post("/api/v1/auth/token/",
                             {"email": firm_user.email, "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"]["password"] == ["Email or password is wrong."]


def test_home_sends_signed_in_people_to_their_work(client, firm_user, coordinator) -> None:
    assert client.get("/").status_code == 200

    client.force_login(firm_user)
    assert client.get("/")["Location"] == reverse("pooling:dashboard")

    client.force_login(coordinator)
    assert client.get("/")["Location"] == reverse("pooling:console")
