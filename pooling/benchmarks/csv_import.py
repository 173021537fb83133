"""CSV import of shipping demands against inserting the same rows directly (COPY, executemany).

Builds one file of N valid rows, imports it through the validating import (parse,
validate every row, bulk_create in one transaction), then inserts the very same
rows straight into the table with psycopg's COPY and with executemany, all in one
run and one database. Everything is rolled back at the end.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Firm
from pooling.csv_import import demands_csv_import, demands_from_csv
from pooling.models import ShippingDemand

COLUMNS = ("firm_id", "reference", "origin", "destination", "mode", "cargo_class", "un_number",
           "dg_class", "splittable", "gross_kg", "volume_cbm", "chargeable_kg", "revenue_tons",
           "ready_from", "deliver_by", "incoterm", "declared_value", "declared_currency",
           "hs_code", "status", "created_at", "updated_at")

LANES = [("CNSZX", "USLAX", "sea_lcl"), ("CNSZX", "DEFRA", "air"), ("CNSHA", "NLRTM", "sea_fcl"),
         ("HKHKG", "USJFK", "express"), ("CNSZX", "PLWAW", "rail"), ("DEHAM", "PLWAW", "road")]


def add_arguments(parser: Any) -> None:
    parser.add_argument("--rows", type=int, default=10_000, help="Rows in the file (10,000).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best counts.")


def sample_csv(rows: int) -> bytes:
    today = timezone.localdate()
    lines = ["reference,origin,destination,mode,gross_kg,volume_cbm,ready_from,deliver_by,"
             "incoterm,declared_value,declared_currency,hs_code"]
    for i in range(rows):
        origin, destination, mode = LANES[i % len(LANES)]
        ready = today + dt.timedelta(days=3 + i % 20)
        lines.append(
            f"BENCH-{i:05d},{origin},{destination},{mode},{100 + (i * 37) % 9000}.5,"
            f"{1 + (i * 13) % 40}.25,{ready.isoformat()},"
            f"{(ready + dt.timedelta(days=30)).isoformat()},FOB,{1000 + i},USD,850760"
        )
    return ("\n".join(lines) + "\n").encode()


def _best(runs: list[float]) -> float:
    return min(runs)


def run(options: dict[str, Any], out: Any) -> dict[str, Any]:
    rows, repeat = options.get("rows", 10_000), max(1, options.get("repeat", 3))
    data = sample_csv(rows)
    figures: dict[str, Any] = {"rows": rows, "database": connection.vendor}
    with transaction.atomic():
        firm = Firm.objects.create(legal_name="Benchmark Imports Ltd (rolled back)", country="CN",
                                   billing_currency="USD")
        import_runs, parse_runs, copy_runs, many_runs = [], [], [], []
        for _ in range(repeat):
            start = time.perf_counter()
            parsed = demands_from_csv(data)
            parse_runs.append(time.perf_counter() - start)

            with transaction.atomic():
                start = time.perf_counter()
                result = demands_csv_import(firm=firm, data=data)
                import_runs.append(time.perf_counter() - start)
                assert result.created == rows  # noqa: S101 - a benchmark that imported nothing lies
                transaction.set_rollback(True)

            now = timezone.now()
            records = [
                (firm.pk, d.reference, d.origin, d.destination, d.mode, d.cargo_class,
                 d.un_number, d.dg_class, d.splittable, d.gross_kg, d.volume_cbm,
                 d.chargeable_kg, d.revenue_tons, d.ready_from, d.deliver_by, d.incoterm,
                 d.declared_value, d.declared_currency, d.hs_code, "open", now, now)
                for d in parsed
            ]
            table = ShippingDemand._meta.db_table
            with transaction.atomic(), connection.cursor() as cursor:
                start = time.perf_counter()
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed names
                    f"VALUES ({', '.join(['%s'] * len(COLUMNS))})", records)
                many_runs.append(time.perf_counter() - start)
                transaction.set_rollback(True)
            if connection.vendor == "postgresql":
                with transaction.atomic(), connection.cursor() as cursor:
                    start = time.perf_counter()
                    raw = cursor.cursor  # psycopg 3's own cursor
                    with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for record in records:
                            copy.write_row(record)
                    copy_runs.append(time.perf_counter() - start)
                    transaction.set_rollback(True)
        transaction.set_rollback(True)

    def rate(seconds: float) -> float:
        return round(rows / seconds, 1)

    figures["import_seconds"] = round(_best(import_runs), 3)
    figures["import_rows_per_second"] = rate(_best(import_runs))
    figures["validation_seconds"] = round(_best(parse_runs), 3)
    figures["executemany_rows_per_second"] = rate(_best(many_runs))
    figures["import_vs_executemany"] = round(_best(import_runs) / _best(many_runs), 2)
    out.write(f"CSV import of {rows:,} shipping demands ({connection.vendor}, best of {repeat})")
    out.write(f"  validating import   {figures['import_seconds']:8.3f} s  "
              f"{figures['import_rows_per_second']:>10,.0f} rows/s "
              f"(validation alone {figures['validation_seconds']:.3f} s)")
    out.write(f"  raw executemany     {_best(many_runs):8.3f} s  "
              f"{figures['executemany_rows_per_second']:>10,.0f} rows/s")
    if copy_runs:
        figures["copy_rows_per_second"] = rate(_best(copy_runs))
        figures["import_vs_copy"] = round(_best(import_runs) / _best(copy_runs), 2)
        out.write(f"  raw COPY            {_best(copy_runs):8.3f} s  "
                  f"{figures['copy_rows_per_second']:>10,.0f} rows/s")
        out.write(f"Ratio: the validating import takes {figures['import_vs_copy']}x the time of "
                  f"COPY and {figures['import_vs_executemany']}x that of executemany.")
    else:
        out.write(f"Ratio: the validating import takes {figures['import_vs_executemany']}x the "
                  "time of executemany (COPY needs PostgreSQL).")
    return figures
