"""Schemathesis against the live OpenAPI schema: no input gets a server error, and every
answer is what the schema says (status, content type, body), for a firm user, a partner
and a coordinator alike.

Fixed seed and a bounded number of examples per operation, so a run is repeatable and
short; raise FUZZ_EXAMPLES locally to dig deeper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Partner
from accounts.services import api_token_issue, partner_key_create
from tests.factories import (
    ChannelProgrammeFactory,
    InvoiceLineFactory,
    MembershipFactory,
    PartnerFactory,
    PoolFactory,
    PoolMemberFactory,
    ShippingDemandFactory,
    UserFactory,
)

SEED = 20261201
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "suppress-health-check": ["all"],
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "no-shrink": True,
                   "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})


@pytest.fixture
def api_schema(db) -> Iterator[schemathesis.schemas.BaseSchema]:  # type: ignore[no-untyped-def]
    # Like Django's test client: keep the test's connection (and its transaction) open
    # across requests, so the app sees what the test stored.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json",
                                             get_wsgi_application(), config=CONFIG)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def identities(db) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Headers of a firm user, a logistics partner and a coordinator, with data to see."""
    membership = MembershipFactory(role="owner")
    firm, user = membership.firm, membership.user
    partner = PartnerFactory(kind=Partner.Kind.LOGISTICS)
    ChannelProgrammeFactory()
    demand = ShippingDemandFactory(firm=firm)
    pool = PoolFactory(partner=partner, rate_card__partner=partner)
    PoolMemberFactory(pool=pool, demand=demand)
    # An invoice (it corrects nothing) so the partner's invoice answers carry a row.
    InvoiceLineFactory(invoice__pool=pool)
    coordinator = UserFactory(is_coordinator=True)
    return [
        {"Authorization": f"Token {api_token_issue(user=user)[1]}", "X-Firm": str(firm.pk)},
        {"Authorization": f"Api-Key {partner_key_create(partner=partner, name='fuzz').key}"},
        {"Authorization": f"Token {api_token_issue(user=coordinator)[1]}"},
    ]


def _fuzz(operation, mode: GenerationMode, identities: list[dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None,
                         derandomize=False, suppress_health_check=list(hypothesis.HealthCheck),
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    @hypothesis.seed(SEED)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        for headers in identities:
            case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)

    run()


def test_no_input_breaks_the_api(api_schema, identities) -> None:  # type: ignore[no-untyped-def]
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, identities)
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to break: the operation takes no parameters
            except BaseException as exc:  # every operation's failures are reported together
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode}): {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
