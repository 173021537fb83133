"""Settle N pools of 8 members (allocation and ledger postings) against a direct bulk insert.

Everything runs inside one database transaction that is rolled back at the end: ledger
rows are immutable by trigger, so the benchmark leaves nothing behind. The pools,
members and invoices are created in bulk first and are not timed. Settling runs in a
savepoint; the rows it wrote (accounts first used, settlements, shares, ledger
transactions and entries, pool events) are read back, the savepoint is rolled back,
and the floor COPYs exactly those rows (same ids and values) into the same tables,
with the same triggers, and moves the pools to settled. Both sides end by running
the deferred checks (ledger balance, foreign keys), as COMMIT would. A second floor
copies only the ledger rows (accounts, transactions and entries). A separate figure
times an exact Shapley split of a 12-member pool priced on an air rate card.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Firm, Partner
from pooling.domain.allocation import CostLine, MemberLoad, split_shapley
from pooling.domain.tariff import RateCard as DomainRateCard
from pooling.domain.tariff import WeightBreak
from pooling.domain.tariff import price as tariff_price
from pooling.domain.units import Mode
from pooling.models import (
    Invoice,
    InvoiceLine,
    Pool,
    PoolMember,
    ShippingDemand,
)
from pooling.services.settlement import settlements_settle

D = Decimal


class _Rollback(Exception):
    pass


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--pools", type=int, default=10_000, help="Pools to settle (10000).")
    parser.add_argument("--members", type=int, default=8, help="Members per pool (8).")
    parser.add_argument("--batch", type=int, default=500, help="Pools per settlement batch.")


def _create(pools: int, members: int, out: Any) -> list[int]:
    """Pools in state invoiced, with accepted members and a three-line LCL invoice."""
    today = timezone.localdate()
    partner = Partner.objects.create(name=f"Benchmark partner {time.time_ns()}",
                                     kind=Partner.Kind.LOGISTICS)
    currencies = ["USD", "USD", "USD", "EUR"]
    firms = Firm.objects.bulk_create([
        Firm(legal_name=f"Benchmark firm {i}", country="CN",
             billing_currency=currencies[i % len(currencies)], growth_stage="growth")
        for i in range(64)])
    stamp = time.time_ns()
    pool_rows = Pool.objects.bulk_create([
        Pool(kind=Pool.Kind.LOGISTICS, state=Pool.State.INVOICED, signature=f"bench-{stamp}-{i}",
             partner=partner, origin="CNSZX", destination="USLAX", mode="sea_lcl", currency="USD",
             capacity=members, member_count=members, projected_total=D(0),
             standalone_total=D(0)) for i in range(pools)], batch_size=2000)
    demands: list[ShippingDemand] = []
    for p in range(pools):
        for m in range(members):
            cbm = D(1 + (p * 7 + m * 3) % 17)
            demands.append(ShippingDemand(
                firm=firms[(p + m) % len(firms)], origin="CNSZX", destination="USLAX",
                mode="sea_lcl", cargo_class="general", gross_kg=cbm * 250, volume_cbm=cbm,
                chargeable_kg=cbm * 1000, revenue_tons=cbm, ready_from=today,
                deliver_by=today + dt.timedelta(days=60), status="pooled"))
    ShippingDemand.objects.bulk_create(demands, batch_size=5000)
    PoolMember.objects.bulk_create([
        PoolMember(pool=pool_rows[i // members], firm=d.firm, demand=d,
                   status=PoolMember.Status.ACCEPTED, standalone_cost=d.volume_cbm * 150,
                   projected_share=D(0), chargeable_kg=d.chargeable_kg,
                   revenue_tons=d.revenue_tons, volume_cbm=d.volume_cbm)
        for i, d in enumerate(demands)], batch_size=5000)
    invoices = Invoice.objects.bulk_create([
        Invoice(partner=partner, pool=pool, number=f"BENCH-{stamp}-{pool.pk}", currency="USD",
                issue_date=today, total=D(0)) for pool in pool_rows], batch_size=2000)
    lines: list[InvoiceLine] = []
    for invoice in invoices:
        wm = D(members * 9)
        amounts = [("LCL", "per_wm", wm * 95, ""), ("BAF", "percentage", wm * D("9.5"), "LCL"),
                   ("DOC", "per_shipment", D("75.00"), "")]
        for n, (code, basis, amount, applies) in enumerate(amounts, start=1):
            lines.append(InvoiceLine(invoice=invoice, line_no=n, charge_code=code, basis=basis,
                                     quantity=D(1), unit_price=amount, amount=amount,
                                     applies_to=applies))
    InvoiceLine.objects.bulk_create(lines, batch_size=5000)
    totals = {inv.pk: D(0) for inv in invoices}
    for line in lines:
        totals[line.invoice_id] += line.amount
    for inv in invoices:
        inv.total = totals[inv.pk]
    Invoice.objects.bulk_update(invoices, ["total"], batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO pooling_fxrate (base, quote, rate, as_of, posted_by, created_at) "
                       "VALUES ('USD', 'EUR', 0.9213, %s, 'benchmark', now()) "
                       "ON CONFLICT DO NOTHING", [today - dt.timedelta(days=1)])
    out.write(f"Created {pools} pools of {members} members with invoices (not timed).")
    return [p.pk for p in pool_rows]


# Tables a settlement run writes, in foreign-key order; the floor copies the same rows.
WRITTEN = ("pooling_account", "pooling_settlement", "pooling_settlementshare", "pooling_ledgertransaction",
           "pooling_ledgerentry", "pooling_poolevent")
LEDGER = ("pooling_account", "pooling_ledgertransaction", "pooling_ledgerentry")


def _columns(cursor: Any, table: str) -> list[str]:
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                   "ORDER BY ordinal_position", [table])
    return [row[0] for row in cursor.fetchall()]


def _max_ids(cursor: Any) -> dict[str, int]:
    found = {}
    for table in WRITTEN:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (constant)
        found[table] = cursor.fetchone()[0]
    return found


def _written_rows(cursor: Any, after: dict[str, int]) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row the settlement run inserted, ids included (read back, not timed)."""
    rows = {}
    for table in WRITTEN:
        columns = _columns(cursor, table)
        listed = ", ".join(columns)  # from information_schema; table names are constants
        cursor.execute(f"SELECT {listed} FROM {table} WHERE id > %s ORDER BY id",  # noqa: S608
                       [after[table]])
        rows[table] = (columns, cursor.fetchall())
    return rows


def _checks(cursor: Any) -> None:
    """Run the deferred ledger checks now, as COMMIT would (both sides pay them)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _direct_insert(rows: dict[str, tuple[list[str], list[tuple]]], tables: tuple[str, ...],
                   pool_ids: list[int]) -> float:
    """COPY the very rows the settlement run wrote (same ids, same values) straight into
    the tables, with the same triggers active; with the settlements, also move the pools
    to settled as the run does."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        for table in tables:
            columns, values = rows[table]
            jsonb = {c for c in columns if c in ("explanation", "allocation", "lines")}
            if "pooling_settlement" not in tables:  # ledger rows only: no settlement to cite
                values = [tuple(None if c == "settlement_id" else v
                                for c, v in zip(columns, row, strict=True)) for row in values]
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row([json.dumps(v) if c in jsonb else v
                                    for c, v in zip(columns, row, strict=True)])
        if "pooling_settlement" in tables:
            cursor.execute("UPDATE pooling_pool SET state = 'settled', updated_at = now() "
                           "WHERE id = ANY(%s)", [pool_ids])
        _checks(cursor)
    return time.perf_counter() - start


def _shapley_12() -> float:
    card = DomainRateCard(
        id="bench", version=1, currency="USD", mode=Mode.AIR, origin="CNSZX", destination="DEFRA",
        kg_per_cbm=None, minimum_charge=D("75.00"),
        weight_breaks=(WeightBreak(D(0), D("5.20")), WeightBreak(D(45), D("4.30")),
                       WeightBreak(D(100), D("3.70")), WeightBreak(D(300), D("3.20")),
                       WeightBreak(D(500), D("2.90")), WeightBreak(D(1000), D("2.60"))))
    loads = {f"m{i:02d}": (D(20 + 37 * i), D("0.1") * (i + 1)) for i in range(12)}
    members = [MemberLoad(m, kg, kg, cbm) for m, (kg, cbm) in loads.items()]

    def cost(group: frozenset[str]) -> Decimal:
        kg = sum((loads[m][0] for m in group), D(0))
        cbm = sum((loads[m][1] for m in group), D(0))
        return tariff_price(card, gross_kg=kg, volume_cbm=cbm).total

    grand = cost(frozenset(loads))
    start = time.perf_counter()
    split_shapley([CostLine("FRT", "per_kg", grand)], members, "USD", cost)
    return time.perf_counter() - start


def run(options: dict[str, Any], out: Any) -> dict[str, Any]:
    pools, members, batch = options["pools"], options["members"], options["batch"]
    figures: dict[str, Any] = {"pools": pools, "members": members}
    try:
        with transaction.atomic():
            ids = _create(pools, members, out)
            with connection.cursor() as cursor:
                before = _max_ids(cursor)
            settle_point = transaction.savepoint()
            start = time.perf_counter()
            for i in range(0, len(ids), batch):
                settlements_settle(pool_ids=ids[i:i + batch], announce=False)
            with connection.cursor() as cursor:
                _checks(cursor)
            settle_seconds = time.perf_counter() - start
            with connection.cursor() as cursor:
                rows = _written_rows(cursor, before)
            transaction.savepoint_rollback(settle_point)
            point = transaction.savepoint()
            all_seconds = _direct_insert(rows, WRITTEN, ids)
            transaction.savepoint_rollback(point)
            point = transaction.savepoint()
            ledger_seconds = _direct_insert(rows, LEDGER, ids)
            transaction.savepoint_rollback(point)
            counts = {table: len(rows[table][1]) for table in WRITTEN}
            figures.update({
                "rows": counts,
                "settle_seconds": round(settle_seconds, 3),
                "direct_all_seconds": round(all_seconds, 3),
                "direct_ledger_seconds": round(ledger_seconds, 3),
                "ratio": round(settle_seconds / all_seconds, 2),
                "ratio_ledger_only": round(settle_seconds / ledger_seconds, 2),
            })
            raise _Rollback
    except _Rollback:
        pass
    figures["shapley_12_exact_seconds"] = round(_shapley_12(), 3)
    rows_text = ", ".join(f"{n} {t.removeprefix('pooling_')}" for t, n in figures["rows"].items())
    out.write(f"Settled {pools} pools of {members} members: {figures['settle_seconds']} s, "
              f"deferred ledger checks included (wrote {rows_text}; moved {pools} pools "
              "to settled)")
    out.write(f"Direct COPY of the same rows (same ids and values, same triggers, same pool "
              f"update, deferred checks included): {figures['direct_all_seconds']} s")
    out.write(f"Ratio settle / direct insert of the same rows: {figures['ratio']} "
              "(target at most 3)")
    out.write(f"Direct COPY of the ledger rows only (accounts, transactions, entries): "
              f"{figures['direct_ledger_seconds']} s; settle / that: "
              f"{figures['ratio_ledger_only']}")
    out.write(f"Exact Shapley split of a 12-member pool: {figures['shapley_12_exact_seconds']} s "
              "(target under 2 s)")
    out.write("Everything written was rolled back.")
    return figures
