"""Partner pages: a partner's own keys, webhooks and pools awaiting booking; 404 for anyone
else; a new key shown once; revocation scoped to the user's partner."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Partner, PartnerAPIKey
from accounts.services import partner_key_create
from pooling.models import Pool, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import PartnerFactory, PoolFactory, SeaRateCardFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("pooling:partner-home")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _partner_user(partner: Partner):  # type: ignore[no-untyped-def]
    user = UserFactory()
    partner.users.add(user)
    return user


def _endpoint(partner: Partner, url: str, **extra) -> WebhookEndpoint:  # type: ignore[no-untyped-def]
    return WebhookEndpoint.objects.create(partner=partner, url=url, secret="s3cret", **extra)


def _delivery(endpoint: WebhookEndpoint, message_id: str, **extra) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    return WebhookDelivery.objects.create(endpoint=endpoint, message_id=message_id,
                                          event_type="pool.locked", payload={}, **extra)


def _keys_state() -> list[tuple]:
    return sorted(PartnerAPIKey.objects.values_list("pk", "partner_id", "revoked"))


def test_a_partner_user_sees_its_keys_endpoints_deliveries_and_pools_and_not_another_partners():
    # given two partners, each with a key, an endpoint, a delivery and a locked pool
    mine = PartnerFactory(name="Alpha Freight", kind=Partner.Kind.LOGISTICS)
    theirs = PartnerFactory(name="Beta Freight", kind=Partner.Kind.LOGISTICS)
    partner_key_create(partner=mine, name="alpha-feed")
    partner_key_create(partner=theirs, name="beta-feed")
    live = _endpoint(mine, "https://alpha.example/hooks")
    _endpoint(mine, "https://alpha.example/old", is_active=False,
              disabled_reason="Disabled after 10 failures in a row.", consecutive_failures=10)
    failed = _delivery(live, "msg-alpha-1", status=WebhookDelivery.Status.FAILED, attempt_count=2)
    WebhookAttempt.objects.create(delivery=failed, status_code=500, error="HTTP 500 from alpha")
    _delivery(_endpoint(theirs, "https://beta.example/hooks"), "msg-beta-1")
    my_pool = PoolFactory(state=Pool.State.LOCKED, rate_card=SeaRateCardFactory(partner=mine))
    their_pool = PoolFactory(state=Pool.State.LOCKED,
                             rate_card=SeaRateCardFactory(partner=theirs))
    user = _partner_user(mine)

    # when its user opens the partner page
    response = _client(user).get(HOME)

    # then it sees its own things only
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alpha Freight" in body
    assert "Logistics partner" in body
    assert "alpha-feed" in body
    assert "https://alpha.example/hooks" in body
    assert "Disabled after 10 failures in a row." in body
    assert "HTTP 500 from alpha" in body
    assert "msg-alpha-1" not in body  # message ids are internal
    assert f"Pool #{my_pool.pk} " in body
    assert reverse("swagger-ui") in body
    assert "Beta Freight" not in body
    assert "beta-feed" not in body
    assert "https://beta.example/hooks" not in body
    assert f"Pool #{their_pool.pk} " not in body
    assert [k.name for k in response.context["keys"]] == ["alpha-feed"]
    assert [r["delivery"].pk for r in response.context["deliveries"]] == [failed.pk]
    assert 'href="/partner/"' in body  # the nav link


def test_the_page_shows_only_the_20_latest_deliveries_in_bounded_queries(
        django_assert_max_num_queries):
    partner = PartnerFactory()
    endpoint = _endpoint(partner, "https://hooks.example/in")
    for n in range(25):
        _delivery(endpoint, f"msg-{n:02d}")
    client = _client(_partner_user(partner))

    with django_assert_max_num_queries(13):
        response = client.get(HOME)

    rows = response.context["deliveries"]
    assert len(rows) == 20
    assert rows[0]["delivery"].message_id == "msg-24"


def test_a_user_of_two_partners_sees_the_first_by_name_or_the_one_chosen():
    zulu = PartnerFactory(name="Zulu Ads", kind=Partner.Kind.ADVERTISING)
    alpha = PartnerFactory(name="Alpha Lines")
    outsider = PartnerFactory(name="Outsider Co")
    user = _partner_user(zulu)
    alpha.users.add(user)
    client = _client(user)

    assert client.get(HOME).context["partner"] == alpha
    chosen = client.get(HOME, {"partner": zulu.pk})
    assert chosen.context["partner"] == zulu
    assert "Advertising partner" in chosen.content.decode()
    assert client.get(HOME, {"partner": outsider.pk}).status_code == 404
    assert client.get(HOME, {"partner": "x"}).status_code == 404


def test_issuing_a_key_shows_it_once_and_stores_only_its_hash():
    partner = PartnerFactory()
    client = _client(_partner_user(partner))

    response = client.post(reverse("pooling:partner-key-issue"),
                           {"partner": partner.pk, "name": "production feed"})

    assert response.status_code == 302
    shown = client.get(response["Location"])
    assert shown.status_code == 200
    raw = shown.context["issued"]["key"]
    body = shown.content.decode()
    assert raw in body
    assert "won't be shown again" in body
    api_key = PartnerAPIKey.objects.get(partner=partner)
    assert api_key.name == "production feed"
    assert raw.startswith(api_key.prefix + ".")
    assert raw not in api_key.hashed_key
    assert api_key.is_valid(raw)
    # and the next visit does not show it again
    again = client.get(response["Location"])
    assert again.status_code == 302
    assert raw not in client.get(HOME).content.decode()


def test_a_key_without_a_name_or_with_a_too_long_name_is_refused_and_nothing_stored():
    partner = PartnerFactory()
    client = _client(_partner_user(partner))

    blank = client.post(reverse("pooling:partner-key-issue"), {"partner": partner.pk, "name": " "})
    long = client.post(reverse("pooling:partner-key-issue"),
                       {"partner": partner.pk, "name": "x" * 51})

    assert blank.status_code == 400
    assert "Give the key a name" in blank.content.decode()
    assert long.status_code == 400
    assert "Keep the name to 50 characters." in long.content.decode()
    assert PartnerAPIKey.objects.count() == 0


def test_revoking_a_key_of_ones_partner_works():
    partner = PartnerFactory()
    api_key = partner_key_create(partner=partner, name="old feed").api_key
    client = _client(_partner_user(partner))

    response = client.post(reverse("pooling:partner-key-revoke"),
                           {"partner": partner.pk, "key": api_key.pk})

    assert response.status_code == 302
    assert response["Location"] == f"{HOME}?partner={partner.pk}"
    api_key.refresh_from_db()
    assert api_key.revoked is True


def test_revoking_another_partners_key_is_404_and_changes_nothing():
    mine = PartnerFactory()
    theirs = PartnerFactory()
    partner_key_create(partner=mine, name="mine")
    foreign = partner_key_create(partner=theirs, name="theirs").api_key
    client = _client(_partner_user(mine))
    before = _keys_state()

    as_mine = client.post(reverse("pooling:partner-key-revoke"),
                          {"partner": mine.pk, "key": foreign.pk})
    as_theirs = client.post(reverse("pooling:partner-key-revoke"),
                            {"partner": theirs.pk, "key": foreign.pk})
    issue_for_theirs = client.post(reverse("pooling:partner-key-issue"),
                                   {"partner": theirs.pk, "name": "sneaky"})

    assert as_mine.status_code == 404
    assert as_theirs.status_code == 404
    assert issue_for_theirs.status_code == 404
    assert _keys_state() == before


def test_a_firm_user_gets_404_and_an_anonymous_visitor_is_sent_to_log_in(firm_user):
    partner = PartnerFactory()
    api_key = partner_key_create(partner=partner, name="feed").api_key
    before = _keys_state()
    firm_client = _client(firm_user)
    anonymous = Client()

    assert firm_client.get(HOME).status_code == 404
    assert firm_client.post(reverse("pooling:partner-key-revoke"),
                            {"partner": partner.pk, "key": api_key.pk}).status_code == 404
    assert firm_client.post(reverse("pooling:partner-key-issue"),
                            {"partner": partner.pk, "name": "x"}).status_code == 404
    login = anonymous.get(HOME)
    assert login.status_code == 302
    assert login["Location"].startswith(reverse("accounts:login"))
    assert anonymous.post(reverse("pooling:partner-key-revoke"),
                          {"partner": partner.pk, "key": api_key.pk}).status_code == 302
    assert _keys_state() == before
    assert 'href="/partner/"' not in firm_client.get(reverse("pooling:dashboard")).content.decode()


def test_home_sends_a_partner_user_without_a_firm_to_the_partner_page(firm_user):
    partner = PartnerFactory()
    partner_only = _partner_user(partner)
    partner.users.add(firm_user)

    to_partner = _client(partner_only).get(reverse("home"))
    firm_first = _client(firm_user).get(reverse("home"))
    plain = _client(UserFactory()).get(reverse("home"))

    assert to_partner.status_code == 302
    assert to_partner["Location"] == HOME
    assert firm_first["Location"] == reverse("pooling:dashboard")
    assert plain.status_code == 200


def test_the_demo_creates_one_user_per_demo_partner_once():
    from pooling.demo import DEMO_PASSWORD, DemoReport, load_accounts

    first = DemoReport()
    load_accounts(first)
    second = DemoReport()
    load_accounts(second)

    blue = Partner.objects.get(name="Blue Anchor Logistics (demo)")
    bright = Partner.objects.get(name="Brightreach Media (demo)")
    assert list(blue.users.values_list("email", flat=True)) == ["ops@blue-anchor.demo"]
    assert list(bright.users.values_list("email", flat=True)) == ["ops@brightreach.demo"]
    assert blue.users.get().check_password(DEMO_PASSWORD)
    assert "partner user ops@blue-anchor.demo" in first.created
    assert not [c for c in second.created if c.startswith("partner user")]
    partner_logins = [row for row in second.logins if row[2].startswith("partner user of")]
    assert partner_logins == [
        ("ops@blue-anchor.demo", DEMO_PASSWORD, "partner user of Blue Anchor Logistics (demo)"),
        ("ops@brightreach.demo", DEMO_PASSWORD, "partner user of Brightreach Media (demo)"),
    ]
