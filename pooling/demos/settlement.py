"""Demo settlement: FX rates for the demo firms' currencies, and the delivered pool invoiced
(priced on its own rate card) and settled, so statements have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pooling.domain import tariff
from pooling.feed.ratecards import card_from_row
from pooling.models import FxRate, Invoice, Pool, PoolMember, Settlement
from pooling.services.feed_invoices import invoice_post
from pooling.services.settlement import settlement_run

# Demo figures a coordinator would post; the rate a partner or coordinator posts wins.
DEMO_RATES = (("USD", "EUR", Decimal("0.9200")), ("USD", "JPY", Decimal("151.40")),
              ("USD", "KWD", Decimal("0.3075")))
POSTED_BY = "demo coordinator"


def _rates(report: Any) -> None:
    as_of = timezone.localdate() - dt.timedelta(days=30)
    for base, quote, rate in DEMO_RATES:
        if FxRate.objects.filter(base=base, quote=quote).exists():
            continue
        FxRate.objects.create(base=base, quote=quote, rate=rate, as_of=as_of, posted_by=POSTED_BY)
        report.created.append(f"FX rate {base}→{quote} {rate} as of {as_of}")


def _delivered_pool(ctx: dict[str, Any]) -> Pool | None:
    pool = ctx.get("delivered_pool")
    if pool is not None:
        return Pool.objects.filter(pk=pool.pk).first()
    return (Pool.objects.filter(kind=Pool.Kind.LOGISTICS, rate_card__isnull=False,
                                state__in=[Pool.State.DELIVERED, Pool.State.INVOICED,
                                           Pool.State.SETTLED])
            .order_by("pk").first())


def _invoice_lines(pool: Pool) -> list[dict[str, Any]]:
    """What the partner charges: the pool's consolidated cargo priced on its rate card."""
    assert pool.rate_card is not None  # noqa: S101 - chosen with a rate card
    card = card_from_row(pool.rate_card)
    members = PoolMember.objects.filter(pool=pool, status=PoolMember.Status.ACCEPTED,
                                        demand__isnull=False).select_related("demand")
    kg = sum((m.demand.gross_kg for m in members if m.demand), Decimal(0))
    cbm = sum((m.demand.volume_cbm for m in members if m.demand), Decimal(0))
    quote = tariff.price(card, gross_kg=kg, volume_cbm=cbm)
    return [{"charge_code": line.charge_code, "description": line.description,
             "basis": line.basis, "quantity": line.quantity, "unit_price": line.unit_price,
             "amount": line.amount, "applies_to": line.applies_to or "",
             "container": line.equipment or ""} for line in quote.lines]


def load(report: Any, ctx: dict[str, Any]) -> None:
    _rates(report)
    pool = _delivered_pool(ctx)
    if pool is None or pool.partner is None:
        return
    if not Invoice.objects.filter(pool=pool).exists() and pool.state == Pool.State.DELIVERED:
        lines = _invoice_lines(pool)
        invoice, _ = invoice_post(
            partner=pool.partner, pool_id=pool.pk, number=f"DEMO-{pool.pk:05d}",
            currency=pool.rate_card.currency if pool.rate_card else pool.currency,
            issue_date=timezone.localdate(), lines=lines,
            total=sum((line["amount"] for line in lines), Decimal(0)))
        report.created.append(f"invoice {invoice.number} for {pool}")
    settlement = settlement_run(pool_id=pool.pk)
    if settlement is not None:
        report.created.append(f"{pool}: settlement v{settlement.version} "
                              f"{settlement.get_status_display().lower()}")
    _further_invoice(report, pool)
    ctx["settlements"] = list(Settlement.objects.filter(pool=pool))


def _further_invoice(report: Any, pool: Pool) -> None:
    """Destination handling billed after the first settlement: version 2 covers both
    invoices, and each member is told its share before and after."""
    pool.refresh_from_db()
    invoices = Invoice.objects.filter(pool=pool)
    if pool.partner is None or pool.state != Pool.State.SETTLED or invoices.count() != 1:
        return
    first = invoices.get()
    amount = Decimal("120.00")
    invoice, _ = invoice_post(
        partner=pool.partner, pool_id=pool.pk, number=f"{first.number}-DTHC",
        currency=first.currency, issue_date=timezone.localdate(), total=amount,
        lines=[{"charge_code": "DTHC", "description": "Destination terminal handling",
                "basis": "per_shipment", "quantity": Decimal(1), "unit_price": amount,
                "amount": amount}])
    report.created.append(f"further invoice {invoice.number} for {pool}")
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    if settlement is not None:
        report.created.append(f"{pool}: settlement v{settlement.version} "
                              f"{settlement.get_status_display().lower()}")
