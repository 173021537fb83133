"""Pools with real members: each member's firm has a user, so notifications reach someone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Partner
from pooling.models import Pool, PoolMember
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    FirmFactory,
    MembershipFactory,
    PartnerFactory,
    PoolFactory,
    PoolMemberFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
)


def firm_with_user(**kwargs: Any) -> Any:
    firm = FirmFactory(**kwargs)
    MembershipFactory(firm=firm)
    return firm


def logistics_pool(*, firms: list[Any] | None = None, members: int = 3,
                   status: str = PoolMember.Status.INVITED, reprice: bool = True,
                   **pool_kwargs: Any) -> Pool:
    """A sea LCL pool CNSZX→USLAX with members of 8 CBM each, priced by the tariff engine;
    the members' demands ship on the pool's lane and mode."""
    pool = PoolFactory(**pool_kwargs)
    lane = {"origin": pool.origin, "destination": pool.destination, "mode": pool.mode}
    for firm in firms or [firm_with_user() for _ in range(members)]:
        PoolMemberFactory(pool=pool, demand=ShippingDemandFactory(firm=firm, **lane), firm=firm,
                          status=status)
    if reprice:
        from pooling.services.pools import pool_reprice

        pool_reprice(pool=pool)
    pool.refresh_from_db()
    return pool


def ads_pool(*, firms: list[Any] | None = None, members: int = 3, budget: str = "20000",
             status: str = PoolMember.Status.INVITED, reprice: bool = True,
             **pool_kwargs: Any) -> Pool:
    """An Amazon DSP pool in the US: 3 x USD 20,000 reaches the USD 50,000 minimum."""
    programme = pool_kwargs.pop("programme", None) or ChannelProgrammeFactory(
        partner=PartnerFactory(kind=Partner.Kind.ADVERTISING))
    today = timezone.localdate()
    defaults = dict(
        kind=Pool.Kind.ADS, rate_card=None, partner=programme.partner, programme=programme,
        origin="", destination="", mode="", market="US", ship_date=None,
        flight_from=today + dt.timedelta(days=10), flight_to=today + dt.timedelta(days=40),
    )
    pool = PoolFactory(**{**defaults, **pool_kwargs})
    for firm in firms or [firm_with_user() for _ in range(members)]:
        need = AdNeedFactory(firm=firm, programme=programme, budget=Decimal(budget))
        PoolMemberFactory(pool=pool, demand=None, ad_need=need, firm=firm, status=status,
                          chargeable_kg=0, revenue_tons=0, volume_cbm=0)
    if reprice:
        from pooling.services.pools import pool_reprice

        pool_reprice(pool=pool)
    pool.refresh_from_db()
    return pool


def user_of(firm: Any) -> Any:
    return firm.memberships.select_related("user").first().user


def two_lane_groups(settings: Any) -> None:
    """Two demands on each of two origins' sea lanes, and shards of about two needs, so a
    run is cut into one shard per lane group."""
    settings.MATCHING_SHARD_NEEDS = 2
    for origin in ("CNSZX", "VNSGN"):
        SeaRateCardFactory(origin=origin)
        ShippingDemandFactory(origin=origin)
        ShippingDemandFactory(origin=origin)
