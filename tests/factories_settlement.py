"""Pools ready to settle, their invoices and FX rates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import Firm, Partner
from pooling.models import FxRate, Invoice, InvoiceLine, LedgerEntry, Pool, PoolMember
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

D = Decimal


def member_firm(currency: str = "USD", *, with_user: bool = False) -> Firm:
    """A firm; with an owner when notifications need someone to reach."""
    firm = FirmFactory(billing_currency=currency)
    if with_user:
        MembershipFactory(firm=firm)
    return firm


def logistics_pool(
    loads: Sequence[dict[str, Any]], *, card: Any = None, state: str = Pool.State.INVOICED,
    **pool_fields: Any,
) -> Pool:
    """A pool with one accepted member per load: {"kg", "cbm", "standalone", "currency",
    "chargeable_kg", "revenue_tons", "firm", "placement"} (all optional)."""
    card = card or SeaRateCardFactory()
    pool = PoolFactory(rate_card=card, mode=card.mode, destination=card.destination,
                       origin=card.origin, currency=card.currency, state=state,
                       capacity=max(len(loads), 2), **pool_fields)
    for load in loads:
        kg = D(str(load.get("kg", "1000")))
        cbm = D(str(load.get("cbm", "5")))
        firm = load.get("firm") or member_firm(load.get("currency", "USD"))
        wm = max(kg / 1000, cbm).quantize(D("0.001"))
        demand = ShippingDemandFactory(
            firm=firm, origin=card.origin, destination=card.destination, mode=card.mode,
            gross_kg=kg, volume_cbm=cbm,
            chargeable_kg=D(str(load.get("chargeable_kg", max(kg, cbm * 1000)))),
            revenue_tons=D(str(load.get("revenue_tons", wm))))
        standalone = load.get("standalone", "100000")
        PoolMemberFactory(pool=pool, demand=demand, firm=firm,
                          standalone_cost=None if standalone is None else D(str(standalone)),
                          placement=load.get("placement", {}))
    pool.refresh_from_db()
    return pool


def post_invoice(
    pool: Pool, lines: Sequence[tuple[Any, ...]], *, currency: str | None = None,
    issue_date: dt.date | None = None, kind: str = Invoice.Kind.INVOICE,
    corrects: Invoice | None = None, number: str | None = None,
) -> Invoice:
    """Lines are (charge_code, basis, amount[, applies_to[, container]])."""
    currency = currency or pool.currency
    total = sum((D(str(line[2])) for line in lines), D(0))
    count = Invoice.objects.count()
    invoice = Invoice.objects.create(
        partner=pool.partner, pool=pool, number=number or f"INV-{pool.pk}-{count + 1}",
        kind=kind, corrects=corrects, currency=currency,
        issue_date=issue_date or timezone.localdate(), total=total)
    for n, line in enumerate(lines, start=1):
        amount = D(str(line[2]))
        InvoiceLine.objects.create(
            invoice=invoice, line_no=n, charge_code=line[0], basis=line[1], quantity=D(1),
            unit_price=amount, amount=amount, applies_to=line[3] if len(line) > 3 else "",
            container=line[4] if len(line) > 4 else "")
    return invoice


def fx(base: str, quote: str, rate: str, as_of: dt.date | None = None) -> FxRate:
    return FxRate.objects.update_or_create(
        base=base, quote=quote, as_of=as_of or timezone.localdate() - dt.timedelta(days=1),
        defaults={"rate": D(rate), "posted_by": "tests"})[0]


def ads_pool(spends: Sequence[dict[str, Any]], *, state: str = Pool.State.INVOICED) -> Pool:
    """A traffic-buying pool with spend reports: {"spend", "rebate", "fees", "standalone"}."""
    from pooling.models import SpendReport

    partner = PartnerFactory(kind=Partner.Kind.ADVERTISING)
    programme = ChannelProgrammeFactory(partner=partner)
    pool = PoolFactory(kind=Pool.Kind.ADS, rate_card=None, partner=partner, programme=programme,
                       mode="", origin="", destination="", market="US", state=state,
                       capacity=max(len(spends), 2))
    for n, item in enumerate(spends):
        need = AdNeedFactory(firm=member_firm(item.get("currency", "USD")), programme=programme)
        standalone = item.get("standalone", "100000")
        member = PoolMember.objects.create(
            pool=pool, firm=need.firm, ad_need=need, status=PoolMember.Status.ACCEPTED,
            standalone_cost=None if standalone is None else D(str(standalone)),
            projected_share=D(0), budget=need.budget)
        SpendReport.objects.create(
            partner=partner, pool=pool, member=member, report_id=f"R-{pool.pk}-{n}",
            period_from=timezone.localdate() - dt.timedelta(days=30),
            period_to=timezone.localdate() - dt.timedelta(days=1), currency="USD",
            spend=D(str(item["spend"])), rebate=D(str(item.get("rebate", "0"))),
            fees=D(str(item.get("fees", "0"))))
    Pool.objects.filter(pk=pool.pk).update(member_count=len(spends))
    pool.refresh_from_db()
    return pool


def ledger_sums() -> dict[tuple[int, str], Decimal]:
    """Sum of legs per transaction and currency (every value must be zero)."""
    sums: dict[tuple[int, str], Decimal] = {}
    for entry in LedgerEntry.objects.all():
        key = (entry.transaction_id, entry.currency)
        sums[key] = sums.get(key, D(0)) + entry.amount
    return sums


def check_deferred_constraints() -> None:
    """Make PostgreSQL run the deferred balance check now, as it would at commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
