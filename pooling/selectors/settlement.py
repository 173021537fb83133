"""Reads for settlement: a firm's statement, held settlements, one settlement's detail."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Firm
from pooling.domain.money import ZERO, quantize
from pooling.domain.settlement import closing_date
from pooling.models import Pool, PoolEvent, Settlement, SettlementShare

STATEMENT_STATUSES = (Settlement.Status.COMPLETED, Settlement.Status.REVERSED)


@dataclass(frozen=True)
class StatementLine:
    settlement_id: int
    pool_id: int
    pool: str
    kind: str
    """The pool's kind: a traffic-buying pool's benefit is access, not a saving."""
    version: int
    status: str
    invoice_number: str
    documents: list[str]
    """Every invoice and credit note the settlement covers, oldest first."""
    settled_on: dt.date | None
    currency: str
    amount: Decimal
    standalone_cost: Decimal | None
    saving: Decimal | None
    billing_currency: str
    billing_amount: Decimal
    billing_saving: Decimal | None
    fx_rate: Decimal
    lines: list[dict[str, str]]
    closed_on: dt.date | None = None
    """When the pool closed for further invoices, once its dispute window has passed."""


@dataclass(frozen=True)
class StatementTotal:
    currency: str
    billed: Decimal
    standalone: Decimal
    saving: Decimal

    @property
    def paid_more(self) -> Decimal | None:
        """How much more than going alone, when the saving is negative."""
        return -self.saving if self.saving < 0 else None


@dataclass(frozen=True)
class Statement:
    firm: Firm
    date_from: dt.date
    date_to: dt.date
    lines: list[StatementLine] = field(default_factory=list)
    totals: list[StatementTotal] = field(default_factory=list)


def statement_period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Defaults: from the first day of this year to today."""
    today = timezone.localdate()
    date_to = date_to or today
    return date_from or date_to.replace(month=1, day=1), date_to


def _day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def statement_for_firm(*, firm: Firm, date_from: dt.date, date_to: dt.date) -> Statement:
    """The firm's shares of settlements posted in the period, with savings against going alone.

    Reversed settlements are listed (their reversal is why a later version exists) but only
    settlements in force count towards the totals.
    """
    start, end = _day_bounds(date_from, date_to)
    rows = (SettlementShare.objects
            .filter(firm=firm, settlement__status__in=STATEMENT_STATUSES,
                    settlement__completed_at__gte=start, settlement__completed_at__lt=end)
            .select_related("settlement__pool__programme", "settlement__invoice")
            .order_by("settlement__completed_at", "settlement_id", "pk"))
    shares = list(rows)
    windows = dispute_windows(pool_ids=[share.settlement.pool_id for share in shares])
    lines: list[StatementLine] = []
    totals: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"billed": ZERO, "standalone": ZERO, "saving": ZERO})
    for share in shares:
        s = share.settlement
        billing_saving = None if share.saving is None else quantize(
            share.saving * share.fx_rate, share.billing_currency)
        amount = quantize(share.amount, share.currency)
        lines.append(StatementLine(
            settlement_id=s.pk, pool_id=s.pool_id, pool=str(s.pool), kind=s.pool.kind,
            version=s.version,
            status=s.status, invoice_number=s.invoice.number if s.invoice else "",
            documents=settlement_documents(s),
            settled_on=timezone.localdate(s.completed_at) if s.completed_at else None,
            currency=share.currency, amount=amount,
            standalone_cost=None if share.standalone_cost is None
            else quantize(share.standalone_cost, share.currency),
            saving=None if share.saving is None else quantize(share.saving, share.currency),
            billing_currency=share.billing_currency,
            billing_amount=quantize(share.billing_amount, share.billing_currency),
            billing_saving=billing_saving, fx_rate=share.fx_rate.normalize(),
            lines=list(share.lines or []),
            closed_on=windows[s.pool_id].closes_on if windows[s.pool_id].closed else None))
        if s.status == Settlement.Status.COMPLETED:
            bucket = totals[share.billing_currency]
            bucket["billed"] += quantize(share.billing_amount, share.billing_currency)
            if billing_saving is not None:
                bucket["saving"] += billing_saving
                bucket["standalone"] += quantize(share.billing_amount, share.billing_currency) \
                    + billing_saving
    return Statement(
        firm=firm, date_from=date_from, date_to=date_to, lines=lines,
        totals=[StatementTotal(currency=c, **v) for c, v in sorted(totals.items())])


def settlement_documents(settlement: Settlement) -> list[str]:
    """The invoices and credit notes a settlement covers, as people read them."""
    covers = (settlement.allocation or {}).get("covers")
    if covers:
        return [str(name) for name in covers]
    return [str(settlement.invoice)] if settlement.invoice_id else []


HELD_FOR_MEMBERS = "Held for a coordinator's review; your share is posted once it is released."


def settlement_for_member(settlement: Settlement) -> Settlement:
    """What a member may read of a settlement: a held one says only that it is held, since
    its reason can name other members and the currencies they are billed in."""
    if settlement.status == Settlement.Status.HELD:
        settlement.hold_reason = HELD_FOR_MEMBERS
        settlement.explanation = []
    return settlement


def previous_shares(*, settlement: Settlement, firm: Firm | None,
                    coordinator: bool) -> dict[int, SettlementShare]:
    """By member: its share in the version posted before this one (the caller's own only,
    for a firm), to show next to the new share."""
    before = (Settlement.objects.filter(pool_id=settlement.pool_id, version__lt=settlement.version,
                                        completed_at__isnull=False)
              .order_by("-version").first())
    if before is None:
        return {}
    shares = before.shares.all()
    if not coordinator:
        shares = shares.filter(firm=firm)
    found = {}
    for share in shares:
        share.settlement = before
        found[share.member_id] = share
    return found


def settlements_held() -> QuerySet[Settlement]:
    return (Settlement.objects.filter(status=Settlement.Status.HELD)
            .select_related("pool", "invoice").order_by("created_at", "pk"))


def settlements_recent(*, limit: int = 10) -> QuerySet[Settlement]:
    return (Settlement.objects.exclude(status=Settlement.Status.HELD)
            .select_related("pool", "invoice").order_by("-created_at", "-pk")[:limit])


def settlement_visible(*, settlement_id: Any, firm: Firm | None,
                       coordinator: bool) -> Settlement | None:
    """A settlement its coordinator or a firm with a share in it may see; None otherwise."""
    try:
        pk = int(settlement_id)
    except (TypeError, ValueError):
        return None
    qs = Settlement.objects.select_related("pool", "invoice").filter(pk=pk)
    if coordinator:
        return qs.first()
    if firm is None:
        return None
    qs = qs.filter(Q(shares__firm=firm) | Q(pool__members__firm=firm,
                                                pool__members__status="accepted")).distinct()
    found = qs.first()
    return settlement_for_member(found) if found is not None else None


def settlement_shares_for(*, settlement: Settlement, firm: Firm | None,
                          coordinator: bool) -> list[SettlementShare]:
    """Every share for a coordinator; only its own for a firm (other members stay anonymous)."""
    shares = settlement.shares.select_related("firm").order_by("pk")
    if not coordinator:
        shares = shares.filter(firm=firm)
    return list(shares)


@dataclass(frozen=True)
class DisputeWindow:
    """Until when a settled pool takes further invoices and credit notes."""

    closes_on: dt.date | None
    """The last day; None while the pool has no posted settlement."""
    closed: bool


def dispute_windows(*, pool_ids: list[int]) -> dict[int, DisputeWindow]:
    """Each pool's dispute window: `SETTLEMENT_DISPUTE_DAYS` after its arrival or its last
    posted settlement, whichever is later, in two queries for any number of pools."""
    ids = sorted(set(pool_ids))
    if not ids:
        return {}
    arrived = dict(PoolEvent.objects.filter(pool_id__in=ids, to_state=Pool.State.DELIVERED)
                   .values("pool_id").annotate(at=Max("created_at")).values_list("pool_id", "at"))
    settled = dict(Settlement.objects.filter(pool_id__in=ids, completed_at__isnull=False)
                   .values("pool_id").annotate(at=Max("completed_at"))
                   .values_list("pool_id", "at"))
    today = timezone.localdate()
    out: dict[int, DisputeWindow] = {}
    for pk in ids:
        last = settled.get(pk)
        closes_on = None if last is None else closing_date(
            arrived_on=timezone.localdate(arrived[pk]) if pk in arrived else None,
            last_settled_on=timezone.localdate(last),
            dispute_days=settings.SETTLEMENT_DISPUTE_DAYS)
        out[pk] = DisputeWindow(closes_on=closes_on,
                                closed=closes_on is not None and today > closes_on)
    return out


def dispute_window(*, pool_id: int) -> DisputeWindow:
    return dispute_windows(pool_ids=[pool_id])[pool_id]
