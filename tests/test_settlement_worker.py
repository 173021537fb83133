"""A worker killed in the middle of a settlement leaves nothing; the retry or sweeper completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from pooling.models import LedgerEntry, LedgerTransaction, Pool, Settlement, SettlementShare
from pooling.services.settlement import settlements_sweep
from pooling.tasks.settlement import settle_pool
from tests.factories_settlement import ledger_sums, logistics_pool, post_invoice

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
D = Decimal


@contextmanager
def pool_events_blocked() -> Iterator[None]:
    """Hold back every write to the pool event table from another connection. A settlement
    writes its pool's events last, after the settlement, its shares and its ledger rows, so
    it waits there inside its open transaction until the block ends."""
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                         host=db["HOST"] or None, port=db["PORT"] or None) as holder:
        holder.execute("LOCK TABLE pooling_poolevent IN SHARE MODE")
        yield
        holder.rollback()


def wait_for(condition: Callable[[], object], timeout: float = 30, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def worker_pids(queue: str) -> tuple[int, list[int]]:
    """The worker's main process (our child, started for `queue`) and its pool processes."""
    main = None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if queue.encode() in cmdline and ppid == os.getpid():
            main = int(proc.name)
    assert main is not None, "worker process not found"
    children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True,
                              check=False).stdout.split()
    return main, [int(pid) for pid in children]


def settlement_in_flight() -> int | None:
    """The backend that has written the settlement and waits to write its pool's events."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' "
            "AND (query LIKE 'INSERT INTO \"pooling_poolevent\"%%' "
            "OR query LIKE 'COPY \"pooling_poolevent\"%%')")
        row = cursor.fetchone()
    return row[0] if row else None


def transactions_open() -> int:
    """Other sessions on this database inside a transaction (a settlement still running)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def tables_written_by(pid: int) -> set[str]:
    """Tables the backend's open transaction has written to."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                       "WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted "
                       "AND c.relkind = 'r'", [pid])
        return {row[0] for row in cursor.fetchall()}


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def test_worker_killed_mid_settlement_leaves_nothing_and_it_completes_exactly_once(
        celery_worker):
    # given an invoiced pool
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "5"}, {"cbm": "13"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1900.00"), ("DOC", "per_shipment", "75.00")])

    # when the worker settles it and is killed while the settlement is written but uncommitted
    with pool_events_blocked():
        settle_pool.delay(pool.pk, invoice.pk)
        backend = wait_for(settlement_in_flight, what="the settlement to be in flight")
        assert tables_written_by(backend) >= {"pooling_settlement", "pooling_settlementshare",
                                              "pooling_ledgertransaction", "pooling_ledgerentry"}
        assert Settlement.objects.count() == 0  # written, but not committed
        _, children = worker_pids(celery_worker)
        assert children
        for pid in children:
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not backend_alive(backend), what="the killed backend to go away")

    # then nothing of it was stored
    assert Settlement.objects.count() == 0
    assert SettlementShare.objects.count() == 0
    assert LedgerTransaction.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    assert Pool.objects.get(pk=pool.pk).state == Pool.State.INVOICED

    # when the sweeper runs (while the redelivered task may run in a fresh pool process)
    settlements_sweep()
    wait_for(lambda: Settlement.objects.filter(status="completed").exists(),
             what="a completed settlement")
    wait_for(lambda: not transactions_open(), what="any redelivered run to finish")
    settlements_sweep()

    # then exactly one complete settlement and a balanced ledger exist
    settlement = Settlement.objects.get()
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.shares.count() == 3
    assert sum(s.amount for s in settlement.shares.all()) == D("1975.00")
    assert LedgerTransaction.objects.count() == 1
    assert set(ledger_sums().values()) == {D(0)}
    assert Pool.objects.get(pk=pool.pk).state == Pool.State.SETTLED
