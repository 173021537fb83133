"""Re-price a pool after its membership changed: who is in, what it costs, who pays what.

Pure Python. A pool's members change after matching proposed it (a member
leaves, is removed, declines, or another firm joins); the pool is then priced
again exactly the way matching priced it, so the pool page shows the same plan
and reasons the matcher would have produced for these members:

* logistics: every member's standalone cost is the tariff engine's price for
  its own load on the pool's rate card; the pooled load ships as one
  consignment (weight-rated modes) or is packed into the card's containers plus
  LCL (sea); the pooled total is split in proportion to standalone costs with
  the largest-remainder method.
* ads: the pooled spend earns the programme's tier rebate and pays its
  management fee; the total is split by budget.

`Repriced.qualifies` says whether the pool still stands on its own terms:
logistics pools must save for every member, ad pools must reach the
programme's minimum and no member with access alone may pay more pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pooling.domain import ad_matching, logistics_matching
from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn
from pooling.domain.fit import CONSOLIDATION_DAYS
from pooling.domain.logistics_matching import DemandIn
from pooling.domain.money import quantize
from pooling.domain.proposals import PoolProposal, fmt_money
from pooling.domain.tariff import RateCard

ZERO = Decimal(0)


@dataclass(frozen=True)
class Repriced:
    """The pool priced for its current members, and whether it still qualifies."""

    proposal: PoolProposal | None
    qualifies: bool
    problems: tuple[str, ...]


def reprice_logistics(
    card: RateCard, demands: Sequence[DemandIn], *, ship_date: date, partner_id: int = 0,
    consolidation_days: int = CONSOLIDATION_DAYS, capacity: int = 40,
) -> Repriced:
    """Price `demands` as one consolidation on `card` shipping on `ship_date`."""
    proposal = logistics_matching.price_pool(
        card, demands, ship_date=ship_date, partner_id=partner_id,
        consolidation_days=consolidation_days, capacity=capacity,
    )
    if proposal is None:
        return Repriced(None, False, ("The pool has no members left.",))
    problems = []
    if len(demands) < 2:
        problems.append("Only one member is left: a pool needs at least two.")
    for member in proposal.members:
        if member.saving is None or member.saving <= 0:
            problems.append(
                f"Demand {member.need_id} no longer saves: it pays "
                f"{fmt_money(member.share, card.currency)} pooled against "
                f"{fmt_money(member.standalone_cost or ZERO, card.currency)} alone."
            )
    return Repriced(proposal, not problems, tuple(problems))


def reprice_ads(
    programme: ProgrammeIn, market: str, needs: Sequence[AdNeedIn], *, capacity: int = 40,
) -> Repriced:
    """Price `needs` as one ad pool on `programme` in `market`."""
    if not needs:
        return Repriced(None, False, ("The pool has no members left.",))
    members = sorted(needs, key=lambda n: n.id)
    group = ad_matching._Group.of(programme, market, members)
    proposal = ad_matching._proposal(group, capacity)
    problems = []
    if len(members) < 2:
        problems.append("Only one member is left: a pool needs at least two.")
    spend = sum((quantize(n.budget, programme.currency) for n in members), ZERO)
    if spend < programme.minimum_spend:
        problems.append(
            f"Pooled spend {fmt_money(spend, programme.currency)} is below the programme's "
            f"{fmt_money(programme.minimum_spend, programme.currency)} minimum."
        )
    for member in proposal.members:
        if member.saving is not None and member.saving < 0:
            problems.append(
                f"Ad need {member.need_id} would pay "
                f"{fmt_money(member.share, programme.currency)} pooled against "
                f"{fmt_money(member.standalone_cost or ZERO, programme.currency)} alone."
            )
    return Repriced(proposal, not problems, tuple(problems))


__all__ = ["Repriced", "reprice_ads", "reprice_logistics"]
