"""The pool lifecycle's state machine: the one place a pool changes state.

proposed -> approved -> open -> locked -> booked -> in transit -> delivered
-> invoiced -> settled, with rejected and cancelled as ends. Every change locks
the pool row, checks the transition is allowed, and writes an append-only
PoolEvent in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from coop.errors import ApplicationError
from pooling.models import Pool, PoolEvent
from pooling.services.locks import lock_pool

S = Pool.State

ALLOWED: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.OPEN, S.LOCKED, S.CANCELLED}),
    S.OPEN: frozenset({S.LOCKED, S.CANCELLED}),
    S.LOCKED: frozenset({S.BOOKED, S.CANCELLED}),
    S.BOOKED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.CANCELLED}),
    S.IN_TRANSIT: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.INVOICED}),
    S.INVOICED: frozenset({S.SETTLED}),
    S.SETTLED: frozenset({S.INVOICED}),  # a credit note reopens settlement
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Advertising pools have no transport leg: after locking, the partner books the
# campaign, and spend reports invoice it.
ADS_SHORTCUTS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.INVOICED}),
}


class TransitionError(ApplicationError):
    status_code = 409
    code = "invalid_transition"


def can_transition(pool: Pool, to: str) -> bool:
    allowed = ALLOWED.get(pool.state, frozenset())
    if pool.kind == Pool.Kind.ADS:
        allowed = allowed | ADS_SHORTCUTS.get(pool.state, frozenset())
    return to in allowed


def record_event(
    *, pool: Pool, action: str, actor: Any = None, actor_label: str = "", reason: str = "",
    from_state: str = "", to_state: str = "",
) -> PoolEvent:
    label = actor_label or (getattr(actor, "email", "") if actor is not None else "") or "system"
    return PoolEvent.objects.create(
        pool=pool, actor=actor if getattr(actor, "pk", None) else None, actor_label=label,
        action=action, from_state=from_state, to_state=to_state, reason=reason,
    )


def _refuse(pool: Pool, to: str) -> TransitionError:
    return TransitionError(
        f"Pool #{pool.pk} is {pool.get_state_display().lower()}; it cannot become "
        f"{Pool.State(to).label.lower()}.",
        fields={"state": [f"Not allowed from {pool.state} to {to}."]},
    )


def pool_move(
    *, pool: Pool, to: str, actor: Any = None, actor_label: str = "", reason: str = "",
    action: str = "",
) -> PoolEvent:
    """Move a pool the caller has already locked to `to` in memory, if the lifecycle allows
    it, and return its unsaved event: for writers that save many pools and events in bulk
    inside their own transaction."""
    if not can_transition(pool, to):
        raise _refuse(pool, to)
    label = actor_label or (getattr(actor, "email", "") if actor is not None else "") or "system"
    event = PoolEvent(pool=pool, actor=actor if getattr(actor, "pk", None) else None,
                      actor_label=label, action=action or to, from_state=pool.state,
                      to_state=to, reason=reason)
    pool.state = to
    return event


@transaction.atomic
def pool_transition(
    *, pool: Pool, to: str, actor: Any = None, actor_label: str = "", reason: str = "",
    action: str = "",
) -> Pool:
    """Move a pool to `to` if the lifecycle allows it; raise TransitionError otherwise."""
    locked = lock_pool(pool.pk)
    if not can_transition(locked, to):
        raise _refuse(locked, to)
    from_state = locked.state
    locked.state = to
    locked.save(update_fields=["state", "updated_at"])
    record_event(pool=locked, action=action or to, actor=actor, actor_label=actor_label,
                 reason=reason, from_state=from_state, to_state=to)
    pool.state = to
    return locked
