"""Generate a realistic market in PostgreSQL, then time loading it against matching it.

The market (100,000 open demands on 500 lanes by default, mixed modes and windows,
rate cards for nine lanes in ten, some capacity offers, ad needs on a handful of
programmes) is written with COPY. It prints the time to load the input (the very
queries a matching run makes, materialised into the matchers' dataclasses; in one
process, the quicker of a read before and one after the match), the
time to match it, their ratio, peak memory, the total saving found and the
unplaced needs by reason.

Without `--workers` the market is matched in this process inside one transaction
that is rolled back. With `--workers N` the market is committed, N real
`celery worker` processes (one process each) are started on Redis, and a run is
started as the web starts one: it is cut into shards and fanned out as a chord;
the wall time runs from the start until the run is closed, and each worker's peak
memory is read from the shards it ran. The generated rows, the run and its pools
are deleted at the end. Targets (100,000 demands): one process at most 5 times the
load, two workers at most 3 times, each under 1 GiB.
"""

from __future__ import annotations

import os
import random
import re
import resource
import subprocess
import sys
import time
import uuid
from argparse import ArgumentParser
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Firm, Partner
from coop.celery import app as celery_app
from pooling.domain.ad_matching import match_ads
from pooling.domain.logistics_matching import match_logistics
from pooling.models import (
    CapacityOffer,
    ChannelProgramme,
    MatchingRun,
    MatchingShard,
    Pool,
    PoolMember,
    RateCard,
)
from pooling.selectors.matching import matching_input_read
from pooling.services.matching import matching_run_start

ROOT = Path(settings.BASE_DIR)

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
    parser.add_argument("--workers", type=int, default=0,
                        help="Match on this many real Celery worker processes, sharded.")
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL")
                        or "redis://127.0.0.1:6379/3",
                        help="Redis for the workers (default: CELERY_BROKER_URL or db 3).")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="Seconds to wait for the workers' run to finish.")
    parser.add_argument("--shard-needs", type=int, default=None,
                        help="Needs per shard (default: the MATCHING_SHARD_NEEDS setting).")


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
            "capacity_offers": len(offers), "ad_needs": ad_needs, "programmes": len(programmes),
            "tag": tag}


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _unplaced_by_reason(rows: list[dict[str, Any]] | list[Any]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        reason = row["reason"] if isinstance(row, dict) else row.reason
        # Group on the rule, not the places, dates and numbers in the sentence.
        rule = re.sub(r"\b[A-Z]{5}\u2192[A-Z]{2,5}\b", "<lane>", reason.split(":")[0])
        rule = re.sub(r"\d{4}-\d{2}-\d{2}", "<date>", rule.split(" (")[0])
        counts[re.sub(r"#\d+", "#<id>", rule)[:90]] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8])


def _generated(options: dict[str, Any], today: date, out: TextIO,
               figures: dict[str, Any]) -> None:
    start = time.perf_counter()
    figures.update(_generate(options, today, out))
    figures["generate_seconds"] = round(time.perf_counter() - start, 3)
    out.write(f"Generated {figures['demands']:,} demands on {figures['lanes']} lanes "
              f"({figures['rate_cards']} with rate cards, {figures['capacity_offers']} "
              f"capacity offers), {figures['ad_needs']:,} ad needs on "
              f"{figures['programmes']} programmes in {figures['generate_seconds']:.1f} s.\n")


def run(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise CommandError("The matching benchmark needs PostgreSQL: set DATABASE_URL.")
    if options["demands"] < 2:
        raise CommandError("--demands must be at least 2.")
    if options.get("workers"):
        return _run_on_workers(options, out)
    now = timezone.now()
    today = timezone.localdate(now)
    figures: dict[str, Any] = {"demands": options["demands"]}
    with transaction.atomic():
        _generated(options, today, out, figures)

        start = time.perf_counter()
        data = matching_input_read(today=today, now=now)
        load_before = time.perf_counter() - start

        start = time.perf_counter()
        logistics = match_logistics(data.demands, data.cards, data.capacities, today=today)
        logistics_seconds = time.perf_counter() - start
        start = time.perf_counter()
        ads = match_ads(data.ad_needs, data.programmes)
        ads_seconds = time.perf_counter() - start
        match = logistics_seconds + ads_seconds
        saving: dict[str, Decimal] = defaultdict(Decimal)
        for proposal in (*logistics.pools, *ads.pools):
            for member in proposal.members:
                if member.saving is not None:
                    saving[proposal.currency] += member.saving
        figures.update({
            "demands_read": len(data.demands),
            "ad_needs_read": len(data.ad_needs),
            "match_seconds": round(match, 3),
            "match_logistics_seconds": round(logistics_seconds, 3),
            "match_ads_seconds": round(ads_seconds, 3),
            "peak_memory_mib": round(_peak_mib(), 1),
            "logistics_pools": len(logistics.pools),
            "ad_pools": len(ads.pools),
            "pooled_needs": sum(len(p.members) for p in (*logistics.pools, *ads.pools)),
            "unplaced": len(logistics.unplaced) + len(ads.unplaced),
            "unplaced_by_reason": _unplaced_by_reason([*logistics.unplaced, *ads.unplaced]),
            "total_saving": {cur: format(amount, "f") for cur, amount in sorted(saving.items())},
        })
        # The same rows read again, as the first time with nothing else alive. The floor
        # is the quicker read: a read slowed by the machine (a cold cache, the database's
        # own background work) must never make the match look cheaper than it is.
        del data, logistics, ads
        start = time.perf_counter()
        matching_input_read(today=today, now=now)
        load_after = time.perf_counter() - start
        load = min(load_before, load_after)
        transaction.set_rollback(True)

    figures.update({
        "load_seconds": round(load, 3),
        "load_seconds_before_and_after": [round(load_before, 3), round(load_after, 3)],
        "match_to_load_ratio": round(match / load, 3) if load else None,
    })
    out.write(
        f"Load  {figures['load_seconds']:>8.3f} s  ({figures['demands_read']:,} demands, "
        f"{figures['ad_needs_read']:,} ad needs into dataclasses; the quicker of reads before "
        f"and after the match: {load_before:.3f} s and {load_after:.3f} s)\n"
        f"Match {figures['match_seconds']:>8.3f} s  (logistics "
        f"{figures['match_logistics_seconds']:.3f} s, ads {figures['match_ads_seconds']:.3f} s)\n"
        f"Match / load = {figures['match_to_load_ratio']}  (target at most 5)\n"
        f"Peak memory {figures['peak_memory_mib']:,.1f} MiB (process maximum resident set; "
        f"target under 1024)\n"
    )
    _write_result(figures, out)
    out.write("All generated rows were rolled back.\n")
    return figures


def _write_result(figures: dict[str, Any], out: TextIO) -> None:
    out.write(
        f"Proposed {figures['logistics_pools']:,} logistics and {figures['ad_pools']:,} ad pools "
        f"holding {figures['pooled_needs']:,} needs; {figures['unplaced']:,} unplaced.\n"
        f"Total saving: "
        f"{', '.join(f'{c} {a}' for c, a in figures['total_saving'].items()) or 'none'}\n"
        "Unplaced by reason:\n"
        + "".join(f"  {n:>8,}  {reason}\n" for reason, n in figures["unplaced_by_reason"].items())
    )


def _start_workers(count: int, broker: str, queue: str, shard_needs: int | None,
                   ) -> list[subprocess.Popen[bytes]]:
    db = connection.settings_dict
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
           "CELERY_TASK_DEFAULT_QUEUE": queue,
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                           f"{db['PORT'] or 5432}/{db['NAME']}"}
    if shard_needs:
        env["MATCHING_SHARD_NEEDS"] = str(shard_needs)
    workers = [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "celery", "-A", "coop", "worker", "-P", "prefork", "-c", "1",
             "-Q", queue, "-n", f"{queue}-{k}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for k in range(count)]
    deadline = time.monotonic() + 90
    for k, worker in enumerate(workers):
        while not celery_app.control.ping(destination=[f"{queue}-{k}@{os.uname().nodename}"],
                                          timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                _stop(workers)
                raise CommandError(f"Celery worker {k} did not start.")
    return workers


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _delete_generated(tag: str, run_id: int | None) -> None:
    """Remove the committed market, the run and its pools, child rows first."""
    by_run = "(SELECT id FROM pooling_pool WHERE matching_run_id = %s)"
    firms = "(SELECT id FROM accounts_firm WHERE legal_name LIKE %s)"
    partners = "(SELECT id FROM accounts_partner WHERE name LIKE %s)"
    like = f"Benchmark % {tag}"
    statements: list[tuple[str, list[Any]]] = []
    if run_id is not None:
        statements += [
            ("DELETE FROM pooling_poolevent WHERE pool_id IN " + by_run, [run_id]),  # noqa: S608
            ("DELETE FROM pooling_poolmember WHERE pool_id IN " + by_run, [run_id]),  # noqa: S608
            ("DELETE FROM pooling_pool WHERE matching_run_id = %s", [run_id]),
            ("DELETE FROM pooling_matchingshard WHERE run_id = %s", [run_id]),
            ("DELETE FROM pooling_matchingrun WHERE id = %s", [run_id]),
        ]
    statements += [
        ("DELETE FROM pooling_shippingdemand WHERE firm_id IN " + firms, [like]),  # noqa: S608
        ("DELETE FROM pooling_adneed WHERE firm_id IN " + firms, [like]),  # noqa: S608
        ("DELETE FROM pooling_capacityoffer WHERE partner_id IN " + partners, [like]),  # noqa: S608
        ("DELETE FROM pooling_ratecard WHERE partner_id IN " + partners, [like]),  # noqa: S608
        ("DELETE FROM pooling_channelprogramme WHERE partner_id IN " + partners, [like]),  # noqa: S608
        ("DELETE FROM accounts_firm WHERE legal_name LIKE %s", [like]),
        ("DELETE FROM accounts_partner WHERE name LIKE %s", [like]),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _run_on_workers(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    count = options["workers"]
    now = timezone.now()
    today = timezone.localdate(now)
    figures: dict[str, Any] = {"demands": options["demands"], "workers": count}
    with transaction.atomic():
        _generated(options, today, out, figures)
    tag = figures.pop("tag")
    run_id: int | None = None
    queue = f"coop-benchmark-{tag}"
    previous = {k: celery_app.conf[k] for k in
                ("broker_url", "result_backend", "task_default_queue", "task_always_eager")}
    try:
        start = time.perf_counter()
        data = matching_input_read(today=today, now=now)
        load = time.perf_counter() - start
        figures.update(demands_read=len(data.demands), ad_needs_read=len(data.ad_needs))
        del data
        celery_app.conf.update(broker_url=options["broker"], result_backend=options["broker"],
                               task_default_queue=queue, task_always_eager=False)
        workers = _start_workers(count, options["broker"], queue, options.get("shard_needs"))
        try:
            start = time.perf_counter()
            run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND)
            run_id = run.pk
            deadline = time.monotonic() + options["timeout"]
            while run.status not in (MatchingRun.Status.SUCCEEDED, MatchingRun.Status.FAILED):
                if time.monotonic() > deadline:
                    raise CommandError(f"The run did not finish within {options['timeout']} s "
                                       f"(status {run.status}, stage {run.stage!r}).")
                time.sleep(0.05)
                run.refresh_from_db()
            wall = time.perf_counter() - start
        finally:
            _stop(workers)
        shards = list(MatchingShard.objects.filter(run_id=run_id).order_by("number"))
        peaks: dict[str, int] = defaultdict(int)
        for shard in shards:
            peaks[shard.worker] = max(peaks[shard.worker], shard.peak_memory_mib or 0)
        figures.update({
            "load_seconds": round(load, 3),
            "wall_seconds": round(wall, 3),
            "wall_to_load_ratio": round(wall / load, 3) if load else None,
            "run_status": run.status, "run_error": run.error,
            "shards": len(shards),
            "shard_seconds": [round((s.duration_ms or 0) / 1000, 2) for s in shards],
            "worker_peak_memory_mib": dict(sorted(peaks.items())),
            "logistics_pools": Pool.objects.filter(matching_run_id=run_id,
                                                   kind=Pool.Kind.LOGISTICS).count(),
            "ad_pools": Pool.objects.filter(matching_run_id=run_id, kind=Pool.Kind.ADS).count(),
            "pooled_needs": PoolMember.objects.filter(pool__matching_run_id=run_id).count(),
            "unplaced": len(run.unplaced),
            "unplaced_by_reason": _unplaced_by_reason(run.unplaced),
            "total_saving": run.total_saving,
        })
        out.write(
            f"Load  {figures['load_seconds']:>8.3f} s  ({figures['demands_read']:,} demands, "
            f"{figures['ad_needs_read']:,} ad needs into dataclasses, in this process)\n"
            f"Run   {figures['wall_seconds']:>8.3f} s  wall, on {count} worker processes: "
            f"{len(shards)} shards, run {run.status}{': ' + run.error if run.error else ''}\n"
            f"Wall / load = {figures['wall_to_load_ratio']}  (target at most 3 on two workers)\n"
            f"Peak memory per worker process: "
            + ", ".join(f"{w} {m:,} MiB" for w, m in figures["worker_peak_memory_mib"].items())
            + " (target under 1024 each)\n")
        _write_result(figures, out)
    finally:
        celery_app.conf.update(previous)
        _delete_generated(tag, run_id)
        out.write("The generated rows, the run and its pools were deleted.\n")
    return figures

