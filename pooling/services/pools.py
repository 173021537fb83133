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

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Firm, Membership
from coop.errors import ApplicationError, Conflict, NotAllowed, NotFound
from pooling import adapters
from pooling.domain.formats import FormatError
from pooling.domain.proposals import fmt_money
from pooling.domain.repricing import Repriced, reprice_ads, reprice_logistics
from pooling.domain.tariff import TariffError
from pooling.domain.wording import counted
from pooling.feed.ratecards import RateCardParseError, card_from_row
from pooling.models import AdNeed, Pool, PoolMember, ShippingDemand
from pooling.selectors.pools import ad_need_misfit, demand_misfit
from pooling.services.locks import lock_pool
from pooling.services.notifications import notify_firms, notify_users
from pooling.services.transitions import (
    TransitionError,
    can_transition,
    pool_transition,
    record_event,
)


def _when(moment: datetime) -> str:
    """A deadline as the audit trail reads it: local time to the minute, with its zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


S = Pool.State
M = PoolMember.Status

FULL_MESSAGE = "This pool is full."
BEFORE_LOCK = (S.PROPOSED, S.APPROVED, S.OPEN)


class PoolFull(Conflict):
    code = "pool_full"


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


def _price(pool: Pool, members: list[PoolMember]) -> Repriced:
    try:
        if pool.kind == Pool.Kind.LOGISTICS:
            if pool.rate_card is None or pool.ship_date is None:
                raise ApplicationError(
                    f"Pool #{pool.pk} has no rate card or ship date to price on.")
            return reprice_logistics(
                card_from_row(pool.rate_card),
                [adapters.demand_in(m.demand) for m in members if m.demand is not None],
                ship_date=pool.ship_date, partner_id=pool.partner_id or 0,
                capacity=pool.capacity,
            )
        assert pool.programme is not None  # noqa: S101 - an ads pool always names its programme
        return reprice_ads(adapters.programme_in(pool.programme), pool.market,
                           [adapters.ad_need_in(m.ad_need) for m in members
                            if m.ad_need is not None],
                           capacity=pool.capacity)
    except (TariffError, RateCardParseError, FormatError) as exc:
        raise ApplicationError(f"Pool #{pool.pk} cannot be priced: {exc}") from exc


def pool_reprice(*, pool: Pool, notify: str = "", quiet: tuple[int, ...] = ()) -> Repriced:
    """Price the pool again for its active members and store each one's figures.

    Runs inside the caller's transaction on a locked pool. The pool's plan, reasons,
    dates and signature follow its current members; problems (a pool that no longer
    saves for every member, or misses the programme minimum) are kept in the plan for
    the coordinator and every page. With `notify`, the members whose share changed
    are told, with `notify` as the cause and the old and new share side by side (except
    the members in `quiet`, such as the one who just joined).
    """
    members = list(_active(pool).select_related("demand", "ad_need", "firm").prefetch_related(
        "ad_need__excluded_firms").order_by("pk"))
    before = {m.pk: m.projected_share for m in members if m.pk not in quiet}
    result = _price(pool, members)
    proposal = result.proposal
    if proposal is None:
        pool.projected_total = Decimal(0)
        pool.standalone_total = Decimal(0)
        pool.plan = adapters.pool_plan(pool).with_problems(result.problems).to_json()
        pool.save(update_fields=["projected_total", "standalone_total", "plan", "updated_at"])
        return result
    by_need = {row.need_id: row for row in proposal.members}
    placements = adapters.PoolPlan.from_proposal(proposal.plan).placements()
    for member in members:
        need = adapters.need_id(member)
        adapters.member_fields_from_proposal(member, by_need[need],
                                             placements.get(need, adapters.Placement()))
    PoolMember.objects.bulk_update(members, adapters.MEMBER_PRICED_FIELDS)
    changed = adapters.pool_fields_from_proposal(pool, proposal, result.problems)
    pool.signature = proposal.signature
    pool.save(update_fields=[*changed, "signature", "updated_at"])
    if notify:
        _notify_share_changes(pool, members, before, notify)
    return result


def _notify_share_changes(pool: Pool, members: list[PoolMember],
                          before: dict[int, Decimal], cause: str) -> None:
    cur = pool.currency
    for member in members:
        old = before.get(member.pk)
        if old is None or old == member.projected_share:
            continue
        notify_firms(
            firms=[member.firm], kind="other", pool=pool, url=pool_url(pool),
            title=f"Your share in pool #{pool.pk} changed",
            body=(f"{cause} Your projected share was {fmt_money(old, cur)} and is now "
                  f"{fmt_money(member.projected_share, cur)}."
                  + ("" if adapters.pool_plan(pool).qualifies else
                     " The pool no longer qualifies as it stands; a coordinator decides "
                     "whether it goes ahead.")),
        )


def pool_members_out(*, pool: Pool, members: list[PoolMember], status: str, actor: Any,
                     action: str, reason: str, actor_label: str = "") -> Repriced | None:
    """Members step out of a locked pool that has not locked yet: decline, leave, removal
    or a withdrawn need. The others are re-priced and told; an emptied pool ends."""
    PoolMember.objects.filter(pk__in=[m.pk for m in members]).update(
        status=status, note=(reason or action)[:300], updated_at=timezone.now())
    _set_count(pool)
    reason = reason or f"{counted(len(members), 'need')} out."
    if pool.member_count == 0:
        record_event(pool=pool, action=action, actor=actor, actor_label=actor_label,
                     reason=reason)
        _end_empty(pool, actor=actor, actor_label=actor_label)
        return None
    result = pool_reprice(pool=pool, notify="A member left the pool, so the split changed.")
    note = "" if result.qualifies else " The pool no longer qualifies: " + " ".join(result.problems)
    record_event(pool=pool, action=action, actor=actor, actor_label=actor_label,
                 reason=reason + note)
    return result


def _end_empty(pool: Pool, *, actor: Any, actor_label: str) -> None:
    """A pool nobody is left in ends: rejected while proposed, cancelled after approval."""
    to = S.REJECTED if pool.state == S.PROPOSED else S.CANCELLED
    pool_transition(pool=pool, to=to, actor=actor, actor_label=actor_label or "system",
                    reason="Every member left the pool.", action="emptied")


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
        body=f"{_label(actor)} approved {locked} with {counted(len(members), 'member')}; "
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
                 reason=f"Join deadline {_when(before) if before else 'unset'} → "
                        f"{_when(deadline)}")
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
            body=f"{locked} is locked with {counted(len(members), 'member')}. Your projected share is "
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
    pool_members_out(pool=locked, members=[member], status=M.REMOVED, actor=actor,
                     action="remove",
                     reason=f"Member {member.pk} removed. {reason or 'Removed by a coordinator.'}")
    if locked.state != S.PROPOSED:
        notify_firms(firms=[member.firm], kind="other", pool=locked, url=pool_url(locked),
                     title=f"You were taken out of pool #{locked.pk}",
                     body=reason or "A coordinator took your need out of the pool.")
    return member


# ----------------------------------------------------------------- firm actions


def _firm_members(pool: Pool, firm: Firm, statuses: Any) -> list[PoolMember]:
    return list(pool.members.filter(firm=firm, status__in=statuses).order_by("pk"))


def _not_member() -> NotFound:
    return NotFound("Your firm has no invitation to this pool.",
                    fields={"pool": ["No invitation for your firm."]})


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
    pool_members_out(pool=locked, members=members, status=status, actor=actor, action=action,
                     actor_label=_label(actor, firm),
                     reason=(f"{reason} " if reason else "") + f"{counted(len(members), 'need')} out.")
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
    result = pool_reprice(pool=locked, notify="Another firm joined the pool, so the split changed.",
                          quiet=(member.pk,))
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
        deadline = _when(locked.join_deadline)
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


__all__ = [
    "FULL_MESSAGE", "PoolFull", "pool_accept", "pool_approve",
    "pool_cancel", "pool_decline", "pool_deadline_set", "pool_join", "pool_leave",
    "pool_lock", "pool_lock_due", "pool_member_remove", "pool_open", "pool_reject",
    "pool_reprice", "pools_due",
]
