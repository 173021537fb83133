"""Matching runs: read open needs, ask the matchers for pools, persist what they propose.

A run is a row the coordinator can watch: it is created queued, claimed once
(queued -> running, so a redelivered task does nothing) and cut into shards.
A shard is a set of lane groups and programmes that shares no data with any
other (see `domain/sharding.py`); on a worker each shard is a task of a Celery
chord, and the chord's callback closes the run. A shard reads only its rows,
reports its stage in short transactions of its own, and saves its pools in one
transaction together with its result, so a shard that fails part-way leaves no
half-made pools and a redelivered shard changes nothing twice. A run whose
shards all succeeded succeeds; one failed shard fails the run (the other
shards' pools stand, each proposed on its own lanes).

The grouping search on long chains of needs has a budget per run, counted in pricings
so that the pools depend only on the input: the run's chains of one kind may price
`grouping.SEARCH_PRICINGS` groups in all, shared among its shards by their needs.
Each shard records what its search did and the run adds them up (`GroupingRecord`).

Re-running on unchanged input proposes nothing new: needs that are already a
live member of a pool are not read at all, and a proposal whose signature a
live pool already carries is skipped (the database refuses it too), and so is a
proposal exactly like one a coordinator rejected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import socket
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from coop.errors import ApplicationError
from pooling.adapters import member_rows_from_proposal
from pooling.domain import grouping
from pooling.domain.ad_matching import match_ads
from pooling.domain.formats import GroupingRecord, KindSearch, PoolPlan, PoolReasons
from pooling.domain.logistics_matching import match_logistics
from pooling.domain.money import quantize
from pooling.domain.proposals import MatchResult, PoolProposal, collector_paused
from pooling.domain.sharding import shards_plan
from pooling.domain.units import mode_family
from pooling.models import MatchingRun, MatchingShard, Pool, PoolEvent, PoolMember
from pooling.selectors.matching import (
    MatchingInput,
    MatchingScope,
    matching_input_read,
    matching_units_count,
)
from pooling.services.bulk import instances_insert, values_insert

logger = logging.getLogger(__name__)

# Room for this many more firms to join a proposed pool before it locks; never more
# than the matcher allows (its `capacity`), never fewer than the members proposed.
HEADROOM = 2
# pg_advisory_xact_lock keys are drawn from this name and what a pool is made of
# (a lane group or a programme): two runs never save pools of the same one at once.
SAVE_LOCK_NAME = "coop.matching.save"
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


# A run's stages and the progress each starts at; a shard's own stages follow.
RUN_STAGES = (("queued", 0), ("cutting shards", 5), ("matching shards", 10), ("done", 100))
SHARD_STAGES = ("queued", "reading input", "matching logistics", "matching ads", "saving pools",
                "done")
FINISHED = (S.SUCCEEDED, S.FAILED)


def matching_run_plan(*, run_id: int) -> list[int]:
    """Claim a queued run (queued -> running) and cut it into shards of about
    MATCHING_SHARD_NEEDS open needs; their ids.

    A run that is not queued any more (a redelivered message) gets no shards: []."""
    now = timezone.now()
    with transaction.atomic():
        claimed = MatchingRun.objects.filter(pk=run_id, status=S.QUEUED).update(
            status=S.RUNNING, started_at=now, progress=5, stage="cutting shards", error="")
        if not claimed:
            return []
        lanes, programmes = matching_units_count()
        plans = shards_plan(lanes, programmes, needs_per_shard=settings.MATCHING_SHARD_NEEDS)
        shards = MatchingShard.objects.bulk_create(
            MatchingShard(run_id=run_id, number=plan.number,
                          lanes=[list(lane) for lane in plan.lanes],
                          programmes=plan.programmes, planned_needs=plan.needs,
                          stage="queued")
            for plan in plans)
        MatchingRun.objects.filter(pk=run_id).update(
            progress=10, stage="matching shards",
            # The search's limits decide the pools as much as the input does: record them.
            inputs={"shards": len(shards), "grouping": GroupingRecord().to_json()})
    return [shard.pk for shard in shards]


def matching_run_execute(*, run_id: int) -> MatchingRun:
    """Run a queued run in this process, shard after shard; the worker path fans out."""
    for shard_id in matching_run_plan(run_id=run_id):
        matching_shard_execute(shard_id=shard_id)
    return matching_run_finish(run_id=run_id)


def _shard_progress(shard_id: int, stage: str, **fields: Any) -> None:
    """Record a shard's stage in a short transaction of its own, so the page sees it."""
    MatchingShard.objects.filter(pk=shard_id).update(stage=stage, **fields)


def _peak_mib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: KiB


def matching_shard_execute(*, shard_id: int) -> MatchingShard:
    """Match one shard's lanes and programmes and save its pools, exactly once.

    The pools and the shard's result commit together, with the shard row locked, so a
    redelivered or doubled task finds it finished and changes nothing. A failure is
    recorded on the shard (never raised), so the run's finish always runs.
    """
    clock = time.perf_counter()
    claimed = MatchingShard.objects.filter(pk=shard_id, status__in=[S.QUEUED, S.RUNNING]).update(
        status=S.RUNNING, stage="reading input", started_at=timezone.now(), error="",
        worker=f"{socket.gethostname()}:{os.getpid()}")
    shard = MatchingShard.objects.select_related("run").get(pk=shard_id)
    if not claimed:
        return shard
    # Reading, matching and saving allocate hundreds of thousands of objects that stay
    # alive until the shard ends: collections would only walk them again and again. They
    # are all freed when `_shard_run` returns, before the collector resumes, so it does
    # not walk them even once.
    with collector_paused():
        try:
            _shard_run(shard, clock)
        except Exception as exc:
            logger.exception("matching shard %s failed", shard_id)
            MatchingShard.objects.filter(pk=shard_id).exclude(status__in=FINISHED).update(
                status=S.FAILED, stage="failed", error=f"{type(exc).__name__}: {exc}"[:5000],
                finished_at=timezone.now(), duration_ms=int((time.perf_counter() - clock) * 1000),
                peak_memory_mib=_peak_mib())
    _run_progress(shard.run_id)
    return MatchingShard.objects.get(pk=shard_id)


def _shard_run(shard: MatchingShard, clock: float) -> None:
    """Read, match and save one claimed shard, recording its result on its row."""
    shard_id = shard.pk
    now = shard.run.started_at or timezone.now()  # one clock for every shard of a run
    today = timezone.localdate(now)
    scope = MatchingScope(lanes=frozenset((o, f) for o, f in shard.lanes),
                          programmes=frozenset(shard.programmes))
    data = matching_input_read(today=today, now=now, scope=scope)
    _shard_progress(shard_id, "matching logistics")
    budget = _shard_budget(shard)
    logistics = match_logistics(data.demands, data.cards, data.capacities, today=today,
                                budget=budget)
    _shard_progress(shard_id, "matching ads")
    ads = match_ads(data.ad_needs, data.programmes, budget=budget)
    _shard_progress(shard_id, "saving pools")
    unplaced = _unplaced(data, logistics, ads)
    with transaction.atomic():  # the pools and the shard's result stand or fall together
        locked = MatchingShard.objects.select_for_update().get(pk=shard_id)
        if locked.status in FINISHED:
            return  # a redelivered task: another one finished the shard meanwhile
        saved, skipped, turned_down, blocked = _pools_save(
            run_id=shard.run_id, data=data, proposals=[*logistics.pools, *ads.pools])
        unplaced.extend(_blocked_needs(blocked))
        unplaced.extend(
            {"kind": proposal.kind, "need_id": member.need_id,
             "reason": "a coordinator rejected the pool matching proposes for it; it is "
                       "proposed again once other needs or another ship date fit it"}
            for proposal in turned_down for member in proposal.members
        )
        searched = GroupingRecord(search_pricings=budget.total,
                                  logistics=KindSearch.from_search(logistics.search),
                                  ads=KindSearch.from_search(ads.search))
        MatchingShard.objects.filter(pk=shard_id).update(
            status=S.SUCCEEDED, stage="done",
            inputs={**data.summary(), **skipped, "grouping": searched.to_json()},
            proposed_count=len(saved), unplaced=unplaced,
            total_saving=_total_saving(saved), finished_at=timezone.now(),
            duration_ms=int((time.perf_counter() - clock) * 1000),
            peak_memory_mib=_peak_mib())


def _shard_budget(shard: MatchingShard) -> grouping.Budget:
    """The shard's part of its run's search budget: the run's chains of one kind may price
    `grouping.SEARCH_PRICINGS` groups in all, shared among its shards by their needs, so
    cutting a run into more shards does not make its search longer."""
    planned = MatchingShard.objects.filter(run_id=shard.run_id).aggregate(
        total=Sum("planned_needs"))["total"] or 0
    total = grouping.SEARCH_PRICINGS
    if planned > 0 and shard.planned_needs < planned:
        total = max(1, total * shard.planned_needs // planned)
    return grouping.Budget(total=total)


def _run_progress(run_id: int) -> None:
    counts = dict(MatchingShard.objects.filter(run_id=run_id).values("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    total = sum(counts.values())
    done = counts.get(S.SUCCEEDED, 0) + counts.get(S.FAILED, 0)
    if total:
        MatchingRun.objects.filter(pk=run_id, status=S.RUNNING).update(
            progress=10 + 85 * done // total,
            stage=f"matching shards ({done} of {total} done)")


def _merged_inputs(base: dict[str, Any], shards: Sequence[MatchingShard]) -> dict[str, Any]:
    """The shards' inputs as one run's: counts added, lists joined without repeats, and
    the grouping searches added up per kind."""
    merged: dict[str, Any] = dict(base)
    limits = GroupingRecord.from_json(base.get("grouping")) or GroupingRecord()
    searches = [GroupingRecord.from_json((s.inputs or {}).get("grouping")) for s in shards]
    merged["grouping"] = limits.merged(r for r in searches if r is not None).to_json()
    for shard in shards:
        for key, value in (shard.inputs or {}).items():
            if key == "grouping":
                continue
            if isinstance(value, bool) or not isinstance(value, int | list):
                merged.setdefault(key, value)
            elif isinstance(value, int):
                merged[key] = merged.get(key, 0) + value
            else:
                merged.setdefault(key, [])
                merged[key] += [v for v in value if v not in merged[key]]
    for key, value in merged.items():
        if isinstance(value, list):
            merged[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
    return merged


def matching_run_finish(*, run_id: int) -> MatchingRun:
    """Close a running run once every shard has finished: its figures are the shards' sum.

    Called by the chord once the shards are done, and by the sweeper for a run whose
    callback was lost; before every shard has finished it changes nothing.
    """
    with transaction.atomic():
        run = MatchingRun.objects.select_for_update().get(pk=run_id)
        shards = list(run.shards.order_by("number"))
        if run.status != S.RUNNING or any(s.status not in FINISHED for s in shards):
            return run
        failed = [s for s in shards if s.status == S.FAILED]
        saving: dict[str, Decimal] = defaultdict(Decimal)
        for shard in shards:
            for currency, amount in (shard.total_saving or {}).items():
                saving[currency] += Decimal(amount)
        errors = [s.error if len(shards) == 1 else f"shard {s.number} of {len(shards)}: {s.error}"
                  for s in failed]
        ended = timezone.now()
        MatchingRun.objects.filter(pk=run_id).update(
            status=S.FAILED if failed else S.SUCCEEDED,
            stage="failed" if failed else "done",
            progress=run.progress if failed else 100,
            inputs=_merged_inputs(run.inputs or {}, [s for s in shards if not s.error]),
            proposed_count=sum(s.proposed_count for s in shards),
            unplaced=[row for s in shards for row in s.unplaced],
            total_saving={c: format(a, "f") for c, a in sorted(saving.items())},
            error="; ".join(errors)[:5000], finished_at=ended,
            duration_ms=int((ended - (run.started_at or ended)).total_seconds() * 1000))
    return MatchingRun.objects.get(pk=run_id)


def matching_runs_fail_stuck(*, older_than: timedelta = STUCK_AFTER) -> int:
    """Sweep runs whose worker or message was lost; return how many runs it closed.

    A shard queued or running for longer than `older_than` is marked failed; a run all
    of whose shards have finished is closed (its chord's callback was lost); a run
    still queued, or running without shards, after `older_than` is marked failed.
    """
    cutoff = timezone.now() - older_than
    lost = (f"The shard did not finish within {older_than}; its worker stopped or its "
            "message was lost. Start a new run.")
    MatchingShard.objects.filter(status__in=[S.QUEUED, S.RUNNING],
                                 run__created_at__lt=cutoff).update(
        status=S.FAILED, stage="failed", error=lost, finished_at=timezone.now())
    closed = 0
    for run_id in MatchingRun.objects.filter(status=S.RUNNING, shards__isnull=False).exclude(
            shards__status__in=[S.QUEUED, S.RUNNING]).values_list("pk", flat=True).distinct():
        closed += matching_run_finish(run_id=run_id).status in FINISHED
    closed += MatchingRun.objects.filter(
        Q(status=S.QUEUED) | Q(status=S.RUNNING, shards__isnull=True), created_at__lt=cutoff
    ).update(
        status=S.FAILED, stage="failed", finished_at=timezone.now(),
        error=f"The run did not finish within {older_than}; its worker stopped or its "
              "message was lost. Start a new run.",
    )
    return closed


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


def _pool_row(run_id: int, data: MatchingInput, proposal: PoolProposal, plan: PoolPlan) -> Pool:
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
        plan=plan.to_json(),
        reasons=PoolReasons.from_proposal(proposal.reasons).to_json(),
        projected_total=proposal.total_cost, standalone_total=proposal.standalone_total,
    )


def _event_rows(run_id: int, pools: Sequence[Pool]) -> list[dict[str, Any]]:
    label = f"matching run #{run_id}"
    return [
        {"pool_id": pool.pk, "actor_label": label, "action": "proposed",
         "to_state": Pool.State.PROPOSED,
         "reason": f"Proposed by {label}: {pool.member_count} members."}
        for pool in pools
    ]


def _chunks(items: Sequence[_T], size: int = 10_000) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _held_needs(link: str, ids: Sequence[int]) -> set[int]:
    """Which of `ids` an invited or accepted pool member holds; `link` is the member's
    column naming them (`demand_id` or `ad_need_id`)."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        # One array parameter, joined as a table: binding tens of thousands of ids one
        # by one costs more than the query, and `= ANY(parameter)` tests every row
        # against the whole array, which grows with the members already saved.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.{link} FROM {PoolMember._meta.db_table} m "  # noqa: S608 - fixed
                f"JOIN unnest(%s::bigint[]) AS wanted(id) ON m.{link} = wanted.id "
                f"WHERE m.status = ANY(%s)",
                [list(ids), list(PoolMember.ACTIVE)])
            return {row[0] for row in cursor.fetchall()}
    held: set[int] = set()
    members = PoolMember.objects.filter(status__in=PoolMember.ACTIVE)
    for chunk in _chunks(ids):
        held.update(members.filter(**{f"{link}__in": chunk}).values_list(link, flat=True))
    return held


def _live_signatures(signatures: Sequence[str]) -> list[tuple[str, str]]:
    """(signature, state) of the pools that carry one of `signatures` and have not ended."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as in _held_needs: the array joined as a table
            cursor.execute(
                f"SELECT p.signature, p.state FROM {Pool._meta.db_table} p "  # noqa: S608
                f"JOIN unnest(%s::text[]) AS wanted(signature) "
                f"ON p.signature = wanted.signature WHERE NOT (p.state = ANY(%s))",
                [list(signatures), list(ENDED_STATES)])
            return [(row[0], row[1]) for row in cursor.fetchall()]
    found: list[tuple[str, str]] = []
    for part in _chunks(signatures):
        found.extend(Pool.objects.filter(signature__in=part).exclude(
            state__in=ENDED_STATES).values_list("signature", "state"))
    return found


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
    for signature, state in _live_signatures(signatures):
        if state == Pool.State.REJECTED:
            rejected_signatures.add(signature)
        else:
            taken_signatures.add(signature)
    # As the database's constraint counts them: an invited or accepted member holds its
    # need even in a pool that was rejected but whose members were not released.
    demand_ids = [m.need_id for p in proposals if p.kind == Pool.Kind.LOGISTICS
                  for m in p.members]
    ad_ids = [m.need_id for p in proposals if p.kind != Pool.Kind.LOGISTICS for m in p.members]
    taken_demands = _held_needs("demand_id", demand_ids)
    taken_ads = _held_needs("ad_need_id", ad_ids)
    return taken_signatures, rejected_signatures, taken_demands, taken_ads


def save_lock_keys(proposals: Iterable[PoolProposal]) -> list[int]:
    """The advisory lock keys of what these proposals are made of, in order: one per lane
    group (origin and mode family) of the logistics pools, one per programme of the ad
    pools. A need belongs to one of them, so do the pools that could hold it."""
    units = {f"lane:{p.origin}:{mode_family(p.mode)}" if p.kind == Pool.Kind.LOGISTICS
             else f"programme:{p.programme_id}" for p in proposals}
    return sorted(int.from_bytes(hashlib.blake2b(f"{SAVE_LOCK_NAME}:{unit}".encode(),
                                                 digest_size=8).digest(), "big", signed=True)
                  for unit in units)


def _save_locks(proposals: Sequence[PoolProposal]) -> None:
    """Hold, until the transaction ends, the locks of what the proposals are made of:
    a run saving other lane groups (another shard) goes on, one saving the same waits
    and then sees what this one saved. Taken in key order, so two savers never end
    up waiting for each other (no deadlock)."""
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer in at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k",
                       [save_lock_keys(proposals)])


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
        _save_locks(proposals)
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
        plans = [PoolPlan.from_proposal(p.plan) for p in fresh]  # each read once
        pools = [_pool_row(run_id, data, p, plan) for p, plan in zip(fresh, plans, strict=True)]
        instances_insert(Pool, pools)
        values_insert(PoolMember, [
            row for pool, p, plan in zip(pools, fresh, plans, strict=True)
            for row in member_rows_from_proposal(pool.pk, p, plan)])
        values_insert(PoolEvent, _event_rows(run_id, pools))
    return list(zip(pools, fresh, strict=True)), skipped, turned_down, blocked
