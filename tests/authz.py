"""The authorization matrix: every API route that takes an object id.

Each route names how to make an object owned by one firm (or partner), how to
call the route for it, and how to snapshot what must not change. The matrix
test asks as another firm and as a partner (and as a firm for partner routes)
and expects 404 with the snapshot unchanged. Modules add their routes with
`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Owner:
    """Who owns the object: a firm user (with `firm`) or a partner."""

    user: Any
    firm: Any
    partner: Any


@dataclass(frozen=True)
class ObjectRoute:
    name: str
    method: str
    path: Callable[[Any], str]
    make: Callable[[Owner], Any]
    snapshot: Callable[[Any], Any]
    owner_kind: str = "firm"  # "firm", "partner" or "coordinator"
    body: Callable[[Any], dict[str, Any]] = field(default=lambda obj: {})


ROUTES: list[ObjectRoute] = []


def register(*routes: ObjectRoute) -> None:
    ROUTES.extend(routes)
