"""What every partner write shares: finding the partner's own pool, locked."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts.models import Partner
from coop.errors import NotFound
from pooling.models import Pool, PoolMember
from pooling.services.locks import lock_partner_pool


def partner_pool_locked(*, partner: Partner, pool_id: int) -> Pool:
    """The partner's pool, row-locked; 404 for pools of others (never reveals they exist)."""
    pool = (lock_partner_pool(partner=partner, pool_id=pool_id)
            if isinstance(pool_id, int) and not isinstance(pool_id, bool) else None)
    if pool is None:
        raise NotFound("Not found.")
    return pool


def partner_pool_named(*, partner: Partner, pool_id: int) -> Pool:
    """The pool a partner's document names in its `pool` field, row-locked; else a field error."""
    try:
        return partner_pool_locked(partner=partner, pool_id=pool_id)
    except NotFound:
        raise ValidationError({"pool": [f"No pool #{pool_id} is assigned to you."]}) from None


def member_firms(pool: Pool) -> list:
    return [m.firm for m in PoolMember.objects.filter(
        pool=pool, status__in=PoolMember.ACTIVE).select_related("firm")]
