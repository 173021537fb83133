"""The pool lifecycle's use cases: coordinators approve, open, lock, cancel; firms join and leave.

Each function is one transaction: it locks the pool row (through the state
machine in `transitions`), checks its guard (who may act, and what must hold),
changes state, writes the append-only `PoolEvent`, and schedules notifications
and partner webhooks for after the commit.

Capacity is the database's job: a join increments `member_count` with an `F()`
expression on the locked row, and the `pool_never_over_capacity` check
constraint refuses the one join too many.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Firm, Membership
from coop.api.errors import ApplicationError, Conflict
from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn, Tier, flight_days
from pooling.domain.logistics_matching import MIXABLE_CLASSES, DemandIn
from pooling.domain.proposals import fmt_money
from pooling.domain.repricing import Repriced, reprice_ads, reprice_logistics
from pooling.domain.tariff import TariffError
from pooling.domain.units import Mode, mode_family
from pooling.feed.ratecards import RateCardParseError, card_from_row
from pooling.models import AdNeed, Pool, PoolMember, ShippingDemand
from pooling.services.notifications import notify_firms, notify_users
from pooling.services.transitions import (
    TransitionError,
    can_transition,
    lock_pool,
    pool_transition,
    record_event,
)

S = Pool.State
M = PoolMember.Status

CONSOLIDATION_DAYS = 3
FULL_MESSAGE = "This pool is full."


class PoolFull(Conflict):
    code = "pool_full"


class NotAllowed(ApplicationError):
    status_code = 403
    code = "permission_denied"


# ------------------------------------------------------------------ helpers


def pool_url(pool: Pool) -> str:
    return reverse("pooling:pool-detail", args=[pool.pk])


def _label(actor: Any, firm: Firm | None = None) -> str:
    email = getattr(actor, "email", "") or "system"
    return f"{email} for {firm.legal_name}" if firm is not None else email


def _require_coordinator(actor: Any) -> None:
    if not getattr(actor, "is_coordinator", False):
        raise NotAllowed("Only coordinators of the cooperative may do this.")


def _require_firm_user(actor: Any, firm: Firm) -> None:
    user_id = getattr(actor, "pk", None)
    if user_id is None or not Membership.objects.filter(user_id=user_id, firm=firm).exists():
        raise NotAllowed("You do not act for this firm.")


def _transition_error(pool: Pool, to: str) -> TransitionError:
    return TransitionError(
        f"Pool #{pool.pk} is {pool.get_state_display().lower()}; it cannot become "
        f"{Pool.State(to).label.lower()}.",
        fields={"state": [f"Not allowed from {pool.state} to {to}."]},
    )


def _active(pool: Pool) -> Any:
    return pool.members.filter(status__in=PoolMember.ACTIVE)


def _set_count(pool: Pool) -> None:
    Pool.objects.filter(pk=pool.pk).update(member_count=_active(pool).count())
    pool.refresh_from_db(fields=["member_count"])


def _member_firms(members: Any) -> list[Firm]:
    return list(Firm.objects.filter(pk__in={m.firm_id for m in members}))


def _release_needs(members: list[PoolMember]) -> None:
    """Needs of members who are out of the pool are open again, unless their firm closed them."""
    demand_ids = [m.demand_id for m in members if m.demand_id]
    need_ids = [m.ad_need_id for m in members if m.ad_need_id]
    ShippingDemand.objects.filter(pk__in=demand_ids, status=ShippingDemand.Status.POOLED).update(
        status=ShippingDemand.Status.OPEN, updated_at=timezone.now())
    AdNeed.objects.filter(pk__in=need_ids, status=AdNeed.Status.POOLED).update(
        status=AdNeed.Status.OPEN, updated_at=timezone.now())


def _emit(pool: Pool, event_type: str, payload: dict[str, Any]) -> None:
    if pool.partner is None:
        return
    from pooling.services.webhooks import webhook_emit

    webhook_emit(partner=pool.partner, event_type=event_type, payload=payload)


# ---------------------------------------------------------------- repricing


def _demand_in(demand: ShippingDemand) -> DemandIn:
    return DemandIn(
        id=demand.pk, firm_id=demand.firm_id, origin=demand.origin,
        destination=demand.destination, mode=Mode(demand.mode), cargo_class=demand.cargo_class,
        un_class=demand.dg_class, gross_kg=demand.gross_kg, volume_cbm=demand.volume_cbm,
        splittable=demand.splittable, ready_from=demand.ready_from, deliver_by=demand.deliver_by,
    )


def _programme_in(pool: Pool) -> ProgrammeIn:
    programme = pool.programme
    assert programme is not None  # noqa: S101 - an ads pool always names its programme
    return ProgrammeIn(
        id=programme.pk, name=programme.name, currency=programme.currency,
        markets=frozenset(programme.markets), minimum_spend=programme.minimum_spend,
        tiers=tuple(Tier(min_spend=Decimal(str(t["min_spend"])),
                         rebate_percent=Decimal(str(t["rebate_percent"])))
                    for t in programme.tiers),
        management_fee_percent=programme.management_fee_percent,
        standalone_fee_percent=programme.standalone_fee_percent,
        min_flight_days=programme.min_flight_days,
        category_exclusive=programme.category_exclusive,
    )


def _ad_need_in(need: AdNeed) -> AdNeedIn:
    return AdNeedIn(
        id=need.pk, firm_id=need.firm_id, programme_id=need.programme_id, market=need.market,
        budget=need.budget, currency=need.currency, flight_from=need.flight_from,
        flight_to=need.flight_to, category=need.category,
        excluded_firm_ids=frozenset(f.pk for f in need.excluded_firms.all()),
    )


def _price(pool: Pool, members: list[PoolMember]) -> Repriced:
    if pool.kind == Pool.Kind.LOGISTICS:
        if pool.rate_card is None or pool.ship_date is None:
            raise ApplicationError(f"Pool #{pool.pk} has no rate card or ship date to price on.")
        try:
            card = card_from_row(pool.rate_card)
            return reprice_logistics(
                card, [_demand_in(m.demand) for m in members if m.demand is not None],
                ship_date=pool.ship_date, partner_id=pool.partner_id or 0,
                consolidation_days=CONSOLIDATION_DAYS, capacity=pool.capacity,
            )
        except (TariffError, RateCardParseError) as exc:
            raise ApplicationError(f"Pool #{pool.pk} cannot be priced: {exc}") from exc
    return reprice_ads(_programme_in(pool), pool.market,
                       [_ad_need_in(m.ad_need) for m in members if m.ad_need is not None],
                       capacity=pool.capacity)


def pool_reprice(*, pool: Pool) -> Repriced:
    """Price the pool again for its active members and store each one's standalone cost and share.

    Runs inside the caller's transaction on a locked pool. When the pool no
    longer saves for every member (logistics) or misses the programme minimum
    (ads), the problems are kept in `plan["problems"]` for the coordinator.
    """
    members = list(_active(pool).select_related("demand", "ad_need").prefetch_related(
        "ad_need__excluded_firms").order_by("pk"))
    result = _price(pool, members)
    proposal = result.proposal
    if proposal is None:
        pool.projected_total = Decimal(0)
        pool.standalone_total = Decimal(0)
        pool.plan = {**pool.plan, "problems": list(result.problems)}
        pool.save(update_fields=["projected_total", "standalone_total", "plan", "updated_at"])
        return result
    by_need = {row.need_id: row for row in proposal.members}
    for member in members:
        row = by_need[member.demand_id or member.ad_need_id or 0]
        member.standalone_cost = row.standalone_cost
        member.projected_share = row.share
        member.projected_saving = row.saving
        member.chargeable_kg = row.chargeable_kg
        member.revenue_tons = row.revenue_tons
        member.volume_cbm = row.volume_cbm
        member.budget = row.budget
        member.note = row.note[:300]
        member.placement = _placement(proposal.plan, row.need_id)
    PoolMember.objects.bulk_update(members, [
        "standalone_cost", "projected_share", "projected_saving", "chargeable_kg",
        "revenue_tons", "volume_cbm", "budget", "note", "placement",
    ])
    pool.projected_total = proposal.total_cost
    pool.standalone_total = proposal.standalone_total
    pool.plan = {**dict(proposal.plan), "problems": list(result.problems)}
    pool.reasons = list(proposal.reasons)
    pool.save(update_fields=["projected_total", "standalone_total", "plan", "reasons",
                             "updated_at"])
    return result


def _placement(plan: Any, need_id: int) -> dict[str, Any]:
    """Where one member's load goes in a sea plan: containers and LCL."""
    if plan.get("type") != "sea":
        return {}
    boxes = [
        {"container": index + 1, "code": box["code"], "volume_cbm": part["volume_cbm"],
         "gross_kg": part["gross_kg"]}
        for index, box in enumerate(plan.get("containers", []))
        for part in box.get("members", []) if part.get("need_id") == need_id
    ]
    lcl = [part for part in plan.get("lcl", {}).get("members", []) if part.get("need_id") == need_id]
    return {"containers": boxes, "lcl": lcl}


# ------------------------------------------------------- coordinator actions


@transaction.atomic
def pool_approve(*, pool: Pool, actor: Any) -> Pool:
    """proposed → approved; every member firm is invited with its own share and saving."""
    _require_coordinator(actor)
    if lock_pool(pool.pk).state == S.PROPOSED and _active(pool).count() < 2:
        raise ApplicationError("A pool needs at least two members to be approved.",
                               fields={"members": ["Fewer than two members are left."]})
    locked = pool_transition(pool=pool, to=S.APPROVED, actor=actor, action="approve")
    members = list(_active(locked).select_related("firm"))
    url = pool_url(locked)
    for member in members:
        notify_firms(
            firms=[member.firm], kind="invitation", pool=locked, url=url,
            title=f"Invitation to pool #{locked.pk}: {locked}",
            body=_invitation_text(locked, member),
        )
    from accounts.models import User

    notify_users(
        users=User.objects.filter(is_coordinator=True, is_active=True), kind="approval",
        pool=locked, url=url, title=f"Pool #{locked.pk} approved",
        body=f"{_label(actor)} approved {locked} with {len(members)} members; "
             f"invitations are out.",
    )
    return locked


def _invitation_text(pool: Pool, member: PoolMember) -> str:
    cur = pool.currency
    share = fmt_money(member.projected_share, cur)
    if member.standalone_cost is None:
        return f"Your projected share is {share}. Alone you would not reach this programme."
    return (f"Your projected share is {share} against {fmt_money(member.standalone_cost, cur)} "
            f"alone: you save {fmt_money(member.projected_saving or Decimal(0), cur)}. "
            "Accept or decline on the pool page.")


@transaction.atomic
def pool_reject(*, pool: Pool, actor: Any, reason: str) -> Pool:
    """proposed → rejected, with a reason; the needs stay open for the next matching run."""
    _require_coordinator(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the pool is rejected.",
                               fields={"reason": ["A reason is required to reject a pool."]})
    locked = pool_transition(pool=pool, to=S.REJECTED, actor=actor, reason=reason,
                             action="reject")
    _active(locked).update(status=M.REMOVED, note="the pool was rejected",
                           updated_at=timezone.now())
    _set_count(locked)
    return locked


@transaction.atomic
def pool_deadline_set(*, pool: Pool, actor: Any, deadline: datetime) -> Pool:
    """Set the join deadline: in the future and, for freight, before the ship date."""
    _require_coordinator(actor)
    locked = lock_pool(pool.pk)
    if locked.state not in (S.PROPOSED, S.APPROVED, S.OPEN):
        raise Conflict(f"Pool #{locked.pk} is {locked.get_state_display().lower()}: its join "
                       "deadline can no longer change.",
                       fields={"join_deadline": ["The pool is no longer open for joining."]})
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline <= timezone.now():
        raise ApplicationError("The join deadline must be in the future.",
                               fields={"join_deadline": ["Choose a time in the future."]})
    if locked.ship_date is not None and timezone.localdate(deadline) >= locked.ship_date:
        raise ApplicationError(
            "The join deadline must fall before the ship date.",
            fields={"join_deadline": [f"Choose a time before {locked.ship_date.isoformat()}."]})
    if locked.flight_from is not None and timezone.localdate(deadline) >= locked.flight_from:
        raise ApplicationError(
            "The join deadline must fall before the flight starts.",
            fields={"join_deadline": [f"Choose a time before {locked.flight_from.isoformat()}."]})
    before = locked.join_deadline
    locked.join_deadline = deadline
    locked.save(update_fields=["join_deadline", "updated_at"])
    record_event(pool=locked, action="deadline", actor=actor,
                 reason=f"Join deadline {before.isoformat() if before else 'unset'} → "
                        f"{deadline.isoformat()}")
    pool.join_deadline = deadline
    return locked


@transaction.atomic
def pool_open(*, pool: Pool, actor: Any) -> Pool:
    """approved → open: other firms with a fitting open need may join until the deadline."""
    _require_coordinator(actor)
    locked = lock_pool(pool.pk)
    if not can_transition(locked, S.OPEN):
        raise _transition_error(locked, S.OPEN)
    if locked.join_deadline is None or locked.join_deadline <= timezone.now():
        raise ApplicationError(
            "Set a join deadline in the future before opening the pool for joining.",
            fields={"join_deadline": ["A future join deadline is required to open the pool."]})
    return pool_transition(pool=pool, to=S.OPEN, actor=actor, action="open")


@transaction.atomic
def pool_lock(*, pool: Pool, actor: Any = None, actor_label: str = "", reason: str = "") -> Pool:
    """approved/open → locked: members who did not accept drop out, the split is recomputed,
    the needs become pooled, members are told and the partner receives the booking request.

    A coordinator may lock a pool that no longer saves for every member (the pool
    page says so); the deadline job cancels such pools instead.
    """
    if actor is not None:
        _require_coordinator(actor)
    locked = lock_pool(pool.pk)
    if not can_transition(locked, S.LOCKED):
        raise _transition_error(locked, S.LOCKED)
    _drop_pending(locked)
    if _active(locked).count() < 2:
        raise ApplicationError(
            "A pool needs at least two members who accepted before it can lock.",
            fields={"members": ["Fewer than two members have accepted."]})
    return _lock(locked, actor=actor, actor_label=actor_label, reason=reason)


def _drop_pending(pool: Pool) -> list[PoolMember]:
    pending = list(pool.members.filter(status=M.INVITED))
    if pending:
        pool.members.filter(pk__in=[m.pk for m in pending]).update(
            status=M.DECLINED, note="did not accept before the pool locked",
            updated_at=timezone.now())
        _set_count(pool)
    return pending


def _lock(pool: Pool, *, actor: Any, actor_label: str, reason: str) -> Pool:
    pool_reprice(pool=pool)
    locked = pool_transition(pool=pool, to=S.LOCKED, actor=actor, actor_label=actor_label,
                             reason=reason, action="lock")
    members = list(_active(locked).select_related("demand", "ad_need", "firm"))
    ShippingDemand.objects.filter(pk__in=[m.demand_id for m in members if m.demand_id]).update(
        status=ShippingDemand.Status.POOLED, updated_at=timezone.now())
    AdNeed.objects.filter(pk__in=[m.ad_need_id for m in members if m.ad_need_id]).update(
        status=AdNeed.Status.POOLED, updated_at=timezone.now())
    for member in members:
        notify_firms(
            firms=[member.firm], kind="lock", pool=locked, url=pool_url(locked),
            title=f"Pool #{locked.pk} is locked",
            body=f"{locked} is locked with {len(members)} members. Your projected share is "
                 f"{fmt_money(member.projected_share, locked.currency)}; the partner books next.",
        )
    from pooling.services.webhooks import booking_request_payload

    _emit(locked, "pool.locked", booking_request_payload(pool=locked))
    return locked


@transaction.atomic
def pool_cancel(*, pool: Pool, actor: Any = None, actor_label: str = "", reason: str) -> Pool:
    """→ cancelled: members are released, their needs are open again, everyone is told."""
    if actor is not None:
        _require_coordinator(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the pool is cancelled.",
                               fields={"reason": ["A reason is required to cancel a pool."]})
    locked = lock_pool(pool.pk)
    if not can_transition(locked, S.CANCELLED):
        raise _transition_error(locked, S.CANCELLED)
    members = list(_active(locked))
    locked = pool_transition(pool=pool, to=S.CANCELLED, actor=actor, actor_label=actor_label,
                             reason=reason, action="cancel")
    locked.members.filter(pk__in=[m.pk for m in members]).update(
        status=M.REMOVED, note="the pool was cancelled", updated_at=timezone.now())
    _release_needs(members)
    _set_count(locked)
    if members:
        notify_firms(firms=_member_firms(members), kind="cancel", pool=locked,
                     url=pool_url(locked), title=f"Pool #{locked.pk} is cancelled",
                     body=f"{locked} is cancelled: {reason} Your need is open again.")
    _emit(locked, "pool.cancelled", {"pool_id": locked.pk, "kind": locked.kind,
                                     "reason": reason, "state": locked.state})
    return locked


@transaction.atomic
def pool_member_remove(*, pool: Pool, member_id: int, actor: Any, reason: str = "") -> PoolMember:
    """A coordinator takes a member out before the pool locks; the split is recomputed."""
    _require_coordinator(actor)
    locked = lock_pool(pool.pk)
    if locked.state not in (S.PROPOSED, S.APPROVED, S.OPEN):
        raise Conflict(f"Pool #{locked.pk} is {locked.get_state_display().lower()}: members "
                       "can no longer be removed.")
    member = locked.members.filter(pk=member_id, status__in=PoolMember.ACTIVE).first()
    if member is None:
        raise ApplicationError("That member is not in the pool.",
                               fields={"member": ["Not an active member of this pool."]})
    member.status = M.REMOVED
    member.note = (reason or "removed by a coordinator")[:300]
    member.save(update_fields=["status", "note", "updated_at"])
    _set_count(locked)
    pool_reprice(pool=locked)
    record_event(pool=locked, action="remove", actor=actor,
                 reason=f"Member {member.pk} removed. {reason}".strip())
    if locked.state != S.PROPOSED:
        notify_firms(firms=[member.firm], kind="other", pool=locked, url=pool_url(locked),
                     title=f"You were taken out of pool #{locked.pk}",
                     body=reason or "A coordinator took your need out of the pool.")
    return member


# ----------------------------------------------------------------- firm actions


def _firm_members(pool: Pool, firm: Firm, statuses: Any) -> list[PoolMember]:
    return list(pool.members.filter(firm=firm, status__in=statuses).order_by("pk"))


def _not_member() -> ApplicationError:
    return ApplicationError("Your firm has no invitation to this pool.",
                            fields={"pool": ["No invitation for your firm."]}, status_code=404,
                            code="not_found")


@transaction.atomic
def pool_accept(*, pool: Pool, firm: Firm, actor: Any) -> Pool:
    """A firm accepts its invitation to an approved or open pool."""
    _require_firm_user(actor, firm)
    locked = lock_pool(pool.pk)
    members = _firm_members(locked, firm, [M.INVITED, M.ACCEPTED])
    if not members or locked.state in (S.PROPOSED, S.REJECTED):
        raise _not_member()
    if locked.state not in (S.APPROVED, S.OPEN):
        raise Conflict(f"Pool #{locked.pk} is {locked.get_state_display().lower()}: "
                       "invitations can no longer be answered.")
    invited = [m for m in members if m.status == M.INVITED]
    if not invited:
        raise Conflict("Your firm has already accepted this pool.")
    PoolMember.objects.filter(pk__in=[m.pk for m in invited]).update(
        status=M.ACCEPTED, updated_at=timezone.now())
    record_event(pool=locked, action="accept", actor=actor, actor_label=_label(actor, firm),
                 reason=f"Member {', '.join(str(m.pk) for m in invited)} accepted.")
    return locked


@transaction.atomic
def pool_decline(*, pool: Pool, firm: Firm, actor: Any, reason: str = "") -> Pool:
    """A firm declines its invitation; the split is recomputed for the others."""
    return _step_out(pool=pool, firm=firm, actor=actor, reason=reason, status=M.DECLINED,
                     statuses=[M.INVITED], action="decline")


@transaction.atomic
def pool_leave(*, pool: Pool, firm: Firm, actor: Any, reason: str = "") -> Pool:
    """A firm leaves a pool before it locks; the split is recomputed for the others."""
    return _step_out(pool=pool, firm=firm, actor=actor, reason=reason, status=M.LEFT,
                     statuses=[M.INVITED, M.ACCEPTED], action="leave")


def _step_out(*, pool: Pool, firm: Firm, actor: Any, reason: str, status: str,
              statuses: list[str], action: str) -> Pool:
    _require_firm_user(actor, firm)
    locked = lock_pool(pool.pk)
    if locked.state in (S.PROPOSED, S.REJECTED) or not locked.members.filter(firm=firm).exists():
        raise _not_member()
    if locked.state not in (S.APPROVED, S.OPEN):
        raise Conflict(f"Pool #{locked.pk} is {locked.get_state_display().lower()}: "
                       f"members can no longer {action}.")
    members = _firm_members(locked, firm, statuses)
    if not members:
        raise Conflict(f"Your firm cannot {action} this pool: it is not a "
                       f"{'pending' if action == 'decline' else 'current'} member.")
    PoolMember.objects.filter(pk__in=[m.pk for m in members]).update(
        status=status, note=(reason or f"{action} by the firm")[:300], updated_at=timezone.now())
    _set_count(locked)
    result = pool_reprice(pool=locked)
    note = "" if result.qualifies else " The pool no longer qualifies: " + " ".join(result.problems)
    record_event(pool=locked, action=action, actor=actor, actor_label=_label(actor, firm),
                 reason=(f"{reason} " if reason else "") + f"{len(members)} need(s) out.{note}")
    return locked


@transaction.atomic
def pool_join(*, pool: Pool, firm: Firm, actor: Any, need_id: int) -> PoolMember:
    """A firm joins an open pool with one of its open needs that fits it.

    The pool row is locked for the whole join; the capacity check is the
    database's `pool_never_over_capacity` constraint on `member_count + 1`.
    """
    _require_firm_user(actor, firm)
    locked = lock_pool(pool.pk)
    if locked.state != S.OPEN:
        raise Conflict(f"Pool #{locked.pk} is not open for joining.",
                       fields={"pool": ["Only open pools take new members."]})
    if locked.join_deadline is not None and locked.join_deadline <= timezone.now():
        raise Conflict(f"The join deadline of pool #{locked.pk} has passed.",
                       fields={"pool": ["The join deadline has passed."]})
    member = _new_member(locked, firm, need_id)
    try:
        with transaction.atomic():
            Pool.objects.filter(pk=locked.pk).update(member_count=F("member_count") + 1)
    except IntegrityError:
        raise PoolFull(FULL_MESSAGE, fields={"pool": [FULL_MESSAGE]}) from None
    member.save()
    result = pool_reprice(pool=locked)
    if not result.qualifies:
        message = "With this need the pool would no longer save for every member."
        raise Conflict(message, fields={"need": [message]})
    member.refresh_from_db()
    locked.refresh_from_db(fields=["member_count"])
    record_event(pool=locked, action="join", actor=actor, actor_label=_label(actor, firm),
                 reason=f"Member {member.pk} joined; {locked.member_count} of {locked.capacity}.")
    return member


def _new_member(pool: Pool, firm: Firm, need_id: int) -> PoolMember:
    if pool.members.filter(firm=firm, status__in=PoolMember.ACTIVE).exists():
        raise Conflict("Your firm is already in this pool.",
                       fields={"pool": ["Your firm is already a member."]})
    if pool.kind == Pool.Kind.LOGISTICS:
        demand = ShippingDemand.objects.filter(pk=need_id, firm=firm).first()
        if demand is None:
            raise ApplicationError("No such shipping demand of your firm.",
                                   fields={"need": ["Choose one of your firm's open demands."]})
        why = demand_misfit(pool, demand)
        if why:
            raise ApplicationError(f"This demand does not fit the pool: {why}",
                                   fields={"need": [why]})
        return PoolMember(pool=pool, firm=firm, demand=demand, status=M.ACCEPTED,
                          projected_share=0)
    need = AdNeed.objects.filter(pk=need_id, firm=firm).prefetch_related("excluded_firms").first()
    if need is None:
        raise ApplicationError("No such ad need of your firm.",
                               fields={"need": ["Choose one of your firm's open ad needs."]})
    why = ad_need_misfit(pool, need)
    if why:
        raise ApplicationError(f"This ad need does not fit the pool: {why}",
                               fields={"need": [why]})
    return PoolMember(pool=pool, firm=firm, ad_need=need, status=M.ACCEPTED, projected_share=0)


def demand_misfit(pool: Pool, demand: ShippingDemand) -> str:
    """Why a shipping demand cannot join a logistics pool, or "" when it fits."""
    if pool.kind != Pool.Kind.LOGISTICS:
        return "this pool buys advertising, not freight."
    if demand.status != ShippingDemand.Status.OPEN:
        return f"the demand is {demand.get_status_display().lower()}, not open."
    if PoolMember.objects.filter(demand=demand, status__in=PoolMember.ACTIVE).exists():
        return "the demand is already in another pool."
    if (demand.origin, demand.destination) != (pool.origin, pool.destination):
        return f"it ships {demand.origin}→{demand.destination}, the pool {pool.origin}→" \
               f"{pool.destination}."
    if mode_family(demand.mode) != mode_family(pool.mode):
        return f"it ships by {demand.get_mode_display()}, the pool by {pool.get_mode_display()}."
    card = pool.rate_card
    if card is not None and demand.cargo_class not in (card.allowed_cargo_classes or ["general"]):
        return f"the rate card does not accept {demand.get_cargo_class_display()}."
    if demand.cargo_class not in MIXABLE_CLASSES:
        return f"{demand.get_cargo_class_display()} cannot be consolidated with other cargo."
    ship = pool.ship_date
    if ship is not None:
        ready = demand.ready_from + timedelta(days=CONSOLIDATION_DAYS)
        transit = card.transit_days if card is not None else 0
        if ready > ship:
            return (f"it is ready {demand.ready_from.isoformat()}, too late to consolidate for "
                    f"the {ship.isoformat()} sailing.")
        if ship + timedelta(days=transit) > demand.deliver_by:
            return (f"the pool arrives {(ship + timedelta(days=transit)).isoformat()}, after its "
                    f"deliver-by date {demand.deliver_by.isoformat()}.")
    return ""


def ad_need_misfit(pool: Pool, need: AdNeed) -> str:
    """Why an ad need cannot join an ads pool, or "" when it fits."""
    if pool.kind != Pool.Kind.ADS:
        return "this pool ships freight, not advertising."
    if need.status != AdNeed.Status.OPEN:
        return f"the ad need is {need.get_status_display().lower()}, not open."
    if PoolMember.objects.filter(ad_need=need, status__in=PoolMember.ACTIVE).exists():
        return "the ad need is already in another pool."
    if need.programme_id != pool.programme_id or need.market != pool.market:
        return "it buys another programme or market."
    if need.currency != pool.currency:
        return f"it budgets in {need.currency}, the pool in {pool.currency}."
    programme = pool.programme
    assert programme is not None  # noqa: S101
    if pool.flight_from and pool.flight_to:
        start, end = max(pool.flight_from, need.flight_from), min(pool.flight_to, need.flight_to)
        if flight_days(start, end) < programme.min_flight_days:
            return (f"its flight overlaps the pool's for fewer than {programme.min_flight_days} "
                    "days.")
    others = list(_active(pool).select_related("ad_need").prefetch_related(
        "ad_need__excluded_firms"))
    member_firms = {m.firm_id for m in others}
    if member_firms & {f.pk for f in need.excluded_firms.all()}:
        return "your firm excludes a member of this pool."
    if any(need.firm_id in {f.pk for f in m.ad_need.excluded_firms.all()}
           for m in others if m.ad_need):
        return "a member of this pool does not pool with your firm."
    if programme.category_exclusive and any(
            m.ad_need and m.ad_need.category == need.category for m in others):
        return "a member of this pool sells in the same category."
    return ""


# ------------------------------------------------------------------- deadlines


def pool_lock_due(*, pool_id: int, now: datetime | None = None) -> str:
    """Lock one pool whose join deadline passed if it still qualifies, else cancel it.

    Returns what happened: "locked", "cancelled" or "skipped" (not due, or
    already handled), so running it twice changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_pool(pool_id)
        if locked.state not in (S.APPROVED, S.OPEN) or locked.join_deadline is None \
                or locked.join_deadline > now:
            return "skipped"
        deadline = locked.join_deadline.isoformat()
        _drop_pending(locked)
        problems: tuple[str, ...]
        if _active(locked).count() < 2:
            problems = ("Fewer than two members accepted by the join deadline.",)
        else:
            try:
                problems = pool_reprice(pool=locked).problems
            except ApplicationError as exc:
                problems = (exc.message,)
        if not problems:
            _lock(locked, actor=None, actor_label="join deadline",
                  reason=f"Join deadline {deadline} reached.")
            return "locked"
        pool_cancel(pool=locked, actor=None, actor_label="join deadline",
                    reason=f"At the join deadline {deadline} the pool no longer qualified: "
                           + " ".join(problems))
        return "cancelled"


def pools_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(Pool.objects.filter(state__in=[S.APPROVED, S.OPEN], join_deadline__lte=now)
                .order_by("pk").values_list("pk", flat=True))


def needs_open_for_pool(*, pool: Pool, firm: Firm) -> list[Any]:
    """The firm's open needs that fit this open pool, for the join form."""
    if pool.kind == Pool.Kind.LOGISTICS:
        demands = ShippingDemand.objects.filter(
            firm=firm, status=ShippingDemand.Status.OPEN, origin=pool.origin,
            destination=pool.destination).exclude(
            Q(pool_memberships__status__in=PoolMember.ACTIVE))
        return [d for d in demands if not demand_misfit(pool, d)]
    needs = AdNeed.objects.filter(firm=firm, status=AdNeed.Status.OPEN,
                                  programme_id=pool.programme_id, market=pool.market).exclude(
        Q(pool_memberships__status__in=PoolMember.ACTIVE)).prefetch_related("excluded_firms")
    return [n for n in needs if not ad_need_misfit(pool, n)]


__all__ = [
    "FULL_MESSAGE", "PoolFull", "pool_accept", "pool_approve",
    "pool_cancel", "pool_decline", "pool_deadline_set", "pool_join", "pool_leave",
    "pool_lock", "pool_lock_due", "pool_member_remove", "pool_open", "pool_reject",
    "pool_reprice", "pools_due",
]
