"""Matching runs: read open needs, ask the matchers for pools, persist what they propose.

A run is a row the coordinator can watch: it is created queued, claimed once
(queued -> running, so a redelivered task does nothing), reports its progress
in short transactions of their own, and persists every pool it proposes in one
transaction at the end, so a run that fails part-way leaves no half-made pools.

Re-running on unchanged input proposes nothing new: needs that are already a
live member of a pool are not read at all, and a proposal whose signature a
live pool already carries is skipped (the database refuses it too), and so is a
proposal exactly like one a coordinator rejected.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from coop.errors import ApplicationError
from pooling.adapters import members_from_proposal
from pooling.domain.ad_matching import match_ads
from pooling.domain.formats import PoolPlan, PoolReasons
from pooling.domain.logistics_matching import match_logistics
from pooling.domain.money import quantize
from pooling.domain.proposals import MatchResult, PoolProposal
from pooling.domain.units import mode_family
from pooling.models import MatchingRun, Pool, PoolEvent, PoolMember
from pooling.selectors.matching import MatchingInput, matching_input_read

logger = logging.getLogger(__name__)

# Room for this many more firms to join a proposed pool before it locks; never more
# than the matcher allows (its `capacity`), never fewer than the members proposed.
HEADROOM = 2
# One key for pg_advisory_xact_lock: two runs never save pools at the same time.
SAVE_LOCK_KEY = 0x6D61746368  # "match"
BATCH = 1000
STUCK_AFTER = timedelta(hours=2)

S = MatchingRun.Status
# Pools that no longer hold their members' needs: their signature blocks nothing.
ENDED_STATES = (Pool.State.CANCELLED, Pool.State.SETTLED)
_T = TypeVar("_T")


def matching_run_start(
    *, trigger: str, started_by: Any = None, enqueue: bool = True
) -> MatchingRun:
    """Create a queued run; with `enqueue`, hand it to a worker once the row is committed."""
    if trigger not in MatchingRun.Trigger.values:
        raise ApplicationError(
            f"{trigger!r} is not a way to start matching.",
            fields={"trigger": [f"Choose one of: {', '.join(MatchingRun.Trigger.values)}."]},
        )
    with transaction.atomic():
        run = MatchingRun.objects.create(
            trigger=trigger,
            started_by=started_by if getattr(started_by, "pk", None) else None,
            status=S.QUEUED,
            stage="queued",
        )
        if enqueue:
            from pooling.tasks.matching import matching_run as matching_run_task

            run_id = run.pk
            transaction.on_commit(lambda: matching_run_task.delay(run_id))
    return run


def _progress(run_id: int, progress: int, stage: str, **fields: Any) -> None:
    """Record progress in a short transaction of its own, so the web page sees it at once."""
    MatchingRun.objects.filter(pk=run_id).update(progress=progress, stage=stage, **fields)


def matching_run_execute(*, run_id: int) -> MatchingRun:
    """Run matching for a queued run: running -> succeeded, or failed with the error."""
    now = timezone.now()
    claimed = MatchingRun.objects.filter(pk=run_id, status=S.QUEUED).update(
        status=S.RUNNING, started_at=now, progress=5, stage="reading input", error=""
    )
    if not claimed:
        return MatchingRun.objects.get(pk=run_id)
    clock = time.perf_counter()
    try:
        today = timezone.localdate(now)
        data = matching_input_read(today=today, now=now)
        inputs = data.summary()
        _progress(run_id, 20, "matching logistics", inputs=inputs)
        logistics = match_logistics(data.demands, data.cards, data.capacities, today=today)
        _progress(run_id, 50, "matching ads")
        ads = match_ads(data.ad_needs, data.programmes)
        _progress(run_id, 75, "saving pools")
        unplaced = _unplaced(data, logistics, ads)
        with transaction.atomic():  # the pools and the run's result stand or fall together
            saved, skipped, turned_down, blocked = _pools_save(
                run_id=run_id, data=data, proposals=[*logistics.pools, *ads.pools]
            )
            unplaced.extend(_blocked_needs(blocked))
            unplaced.extend(
                {"kind": proposal.kind, "need_id": member.need_id,
                 "reason": "a coordinator rejected the pool matching proposes for it; it is "
                           "proposed again once other needs or another ship date fit it"}
                for proposal in turned_down for member in proposal.members
            )
            MatchingRun.objects.filter(pk=run_id).update(
                status=S.SUCCEEDED, progress=100, stage="done", inputs={**inputs, **skipped},
                proposed_count=len(saved), unplaced=unplaced, total_saving=_total_saving(saved),
                finished_at=timezone.now(),
                duration_ms=int((time.perf_counter() - clock) * 1000),
            )
    except Exception as exc:
        logger.exception("matching run %s failed", run_id)
        MatchingRun.objects.filter(pk=run_id).update(
            status=S.FAILED, stage="failed", error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
            duration_ms=int((time.perf_counter() - clock) * 1000),
        )
    return MatchingRun.objects.get(pk=run_id)


def matching_runs_fail_stuck(*, older_than: timedelta = STUCK_AFTER) -> int:
    """Mark runs queued or running for longer than `older_than` as failed; return how many."""
    cutoff = timezone.now() - older_than
    return MatchingRun.objects.filter(
        status__in=[S.QUEUED, S.RUNNING], created_at__lt=cutoff
    ).update(
        status=S.FAILED, stage="failed", finished_at=timezone.now(),
        error=f"The run did not finish within {older_than}; its worker stopped or its "
              "message was lost. Start a new run.",
    )


# ------------------------------------------------------------------ results


def _unplaced(data: MatchingInput, *results: MatchResult) -> list[dict[str, Any]]:
    demands = {d.id: d for d in data.demands} if data.unreadable_cards else {}
    rows: list[dict[str, Any]] = []
    for result in results:
        for item in result.unplaced:
            reason = item.reason
            demand = demands.get(item.need_id) if item.kind == "logistics" else None
            if demand is not None and reason.startswith("no rate card"):
                family = mode_family(demand.mode)
                reason = data.unreadable_cards.get(
                    (demand.origin, demand.destination, family),
                    data.unreadable_cards.get((demand.origin, demand.destination[:2], family),
                                              reason),
                )
            rows.append({"kind": item.kind, "need_id": item.need_id, "reason": reason})
    rows.extend({"kind": "ads", "need_id": need_id, "reason": reason}
                for need_id, reason in sorted(data.inactive_programme_needs.items()))
    return rows


def _blocked_needs(proposals: Sequence[PoolProposal]) -> list[dict[str, Any]]:
    """Needs of proposals a live pool blocked: each named with the pool that holds it, if any."""
    rows: list[dict[str, Any]] = []
    live = PoolMember.objects.filter(status__in=PoolMember.ACTIVE).exclude(
        pool__state__in=[*ENDED_STATES, Pool.State.REJECTED])
    for kind, link in ((Pool.Kind.LOGISTICS, "demand_id"), (Pool.Kind.ADS, "ad_need_id")):
        ids = [m.need_id for p in proposals if p.kind == kind for m in p.members]
        holders = dict(live.filter(**{f"{link}__in": ids}).values_list(link, "pool_id"))
        rows.extend(
            {"kind": kind, "need_id": need,
             "reason": (f"already a member of pool #{holders[need]}" if need in holders else
                        "another matching run proposed a pool with it at the same time; "
                        "the next run places it again")}
            for need in ids)
    return rows


def _total_saving(pools: Iterable[tuple[Pool, PoolProposal]]) -> dict[str, str]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for pool, proposal in pools:
        for member in proposal.members:
            if member.saving is not None:
                totals[pool.currency] += member.saving
    return {cur: format(quantize(amount, cur), "f") for cur, amount in sorted(totals.items())}


def _pool_row(run_id: int, data: MatchingInput, proposal: PoolProposal) -> Pool:
    size = len(proposal.members)
    ceiling = proposal.capacity or size + HEADROOM
    is_logistics = proposal.kind == Pool.Kind.LOGISTICS
    card_id = int(proposal.rate_card_id) if proposal.rate_card_id is not None else None
    if is_logistics:
        partner_id = data.card_partner.get(card_id) if card_id is not None else None
    else:
        partner_id = data.programme_partner.get(proposal.programme_id or 0)
    return Pool(
        kind=proposal.kind, state=Pool.State.PROPOSED, signature=proposal.signature,
        matching_run_id=run_id, partner_id=partner_id,
        rate_card_id=card_id if is_logistics else None,
        programme_id=proposal.programme_id if not is_logistics else None,
        origin=proposal.origin, destination=proposal.destination, mode=proposal.mode,
        market=proposal.market, ship_date=proposal.ship_date,
        flight_from=proposal.flight_from, flight_to=proposal.flight_to,
        currency=proposal.currency,
        capacity=max(size, min(ceiling, size + HEADROOM)), member_count=size,
        plan=PoolPlan.from_proposal(proposal.plan).to_json(),
        reasons=PoolReasons.from_proposal(proposal.reasons).to_json(),
        projected_total=proposal.total_cost, standalone_total=proposal.standalone_total,
    )


def _event_rows(run_id: int, pools: Sequence[Pool]) -> list[PoolEvent]:
    label = f"matching run #{run_id}"
    return [
        PoolEvent(pool=pool, actor_label=label, action="proposed",
                  to_state=Pool.State.PROPOSED,
                  reason=f"Proposed by {label}: {pool.member_count} members.")
        for pool in pools
    ]


def _chunks(items: Sequence[_T], size: int = 10_000) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _taken(
    proposals: Sequence[PoolProposal],
) -> tuple[set[str], set[str], set[int], set[int]]:
    """What a pool already holds: live signatures, rejected signatures, demands, ad needs.

    Another run may have saved some of them meanwhile; a coordinator may have rejected
    exactly this grouping before, and it is not proposed to them again.
    """
    signatures = [p.signature for p in proposals]
    taken_signatures: set[str] = set()
    rejected_signatures: set[str] = set()
    for part in _chunks(signatures):
        for signature, state in Pool.objects.filter(signature__in=part).exclude(
            state__in=ENDED_STATES
        ).values_list("signature", "state"):
            if state == Pool.State.REJECTED:
                rejected_signatures.add(signature)
            else:
                taken_signatures.add(signature)
    # As the database's constraint counts them: an invited or accepted member holds its
    # need even in a pool that was rejected but whose members were not released.
    members = PoolMember.objects.filter(status__in=PoolMember.ACTIVE)
    demand_ids = [m.need_id for p in proposals if p.kind == Pool.Kind.LOGISTICS
                  for m in p.members]
    ad_ids = [m.need_id for p in proposals if p.kind != Pool.Kind.LOGISTICS for m in p.members]
    taken_demands: set[int] = set()
    for chunk in _chunks(demand_ids):
        taken_demands.update(members.filter(demand_id__in=chunk).values_list("demand_id",
                                                                             flat=True))
    taken_ads: set[int] = set()
    for chunk in _chunks(ad_ids):
        taken_ads.update(members.filter(ad_need_id__in=chunk).values_list("ad_need_id",
                                                                          flat=True))
    return taken_signatures, rejected_signatures, taken_demands, taken_ads


def _pools_save(
    *, run_id: int, data: MatchingInput, proposals: Sequence[PoolProposal]
) -> tuple[list[tuple[Pool, PoolProposal]], dict[str, int], list[PoolProposal],
           list[PoolProposal]]:
    """Persist every new proposal in one transaction.

    Returns the pools saved with their proposals, and how many proposals were skipped:
    "already_proposed" (a live pool carries the signature or holds one of the needs) and
    "rejected_before" (a coordinator rejected exactly this pool), those rejected ones and
    the proposals a live pool blocked (another run saved them meanwhile).
    """
    skipped = {"already_proposed": 0, "rejected_before": 0}
    turned_down: list[PoolProposal] = []
    blocked: list[PoolProposal] = []
    if not proposals:
        return [], skipped, turned_down, blocked
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SAVE_LOCK_KEY])
        signatures, rejected, demands, ads = _taken(proposals)
        fresh: list[PoolProposal] = []
        for proposal in proposals:
            held = demands if proposal.kind == Pool.Kind.LOGISTICS else ads
            if proposal.signature in rejected:
                skipped["rejected_before"] += 1
                turned_down.append(proposal)
            elif proposal.signature in signatures or any(m.need_id in held
                                                         for m in proposal.members):
                skipped["already_proposed"] += 1
                blocked.append(proposal)
            else:
                fresh.append(proposal)
        pools = Pool.objects.bulk_create(
            [_pool_row(run_id, data, p) for p in fresh], batch_size=BATCH
        )
        PoolMember.objects.bulk_create(
            [row for pool, p in zip(pools, fresh, strict=True) for row in members_from_proposal(pool, p)],
            batch_size=BATCH,
        )
        PoolEvent.objects.bulk_create(_event_rows(run_id, pools), batch_size=BATCH)
    return list(zip(pools, fresh, strict=True)), skipped, turned_down, blocked
