"""Another firm, a partner, or a firm on partner routes: 404 and nothing changed."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests
from accounts.models import Partner
from tests.authz import ROUTES, ObjectRoute, Owner
from tests.conftest import client_for, partner_client
from tests.factories import MembershipFactory, PartnerFactory

for module in pkgutil.iter_modules(tests.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.{module.name}")


def _owner() -> Owner:
    membership = MembershipFactory()
    return Owner(user=membership.user, firm=membership.firm,
                 partner=PartnerFactory(kind=Partner.Kind.LOGISTICS))


def _intruders(route: ObjectRoute, owner: Owner) -> dict[str, object]:
    intruders = {"another firm": client_for(MembershipFactory().user),
                 "another partner": partner_client(PartnerFactory())}
    if route.owner_kind == "partner":
        intruders["a firm user"] = client_for(owner.user)
    if route.owner_kind == "coordinator":
        intruders["the partner itself"] = partner_client(owner.partner)
        intruders["a firm user"] = client_for(owner.user)
    return intruders


def test_the_matrix_covers_routes() -> None:
    assert len(ROUTES) >= 3


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_other_tenants_get_404_and_change_nothing(route: ObjectRoute) -> None:
    # given an object owned by one firm or partner
    owner = _owner()
    obj = route.make(owner)
    intruders = _intruders(route, owner)
    before = route.snapshot(obj)

    for who, client in intruders.items():
        # when someone else asks for it
        response = getattr(client, route.method)(route.path(obj), route.body(obj), format="json")

        # then it does not exist for them, and nothing changed
        assert response.status_code == 404, (who, response.status_code, response.content)
        assert response.json()["error"]["code"] == "not_found", who
        assert route.snapshot(obj) == before, who
