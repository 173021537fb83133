"""Generate a realistic market in PostgreSQL, then time loading it against matching it.

The market (100,000 open demands on 500 lanes by default, mixed modes and windows,
rate cards for nine lanes in ten, some capacity offers, ad needs on a handful of
programmes) is written with COPY inside one transaction that is rolled back at the
end, so the benchmark leaves no rows behind. It prints the time to load the input
(the very queries a matching run makes, materialised into the matchers'
dataclasses), the time to match it, their ratio, the process's peak memory and
the total saving found. Target: matching at most twice the load time, peak
memory under 1 GiB.
"""

from __future__ import annotations

import random
import resource
import sys
import time
import uuid
from argparse import ArgumentParser
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Firm, Partner
from pooling.domain.ad_matching import match_ads
from pooling.domain.logistics_matching import match_logistics
from pooling.models import CapacityOffer, ChannelProgramme, RateCard
from pooling.selectors.matching import matching_input_read

ORIGINS = ["CNSZX", "CNSHA", "CNNGB", "CNXMN", "CNTAO", "VNSGN", "VNHPH", "INNSA", "INMAA",
           "THLCH", "MYPKG", "IDTPP", "KRPUS", "TWKHH", "BDCGP"]
DESTINATIONS = ["USLAX", "USLGB", "USNYC", "USSAV", "USHOU", "USSEA", "GBFXT", "GBLGP",
                "DEHAM", "DEFRA", "NLRTM", "BEANR", "FRLEH", "ESVLC", "ITGOA", "PLGDN",
                "CAVAN", "AUSYD", "AEJEA", "BRSSZ"]
# Mode mix of the lanes: mostly sea, then air, road and express.
MODES = [("sea_lcl", 45), ("sea_fcl", 15), ("air", 25), ("road", 10), ("express", 5)]
TRANSIT = {"sea_lcl": 24, "sea_fcl": 22, "air": 3, "road": 9, "express": 2}
EQUIPMENT = [
    {"code": "20GP", "price": "1800.00", "usable_cbm": "28", "payload_kg": "21700"},
    {"code": "40GP", "price": "2600.00", "usable_cbm": "58", "payload_kg": "26600"},
    {"code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"},
]
AIR_BREAKS = [("0", "5.20"), ("45", "4.30"), ("100", "3.70"), ("300", "3.20"), ("500", "2.90"),
              ("1000", "2.60")]
CATEGORIES = ["electronics", "home", "garden", "apparel", "beauty", "sports", "toys"]
MARKETS = ["US", "GB", "DE", "FR", "ES", "IT"]


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--demands", type=int, default=100_000, help="Open shipping demands.")
    parser.add_argument("--lanes", type=int, default=500, help="Lanes (origin, destination, mode).")
    parser.add_argument("--ad-needs", type=int, default=None,
                        help="Open ad needs (default: one per ten demands).")
    parser.add_argument("--seed", type=int, default=2026)


def _lanes(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    combos = [(o, d, m) for o in ORIGINS for d in DESTINATIONS for m, _ in MODES]
    weights = [w for _o in ORIGINS for _d in DESTINATIONS for _m, w in MODES]
    if count > len(combos):
        raise CommandError(f"At most {len(combos)} lanes can be generated.")
    chosen: dict[tuple[str, str, str], None] = {}
    while len(chosen) < count:
        chosen[rng.choices(combos, weights)[0]] = None
    return list(chosen)


def _card(partner: Partner, lane: tuple[str, str, str], version: int, today: date,
          rng: random.Random) -> RateCard:
    origin, destination, mode = lane
    scale = Decimal(rng.randint(85, 120)) / 100
    common: dict[str, Any] = {
        "partner": partner, "origin": origin, "destination": destination, "mode": mode,
        "version": version, "currency": "USD", "valid_from": today - timedelta(days=30),
        "valid_to": today + timedelta(days=180), "transit_days": TRANSIT[mode],
        "fees": [{"code": "DOC", "description": "Documentation", "amount": "75.00"}],
        "surcharges": [{"code": "BAF", "description": "Fuel", "percent": "10"}],
        "allowed_cargo_classes": ["general", "magnetic", "powders", "lithium_batteries"],
    }
    if mode in ("sea_lcl", "sea_fcl"):
        return RateCard(**common, lcl_rate_per_wm=(Decimal("95") * scale).quantize(Decimal("0.01")),
                        equipment=[{**e, "price": str((Decimal(e["price"]) * scale)
                                                      .quantize(Decimal("0.01")))}
                                   for e in EQUIPMENT])
    breaks = [{"min_kg": k, "rate_per_kg": str((Decimal(r) * scale * (
        Decimal("0.35") if mode == "road" else Decimal("1.4") if mode == "express" else 1))
        .quantize(Decimal("0.01")))} for k, r in AIR_BREAKS]
    return RateCard(**common, minimum_charge=Decimal("75.00"), weight_breaks=breaks)


def _demand_rows(
    rng: random.Random, count: int, lanes: list[tuple[str, str, str]], firm_ids: list[int],
    today: date,
) -> Iterator[tuple[Any, ...]]:
    now = timezone.now()
    for n in range(count):
        origin, destination, mode = lanes[rng.randrange(len(lanes))]
        if mode in ("sea_lcl", "sea_fcl"):
            volume = Decimal(rng.randint(5, 300)) / 10
            gross = Decimal(rng.randint(150, 450)) * volume
            if mode == "sea_fcl":
                volume, gross = volume * 2, gross * 2
        elif mode == "road":
            volume = Decimal(rng.randint(2, 80)) / 10
            gross = Decimal(rng.randint(120, 300)) * volume
        else:
            volume = Decimal(rng.randint(1, 40)) / 10
            gross = Decimal(rng.randint(80, 250)) * volume
        gross = gross.quantize(Decimal("0.001"))
        ready = today + timedelta(days=rng.randint(1, 30))
        slack = rng.choice([2, 5, 10, 20, 30, 45, 60])
        deliver_by = ready + timedelta(days=TRANSIT[mode] + slack)
        roll = rng.random()
        cargo = "general" if roll < 0.9 else "lithium_batteries" if roll < 0.96 else "other_dg"
        dg = "3" if cargo == "other_dg" else ""
        yield (firm_ids[rng.randrange(len(firm_ids))], f"BM-{n}", origin, destination, mode,
               cargo, "", dg, rng.random() < 0.3, gross, volume, gross, max(gross / 1000, volume),
               ready, deliver_by, "FOB", None, "", "", "open", now, now)


def _ad_rows(
    rng: random.Random, count: int, programmes: list[ChannelProgramme], firm_ids: list[int],
    today: date,
) -> Iterator[tuple[Any, ...]]:
    now = timezone.now()
    for _ in range(count):
        programme = programmes[rng.randrange(len(programmes))]
        start = today + timedelta(days=rng.randint(3, 40))
        end = start + timedelta(days=rng.randint(10, 60))
        budget = Decimal(rng.randint(20, 400)) * 100
        yield (firm_ids[rng.randrange(len(firm_ids))], programme.pk,
               rng.choice(programme.markets), budget, programme.currency, start, end,
               rng.choice(CATEGORIES), "open", now, now)


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)


def _generate(options: dict[str, Any], today: date, out: TextIO) -> dict[str, int]:
    rng = random.Random(options["seed"])  # noqa: S311 - synthetic market, not security
    tag = uuid.uuid4().hex[:8]
    forwarders = [Partner.objects.create(name=f"Benchmark forwarder {i} {tag}",
                                         kind=Partner.Kind.LOGISTICS) for i in range(3)]
    agency = Partner.objects.create(name=f"Benchmark agency {tag}", kind=Partner.Kind.ADVERTISING)
    firms = Firm.objects.bulk_create([
        Firm(legal_name=f"Benchmark exporter {i} {tag}", country="CN", billing_currency="USD",
             growth_stage="growth", product_categories=[CATEGORIES[i % len(CATEGORIES)]])
        for i in range(max(10, options["demands"] // 50))
    ], batch_size=2000)
    firm_ids = [f.pk for f in firms]
    lanes = _lanes(rng, options["lanes"])
    priced = [lane for lane in lanes if rng.random() < 0.9]
    cards = RateCard.objects.bulk_create(
        [_card(forwarders[i % len(forwarders)], lane, 1, today, rng)
         for i, lane in enumerate(priced)], batch_size=1000)
    offers: list[CapacityOffer] = []
    for card in cards[: len(cards) // 10]:
        if card.mode not in ("sea_lcl", "sea_fcl"):
            continue
        for week in range(1, 9):
            departure = today + timedelta(days=7 * week)
            offers.append(CapacityOffer(
                partner_id=card.partner_id, rate_card=card, origin=card.origin,
                destination=card.destination, mode=card.mode, departure_date=departure,
                cutoff_at=timezone.now() + timedelta(days=7 * week - 3),
                equipment={"40HC": 4}, allotment_kg=Decimal("100000"),
                allotment_cbm=Decimal("260")))
    CapacityOffer.objects.bulk_create(offers, batch_size=1000)
    programmes = [
        ChannelProgramme.objects.create(
            name=f"Benchmark {channel} {tag}", channel=channel, business_model=model,
            partner=agency, markets=MARKETS, currency="USD", minimum_spend=Decimal(minimum),
            tiers=[{"min_spend": minimum, "rebate_percent": "2"},
                   {"min_spend": str(int(minimum) * 3), "rebate_percent": "4"}],
            management_fee_percent=Decimal("6"), standalone_fee_percent=Decimal("12"),
            min_flight_days=14, category_exclusive=exclusive)
        for channel, model, minimum, exclusive in [
            ("amazon_dsp", "marketplace", "50000", False),
            ("amazon_sp", "marketplace", "5000", False),
            ("meta_ads", "independent_site", "10000", True),
            ("tiktok_live", "livestream", "8000", False),
            ("google_ads", "independent_site", "15000", False),
        ]
    ]
    _copy("pooling_shippingdemand",
          ["firm_id", "reference", "origin", "destination", "mode", "cargo_class", "un_number",
           "dg_class", "splittable", "gross_kg", "volume_cbm", "chargeable_kg", "revenue_tons",
           "ready_from", "deliver_by", "incoterm", "declared_value", "declared_currency",
           "hs_code", "status", "created_at", "updated_at"],
          _demand_rows(rng, options["demands"], lanes, firm_ids, today))
    ad_needs = options["ad_needs"] if options["ad_needs"] is not None else options["demands"] // 10
    _copy("pooling_adneed",
          ["firm_id", "programme_id", "market", "budget", "currency", "flight_from",
           "flight_to", "category", "status", "created_at", "updated_at"],
          _ad_rows(rng, ad_needs, programmes, firm_ids, today))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pooling_shippingdemand")
        cursor.execute("ANALYZE pooling_adneed")
    return {"firms": len(firms), "lanes": len(lanes), "rate_cards": len(cards),
            "capacity_offers": len(offers), "ad_needs": ad_needs, "programmes": len(programmes)}


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise CommandError("The matching benchmark needs PostgreSQL: set DATABASE_URL.")
    if options["demands"] < 2:
        raise CommandError("--demands must be at least 2.")
    now = timezone.now()
    today = timezone.localdate(now)
    figures: dict[str, Any] = {"demands": options["demands"]}
    with transaction.atomic():
        start = time.perf_counter()
        figures.update(_generate(options, today, out))
        figures["generate_seconds"] = round(time.perf_counter() - start, 3)
        out.write(f"Generated {figures['demands']:,} demands on {figures['lanes']} lanes "
                  f"({figures['rate_cards']} with rate cards, {figures['capacity_offers']} "
                  f"capacity offers), {figures['ad_needs']:,} ad needs on "
                  f"{figures['programmes']} programmes in {figures['generate_seconds']:.1f} s.\n")

        start = time.perf_counter()
        data = matching_input_read(today=today, now=now)
        load = time.perf_counter() - start

        start = time.perf_counter()
        logistics = match_logistics(data.demands, data.cards, data.capacities, today=today)
        logistics_seconds = time.perf_counter() - start
        start = time.perf_counter()
        ads = match_ads(data.ad_needs, data.programmes)
        ads_seconds = time.perf_counter() - start
        match = logistics_seconds + ads_seconds
        transaction.set_rollback(True)

    saving: dict[str, Decimal] = defaultdict(Decimal)
    for proposal in (*logistics.pools, *ads.pools):
        for member in proposal.members:
            if member.saving is not None:
                saving[proposal.currency] += member.saving
    figures.update({
        "demands_read": len(data.demands),
        "ad_needs_read": len(data.ad_needs),
        "load_seconds": round(load, 3),
        "match_seconds": round(match, 3),
        "match_logistics_seconds": round(logistics_seconds, 3),
        "match_ads_seconds": round(ads_seconds, 3),
        "match_to_load_ratio": round(match / load, 3) if load else None,
        "peak_memory_mib": round(_peak_mib(), 1),
        "logistics_pools": len(logistics.pools),
        "ad_pools": len(ads.pools),
        "pooled_needs": sum(len(p.members) for p in (*logistics.pools, *ads.pools)),
        "unplaced": len(logistics.unplaced) + len(ads.unplaced),
        "total_saving": {cur: format(amount, "f") for cur, amount in sorted(saving.items())},
    })
    out.write(
        f"Load  {figures['load_seconds']:>8.3f} s  ({figures['demands_read']:,} demands, "
        f"{figures['ad_needs_read']:,} ad needs into dataclasses)\n"
        f"Match {figures['match_seconds']:>8.3f} s  (logistics "
        f"{figures['match_logistics_seconds']:.3f} s, ads {figures['match_ads_seconds']:.3f} s)\n"
        f"Match / load = {figures['match_to_load_ratio']}  (target at most 2)\n"
        f"Peak memory {figures['peak_memory_mib']:,.1f} MiB (process maximum resident set; "
        f"target under 1024)\n"
        f"Proposed {figures['logistics_pools']:,} logistics and {figures['ad_pools']:,} ad pools "
        f"holding {figures['pooled_needs']:,} needs; {figures['unplaced']:,} unplaced.\n"
        f"Total saving: "
        f"{', '.join(f'{c} {a}' for c, a in figures['total_saving'].items()) or 'none'}\n"
        f"All generated rows were rolled back.\n"
    )
    return figures
