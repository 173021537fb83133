"""Demo: channel profiles for firms at each of the three stages, and an open Meta ads pool
in the US that the startup-stage firm's advice points to.

Pearl River Home Co (startup: Amazon and an own site, 80/20) is told its sales are
highly concentrated on Amazon and that social is its next step; the open pool lets
its budget, below the programme's minimum alone, in. Shenzhen Gadgets Ltd (growth)
is pointed to livestream and warned it has no presenters; Lisboa Ceramics Lda
(mature) widens a mix that leans on Meta. Osaka Beauty KK keeps no profile. Loading
twice changes nothing: profiles are keyed on firm, ad needs on firm, programme and
market, and the pool is opened only when no live pool of that programme and market
exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from pooling.models import AdNeed, ChannelProgramme, FirmProfile, MatchingRun, Pool
from pooling.services import pools as pool_services
from pooling.services.advisor import firm_profile_input_parse, firm_profile_save
from pooling.services.matching import matching_run_execute, matching_run_start
from pooling.services.needs import ad_need_input_parse, ad_need_post

META = "Meta ads agency pool (demo figures)"
MARKET = "US"

PROFILES: dict[str, dict[str, Any]] = {
    "Pearl River Home Co": {
        "channels": [{"channel": "amazon", "share": 80}, {"channel": "own_site", "share": 20}],
        "markets": ["US", "GB"], "sales_band": "10k_50k", "content_staff": "some",
        "live_staff": "no", "site_staff": "some", "has_own_site": True, "has_brand": False,
        "risk_appetite": "low"},
    "Shenzhen Gadgets Ltd": {
        "channels": [{"channel": "amazon", "share": 45}, {"channel": "own_site", "share": 20},
                     {"channel": "facebook", "share": 20}, {"channel": "youtube", "share": 15}],
        "markets": ["US", "DE", "GB"], "sales_band": "50k_250k", "content_staff": "yes",
        "live_staff": "no", "site_staff": "yes", "has_own_site": True, "has_brand": True,
        "risk_appetite": "medium"},
    "Lisboa Ceramics Lda": {
        "channels": [{"channel": "etsy", "share": 35}, {"channel": "own_site", "share": 25},
                     {"channel": "instagram", "share": 25},
                     {"channel": "instagram_live", "share": 15}],
        "markets": ["PT", "DE", "GB"], "sales_band": "50k_250k", "content_staff": "yes",
        "live_staff": "some", "site_staff": "some", "has_own_site": True, "has_brand": True,
        "risk_appetite": "medium"},
}

# firm, budget (EUR), starts in days, lasts days, category: together above the minimum
META_NEEDS = [
    ("Shenzhen Gadgets Ltd", "6000", 12, 45, "electronics"),
    ("Mumbai Textiles Pvt Ltd", "5500", 12, 45, "apparel"),
]


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _open_meta_pool(report: Any, ctx: dict[str, Any], programme: ChannelProgramme) -> None:
    live = Pool.objects.filter(kind=Pool.Kind.ADS, programme=programme, market=MARKET).exclude(
        state__in=[Pool.State.REJECTED, Pool.State.CANCELLED])
    if live.exists():
        return
    coordinator = ctx["coordinator"]
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, started_by=coordinator,
                             enqueue=False)
    matching_run_execute(run_id=run.pk)
    pool = live.filter(state=Pool.State.PROPOSED).order_by("pk").first()
    if pool is None or pool.flight_from is None:
        return
    start = timezone.make_aware(dt.datetime.combine(pool.flight_from, dt.time(9, 0)))
    deadline = min(timezone.now() + dt.timedelta(days=5), start - dt.timedelta(days=1))
    pool_services.pool_approve(pool=pool, actor=coordinator)
    pool_services.pool_deadline_set(pool=pool, actor=coordinator, deadline=deadline)
    pool_services.pool_open(pool=pool, actor=coordinator)
    report.created.append(f"{pool}: open for joining until {deadline:%Y-%m-%d %H:%M} "
                          f"(the channel advisor suggests it)")


def load(report: Any, ctx: dict[str, Any]) -> None:
    firms = ctx["firms"]
    for legal, raw in PROFILES.items():
        firm = firms[legal]
        if FirmProfile.objects.filter(firm=firm).exists():
            continue
        firm_profile_save(firm=firm, data=firm_profile_input_parse(raw))
        report.created.append(f"channel profile of {legal} ({firm.growth_stage} stage)")

    programme = ChannelProgramme.objects.filter(name=META).first()
    if programme is None:
        return
    for legal, budget, start, days, category in META_NEEDS:
        firm = firms[legal]
        if AdNeed.objects.filter(firm=firm, programme=programme, market=MARKET).exists():
            continue
        ad_need_post(firm=firm, data=ad_need_input_parse({
            "programme": programme.pk, "market": MARKET, "budget": budget,
            "currency": programme.currency, "flight_from": _day(start),
            "flight_to": _day(start + days - 1), "category": category}, firm=firm))
        report.created.append(f"ad need EUR {budget} on {programme.name} for {legal}")
    _open_meta_pool(report, ctx, programme)
