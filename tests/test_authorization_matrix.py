"""Another firm, a partner, or a firm on partner routes: 404 and nothing changed."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

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


# Routes with an id that every signed-in firm may read: the programme catalogue.
CATALOGUE = {("get", "^/api/v1/programmes/[^/]+/$")}


class _Probe:
    """Stands for any object a route's path is built from: every id is 424242."""

    pk = id = 424242

    def __getattr__(self, name: str) -> object:
        return 424242 if name.endswith("_id") else self

    def __call__(self, *args: object, **kwargs: object) -> _Probe:
        return self


def _api_routes_with_an_id() -> set[tuple[str, str]]:
    """(path pattern as a regex, method) for every API route whose URL carries an id."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if not route.startswith("api/") or "<int:" not in route:
                    continue
                view = getattr(entry.callback, "cls", None)
                methods = [m for m in ("get", "post", "put", "patch", "delete")
                           if view is not None and hasattr(view, m)]
                regex = "^/" + re.sub(r"<\w+:\w+>", "[^/]+", route) + "$"
                found.update((regex, m) for m in methods)

    walk(get_resolver().url_patterns, "")
    return found


def test_every_route_with_an_id_is_in_the_matrix() -> None:
    # given every API route the URL resolver knows whose path carries an object id
    routes = _api_routes_with_an_id()
    assert routes

    # then the matrix asks each of them, with each method it answers
    probe = _Probe()
    asked = {(route.method, route.path(probe)) for route in ROUTES}
    missing = sorted(
        f"{method.upper()} {regex}" for regex, method in routes
        if (method, regex) not in CATALOGUE
        and not any(m == method and re.match(regex, path) for m, path in asked))
    assert missing == [], "\n".join(missing)


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
