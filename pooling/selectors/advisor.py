"""Reads of the channel advisor: a firm's advice (scoped to that firm), and for coordinators
the demand building up by channel and market.

Everything the rules need is read here into the domain's dataclasses; the rules
themselves are `pooling.domain.advisor`. Other firms appear only inside pools, as
the pooled spend the pricing needs, never by name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Firm
from pooling.domain.ad_matching import AdNeedIn
from pooling.domain.advisor import (
    AD_CHANNEL_SALES,
    SALES_CHANNELS,
    Advice,
    CatalogueOffer,
    ChannelShare,
    OpenPoolIn,
    PoolOffer,
    ProfileIn,
    Recommendation,
    Risk,
    SpendLine,
    Staff,
    Stage,
    advise,
    channel_shares_from_json,
    pool_misfit,
    pool_offer,
    suggested_budget,
)
from pooling.models import AdNeed, ChannelProgramme, FirmProfile, Pool, PoolMember
from pooling.models.choices import Channel
from pooling.selectors.matching import open_unpooled, programmes_active
from pooling.services.settlement import FxRates

LEAD_DAYS = 7  # a suggested flight starts a week out, time to prepare the creative
SPENDING = (AdNeed.Status.OPEN, AdNeed.Status.POOLED, AdNeed.Status.RUNNING,
            AdNeed.Status.CLOSED)


def firm_profile_for_firm(*, firm: Firm) -> FirmProfile | None:
    return FirmProfile.objects.filter(firm=firm).first()


def profile_in(profile: FirmProfile | None, *, ad_channels: Iterable[str] = ()) -> ProfileIn:
    """The stored profile as the rules read it, with the channels the firm's ad needs show."""
    if profile is None:
        channels: tuple[ChannelShare, ...] = ()
        base = ProfileIn()
    else:
        channels = channel_shares_from_json(profile.channels)
        base = ProfileIn(
            markets=tuple(profile.markets), sales_band=profile.sales_band,
            content_staff=Staff(profile.content_staff), live_staff=Staff(profile.live_staff),
            site_staff=Staff(profile.site_staff), has_own_site=profile.has_own_site,
            has_brand=profile.has_brand, risk_appetite=Risk(profile.risk_appetite),
            stage_override=Stage(profile.stage_override) if profile.stage_override else None,
        )
    known = {c.channel for c in channels}
    shown = sorted({AD_CHANNEL_SALES[c] for c in ad_channels if c in AD_CHANNEL_SALES} - known)
    return replace(base, channels=channels + tuple(ChannelShare(c, 0) for c in shown))


@dataclass
class ProgrammeStep:
    """A catalogue programme that serves a recommended channel, with a prefilled ad need."""

    programme: ChannelProgramme
    market: str
    budget: Decimal
    alone: bool  # the suggested budget reaches the programme's minimum alone
    prefill: dict[str, str]

    @property
    def query(self) -> str:
        return urlencode(self.prefill)


@dataclass
class PoolStep:
    """An open pool on such a programme, and what joining it would cost, unlock and save."""

    pool: Pool
    offer: PoolOffer
    prefill: dict[str, str]

    @property
    def query(self) -> str:
        return urlencode(self.prefill)

    @property
    def net_fees(self) -> Decimal:
        return -self.offer.saving


@dataclass
class Step:
    recommendation: Recommendation
    programmes: list[ProgrammeStep] = field(default_factory=list)
    pools: list[PoolStep] = field(default_factory=list)

    @property
    def unlocks(self) -> list[PoolStep]:
        """Programmes the firm cannot reach alone but an open pool can."""
        return [p for p in self.pools if p.offer.unlocks]


@dataclass
class FirmAdvice:
    firm: Firm
    profile: FirmProfile | None
    advice: Advice
    markets: tuple[str, ...]
    steps: list[Step]
    spend_currency: str
    spend_left_out: tuple[str, ...]  # currencies with no FX rate to the firm's

    @property
    def unlocks(self) -> list[PoolStep]:
        seen: set[int] = set()
        out = []
        for step in self.steps:
            for p in step.unlocks:
                if p.pool.pk not in seen:
                    seen.add(p.pool.pk)
                    out.append(p)
        return out


def _spend(firm: Firm, needs: list[AdNeed], today: dt.date) -> tuple[list[SpendLine], tuple[str, ...]]:
    fx = FxRates()
    lines: list[SpendLine] = []
    missing: set[str] = set()
    for need in needs:
        if need.status not in SPENDING:
            continue
        rate = fx.rate(need.currency, firm.billing_currency, today)
        if rate is None:
            missing.add(need.currency)
            continue
        lines.append(SpendLine(need.programme.channel, need.budget * rate))
    return lines, tuple(sorted(missing))


def _prefill(programme: ChannelProgramme, market: str, budget: Decimal, start: dt.date,
             end: dt.date, category: str, pool: Pool | None = None) -> dict[str, str]:
    out = {"programme": str(programme.pk), "market": market, "budget": f"{budget:f}",
           "currency": programme.currency, "flight_from": start.isoformat(),
           "flight_to": end.isoformat()}
    if category:
        out["category"] = category
    if pool is not None:
        out["pool"] = str(pool.pk)
    return out


def _open_pools(channels: set[str], now: dt.datetime) -> list[Pool]:
    return list(
        Pool.objects.filter(kind=Pool.Kind.ADS, state=Pool.State.OPEN,
                            programme__channel__in=channels, programme__active=True)
        .filter(Q(join_deadline__isnull=True) | Q(join_deadline__gt=now))
        .select_related("programme")
        .prefetch_related(
            "members__ad_need__excluded_firms")
        .order_by("join_deadline", "pk"))


def _open_pool_in(pool: Pool) -> OpenPoolIn:
    members = [m for m in pool.members.all() if m.status in PoolMember.ACTIVE and m.ad_need]
    needs = tuple(
        AdNeedIn(id=m.ad_need.pk, firm_id=m.firm_id, programme_id=m.ad_need.programme_id,
                 market=m.ad_need.market, budget=m.ad_need.budget, currency=m.ad_need.currency,
                 flight_from=m.ad_need.flight_from, flight_to=m.ad_need.flight_to,
                 category=m.ad_need.category,
                 excluded_firm_ids=frozenset(f.pk for f in m.ad_need.excluded_firms.all()))
        for m in members if m.ad_need is not None)
    assert pool.flight_from is not None and pool.flight_to is not None  # noqa: S101 - ads pools have a flight
    return OpenPoolIn(id=pool.pk, programme_id=pool.programme_id or 0, market=pool.market,
                      flight_from=pool.flight_from, flight_to=pool.flight_to,
                      capacity=pool.capacity, member_count=pool.member_count, members=needs)


def _stage(firm: Firm) -> Stage | None:
    return Stage(firm.growth_stage) if firm.growth_stage in {s.value for s in Stage} else None


def advice_for_firm(*, firm: Firm, today: dt.date | None = None) -> FirmAdvice:
    """The acting firm's stage, concentration, warnings and recommended steps."""
    today = today or timezone.localdate()
    profile = firm_profile_for_firm(firm=firm)
    needs = list(AdNeed.objects.filter(firm=firm).select_related("programme"))
    prof = profile_in(profile, ad_channels={n.programme.channel for n in needs
                                            if n.status != AdNeed.Status.WITHDRAWN})
    programmes = list(ChannelProgramme.objects.filter(active=True).order_by("channel", "pk"))
    catalogue = [CatalogueOffer(p.channel, frozenset(p.markets or [])) for p in programmes]
    spend, left_out = _spend(firm, needs, today)
    advice = advise(prof, spend=spend, catalogue=catalogue, fallback_stage=_stage(firm))
    markets = prof.markets or tuple(dict.fromkeys(n.market for n in needs)) or (firm.country,)
    category = (firm.product_categories or [""])[0]

    wanted = {c for r in advice.recommendations for c in r.ad_channels}
    ins, _, _ = programmes_active()
    by_id = {p.id: p for p in ins}
    pools = [p for p in _open_pools(wanted, timezone.now()) if p.flight_to and p.flight_to >= today]
    steps: list[Step] = []
    for rec in advice.recommendations:
        step = Step(rec)
        serving = [p for p in programmes if p.channel in rec.ad_channels]
        for programme in serving:
            served = [m for m in markets if m in (programme.markets or [])]
            if not served:
                continue
            days = max(programme.min_flight_days, 30)
            start = today + dt.timedelta(days=LEAD_DAYS)
            end = start + dt.timedelta(days=days - 1)
            budget = suggested_budget(prof.sales_band, days)
            step.programmes.append(ProgrammeStep(
                programme, served[0], budget, budget >= programme.minimum_spend,
                _prefill(programme, served[0], budget, start, end, category)))
        for pool in pools:
            pool_programme = pool.programme
            p_in = by_id.get(pool.programme_id or 0)
            if pool_programme is None or p_in is None or pool_programme.channel not in rec.ad_channels \
                    or pool.market not in markets:
                continue
            start = max(pool.flight_from or today, today)
            end = pool.flight_to or start
            budget = suggested_budget(prof.sales_band, (end - start).days + 1)
            need = AdNeedIn(id=0, firm_id=firm.pk, programme_id=pool_programme.pk, market=pool.market,
                            budget=budget, currency=pool_programme.currency, flight_from=start,
                            flight_to=end, category=category, excluded_firm_ids=frozenset())
            pool_in = _open_pool_in(pool)
            if pool_misfit(pool_in, p_in, need):
                continue
            alternatives = [by_id[p.pk] for p in programmes
                            if p.channel == pool_programme.channel and p.pk != pool_programme.pk
                            and p.pk in by_id]
            offer = pool_offer(p_in, pool_in, need, alternatives)
            if offer is not None:
                step.pools.append(PoolStep(pool, offer, _prefill(pool_programme, pool.market, budget,
                                                                 start, end, category, pool)))
        steps.append(step)
    return FirmAdvice(firm, profile, advice, tuple(markets), steps, firm.billing_currency,
                      left_out)


# -------------------------------------------------------------- coordinators


@dataclass
class DemandRow:
    """Demand building up on one channel in one market."""

    channel: str
    channel_label: str
    market: str
    open_needs: int = 0
    firms_waiting: int = 0
    budgets: dict[str, Decimal] = field(default_factory=dict)
    programmes: list[str] = field(default_factory=list)
    lowest_minimum: tuple[str, Decimal] | None = None
    advised_firms: int = 0  # firms the advisor sends here, with no programme to buy through

    @property
    def no_programme(self) -> bool:
        return not self.programmes

    @property
    def shortfall(self) -> Decimal | None:
        """How far the waiting budgets are from the lowest programme minimum, same currency."""
        if self.lowest_minimum is None:
            return None
        currency, minimum = self.lowest_minimum
        return max(minimum - self.budgets.get(currency, Decimal(0)), Decimal(0))


def _label(channel: str) -> str:
    if channel in Channel.values:
        return str(Channel(channel).label)
    if channel in SALES_CHANNELS:
        return SALES_CHANNELS[channel].label
    return channel


def demand_building_up(*, today: dt.date | None = None) -> list[DemandRow]:
    """Ad needs that found no pool, and advised channels that find no programme, per market.

    Rows are sorted by the firms waiting (needs and advice together), most first.
    """
    today = today or timezone.localdate()
    waiting = (open_unpooled(AdNeed, "ad_need")
               .values("programme__channel", "market", "currency")
               .annotate(needs=Count("pk"), firms=Count("firm", distinct=True), budget=Sum("budget"))
               .order_by())
    programmes = list(ChannelProgramme.objects.filter(active=True).order_by("pk"))
    rows: dict[tuple[str, str], DemandRow] = {}

    def row(channel: str, market: str) -> DemandRow:
        key = (channel, market)
        if key not in rows:
            serving = [p for p in programmes if p.channel == channel and market in (p.markets or [])]
            lowest = min(serving, key=lambda p: p.minimum_spend, default=None)
            rows[key] = DemandRow(channel, _label(channel), market,
                                  programmes=[p.name for p in serving],
                                  lowest_minimum=(lowest.currency, lowest.minimum_spend)
                                  if lowest else None)
        return rows[key]

    for item in waiting:
        r = row(item["programme__channel"], item["market"])
        r.open_needs += item["needs"]
        r.firms_waiting += item["firms"]
        r.budgets[item["currency"]] = r.budgets.get(item["currency"], Decimal(0)) + item["budget"]

    served = {(p.channel, m) for p in programmes for m in (p.markets or [])}
    catalogue = [CatalogueOffer(p.channel, frozenset(p.markets or [])) for p in programmes]
    advised: dict[tuple[str, str], set[int]] = defaultdict(set)
    for profile in FirmProfile.objects.select_related("firm").order_by("pk"):
        prof = profile_in(profile)
        advice = advise(prof, catalogue=catalogue, fallback_stage=_stage(profile.firm))
        for rec in advice.recommendations:
            for market in prof.markets:
                if not any((c, market) in served for c in rec.ad_channels):
                    channel = rec.ad_channels[0] if rec.ad_channels else rec.channel
                    advised[(channel, market)].add(profile.firm_id)
    for (channel, market), firms in advised.items():
        row(channel, market).advised_firms += len(firms)
    return sorted(rows.values(), key=lambda r: (-(r.firms_waiting + r.advised_firms),
                                                r.channel, r.market))


def profile_channel_choices() -> list[tuple[str, str, str]]:
    """(code, label, business model) of every sales channel, for the profile form."""
    return [(c.code, c.label, c.model.value) for c in SALES_CHANNELS.values()]


__all__: list[Any] = ["DemandRow", "FirmAdvice", "PoolStep", "ProgrammeStep", "Step",
                      "advice_for_firm", "demand_building_up", "firm_profile_for_firm",
                      "profile_in"]
