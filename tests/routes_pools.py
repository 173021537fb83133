"""Pool routes that take an id: another firm, a partner, or a firm on coordinator routes get 404."""

from __future__ import annotations

from typing import Any

from pooling.models import Pool, PoolEvent, PoolMember
from tests.authz import ObjectRoute, Owner, register
from tests.factories_pools import ads_pool, firm_with_user


def _pool_of(owner: Owner, state: str = Pool.State.APPROVED) -> Pool:
    """An ads pool in which the owner's firm is invited, next to two other firms."""
    return ads_pool(firms=[owner.firm, firm_with_user()], state=state)


def _snapshot(pool: Pool) -> Any:
    pool.refresh_from_db()
    return (pool.state, pool.member_count, pool.join_deadline, pool.projected_total,
            sorted(PoolMember.objects.filter(pool=pool).values_list("pk", "status")),
            PoolEvent.objects.filter(pool=pool).count())


def _firm_route(name: str, method: str, suffix: str, state: str = Pool.State.APPROVED,
                body: Any = None) -> ObjectRoute:
    return ObjectRoute(
        name=f"pool {name}", method=method,
        path=lambda pool: f"/api/v1/pools/{pool.pk}/{suffix}",
        make=lambda owner: _pool_of(owner, state), snapshot=_snapshot,
        body=body or (lambda pool: {}),
    )


def _coordinator_route(name: str, suffix: Any, body: Any = None,
                       state: str = Pool.State.PROPOSED) -> ObjectRoute:
    return ObjectRoute(
        name=f"pool {name}", method="post", path=suffix,
        make=lambda owner: _pool_of(owner, state), snapshot=_snapshot,
        owner_kind="coordinator", body=body or (lambda pool: {}),
    )


register(
    _firm_route("detail", "get", ""),
    _firm_route("accept", "post", "accept/"),
    _firm_route("decline", "post", "decline/"),
    _firm_route("leave", "post", "leave/"),
    _firm_route("join", "post", "join/", state=Pool.State.OPEN,
                body=lambda pool: {"need_id": pool.members.first().ad_need_id}),
    _coordinator_route("approve", lambda pool: f"/api/v1/pools/{pool.pk}/approve/"),
    _coordinator_route("reject", lambda pool: f"/api/v1/pools/{pool.pk}/reject/",
                       body=lambda pool: {"reason": "no"}),
    _coordinator_route("open", lambda pool: f"/api/v1/pools/{pool.pk}/open/",
                       state=Pool.State.APPROVED),
    _coordinator_route("lock", lambda pool: f"/api/v1/pools/{pool.pk}/lock/",
                       state=Pool.State.APPROVED),
    _coordinator_route("cancel", lambda pool: f"/api/v1/pools/{pool.pk}/cancel/",
                       body=lambda pool: {"reason": "no"}, state=Pool.State.APPROVED),
    _coordinator_route("deadline", lambda pool: f"/api/v1/pools/{pool.pk}/deadline/",
                       body=lambda pool: {"join_deadline": "2099-01-01T00:00:00Z"}),
    _coordinator_route(
        "member remove",
        lambda pool: f"/api/v1/pools/{pool.pk}/members/{pool.members.first().pk}/remove/"),
)
