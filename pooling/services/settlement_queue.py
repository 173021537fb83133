"""Where the feed hands a pool to settlement: after commit, never inside a transaction."""

from __future__ import annotations

from django.db import transaction


def settlement_enqueue(*, pool_id: int, invoice_id: int | None = None) -> None:
    """Settle `pool_id` (for `invoice_id`, or its latest invoice) once this transaction commits."""

    def send() -> None:
        from pooling.tasks.settlement import settle_pool

        settle_pool.delay(pool_id, invoice_id)

    transaction.on_commit(send)
