"""What each spend tier of a programme gives a pool that just reaches it. Pure Python.

For a pool spending exactly a tier's minimum: what it pays pooled (spend less the tier's
rebate plus the cooperative's management fee), what the same spend costs one firm buying
alone (the programme's standalone fee), and the difference. The minimum spend itself is
shown as the first row, with whatever tier it reaches (none, for a programme without tiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pooling.domain.ad_matching import HUNDRED, ProgrammeIn, standalone_cost, tier_for
from pooling.domain.money import quantize


@dataclass(frozen=True)
class TierRow:
    spend: Decimal
    rebate_percent: Decimal
    rebate: Decimal
    fee: Decimal
    pooled_cost: Decimal
    alone_cost: Decimal | None
    saving: Decimal | None
    is_minimum: bool


def tier_preview(programme: ProgrammeIn) -> list[TierRow]:
    spends = sorted({programme.minimum_spend, *(t.min_spend for t in programme.tiers
                                                if t.min_spend >= programme.minimum_spend)})
    rows = []
    for spend in spends:
        tier = tier_for(programme, spend)
        percent = tier.rebate_percent if tier is not None else Decimal(0)
        rebate = quantize(spend * percent / HUNDRED, programme.currency)
        fee = quantize(spend * programme.management_fee_percent / HUNDRED, programme.currency)
        pooled = spend - rebate + fee
        alone = standalone_cost(programme, spend)
        rows.append(TierRow(spend=spend, rebate_percent=percent, rebate=rebate, fee=fee,
                            pooled_cost=pooled, alone_cost=alone,
                            saving=None if alone is None else alone - pooled,
                            is_minimum=spend == programme.minimum_spend))
    return rows
