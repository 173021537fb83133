"""Shared output of the matchers: proposed pools, their members and unplaced needs.

Pure Python. Both the logistics matcher and the ad-pool matcher return a
`MatchResult`; a coordinator reviews each `PoolProposal` before it becomes a pool.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from pooling.domain import wording
from pooling.domain.grouping import Search
from pooling.domain.money import quantum

ZERO = Decimal(0)


class MemberProposal(NamedTuple):
    """One need's place in a proposed pool.

    `standalone_cost` is what the need would cost bought alone on the same
    rate card or programme; None means it has no access alone (for example an
    ad budget below the programme minimum). `share` is the projected part of
    the pooled total; `saving` is standalone minus share (None without access).
    Immutable; a tuple because a run makes one per pooled need (a tenth of the
    cost of a frozen dataclass to build).
    """

    need_id: int
    firm_id: int
    standalone_cost: Decimal | None
    share: Decimal
    saving: Decimal | None
    chargeable_kg: Decimal = ZERO
    revenue_tons: Decimal = ZERO
    volume_cbm: Decimal = ZERO
    budget: Decimal = ZERO
    note: str = ""


@dataclass(frozen=True)
class PoolProposal:
    """A group of compatible needs the matcher suggests pooling.

    `signature` is a deterministic key (same members on the same card or
    programme and date give the same signature), so a proposal can be
    recognised again on the next run. `plan` is JSON-serialisable: Decimals are
    written as strings. `capacity` is the most members the pool may hold.
    """

    kind: str
    signature: str
    currency: str
    total_cost: Decimal
    standalone_total: Decimal
    members: tuple[MemberProposal, ...]
    plan: Mapping[str, Any]
    reasons: Sequence[str]
    rate_card_id: int | str | None = None
    rate_card_version: int | None = None
    programme_id: int | None = None
    origin: str = ""
    destination: str = ""
    mode: str = ""
    market: str = ""
    ship_date: date | None = None
    flight_from: date | None = None
    flight_to: date | None = None
    capacity: int = 0

    @property
    def need_ids(self) -> tuple[int, ...]:
        return tuple(m.need_id for m in self.members)


@dataclass(frozen=True)
class Unplaced:
    """A need the matcher could not place, with a reason a person understands."""

    kind: str
    need_id: int
    reason: str


@dataclass(frozen=True)
class MatchResult:
    pools: tuple[PoolProposal, ...] = field(default_factory=tuple)
    unplaced: tuple[Unplaced, ...] = field(default_factory=tuple)
    # How the needs were grouped: exact or local search, pricings budgeted and spent.
    search: Search = field(default_factory=Search)


def signature(kind: str, *parts: object, need_ids: tuple[int, ...] | list[int]) -> str:
    """sha1 over the kind, the identifying parts and the sorted need ids."""
    text = "|".join([kind, *(str(p) for p in parts), ",".join(str(i) for i in sorted(need_ids))])
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    return quantum(currency)


def fmt_money(amount: Decimal, currency: str) -> str:
    """'USD 38,000.00': thousands separators and the currency's minor unit."""
    return wording.money(amount, currency)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a matcher runs, then restore it.

    A matcher allocates hundreds of thousands of small acyclic objects (Decimals,
    strings, tuples, dataclasses) that all stay alive until it returns; each
    allocation burst would otherwise trigger collections that walk every object in
    the process, the caller's loaded input included, and find nothing to free.
    Reference counting still frees everything as usual. What is still alive when the
    pause ends (the result above all) joins the oldest generation at once: the first
    young collection after the pause would otherwise walk every object allocated
    during it, only to promote them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # what is tracked now, young or old, into the permanent generation
            gc.unfreeze()  # and from there into the oldest one
            gc.enable()


def dec_str(value: Decimal) -> str:
    """A Decimal as a plain JSON string (no exponent notation)."""
    return format(value, "f")
