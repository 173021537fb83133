"""Advertising partners: programme terms and spend reports per member campaign."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Partner
from coop.errors import Conflict
from pooling.domain.formats import FormatError, tiers_from_json, tiers_to_json
from pooling.models import ChannelProgramme, Pool, PoolMember, SpendReport
from pooling.services.feed_common import NotFound, partner_pool_named
from pooling.services.locks import lock_programme
from pooling.services.settlement_queue import settlement_enqueue
from pooling.services.transitions import can_transition, pool_transition


def _tiers(tiers: list[dict[str, Any]]) -> list[dict[str, str]]:
    try:
        return tiers_to_json(tiers_from_json(tiers))
    except FormatError as exc:
        raise ValidationError({exc.field or "tiers": [exc.message]}) from None


@transaction.atomic
def programme_terms_publish(
    *, partner: Partner, programme_id: int, minimum_spend: Decimal, tiers: list[dict[str, Any]],
    management_fee_percent: Decimal, min_flight_days: int | None = None,
) -> ChannelProgramme:
    """Replace the terms of a programme the partner buys for."""
    programme = lock_programme(programme_id)
    if programme is None or programme.partner_id != partner.pk:
        raise NotFound("Not found.")
    if minimum_spend < 0:
        raise ValidationError({"minimum_spend": ["The minimum spend cannot be negative."]})
    if not 0 <= management_fee_percent <= 100:
        raise ValidationError({"management_fee_percent": ["A fee is 0 to 100 percent."]})
    programme.minimum_spend = minimum_spend
    programme.tiers = _tiers(tiers)
    programme.management_fee_percent = management_fee_percent
    fields = ["minimum_spend", "tiers", "management_fee_percent", "updated_at"]
    if min_flight_days is not None:
        programme.min_flight_days = min_flight_days
        fields.append("min_flight_days")
    programme.save(update_fields=fields)
    return programme


@transaction.atomic
def spend_report_post(
    *, partner: Partner, pool_id: int, member_id: int, report_id: str, period_from: date,
    period_to: date, currency: str, spend: Decimal, rebate: Decimal = Decimal(0),
    fees: Decimal = Decimal(0), campaign_reference: str = "",
) -> tuple[SpendReport, bool]:
    """Store a member campaign's actual spend; the last report of a booked pool invoices it."""
    pool = partner_pool_named(partner=partner, pool_id=pool_id)
    existing = SpendReport.objects.filter(partner=partner, report_id=report_id).first()
    if existing is not None:
        if (existing.pool_id, existing.member_id, existing.spend, existing.rebate,
                existing.fees, existing.currency) == (pool.pk, member_id, spend, rebate, fees,
                                                      currency):
            return existing, False
        raise Conflict(f"Report {report_id} was already posted with other figures.",
                       fields={"report_id": ["Already used; report ids are unique per partner."]})
    if pool.kind != Pool.Kind.ADS:
        raise ValidationError({"pool": ["Spend reports are for traffic-buying pools."]})
    member = PoolMember.objects.filter(pk=member_id, pool=pool).first()
    if member is None:
        raise ValidationError({"member": [f"Pool #{pool.pk} has no member #{member_id}."]})
    if period_to < period_from:
        raise ValidationError({"period_to": ["The period cannot end before it starts."]})
    for name, value in (("spend", spend), ("rebate", rebate), ("fees", fees)):
        if value < 0:
            raise ValidationError({name: ["Cannot be negative."]})
    if rebate > spend:
        raise ValidationError({"rebate": ["The rebate cannot exceed the spend."]})
    if currency != pool.currency:
        raise ValidationError({"currency": [f"The pool is in {pool.currency}."]})
    report = SpendReport.objects.create(
        partner=partner, pool=pool, member=member, report_id=report_id,
        campaign_reference=campaign_reference, period_from=period_from, period_to=period_to,
        currency=currency, spend=spend, rebate=rebate, fees=fees)
    active = set(PoolMember.objects.filter(pool=pool, status=PoolMember.Status.ACCEPTED)
                 .values_list("pk", flat=True))
    reported = set(SpendReport.objects.filter(pool=pool).values_list("member_id", flat=True))
    if active and active <= reported and pool.state == Pool.State.BOOKED \
            and can_transition(pool, Pool.State.INVOICED):
        pool_transition(pool=pool, to=Pool.State.INVOICED, actor_label=partner.name,
                        action="invoiced", reason="Every member campaign has a spend report.")
        settlement_enqueue(pool_id=pool.pk)
    return report, True
