"""List endpoints and the main pages cost the same number of queries for 2 rows as for 20."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Partner
from pooling.models import Invoice, Pool, PoolMember
from tests.conftest import client_for, partner_client
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    InvoiceFactory,
    MembershipFactory,
    PartnerFactory,
    PoolFactory,
    PoolMemberFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = Pool.State


def _queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    return len(ctx)


def _same_at_2_and_20(add: Callable[[int], None], call: Callable[[], Any]) -> None:
    add(2)
    call()  # warm caches that do not depend on the rows (content types, sessions)
    at_two = _queries(call)
    add(18)
    assert _queries(call) == at_two


@pytest.fixture
def firm_setup() -> dict[str, Any]:
    membership = MembershipFactory(role="owner")
    card = SeaRateCardFactory()
    return {"firm": membership.firm, "user": membership.user, "card": card}


def _firm_pools(firm: Any, card: Any, n: int) -> None:
    """`n` pools the firm is in, and `n` open pools its open demands fit."""
    today = timezone.localdate()
    for _ in range(n):
        mine = PoolFactory(rate_card=card, state=S.APPROVED)
        PoolMemberFactory(pool=mine, firm=firm, demand=ShippingDemandFactory(firm=firm))
        other = PoolFactory(rate_card=card, state=S.OPEN, ship_date=today + dt.timedelta(days=12),
                            join_deadline=timezone.now() + dt.timedelta(days=3))
        PoolMemberFactory(pool=other)
        ShippingDemandFactory(firm=firm)
        AdNeedFactory(firm=firm)


def test_firm_dashboard(firm_setup: dict[str, Any]) -> None:
    web = Client()
    web.force_login(firm_setup["user"])
    _same_at_2_and_20(lambda n: _firm_pools(firm_setup["firm"], firm_setup["card"], n),
                      lambda: web.get(reverse("pooling:dashboard")))


def test_firm_pool_list_page(firm_setup: dict[str, Any]) -> None:
    web = Client()
    web.force_login(firm_setup["user"])
    _same_at_2_and_20(lambda n: _firm_pools(firm_setup["firm"], firm_setup["card"], n),
                      lambda: web.get(reverse("pooling:pools")))


def test_coordinator_console() -> None:
    web = Client()
    web.force_login(UserFactory(is_coordinator=True))
    card = SeaRateCardFactory()

    def add(n: int) -> None:
        for _ in range(n):
            pool = PoolFactory(rate_card=card, state=S.PROPOSED)
            PoolMemberFactory(pool=pool)
            PoolMemberFactory(pool=pool)

    _same_at_2_and_20(add, lambda: web.get(reverse("pooling:console")))


def test_partner_page() -> None:
    partner = PartnerFactory(kind=Partner.Kind.LOGISTICS)
    user = UserFactory()
    partner.users.add(user)
    web = Client()
    web.force_login(user)

    def add(n: int) -> None:
        for _ in range(n):
            card = SeaRateCardFactory(partner=partner)
            pool = PoolFactory(rate_card=card, partner=partner, state=S.LOCKED)
            PoolMemberFactory(pool=pool)
            InvoiceFactory(partner=partner, pool=pool)

    _same_at_2_and_20(add, lambda: web.get(reverse("pooling:partner-home")))


@pytest.mark.parametrize("path", ["/api/v1/demands/", "/api/v1/ad-needs/", "/api/v1/pools/",
                                  "/api/v1/programmes/"])
def test_firm_list_endpoints(firm_setup: dict[str, Any], path: str) -> None:
    api = client_for(firm_setup["user"])
    _same_at_2_and_20(lambda n: _firm_pools(firm_setup["firm"], firm_setup["card"], n),
                      lambda: api.get(path))


def test_coordinator_pool_list_endpoint() -> None:
    api = client_for(UserFactory(is_coordinator=True))
    card = SeaRateCardFactory()

    def add(n: int) -> None:
        for _ in range(n):
            pool = PoolFactory(rate_card=card)
            PoolMemberFactory(pool=pool)
            ChannelProgrammeFactory()

    _same_at_2_and_20(add, lambda: api.get("/api/v1/pools/"))


@pytest.mark.parametrize("path", ["/api/v1/partner/rate-cards/", "/api/v1/partner/invoices/",
                                  "/api/v1/partner/pools/awaiting-booking/",
                                  "/api/v1/partner/capacity/", "/api/v1/partner/webhooks/"])
def test_partner_list_endpoints(path: str) -> None:
    partner = PartnerFactory(kind=Partner.Kind.LOGISTICS)
    api = partner_client(partner)

    def add(n: int) -> None:
        for _ in range(n):
            card = SeaRateCardFactory(partner=partner)
            pool = PoolFactory(rate_card=card, partner=partner, state=S.LOCKED)
            PoolMemberFactory(pool=pool, status=PoolMember.Status.ACCEPTED)
            invoice = InvoiceFactory(partner=partner, pool=pool)
            assert isinstance(invoice, Invoice)

    _same_at_2_and_20(add, lambda: api.get(path))


def test_statements_endpoint(firm_setup: dict[str, Any]) -> None:
    api = client_for(firm_setup["user"])
    _same_at_2_and_20(lambda n: _firm_pools(firm_setup["firm"], firm_setup["card"], n),
                      lambda: api.get("/api/v1/statements/"))



