"""Rows to domain objects and back: the one place that knows both shapes.

Matching, re-pricing, joining, settlement, the API and the pages never read a JSON
column or build a domain input by hand; they call these functions, so a stored
format or a domain type changes here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn
from pooling.domain.formats import (
    Placement,
    PoolPlan,
    PoolReasons,
    TierTerms,
    tiers_from_json,
)
from pooling.domain.logistics_matching import DemandIn
from pooling.domain.proposals import MemberProposal, PoolProposal
from pooling.domain.units import Mode
from pooling.models import AdNeed, ChannelProgramme, Pool, PoolMember, ShippingDemand

MODES = {m.value: m for m in Mode}

# Columns of a shipping demand row, in the order `demand_in_values` reads them.
DEMAND_COLUMNS = ("id", "firm_id", "origin", "destination", "mode", "cargo_class", "dg_class",
                  "gross_kg", "volume_cbm", "splittable", "ready_from", "deliver_by")
AD_NEED_COLUMNS = ("id", "firm_id", "programme_id", "market", "budget", "currency",
                   "flight_from", "flight_to", "category")


# ------------------------------------------------------------------- needs


def demand_in_values(r: Sequence[Any]) -> DemandIn:
    """A demand from a `values_list(*DEMAND_COLUMNS)` row."""
    return DemandIn(id=r[0], firm_id=r[1], origin=r[2], destination=r[3], mode=MODES[r[4]],
                    cargo_class=r[5], un_class=r[6], gross_kg=r[7], volume_cbm=r[8],
                    splittable=r[9], ready_from=r[10], deliver_by=r[11])


def demand_in(demand: ShippingDemand) -> DemandIn:
    return demand_in_values([getattr(demand, c) for c in DEMAND_COLUMNS])


def ad_need_in_values(r: Sequence[Any], excluded: Iterable[int] = ()) -> AdNeedIn:
    """An ad need from a `values_list(*AD_NEED_COLUMNS)` row and its excluded firm ids."""
    return AdNeedIn(id=r[0], firm_id=r[1], programme_id=r[2], market=r[3], budget=r[4],
                    currency=r[5], flight_from=r[6], flight_to=r[7], category=r[8],
                    excluded_firm_ids=frozenset(excluded))


def ad_need_in(need: AdNeed) -> AdNeedIn:
    """An ad need row; its `excluded_firms` should be prefetched."""
    return ad_need_in_values([getattr(need, c) for c in AD_NEED_COLUMNS],
                             (f.pk for f in need.excluded_firms.all()))


# --------------------------------------------------------------- programmes


def programme_tiers(programme: ChannelProgramme | Any) -> tuple[TierTerms, ...]:
    return tiers_from_json(programme.tiers)


def programme_in(programme: ChannelProgramme | Any) -> ProgrammeIn:
    """A programme row, or a parsed programme input not saved yet (id 0), for the matcher."""
    return ProgrammeIn(
        id=getattr(programme, "pk", None) or 0, name=programme.name, currency=programme.currency,
        markets=frozenset(str(m).upper() for m in (programme.markets or [])),
        minimum_spend=programme.minimum_spend,
        tiers=tuple(t.to_domain() for t in programme_tiers(programme)),
        management_fee_percent=programme.management_fee_percent,
        standalone_fee_percent=programme.standalone_fee_percent,
        min_flight_days=programme.min_flight_days,
        category_exclusive=programme.category_exclusive,
    )


# -------------------------------------------------------------------- pools


def pool_plan(pool: Pool) -> PoolPlan:
    return PoolPlan.from_json(pool.plan)


def pool_reasons(pool: Pool) -> PoolReasons:
    return PoolReasons.from_json(pool.reasons)


def member_placement(member: PoolMember) -> Placement:
    return Placement.from_json(member.placement)


def pool_fields_from_proposal(pool: Pool, proposal: PoolProposal,
                              problems: Iterable[str] = ()) -> list[str]:
    """Write what a proposal says about the whole pool onto its row; the fields changed."""
    pool.projected_total = proposal.total_cost
    pool.standalone_total = proposal.standalone_total
    pool.plan = PoolPlan.from_proposal(proposal.plan, problems).to_json()
    pool.reasons = PoolReasons.from_proposal(proposal.reasons).to_json()
    pool.ship_date = proposal.ship_date
    pool.flight_from = proposal.flight_from
    pool.flight_to = proposal.flight_to
    return ["projected_total", "standalone_total", "plan", "reasons", "ship_date",
            "flight_from", "flight_to"]


MEMBER_PRICED_FIELDS = ["standalone_cost", "projected_share", "projected_saving",
                        "chargeable_kg", "revenue_tons", "volume_cbm", "budget", "note",
                        "placement"]


def member_values_from_proposal(row: MemberProposal, placement: Placement) -> dict[str, Any]:
    """One member's priced figures and placement, by field (MEMBER_PRICED_FIELDS)."""
    return {
        "standalone_cost": row.standalone_cost, "projected_share": row.share,
        "projected_saving": row.saving, "chargeable_kg": row.chargeable_kg,
        "revenue_tons": row.revenue_tons, "volume_cbm": row.volume_cbm, "budget": row.budget,
        "note": row.note[:300], "placement": placement.to_json(),
    }


def member_fields_from_proposal(member: PoolMember, row: MemberProposal,
                                placement: Placement) -> None:
    """Write one member's priced figures and placement onto its row."""
    for name, value in member_values_from_proposal(row, placement).items():
        setattr(member, name, value)


def member_rows_from_proposal(pool_id: int, proposal: PoolProposal,
                              plan: PoolPlan) -> list[dict[str, Any]]:
    """New member rows, as field values, for a proposal just saved as pool `pool_id`
    (`plan`: its plan, as read for the pool row): invited, with placements (for
    `bulk.values_insert`)."""
    placements = plan.placements()
    is_logistics = proposal.kind == Pool.Kind.LOGISTICS
    invited = PoolMember.Status.INVITED
    empty = Placement()
    return [
        {"pool_id": pool_id, "firm_id": m.firm_id,
         "demand_id": m.need_id if is_logistics else None,
         "ad_need_id": None if is_logistics else m.need_id, "status": invited,
         **member_values_from_proposal(m, placements.get(m.need_id, empty))}
        for m in proposal.members
    ]


def need_id(member: PoolMember) -> int:
    return member.demand_id or member.ad_need_id or 0


__all__ = [
    "AD_NEED_COLUMNS", "DEMAND_COLUMNS", "MEMBER_PRICED_FIELDS", "ad_need_in",
    "ad_need_in_values", "demand_in", "demand_in_values", "member_fields_from_proposal",
    "member_placement", "member_rows_from_proposal", "member_values_from_proposal", "need_id",
    "pool_fields_from_proposal", "pool_plan", "pool_reasons", "programme_in",
    "programme_tiers",
]
