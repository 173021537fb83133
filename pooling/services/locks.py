"""Row locks, taken in one place and always in one order.

A transaction that needs several rows locks pools before needs (shipping demands
and ad needs), and each kind by primary key, so two writers that touch the same
rows wait for each other instead of deadlocking. `of=("self",)` keeps the lock on
the named table even where a query joins others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model

from accounts.models import Firm, Partner
from coop.errors import NotFound
from pooling.models import AdNeed, ChannelProgramme, Pool, ShippingDemand

M = TypeVar("M", bound=Model)


def _lock_many(model: type[M], ids: Iterable[int]) -> list[M]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    return list(model._default_manager.filter(pk__in=wanted).order_by("pk")
                .select_for_update(of=("self",)))


def lock_pool(pool_id: int) -> Pool:
    """Lock one pool row for the rest of the transaction."""
    pool = Pool.objects.filter(pk=pool_id).select_for_update(of=("self",)).first()
    if pool is None:
        raise NotFound("No such pool.")
    return pool


def lock_pools(pool_ids: Iterable[int]) -> list[Pool]:
    return _lock_many(Pool, pool_ids)


def lock_partner_pool(*, partner: Partner, pool_id: int) -> Pool | None:
    """The partner's own pool, locked; None for any other pool."""
    return (Pool.objects.filter(pk=pool_id, partner=partner)
            .select_for_update(of=("self",)).first())


def lock_demands(demand_ids: Iterable[int]) -> list[ShippingDemand]:
    return _lock_many(ShippingDemand, demand_ids)


def lock_ad_needs(need_ids: Iterable[int]) -> list[AdNeed]:
    return _lock_many(AdNeed, need_ids)


def lock_firm_need(model: type[M], *, firm: Firm, pk: int) -> M:
    """The firm's demand or ad need, locked; NotFound for another firm's (never revealed)."""
    need = (model._default_manager.filter(firm=firm, pk=pk)
            .select_for_update(of=("self",)).first())
    if need is None:
        raise NotFound()
    return need


def lock_programme(programme_id: int) -> ChannelProgramme | None:
    return (ChannelProgramme.objects.filter(pk=programme_id)
            .select_for_update(of=("self",)).first())


def lock_partner(partner: Partner) -> Partner:
    return Partner.objects.filter(pk=partner.pk).select_for_update(of=("self",)).get()


__all__ = ["lock_ad_needs", "lock_demands", "lock_firm_need", "lock_partner",
           "lock_partner_pool", "lock_pool", "lock_pools", "lock_programme"]
