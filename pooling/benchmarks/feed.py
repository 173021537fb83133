"""Tracking-event ingestion through the HTTP API against direct inserts, and tariff speed.

Starts gunicorn on a free loopback port against the same database, posts DCSA
events in batches with a partner key created for the run, then inserts the same
rows straight into the tracking-event table with psycopg (executemany of the
same INSERT ... ON CONFLICT, and COPY). Prints events per second for each and
the ratios. Everything the run creates (its partners, keys, events,
idempotency records) is deleted at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import requests
from django.db import connection, transaction

from accounts.models import IdempotencyRecord, Partner
from accounts.services import partner_key_create
from pooling.domain import tariff
from pooling.feed.dcsa import parse_event
from pooling.models import TrackingEvent
from pooling.services.feed_events import _COLUMNS, _rows

ROOT = Path(__file__).resolve().parents[2]


def add_arguments(parser: Any) -> None:
    parser.add_argument("--events", type=int, default=20_000, help="Events to ingest.")
    parser.add_argument("--batch", type=int, default=1000, help="Events per request.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes.")
    parser.add_argument("--clients", type=int, default=os.cpu_count() or 2, help="Concurrent client threads.")


def _event(n: int, run: str) -> dict[str, Any]:
    """A DCSA Track & Trace 3.0.0 estimated arrival, as a carrier publishes it."""
    return {
        "eventID": f"bench-{run}-{n:07d}",
        "eventDateTime": "2025-03-19T05:30:00-07:00",
        "eventUpdatedDateTime": "2025-03-01T10:05:00+08:00",
        "eventClassification": {"eventTypeCode": "TRANSPORT", "eventClassifierCode": "EST",
                                "transportEventTypeCode": "ARRI"},
        "eventRouting": {"originatingParty": {"partyCode": "BNCH", "codeListProvider": "SMDG",
                                              "codeListName": "LCL"}},
        "eventLocation": {"UNLocationCode": "USLAX", "locationName": "Los Angeles",
                          "facilityTypeCode": "POTE"},
        "transportDetails": {"transportCall": {
            "transportCallReference": f"TC-{n % 97}", "modeOfTransport": "VESSEL",
            "vesselTransport": {"vesselName": "Benchmark Star", "vesselIMONumber": "9321483"},
            "exportVoyageNumberOrReference": {"carrierVoyageNumber": "2103S"}}},
        "shipmentDetails": {"documentReference": {"typeCode": "BKG", "reference": f"BENCH-{n % 50}"}},
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_DEBUG": "0", "DATABASE_CONN_MAX_AGE": "600"}
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "coop.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(base: str, headers: dict[str, str], server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited: " + (server.stderr.read().decode()
                                                      if server.stderr else ""))
        try:
            if requests.get(f"{base}/api/v1/partner/me/", headers=headers, timeout=10).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _post_batches(base: str, headers: dict[str, str], bodies: list[bytes],
                  clients: int) -> tuple[float, int]:
    def send(body: bytes) -> int:
        session = _session(headers)
        response = session.post(f"{base}/api/v1/partner/events/", data=body, timeout=120)
        response.raise_for_status()
        return int(response.json()["summary"]["stored"])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        stored = sum(pool.map(send, bodies))
    return time.perf_counter() - started, stored


_SESSIONS: dict[int, requests.Session] = {}


def _session(headers: dict[str, str]) -> requests.Session:
    key = threading.get_ident()
    if key not in _SESSIONS:
        session = requests.Session()
        session.headers.update({**headers, "Content-Type": "application/json"})
        _SESSIONS[key] = session
    return _SESSIONS[key]


def _conninfo() -> str:
    db = connection.settings_dict
    parts = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"], "port": db["PORT"],
             "password": db["PASSWORD"]}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _direct(rows: list[tuple], batch: int) -> float:
    """Seconds for executemany of the same INSERT ... ON CONFLICT, one commit per batch."""
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    values = ", ".join("%s::jsonb" if c in ("references", "payload") else "%s" for c in _COLUMNS)
    table = TrackingEvent._meta.db_table
    insert = (f'INSERT INTO "{table}" ({columns}) VALUES ({values}) '  # noqa: S608 - fixed names
              'ON CONFLICT ("partner_id", "event_id") DO NOTHING')
    with psycopg.connect(_conninfo(), autocommit=False) as conn:
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            with conn.cursor() as cursor:
                cursor.executemany(insert, rows[start:start + batch])
            conn.commit()
        return time.perf_counter() - started


def _copy(rows: list[tuple]) -> float:
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    table = TrackingEvent._meta.db_table
    with psycopg.connect(_conninfo(), autocommit=False) as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(
                f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def _tariff_rate(seconds: float = 2.0) -> float:
    air = tariff.RateCard(
        id="bench-air", version=1, currency="USD", mode=tariff.Mode.AIR, origin="CNSZX",
        destination="DEFRA", kg_per_cbm=None, minimum_charge=Decimal("75"),
        weight_breaks=tuple(tariff.WeightBreak(Decimal(k), Decimal(r)) for k, r in (
            ("0", "5.20"), ("45", "4.30"), ("100", "3.70"), ("300", "3.20"), ("500", "2.90"),
            ("1000", "2.60"))),
        fees=(tariff.FixedFee("DOC", "Documents", Decimal("35")),),
        surcharges=(tariff.Surcharge("FSC", "Fuel", percent=Decimal("12")),))
    sea = tariff.RateCard(
        id="bench-sea", version=1, currency="USD", mode=tariff.Mode.SEA_FCL, origin="CNSZX",
        destination="USLAX", kg_per_cbm=None, minimum_charge=Decimal(0),
        lcl_rate_per_wm=Decimal("95"),
        equipment=(tariff.EquipmentRate("20GP", Decimal("1800"), Decimal("28"), Decimal("21700")),
                   tariff.EquipmentRate("40GP", Decimal("2600"), Decimal("58"), Decimal("26600")),
                   tariff.EquipmentRate("40HC", Decimal("2800"), Decimal("66"), Decimal("26500"))),
        fees=(tariff.FixedFee("DOC", "Documents", Decimal("75")),),
        surcharges=(tariff.Surcharge("BAF", "Fuel", percent=Decimal("10")),))
    shipments = [(air, Decimal(kg), Decimal(cbm)) for kg, cbm in
                 (("12", "0.05"), ("80", "0.3"), ("240", "1.1"), ("900", "2"))]
    shipments += [(sea, Decimal(kg), Decimal(cbm)) for kg, cbm in
                  (("2400", "9.5"), ("3100", "18"), ("9000", "40"))]
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for card, kg, cbm in shipments:
            tariff.price(card, gross_kg=kg, volume_cbm=cbm)
        count += len(shipments)
    return count / (time.perf_counter() - started)


def _cleanup(partners: list[Partner]) -> None:
    ids = [p.pk for p in partners]
    with transaction.atomic():
        TrackingEvent.objects.filter(partner_id__in=ids).delete()
        IdempotencyRecord.objects.filter(scope__in=[f"partner:{pk}" for pk in ids]).delete()
        Partner.objects.filter(pk__in=ids).delete()


def run(options: dict[str, Any], out: Any) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise RuntimeError("The feed benchmark needs PostgreSQL: set DATABASE_URL.")
    total, batch = options["events"], options["batch"]
    run_id = uuid.uuid4().hex[:8]
    api_partner = Partner.objects.create(name=f"Benchmark API {run_id}", kind="logistics")
    direct_partner = Partner.objects.create(name=f"Benchmark direct {run_id}", kind="logistics")
    copy_partner = Partner.objects.create(name=f"Benchmark copy {run_id}", kind="logistics")
    partners = [api_partner, direct_partner, copy_partner]
    server = None
    try:
        key = partner_key_create(partner=api_partner, name="benchmark").key
        headers = {"Authorization": f"Api-Key {key}", "API-Version": "3.0.0"}
        events = [_event(n, run_id) for n in range(total)]
        bodies = [json.dumps({"events": events[i:i + batch]}).encode()
                  for i in range(0, total, batch)]
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start_server(port, options["workers"])
        _wait_ready(base, headers, server)
        out.write(f"gunicorn on {base} with {options['workers']} workers; "
                  f"{total} events in batches of {batch}, {options['clients']} clients")
        api_seconds, stored = _post_batches(base, headers, bodies, options["clients"])
        if stored != total:
            raise RuntimeError(f"The API stored {stored} of {total} events.")
        parsed = [parse_event(event, path=f"$.events[{n}]") for n, event in enumerate(events)]
        direct_rows = _rows(direct_partner, [(event, None) for event in parsed])
        copy_rows = _rows(copy_partner, [(event, None) for event in parsed])
        direct_seconds = _direct(direct_rows, batch)
        copy_seconds = _copy(copy_rows)
        counts = {p.pk: TrackingEvent.objects.filter(partner=p).count() for p in partners}
        if set(counts.values()) != {total}:
            raise RuntimeError(f"Row counts differ: {counts}")
        prices_per_second = _tariff_rate()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _cleanup(partners)
    figures = {
        "events": total, "batch": batch, "gunicorn_workers": options["workers"],
        "clients": options["clients"],
        "api_events_per_second": round(total / api_seconds),
        "direct_executemany_events_per_second": round(total / direct_seconds),
        "direct_copy_events_per_second": round(total / copy_seconds),
        "api_to_executemany_ratio": round(direct_seconds / api_seconds, 3),
        "api_to_copy_ratio": round(copy_seconds / api_seconds, 3),
        "tariff_prices_per_second": round(prices_per_second),
    }
    for name, value in figures.items():
        out.write(f"{name:40} {value}")
    target = "met" if figures["api_to_executemany_ratio"] >= 0.25 else "NOT met"
    out.write(f"Target (API >= 1/4 of the direct insert rate): {target}")
    return figures
