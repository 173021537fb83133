"""Demo needs: a programme catalogue (demo figures) and open demands and ad needs that pool.

Sea LCL Shenzhen→Los Angeles from five firms and air Shenzhen→Frankfurt from three
share windows, so matching can consolidate them; three Amazon DSP needs in the US
reach the managed-service minimum only together; two Google Ads needs, below its
minimum alone, pool for access (the demo's Google Ads programme has a minimum and no
tiers); one TikTok Live need stays unplaced.
Dates are relative to today. Loading twice changes nothing: demands are keyed on firm
and reference, ad needs on firm, programme and market, programmes on name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pooling.models import AdNeed, ChannelProgramme, ShippingDemand
from pooling.services.needs import (
    ad_need_input_parse,
    ad_need_post,
    demand_input_parse,
    demand_post,
)

ADVERTISING_PARTNER = "Brightreach Media (demo)"

PROGRAMMES: list[dict[str, Any]] = [
    {"name": "Amazon DSP managed service (demo figures)", "channel": "amazon_dsp",
     "business_model": "marketplace", "markets": ["DE", "GB", "US"], "currency": "USD",
     "minimum_spend": Decimal("50000"),
     "tiers": [{"min_spend": "50000", "rebate_percent": "2"},
               {"min_spend": "100000", "rebate_percent": "4"}],
     "management_fee_percent": Decimal("8"), "standalone_fee_percent": Decimal("15"),
     "min_flight_days": 30, "category_exclusive": False},
    {"name": "Amazon DSP via reseller (demo figures)", "channel": "amazon_dsp",
     "business_model": "marketplace", "markets": ["DE", "GB", "US"], "currency": "USD",
     "minimum_spend": Decimal("5000"),
     "tiers": [{"min_spend": "5000", "discount_percent": "0"},
               {"min_spend": "20000", "discount_percent": "1.5"}],
     "management_fee_percent": Decimal("12"), "standalone_fee_percent": Decimal("18"),
     "min_flight_days": 14, "category_exclusive": False},
    {"name": "Google Ads agency pool (demo figures)", "channel": "google_ads",
     "business_model": "independent_site", "markets": ["DE", "FR", "GB", "US"],
     "currency": "USD", "minimum_spend": Decimal("10000"), "tiers": [],
     "management_fee_percent": Decimal("7"), "standalone_fee_percent": Decimal("12"),
     "min_flight_days": 21, "category_exclusive": False},
    {"name": "Meta ads agency pool (demo figures)", "channel": "meta_ads",
     "business_model": "social", "markets": ["DE", "GB", "PT", "US"], "currency": "EUR",
     "minimum_spend": Decimal("10000"),
     "tiers": [{"min_spend": "10000", "rebate_percent": "2"},
               {"min_spend": "30000", "rebate_percent": "4"}],
     "management_fee_percent": Decimal("8"), "standalone_fee_percent": Decimal("14"),
     "min_flight_days": 14, "category_exclusive": True},
    {"name": "TikTok Live/Shop creator pool (demo figures)", "channel": "tiktok_live",
     "business_model": "livestream", "markets": ["GB", "US"], "currency": "USD",
     "minimum_spend": Decimal("25000"),
     "tiers": [{"min_spend": "25000", "discount_percent": "4"}],
     "management_fee_percent": Decimal("10"), "standalone_fee_percent": Decimal("20"),
     "min_flight_days": 14, "category_exclusive": True},
]

# firm, reference, origin, destination, mode, gross kg, CBM, ready in days, due in days
DEMANDS = [
    ("Shenzhen Gadgets Ltd", "DEMO-SEA-01", "CNSZX", "USLAX", "sea_lcl", "2400", "9.5", 8, 55),
    ("Pearl River Home Co", "DEMO-SEA-02", "CNSZX", "USLAX", "sea_lcl", "3100", "18", 7, 50),
    ("Lisboa Ceramics Lda", "DEMO-SEA-03", "CNSZX", "USLAX", "sea_lcl", "4200", "6", 10, 60),
    ("Mumbai Textiles Pvt Ltd", "DEMO-SEA-04", "CNSZX", "USLAX", "sea_lcl", "1500", "12", 9, 52),
    ("Kuwait Outdoor Co", "DEMO-SEA-05", "CNSZX", "USLAX", "sea_lcl", "2200", "15", 12, 58),
    ("Shenzhen Gadgets Ltd", "DEMO-AIR-01", "CNSZX", "DEFRA", "air", "240", "1.1", 6, 20),
    ("Osaka Beauty KK", "DEMO-AIR-02", "CNSZX", "DEFRA", "air", "150", "0.6", 5, 18),
    ("Pearl River Home Co", "DEMO-AIR-03", "CNSZX", "DEFRA", "air", "80", "0.5", 7, 21),
    ("Lisboa Ceramics Lda", "DEMO-AIR-04", "CNSZX", "DEFRA", "air", "120", "0.9", 14, 32),
    ("Mumbai Textiles Pvt Ltd", "DEMO-AIR-05", "CNSZX", "DEFRA", "air", "95", "0.7", 15, 30),
    ("Osaka Beauty KK", "DEMO-AIR-06", "CNSZX", "DEFRA", "air", "60", "0.4", 13, 31),
    ("Lisboa Ceramics Lda", "DEMO-SEA-06", "CNNGB", "DEHAM", "sea_lcl", "1800", "7", 9, 70),
    ("Osaka Beauty KK", "DEMO-SEA-07", "CNNGB", "DEHAM", "sea_lcl", "900", "4.5", 10, 75),
    ("Kuwait Outdoor Co", "DEMO-SEA-08", "CNNGB", "DEHAM", "sea_lcl", "2600", "11", 8, 72),
]

# firm, programme, market, budget, starts in days, lasts days, category
AD_NEEDS = [
    ("Shenzhen Gadgets Ltd", 0, "US", "20000", 14, 45, "electronics"),
    ("Pearl River Home Co", 0, "US", "18000", 10, 40, "home"),
    ("Mumbai Textiles Pvt Ltd", 0, "US", "15000", 16, 42, "apparel"),
    ("Osaka Beauty KK", 4, "US", "12000", 20, 30, "beauty"),
    ("Kuwait Outdoor Co", 2, "US", "6000", 12, 30, "sports"),
    ("Osaka Beauty KK", 2, "US", "5000", 15, 28, "beauty"),
]


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def load(report: Any, ctx: dict[str, Any]) -> None:
    firms = ctx["firms"]
    partner = ctx.get("partners", {}).get(ADVERTISING_PARTNER)
    programmes: list[ChannelProgramme] = []
    for spec in PROGRAMMES:
        programme, created = ChannelProgramme.objects.get_or_create(
            name=spec["name"], defaults={**spec, "partner": partner, "is_demo": True})
        if created:
            report.created.append(f"programme {programme.name}")
        programmes.append(programme)

    demands: list[ShippingDemand] = []
    for legal, ref, origin, dest, mode, kg, cbm, ready, due in DEMANDS:
        firm = firms[legal]
        demand = ShippingDemand.objects.filter(firm=firm, reference=ref).first()
        if demand is None:
            demand = demand_post(firm=firm, data=demand_input_parse({
                "reference": ref, "origin": origin, "destination": dest, "mode": mode,
                "gross_kg": kg, "volume_cbm": cbm, "ready_from": _day(ready),
                "deliver_by": _day(due), "splittable": mode == "sea_lcl",
            }))
            report.created.append(f"demand {ref} {origin}→{dest} for {legal}")
        demands.append(demand)

    ad_needs: list[AdNeed] = []
    for legal, index, market, budget, start, days, category in AD_NEEDS:
        firm, programme = firms[legal], programmes[index]
        need = AdNeed.objects.filter(firm=firm, programme=programme, market=market).first()
        if need is None:
            need = ad_need_post(firm=firm, data=ad_need_input_parse({
                "programme": programme.pk, "market": market, "budget": budget,
                "currency": programme.currency, "flight_from": _day(start),
                "flight_to": _day(start + days - 1), "category": category,
            }, firm=firm))
            report.created.append(f"ad need {programme.currency} {budget} on {programme.name} "
                                  f"for {legal}")
        ad_needs.append(need)

    ctx["programmes"] = programmes
    ctx["demands"] = demands
    ctx["ad_needs"] = ad_needs
