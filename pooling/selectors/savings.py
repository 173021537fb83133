"""What a firm paid in pools against what it would have paid alone, per month and per pool."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import Firm
from pooling.domain.money import quantize
from pooling.models import Settlement, SettlementShare

ZERO = Decimal(0)


@dataclass(frozen=True)
class SavingsRow:
    currency: str
    paid: Decimal
    alone: Decimal

    @property
    def saving(self) -> Decimal:
        return self.alone - self.paid


@dataclass(frozen=True)
class MonthSavings(SavingsRow):
    month: dt.date


@dataclass(frozen=True)
class PoolSavings(SavingsRow):
    pool_id: int
    pool_name: str
    settlement_id: int
    settled_on: dt.date | None


@dataclass(frozen=True)
class FirmSavings:
    months: list[MonthSavings]
    pools: list[PoolSavings]
    totals: list[SavingsRow]

    @property
    def currencies(self) -> list[str]:
        return [t.currency for t in self.totals]


def savings_for_firm(*, firm: Firm) -> FirmSavings:
    """Posted settlements only; a share without a standalone cost counts as paying what it paid."""
    shares = (SettlementShare.objects.filter(firm=firm, settlement__status=Settlement.Status.COMPLETED)
              .select_related("settlement__pool__programme")
              .order_by("settlement__completed_at", "pk"))
    months: dict[tuple[str, dt.date], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    pools: list[PoolSavings] = []
    for share in shares:
        settlement = share.settlement
        alone = share.standalone_cost if share.standalone_cost is not None else share.amount
        settled_on = timezone.localdate(settlement.completed_at) if settlement.completed_at else None
        month = (settled_on or timezone.localdate()).replace(day=1)
        for bucket in (months[(share.currency, month)], totals[share.currency]):
            bucket[0] += share.amount
            bucket[1] += alone
        pools.append(PoolSavings(
            currency=share.currency, paid=quantize(share.amount, share.currency),
            alone=quantize(alone, share.currency), pool_id=settlement.pool_id,
            pool_name=str(settlement.pool), settlement_id=settlement.pk, settled_on=settled_on))
    return FirmSavings(
        months=[MonthSavings(currency=c, month=m, paid=quantize(v[0], c), alone=quantize(v[1], c))
                for (c, m), v in sorted(months.items())],
        pools=pools,
        totals=[SavingsRow(currency=c, paid=quantize(v[0], c), alone=quantize(v[1], c))
                for c, v in sorted(totals.items())],
    )
