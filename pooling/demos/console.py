"""Demo data for the coordinator's pages: a second version of one rate card (so versions sit
side by side with what changed), and one pool whose invoice came in above what its members
would have paid alone, so its settlement waits in "Held settlements" with the split to check.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from pooling.demos.feed import dcsa_journey
from pooling.demos.settlement import _invoice_lines
from pooling.models import Invoice, Pool, PoolMember, RateCard, Settlement
from pooling.services import pools as services
from pooling.services.feed_bookings import booking_confirm
from pooling.services.feed_events import tracking_events_post
from pooling.services.feed_invoices import invoice_post
from pooling.services.feed_ratecards import rate_card_upload
from pooling.services.settlement import settlement_run

HELD_REFERENCE = "DEMO-BKG-0002"
SURCHARGE = Decimal("2.2")  # the partner billed well over its own rate card


def _second_version(report: Any) -> None:
    card = (RateCard.objects.filter(mode="sea_lcl", version=1).order_by("pk").first())
    if card is None or RateCard.objects.filter(partner=card.partner, origin=card.origin,
                                               destination=card.destination, mode=card.mode,
                                               version__gt=1).exists():
        return
    rate = (card.lcl_rate_per_wm or Decimal(0)) * Decimal("1.08")
    new = rate_card_upload(
        partner=card.partner, origin=card.origin, destination=card.destination, mode=card.mode,
        currency=card.currency, valid_from=timezone.localdate() + dt.timedelta(days=45),
        kg_per_cbm=card.kg_per_cbm, minimum_charge=card.minimum_charge,
        weight_breaks=card.weight_breaks, higher_break_rule=card.higher_break_rule,
        lcl_rate_per_wm=rate.quantize(Decimal("0.01")), lcl_minimum_wm=card.lcl_minimum_wm,
        equipment=card.equipment, fees=card.fees, surcharges=card.surcharges,
        allowed_cargo_classes=card.allowed_cargo_classes, transit_days=card.transit_days + 2)
    report.created.append(f"rate card {new} (8% dearer from {new.valid_from})")


def _held_settlement(report: Any, coordinator: Any) -> None:
    if Settlement.objects.filter(status=Settlement.Status.HELD).exists() or \
            Pool.objects.filter(booking_reference=HELD_REFERENCE).exists():
        return
    pool = (Pool.objects.filter(kind=Pool.Kind.LOGISTICS, state=Pool.State.APPROVED,
                                rate_card__isnull=False).order_by("pk").first())
    if pool is None or pool.partner is None or \
            pool.members.filter(status=PoolMember.Status.ACCEPTED).count() < 2:
        return
    services.pool_lock(pool=pool, actor=coordinator, reason="Demo: every member accepted.")
    now = timezone.now()
    booking_confirm(partner=pool.partner, pool_id=pool.pk, reference=HELD_REFERENCE,
                    etd=now - dt.timedelta(days=4), eta=now - dt.timedelta(days=1))
    tracking_events_post(partner=pool.partner, events=dcsa_journey(
        pool=pool, reference=HELD_REFERENCE, departed=now - dt.timedelta(days=4),
        arrived=now - dt.timedelta(days=1)))
    pool.refresh_from_db()
    if Invoice.objects.filter(pool=pool).exists() or pool.state != Pool.State.DELIVERED:
        return
    lines = _invoice_lines(pool)
    for line in lines:
        if line["basis"] == "percentage":
            continue
        line["unit_price"] = (Decimal(line["unit_price"]) * SURCHARGE).quantize(Decimal("0.01"))
        line["amount"] = (Decimal(line["quantity"]) * line["unit_price"]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
    invoice, _ = invoice_post(
        partner=pool.partner, pool_id=pool.pk, number=f"DEMO-{pool.pk:05d}",
        currency=pool.rate_card.currency if pool.rate_card else pool.currency,
        issue_date=timezone.localdate(), lines=lines,
        total=sum((line["amount"] for line in lines), Decimal(0)))
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    if settlement is not None:
        report.created.append(f"{pool}: invoice {invoice.number} above the members' standalone "
                              f"costs, settlement {settlement.get_status_display().lower()}")


def load(report: Any, ctx: dict[str, Any]) -> None:
    _second_version(report)
    _held_settlement(report, ctx["coordinator"])
