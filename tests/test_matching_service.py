"""Matching runs on PostgreSQL: what a run reads, proposes, skips, records and rolls back."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from pooling.domain.proposals import PoolProposal
from pooling.models import AdNeed, MatchingRun, Pool, PoolEvent, PoolMember, ShippingDemand
from pooling.selectors.matching import (
    MatchingScope,
    ad_needs_open_unpooled,
    demands_open_unpooled,
    open_unpooled,
)
from pooling.selectors.pools import pool_view_for_coordinator
from pooling.services import matching as matching_service
from pooling.services.matching import (
    matching_run_execute,
    matching_run_start,
    matching_runs_fail_stuck,
    save_lock_keys,
)
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    PartnerFactory,
    PoolFactory,
    PoolMemberFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
)
from tests.factories_pools import ads_pool, logistics_pool, two_lane_groups

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


def _run() -> MatchingRun:
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
    return matching_run_execute(run_id=run.pk)


def test_run_proposes_a_sea_pool_with_reasons_and_savings():
    # given two firms shipping 8 CBM each on a lane with an LCL rate card
    card = SeaRateCardFactory()
    first = ShippingDemandFactory()
    second = ShippingDemandFactory()

    # when matching runs
    run = _run()

    # then one logistics pool is proposed for both, priced on that card
    assert run.status == MatchingRun.Status.SUCCEEDED
    assert (run.progress, run.stage, run.error) == (100, "done", "")
    assert run.proposed_count == 1
    assert run.unplaced == []
    assert run.total_saving == {"USD": "75.00"}
    assert run.duration_ms is not None and run.started_at and run.finished_at
    assert run.inputs["demands"] == 2
    assert run.inputs["rate_cards"] == 1
    assert run.inputs["rate_card_versions"] == [
        {"id": card.pk, "version": card.version, "partner_id": card.partner_id}]
    # and the grouping search's limits and what it did are recorded with the run
    none = {"method": "none", "exact": 0, "local": 0, "by_date": 0, "budget": 0, "spent": 0,
            "exhausted": 0, "moves": 0}
    assert run.inputs["grouping"] == {
        "v": 1, "exact_limit": 12, "exact_groups": 4096, "pricings_per_need": 0.4,
        "budget_floor": 50, "search_pricings": 8000,
        "logistics": {**none, "method": "exact", "exact": 1},
        "ads": none}
    assert run.shards.get().inputs["grouping"] == run.inputs["grouping"]
    pool = Pool.objects.get()
    assert pool.kind == Pool.Kind.LOGISTICS
    assert pool.state == Pool.State.PROPOSED
    assert pool.matching_run == run
    assert (pool.partner, pool.rate_card) == (card.partner, card)
    assert (pool.origin, pool.destination, pool.mode) == ("CNSZX", "USLAX", "sea_lcl")
    assert pool.ship_date == _today() + dt.timedelta(days=10)
    assert pool.currency == "USD"
    assert (pool.member_count, pool.capacity) == (2, 4)
    # alone: 8 W/M x 95 = 760 + 10% fuel 76 + documentation 75 = 911 each
    # pooled: 16 W/M x 95 = 1520 + 152 + 75 = 1747
    assert pool.projected_total == Decimal("1747.00")
    assert pool.standalone_total == Decimal("1822.00")
    assert len(pool.signature) == 40
    public = pool.reasons["public"]
    assert set(pool.reasons) == {"v", "public"}  # members' figures live on their rows alone
    assert "CNSZX\u2192USLAX by sea" in public[0]
    assert f"Ship date {pool.ship_date.isoformat()}" in public[1]
    assert not any("saving USD 37.50" in reason for reason in public)
    # A coordinator reads each member's figures under the pool's reasons, from its row.
    lines = pool_view_for_coordinator(pool=pool).reasons
    assert lines[:len(public)] == public
    assert lines[len(public):] == [
        f"{d.firm.legal_name} (demand {d.pk}, ready {d.ready_from.isoformat()}, deliver by "
        f"{d.deliver_by.isoformat()}) pays USD 873.50 instead of USD 911.00 alone, saving "
        "USD 37.50." for d in (first, second)]
    assert pool.plan["type"] == "sea"
    members = list(pool.members.order_by("demand_id"))
    assert [m.demand_id for m in members] == [first.pk, second.pk]
    assert [m.firm_id for m in members] == [first.firm_id, second.firm_id]
    for member in members:
        assert member.status == PoolMember.Status.INVITED
        assert member.ad_need_id is None
        assert member.standalone_cost == Decimal("911.00")
        assert member.projected_share == Decimal("873.50")
        assert member.projected_saving == Decimal("37.50")
        assert member.volume_cbm == Decimal("8")
        assert member.placement == {"v": 1, "containers": [], "lcl": {
            "volume_cbm": "8.000000", "gross_kg": "2000.000"}}
    event = PoolEvent.objects.get()
    assert (event.pool, event.action, event.actor_label, event.to_state, event.actor) == (
        pool, "proposed", f"matching run #{run.pk}", "proposed", None)


def test_run_proposes_an_ad_pool_bought_by_the_programmes_partner():
    # given three firms with 20,000 each on a programme with a 50,000 minimum
    agency = PartnerFactory(kind="advertising")
    programme = ChannelProgrammeFactory(partner=agency)
    needs = [AdNeedFactory(programme=programme) for _ in range(3)]

    # when matching runs
    run = _run()

    # then one ads pool holds all three, each gaining access it lacks alone
    pool = Pool.objects.get()
    assert (pool.kind, pool.programme, pool.partner, pool.market) == (
        Pool.Kind.ADS, programme, agency, "US")
    assert pool.rate_card is None
    assert pool.projected_total == Decimal("63600.00")  # 60,000 - 2% rebate + 8% fee
    members = list(pool.members.order_by("ad_need_id"))
    assert [m.ad_need_id for m in members] == [n.pk for n in needs]
    assert all(m.standalone_cost is None and m.projected_saving is None for m in members)
    assert [m.projected_share for m in members] == [Decimal("21200.00")] * 3
    assert members[0].placement == {}  # an ad budget has no containers
    assert members[0].budget == Decimal("20000.00")
    assert run.total_saving == {}
    assert run.inputs["ad_needs"] == 3
    # and the coordinator reads that each gains access, from the member rows
    lines = pool_view_for_coordinator(pool=pool).reasons
    assert lines[len(pool.reasons["public"]):] == [
        f"{n.firm.legal_name} (need {n.pk}) gains access to {programme.name} and pays "
        "USD 21,200.00 for its USD 20,000.00 budget." for n in needs]


def test_rerun_on_unchanged_input_proposes_nothing_new():
    # given a run that proposed a pool
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()
    _run()

    # when matching runs again on the same input
    second = _run()

    # then nothing new is proposed and nothing is duplicated
    assert second.status == MatchingRun.Status.SUCCEEDED
    assert second.proposed_count == 0
    assert second.inputs["demands"] == 0
    assert second.unplaced == []
    assert Pool.objects.count() == 1
    assert PoolMember.objects.count() == 2
    assert PoolEvent.objects.count() == 1


def test_a_run_is_executed_once_however_often_it_is_delivered():
    # given a run that already succeeded
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()
    run = _run()

    # when its task is delivered again
    again = matching_run_execute(run_id=run.pk)

    # then it does nothing
    assert again.status == MatchingRun.Status.SUCCEEDED
    assert again.finished_at == run.finished_at
    assert Pool.objects.count() == 1


def test_needs_in_approved_or_locked_pools_are_left_alone():
    # given demands in an approved and a locked pool, one in a rejected pool, two open
    card = SeaRateCardFactory()
    approved = PoolMemberFactory(pool=PoolFactory(state=Pool.State.APPROVED, rate_card=card))
    locked = PoolMemberFactory(pool=PoolFactory(state=Pool.State.LOCKED, rate_card=card),
                               status=PoolMember.Status.INVITED)
    rejected = PoolMemberFactory(pool=PoolFactory(state=Pool.State.REJECTED, rate_card=card),
                                 status=PoolMember.Status.DECLINED)
    free = [ShippingDemandFactory(), ShippingDemandFactory()]

    # when matching runs
    run = _run()

    # then only the free demands and the one from the rejected pool are pooled
    assert run.inputs["demands"] == 3
    pool = Pool.objects.get(matching_run=run)
    assert sorted(pool.members.values_list("demand_id", flat=True)) == sorted(
        [rejected.demand_id, free[0].pk, free[1].pk])
    for kept in (approved, locked):
        assert list(PoolMember.objects.filter(demand=kept.demand)) == [kept]
        kept.pool.refresh_from_db()
        assert kept.pool.member_count == 1
        assert kept.pool.events.count() == 0
    assert Pool.objects.filter(state=Pool.State.APPROVED).get() == approved.pool
    assert Pool.objects.filter(state=Pool.State.LOCKED).get() == locked.pool


def test_a_need_still_held_by_a_rejected_pool_is_skipped_not_fatal():
    # given a rejected pool whose member was never released, and a free demand
    SeaRateCardFactory()
    held = PoolMemberFactory(pool=PoolFactory(state=Pool.State.REJECTED),
                             status=PoolMember.Status.INVITED)
    ShippingDemandFactory()

    # when matching runs and proposes the two together
    run = _run()

    # then the database would refuse that pool, so the run skips it and succeeds
    assert run.status == MatchingRun.Status.SUCCEEDED
    assert run.inputs["demands"] == 2
    assert (run.proposed_count, run.inputs["already_proposed"]) == (0, 1)
    assert list(PoolMember.objects.all()) == [held]


def test_unplaced_needs_keep_their_reason_and_the_run_carries_on():
    # given a good pair, and needs that cannot be placed for four different reasons
    SeaRateCardFactory()
    SeaRateCardFactory(destination="USNYC", mode="sea_fcl", lcl_rate_per_wm=None)
    good = [ShippingDemandFactory(), ShippingDemandFactory()]
    no_card = ShippingDemandFactory(destination="GBFXT")
    too_heavy = ShippingDemandFactory(destination="USNYC", mode="sea_fcl",
                                      gross_kg=Decimal("30000"), volume_cbm=Decimal("20"))
    short = ShippingDemandFactory(deliver_by=_today() + dt.timedelta(days=20))
    no_tiers = AdNeedFactory(programme=ChannelProgrammeFactory(
        tiers=[], minimum_spend=0, management_fee_percent=12, standalone_fee_percent=12))

    # when matching runs
    run = _run()

    # then the pair is pooled and every other need is listed with why
    assert run.status == MatchingRun.Status.SUCCEEDED
    assert run.proposed_count == 1
    assert sorted(Pool.objects.get().members.values_list("demand_id", flat=True)) == sorted(
        d.pk for d in good)
    reasons = {(u["kind"], u["need_id"]): u["reason"] for u in run.unplaced}
    assert set(reasons) == {("logistics", no_card.pk), ("logistics", too_heavy.pk),
                            ("logistics", short.pk), ("ads", no_tiers.pk)}
    assert reasons[("logistics", no_card.pk)] == "no rate card for CNSZX\u2192GBFXT by sea"
    assert reasons[("logistics", too_heavy.pk)].startswith(
        "heavier than any container's payload")
    assert reasons[("logistics", short.pk)].startswith("window too short")
    assert reasons[("ads", no_tiers.pk)].endswith("a pool gains nothing over buying alone")


def test_ad_need_on_an_inactive_programme_is_unplaced_with_that_reason():
    # given an ad need on a programme the coordinators switched off
    need = AdNeedFactory(programme=ChannelProgrammeFactory(name="Old DSP deal", active=False))

    # when matching runs
    run = _run()

    # then it is unplaced with that reason
    assert run.unplaced == [{"kind": "ads", "need_id": need.pk,
                             "reason": "programme Old DSP deal is not active"}]
    assert Pool.objects.count() == 0


def test_a_run_that_fails_in_the_matcher_leaves_no_pools(monkeypatch):
    # given compatible demands, and an ad matcher that breaks after logistics matched
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("ad matcher broke")

    monkeypatch.setattr(matching_service, "match_ads", broken)

    # when matching runs
    run = _run()

    # then the run failed with the error and nothing was proposed
    assert run.status == MatchingRun.Status.FAILED
    assert run.error == "RuntimeError: ad matcher broke"
    assert (run.stage, run.proposed_count) == ("failed", 0)
    # and the shard that failed says where it stopped
    (shard,) = run.shards.all()
    assert (shard.status, shard.stage, shard.error) == ("failed", "failed",
                                                        "RuntimeError: ad matcher broke")
    assert run.finished_at is not None
    assert Pool.objects.count() == 0
    assert PoolMember.objects.count() == 0


def test_a_run_that_fails_while_saving_leaves_no_half_made_pools(monkeypatch):
    # given two compatible pairs on two lanes, and saving that breaks after pools and members
    SeaRateCardFactory()
    SeaRateCardFactory(destination="USNYC")
    for destination in ("USLAX", "USLAX", "USNYC", "USNYC"):
        ShippingDemandFactory(destination=destination)

    def broken(run_id, pools):
        assert Pool.objects.count() == 2  # the pools and members were written...
        raise RuntimeError("disk full")

    monkeypatch.setattr(matching_service, "_event_rows", broken)

    # when matching runs
    run = _run()

    # then ...and rolled back together
    assert run.status == MatchingRun.Status.FAILED
    assert run.error == "RuntimeError: disk full"
    assert Pool.objects.count() == 0
    assert PoolMember.objects.count() == 0
    assert PoolEvent.objects.count() == 0


def test_a_proposal_whose_signature_a_live_pool_holds_is_skipped(monkeypatch):
    # given a live pool already carrying the signature matching will propose
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()
    real = matching_service.match_logistics

    def and_meanwhile_another_run_saves_it(*args, **kwargs):
        result = real(*args, **kwargs)
        PoolFactory(signature=result.pools[0].signature)
        return result

    monkeypatch.setattr(matching_service, "match_logistics", and_meanwhile_another_run_saves_it)

    # when matching runs
    run = _run()

    # then it skips the proposal instead of failing
    assert run.status == MatchingRun.Status.SUCCEEDED
    assert run.proposed_count == 0
    assert run.inputs["already_proposed"] == 1
    assert Pool.objects.count() == 1


def test_a_pool_the_coordinator_rejected_is_not_proposed_again():
    # given a run whose pool the coordinator rejected (its members released)
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()
    _run()
    Pool.objects.update(state=Pool.State.REJECTED)
    PoolMember.objects.update(status=PoolMember.Status.REMOVED)

    # when matching runs again on the same needs
    run = _run()

    # then the demands are read again but the same pool is not proposed again
    assert run.inputs["demands"] == 2
    assert (run.proposed_count, run.inputs["rejected_before"]) == (0, 1)
    assert Pool.objects.count() == 1
    assert [u["reason"].startswith("a coordinator rejected the pool") for u in run.unplaced] == [
        True, True]


def test_runs_stuck_for_hours_are_marked_failed():
    # given a run queued three hours ago and one queued just now
    old = MatchingRun.objects.create(trigger="schedule", status="running")
    MatchingRun.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=3))
    fresh = MatchingRun.objects.create(trigger="web")

    # when the sweeper looks
    count = matching_runs_fail_stuck()

    # then only the old one failed
    assert count == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == "failed" and "did not finish" in old.error
    assert fresh.status == "queued"


def test_start_rejects_an_unknown_trigger_and_stores_nothing():
    from coop.errors import ApplicationError

    with pytest.raises(ApplicationError) as info:
        matching_run_start(trigger="telepathy", enqueue=False)

    assert "trigger" in info.value.fields
    assert MatchingRun.objects.count() == 0


def test_start_enqueues_the_run_on_commit(django_capture_on_commit_callbacks):
    # given compatible demands
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()

    # when a run is started and the transaction commits (eager Celery runs it inline)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = matching_run_start(trigger=MatchingRun.Trigger.WEB)
        assert MatchingRun.objects.get().status == MatchingRun.Status.QUEUED

    # then the task ran it after commit
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == MatchingRun.Status.SUCCEEDED
    assert run.proposed_count == 1


def test_a_lost_shard_fails_its_run_and_a_lost_callback_is_closed_by_the_sweeper(settings):
    # given two lane groups cut into two shards, the run planned three hours ago
    two_lane_groups(settings)
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
    first, second = matching_service.matching_run_plan(run_id=run.pk)
    MatchingRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    # and one shard finished while the other's message was lost
    matching_service.matching_shard_execute(shard_id=first)

    # when the sweeper looks
    assert matching_runs_fail_stuck() == 1

    # then the lost shard failed, and the run closed with the other shard's pool
    run.refresh_from_db()
    assert run.status == "failed" and run.stage == "failed"
    assert run.error.startswith("shard 2 of 2: The shard did not finish")
    assert run.proposed_count == 1 == Pool.objects.count()


def test_each_shard_reads_only_its_own_lane_groups(settings):
    # given pairs on two origins and shards of about two needs
    settings.MATCHING_SHARD_NEEDS = 2
    cards = {origin: SeaRateCardFactory(origin=origin) for origin in ("CNSZX", "VNSGN")}
    for origin in cards:
        ShippingDemandFactory(origin=origin)
        ShippingDemandFactory(origin=origin)

    # when matching runs
    run = _run()

    # then each shard read its own demands and rate card, and nothing else
    shards = list(run.shards.order_by("number"))
    assert [(s.inputs["demands"], s.inputs["rate_cards"]) for s in shards] == [(2, 1), (2, 1)]
    for shard in shards:
        (origin, family), = shard.lanes
        assert family == "sea"
        assert [v["id"] for v in shard.inputs["rate_card_versions"]] == [cards[origin].pk]
    # and the run's inputs are their sum
    assert (run.inputs["demands"], run.inputs["rate_cards"], run.proposed_count) == (4, 2, 2)


def test_a_shards_read_leaves_out_its_pooled_needs_and_other_shards_needs():
    # given a pool and an open demand on each of two origins' sea lanes, a pool on
    # Shenzhen's air lane, and an ad pool and an open ad need on each of two programmes
    sea_pools = {origin: logistics_pool(origin=origin, members=2, reprice=False)
                 for origin in ("CNSZX", "VNSGN")}
    logistics_pool(mode="air", members=1, reprice=False)
    open_demands = {origin: ShippingDemandFactory(origin=origin) for origin in sea_pools}
    ShippingDemandFactory(mode="air")
    ad_pools = [ads_pool(members=2, reprice=False) for _ in range(2)]
    open_needs = [AdNeedFactory(programme=pool.programme) for pool in ad_pools]
    shenzhen_sea = MatchingScope(lanes=frozenset({("CNSZX", "sea")}),
                                 programmes=frozenset({ad_pools[0].programme_id}))

    # when Shenzhen's sea lanes and the first programme are read as one shard
    demands = demands_open_unpooled(shenzhen_sea)
    needs = ad_needs_open_unpooled(shenzhen_sea)

    # then only its own open needs are read: its pooled ones and every other lane's or
    # programme's needs are left out
    assert [d.id for d in demands] == [open_demands["CNSZX"].pk]
    assert [n.id for n in needs] == [open_needs[0].pk]


def test_shards_share_the_runs_search_budget_by_their_needs(settings):
    # given thirteen demands on one origin and three on another, cut into two shards
    settings.MATCHING_SHARD_NEEDS = 8
    for origin, count in (("CNSZX", 13), ("VNSGN", 3)):
        SeaRateCardFactory(origin=origin)
        for _ in range(count):
            ShippingDemandFactory(origin=origin)

    # when matching runs
    run = _run()

    # then each shard searched within its share of the run's 8,000 pricings
    shards = list(run.shards.order_by("number"))
    assert [s.planned_needs for s in shards] == [13, 3]
    records = [s.inputs["grouping"] for s in shards]
    assert [r["search_pricings"] for r in records] == [8000 * 13 // 16, 8000 * 3 // 16]
    assert [(r["logistics"]["method"], r["logistics"]["budget"]) for r in records] == [
        ("local search", 50), ("exact", 0)]
    # and the run records its own budget and the shards' searches added up
    assert run.inputs["grouping"]["search_pricings"] == 8000
    assert run.inputs["grouping"]["logistics"] == {
        "method": "exact and local search", "exact": 1, "local": 1, "by_date": 0,
        "budget": 50, "spent": records[0]["logistics"]["spent"],
        "exhausted": records[0]["logistics"]["exhausted"],
        "moves": records[0]["logistics"]["moves"]}


def _proposal(kind: str, *, origin: str = "", mode: str = "", programme: int | None = None
              ) -> PoolProposal:
    return PoolProposal(kind=kind, signature=f"{kind}-{origin}-{mode}-{programme}",
                        currency="USD", total_cost=Decimal(0), standalone_total=Decimal(0),
                        members=(), plan={}, reasons=[], origin=origin, mode=mode,
                        programme_id=programme)


def test_save_locks_are_one_per_lane_group_or_programme_in_key_order():
    # given pools on the two sea modes of one origin, another origin, air, and a programme
    proposals = [
        _proposal(Pool.Kind.LOGISTICS, origin="CNSHA", mode="sea_lcl"),
        _proposal(Pool.Kind.LOGISTICS, origin="CNSHA", mode="sea_fcl"),
        _proposal(Pool.Kind.LOGISTICS, origin="CNSZX", mode="sea_fcl"),
        _proposal(Pool.Kind.LOGISTICS, origin="CNSHA", mode="air"),
        _proposal(Pool.Kind.ADS, programme=7),
    ]
    keys = save_lock_keys(proposals)
    # then LCL and FCL from one origin share a key (one lane group), the rest do not
    assert len(keys) == 4 and keys == sorted(keys)
    assert save_lock_keys(proposals[:2]) == save_lock_keys(proposals[1:2])
    assert save_lock_keys(proposals[2:3]) != save_lock_keys(proposals[1:2])


@pytest.mark.django_db(transaction=True)
def test_saving_one_lane_group_waits_only_for_a_save_of_the_same_group():
    if connection.vendor != "postgresql":
        pytest.skip("the save locks are PostgreSQL advisory locks")
    shanghai = [_proposal(Pool.Kind.LOGISTICS, origin="CNSHA", mode="sea_fcl")]
    shenzhen = [_proposal(Pool.Kind.LOGISTICS, origin="CNSZX", mode="sea_fcl")]
    held = threading.Event()
    release = threading.Event()

    def saver() -> None:
        # another shard's save holds Shanghai's lane group until released
        try:
            with transaction.atomic():
                matching_service._save_locks(shanghai)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=saver)
    other.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            # then a save of Shenzhen's lane group does not wait
            matching_service._save_locks(shenzhen)
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            # and one of Shanghai's waits for the other save to end
            matching_service._save_locks(shanghai)
    finally:
        release.set()
        other.join(10)
    with transaction.atomic():
        matching_service._save_locks(shanghai)  # free again once the other save ended


@pytest.mark.parametrize(("model", "link"), [(ShippingDemand, "demand"), (AdNeed, "ad_need")])
def test_open_needs_are_read_with_an_anti_join_not_a_subplan_per_need(model, link):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    # given a need held by a live pool member and the table's statistics fresh
    PoolMemberFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pooling_poolmember")
    # when the open, unpooled needs are planned
    plan = open_unpooled(model, link).explain()
    # then the members are joined once (an anti-join), never searched once per need
    assert "Anti Join" in plan
    assert "SubPlan" not in plan
