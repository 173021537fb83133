"""The coordinator's API routes that take an object id, for the authorization matrix."""

from __future__ import annotations

from pooling.models import MatchingRun
from tests.authz import ObjectRoute, register

register(
    ObjectRoute(
        name="matching run detail",
        method="get",
        path=lambda run: f"/api/v1/matching/runs/{run.pk}/",
        make=lambda owner: MatchingRun.objects.create(trigger=MatchingRun.Trigger.COMMAND),
        snapshot=lambda run: MatchingRun.objects.filter(pk=run.pk).values().get(),
        owner_kind="coordinator",
    ),
)
