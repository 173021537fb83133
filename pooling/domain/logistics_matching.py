"""Logistics pools: consolidate shipping demands that share a lane, a mode family and a date.

Pure Python. `match_logistics` groups demands into proposed consolidations:

* Lane: members share origin and destination. A rate card whose destination is a
  two-letter country serves every UN/LOCODE of that country; for each demand an
  exact-lane card is preferred over a country card, then the card that prices
  the demand cheapest alone (ties: card id).
* Mode family: sea LCL and FCL pool together; air, express, road and rail each
  pool only with themselves.
* Cargo: general, magnetic, powders, liquids and lithium batteries may mix when
  the card accepts each; any other class (e.g. "other_dg") only travels with the
  same class and UN class.
* Date: one ship date inside every member's window, with consolidation and
  transit counted: ready_from + consolidation_days <= ship date,
  ship date + transit_days <= deliver_by, ship date >= today, and the card is
  valid on it. When the partner has offered capacity for the lane and mode, the
  ship date is one of its departures (cutoff not passed) and the pool's total
  weight and volume stay within what is left of it.
* Members and ship dates are chosen by saving (`grouping.partition`), so a
  demand joins a pool only where it lowers the total: where the demands whose
  windows chain together are at most `grouping.EXACT_LIMIT`, the partition that
  costs the market least is found exactly; longer chains are built date by date
  and improved by the local search (moves, swaps, merges and splits, aimed first
  at each pool's part-filled last box) within a budget of pricings per demand.
  Pools on a partner's capacity offers are formed date by date, the departure
  that covers the most open demands first, within what is left of it, so no
  offer is overbooked.
* Price: every price comes from the tariff engine. Weight-rated modes ship as
  one consignment (`price_consignment` on the totals, so weight breaks apply).
  Sea pools are packed into the card's containers plus LCL by `plan_sea` (its
  fast fills while candidate pools are compared, the exact plan for the pools
  proposed), which prices candidate plans by total only (`CardPricer.plan_total`, equal to
  `price_sea_plan(...).total`); the chosen plan is then quoted in full. Each
  member's standalone cost is the total of `price` for its own load on the
  same card (`CardPricer.price_total`), a whole load never split.
* A pool is proposed only when it has at least two members and its total is
  below the sum of their standalone costs. The pooled total is split in
  proportion to standalone costs with the largest-remainder method, so no
  member's share exceeds its standalone cost.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from pooling.domain import fit, grouping, packing, wording
from pooling.domain.money import largest_remainder, quantum
from pooling.domain.proposals import (
    MatchResult,
    MemberProposal,
    PoolProposal,
    Unplaced,
    collector_paused,
    dec_str,
    fmt_money,
    signature,
)
from pooling.domain.tariff import (
    CardPricer,
    RateCard,
    TariffError,
    price_consignment,
    price_sea_plan,
)
from pooling.domain.units import (
    KG,
    KG_PER_CBM,
    WM,
    Mode,
    chargeable_weight,
    mode_family,
)
from pooling.domain.wording import counted

KIND = "logistics"
ZERO = Decimal(0)
THOUSAND = Decimal(1000)
_UNPRICEABLE = Decimal("Infinity")
MIXABLE_CLASSES = fit.MIXABLE_CLASSES
_FAMILY_LABEL = {
    "sea": "sea",
    "air": "air",
    "express": "express",
    "road": "road",
    "rail": "rail",
}


@dataclass(frozen=True)
class DemandIn:
    """A firm's shipping need on one lane within a ready/deliver-by window."""

    id: int
    firm_id: int
    origin: str
    destination: str
    mode: Mode
    cargo_class: str
    un_class: str
    gross_kg: Decimal
    volume_cbm: Decimal
    splittable: bool
    ready_from: date
    deliver_by: date


@dataclass(frozen=True)
class LaneCard:
    """A partner's rate card and the dates it is valid (valid_to None: open-ended)."""

    card: RateCard
    partner_id: int
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class CapacityIn:
    """Capacity a partner offers on one departure (kg/cbm None: not limited)."""

    id: int
    partner_id: int
    rate_card_id: int | str | None
    origin: str
    destination: str
    mode: Mode
    departure: date
    cutoff: date
    kg: Decimal | None
    cbm: Decimal | None
    equipment: Mapping[str, int]


# ----------------------------------------------------------------------- helpers

_FAMILIES: dict[str, str] = {mode: mode_family(mode) for mode in Mode}


def _family(mode: Mode | str) -> str:
    """`mode_family` by table lookup (Mode is a str enum, so both spellings hit)."""
    family = _FAMILIES.get(mode)
    return family if family is not None else mode_family(mode)



def _lane(demand: DemandIn) -> str:
    return f"{demand.origin}\u2192{demand.destination}"


def _mixing_key(cargo_class: str, un_class: str) -> tuple[str, str]:
    """Demands with equal keys may share a pool (the card must still accept each)."""
    if cargo_class in MIXABLE_CLASSES:
        return ("mix", "")
    return (cargo_class, un_class)


def _card_key(lane: LaneCard) -> tuple[str, str]:
    return (str(lane.card.id), f"{lane.card.version:09d}")


_demand_key = attrgetter("id")
_window_key = attrgetter("last", "first")


class _Quotes:
    """Pricers per rate card; each prices a load alone from its totals-only tables.

    A demand is priced alone once per card it could take (the cheapest card is
    remembered on its candidate), so standalone totals need no cache of their own;
    the pricer keeps what repeats (lines per chargeable kg, W/M and container count).
    """

    def __init__(self) -> None:
        self._pricers: dict[int, tuple[RateCard, CardPricer]] = {}

    def pricer(self, card: RateCard) -> CardPricer:
        # Keyed by identity and holding the card, so the key cannot be reused.
        hit = self._pricers.get(id(card))
        if hit is None:
            hit = self._pricers[id(card)] = (card, CardPricer(card))
        return hit[1]

    def standalone(self, card: RateCard, demand: DemandIn) -> Decimal:
        """The total of `price(card, ...)` for one load shipped alone (whole stays whole)."""
        return self.pricer(card).price_total(demand.gross_kg, demand.volume_cbm,
                                             demand.splittable)


@dataclass(slots=True)
class _Candidate:
    """A demand with the card chosen for it and its feasible ship window."""

    demand: DemandIn
    lane: LaneCard
    first: date
    last: date
    standalone: Decimal | None = None
    _chargeable: Decimal | None = None
    entry: _Entry | None = None
    _load: packing.Load | None = None

    def load(self) -> packing.Load:
        """The demand as the packing engine's load (made once: pools are priced often)."""
        if self._load is None:
            d = self.demand
            self._load = packing.Load(id=d.id, volume_cbm=d.volume_cbm, gross_kg=d.gross_kg,
                                      splittable=d.splittable)
        return self._load

    def chargeable_kg(self, card: RateCard) -> Decimal:
        if self._chargeable is None:
            d = self.demand
            factor = card.kg_per_cbm
            if factor is None:
                factor = KG_PER_CBM.get(card.mode)
            if factor is None:
                return chargeable_weight(card.mode, d.gross_kg, d.volume_cbm, card.kg_per_cbm)
            # chargeable_weight's formula, without converting the mode each time
            self._chargeable = max(d.gross_kg, d.volume_cbm * factor).quantize(
                KG, ROUND_HALF_UP
            )
        return self._chargeable


@dataclass
class _Offer:
    departure: date
    kg: Decimal | None
    cbm: Decimal | None
    ids: list[int] = field(default_factory=list)


class _Windows:
    """`_window` of each demand on each card, worked out once per distinct input: many
    demands share their ready and deliver-by dates, and the dates are all the rule reads."""

    __slots__ = ("_found", "consolidation_days", "today")

    def __init__(self, today: date, consolidation_days: int) -> None:
        self.today = today
        self.consolidation_days = consolidation_days
        self._found: dict[tuple[int, date, date], tuple[date, date, str | None]] = {}

    def of(self, demand: DemandIn, lane: LaneCard) -> tuple[date, date, str | None]:
        # Keyed by the lane's identity: the card index holds every lane for the call.
        key = (id(lane), demand.ready_from, demand.deliver_by)
        hit = self._found.get(key)
        if hit is None:
            hit = self._found[key] = _window(demand, lane, self.today, self.consolidation_days)
        return hit


def _window(
    demand: DemandIn, lane: LaneCard, today: date, consolidation_days: int
) -> tuple[date, date, str | None]:
    """The feasible ship dates of a demand on a card, or a reason there are none
    (which depends on the demand's dates alone)."""
    card = lane.card
    dates = fit.open_dates(
        ready_from=demand.ready_from, deliver_by=demand.deliver_by,
        transit_days=card.transit_days, today=today, valid_from=lane.valid_from,
        valid_to=lane.valid_to, consolidation_days=consolidation_days)
    if dates is not None:
        return dates[0], dates[1], None
    window, why = fit.window_problem(
        ready_from=demand.ready_from, deliver_by=demand.deliver_by,
        transit_days=card.transit_days, today=today, valid_from=lane.valid_from,
        valid_to=lane.valid_to, card_label=f"{card.id} v{card.version}",
        consolidation_days=consolidation_days)
    return window.first, window.last, why


def _too_heavy(demand: DemandIn, card: RateCard) -> str | None:
    """Why a sea demand cannot be shipped at all on this card, or None."""
    if _family(card.mode) != "sea" or demand.splittable or card.lcl_rate_per_wm is not None:
        return None
    if not card.equipment:
        return f"rate card {card.id} v{card.version} offers neither containers nor LCL"
    payload = max(e.payload_kg for e in card.equipment)
    if demand.gross_kg > payload:
        return (
            f"heavier than any container's payload ({wording.kg(payload)}) and the rate card has "
            f"no LCL rate"
        )
    space = max(e.usable_cbm for e in card.equipment)
    if demand.volume_cbm > space:
        return (
            f"larger than any container's usable space ({wording.number(space)} CBM) and the rate card "
            f"has no LCL rate"
        )
    return None


@dataclass(frozen=True)
class _CheckedCard(RateCard):
    """A rate card already validated once, so repeated pricing skips re-validation."""

    def validate(self) -> None:
        return None


def _checked(card: RateCard) -> RateCard:
    card.validate()
    return _CheckedCard(**{f.name: getattr(card, f.name) for f in fields(RateCard)})


class _Entry:
    """One usable card on a lane, with what every demand check needs worked out once."""

    __slots__ = ("accepts", "card", "group_key", "heavy_check", "lane", "transit",
                 "valid_from", "valid_to")

    def __init__(self, lane: LaneCard) -> None:
        card = lane.card
        self.lane = lane
        self.card = card
        self.valid_from = lane.valid_from
        self.valid_to = lane.valid_to
        self.group_key = (_card_key(lane), lane.partner_id)
        self.accepts = frozenset(card.allowed_cargo_classes)
        # Only a sea card without an LCL rate can refuse a load for its size.
        self.heavy_check = _family(card.mode) == "sea" and card.lcl_rate_per_wm is None


class _CardIndex:
    """Rate cards by origin, destination (LOCODE or country) and mode family."""

    def __init__(self, cards: Iterable[LaneCard]) -> None:
        self._by: dict[tuple[str, str, str], list[_Entry]] = defaultdict(list)
        self.invalid: dict[tuple[str, str, str], str] = {}
        self._tiers: dict[tuple[str, str, str], tuple[list[_Entry], list[_Entry]]] = {}
        for lane in sorted(cards, key=lambda c: (_card_key(c), c.partner_id, c.valid_from)):
            card = lane.card
            key = (card.origin, card.destination, _family(card.mode))
            try:
                checked = _checked(card)
            except TariffError as exc:
                self.invalid.setdefault(
                    key, f"rate card {card.id} v{card.version} cannot be used: {exc}"
                )
                continue
            self._by[key].append(_Entry(replace(lane, card=checked)))

    def invalid_reason(self, demand: DemandIn) -> str | None:
        family = _family(demand.mode)
        return self.invalid.get(
            (demand.origin, demand.destination, family),
            self.invalid.get((demand.origin, demand.destination[:2], family)),
        )

    def for_demand(self, demand: DemandIn) -> tuple[list[_Entry], list[_Entry]]:
        """Exact-lane cards, then country cards (worked out once per lane and mode)."""
        key = (demand.origin, demand.destination, demand.mode)
        hit = self._tiers.get(key)
        if hit is None:
            family = _family(demand.mode)
            hit = self._tiers[key] = (
                self._by.get((demand.origin, demand.destination, family), []),
                self._by.get((demand.origin, demand.destination[:2], family), []),
            )
        return hit


def _choose(
    demand: DemandIn,
    index: _CardIndex,
    quotes: _Quotes,
    windows: _Windows,
) -> tuple[_Candidate | None, str]:
    """The card a demand pools on (exact lane first, then cheapest), or a reason."""
    exact, country = index.for_demand(demand)
    if not exact and not country:
        invalid = index.invalid_reason(demand)
        if invalid is not None:
            return None, invalid
        return None, (
            f"no rate card for {_lane(demand)} by {_FAMILY_LABEL[_family(demand.mode)]}"
        )
    first_reason = ""
    cargo = demand.cargo_class
    for tier in (exact, country):
        fits: list[_Candidate] = []
        for entry in tier:
            card = entry.card
            why: str | None = None
            if cargo not in entry.accepts:
                why = (
                    f"cargo class {demand.cargo_class} is not accepted by rate card "
                    f"{card.id} v{card.version} on {_lane(demand)}"
                )
            elif entry.heavy_check and not demand.splittable:
                why = _too_heavy(demand, card)
            if why is None:
                first, last, why = windows.of(demand, entry.lane)
                if why is None:
                    fits.append(_Candidate(demand, entry.lane, first, last, entry=entry))
                    continue
            first_reason = first_reason or (why or "")
        if len(fits) == 1:
            return fits[0], ""
        if fits:
            best: tuple[Decimal, tuple[str, str], _Candidate] | None = None
            for cand in fits:
                try:
                    total = quotes.standalone(cand.lane.card, demand)
                except TariffError as exc:
                    first_reason = first_reason or str(exc)
                    continue
                cand.standalone = total
                card_key = cand.entry.group_key[0] if cand.entry else _card_key(cand.lane)
                key = (total, card_key, cand)
                if best is None or key[:2] < best[:2]:
                    best = key
            if best is not None:
                return best[2], ""
    return None, first_reason


# ------------------------------------------------------------------- stabbing


class _Stabber:
    """Open intervals [first, last]; counts how many cover a date via bisection."""

    def __init__(self, items: Sequence[_Candidate]) -> None:
        self.starts = sorted([c.first for c in items])
        self.ends = sorted([c.last for c in items])

    def remove(self, items: Iterable[_Candidate]) -> None:
        """Drop intervals that were taken (only the counts matter, not which is which)."""
        starts = self.starts
        ends = self.ends
        for c in items:
            del starts[bisect.bisect_left(starts, c.first)]
            del ends[bisect.bisect_left(ends, c.last)]

    def count(self, day: date) -> int:
        return bisect.bisect_right(self.starts, day) - bisect.bisect_left(self.ends, day)

    def best(self, dates: Iterable[date]) -> tuple[date | None, int]:
        best_day: date | None = None
        best_n = 0
        for day in sorted(set(dates)):
            n = self.count(day)
            if n > best_n:
                best_day, best_n = day, n
        return best_day, best_n


# -------------------------------------------------------------------- pricing


@dataclass
class _Priced:
    total: Decimal
    note: str
    plan: dict[str, object]


def _price_consolidation(card: RateCard, members: Sequence[_Candidate]) -> _Priced:
    gross = sum((c.demand.gross_kg for c in members), ZERO)
    cbm = sum((c.demand.volume_cbm for c in members), ZERO)
    quote = price_consignment(card, gross_kg=gross, volume_cbm=cbm)
    freight = [
        {
            "code": line.charge_code,
            "description": line.description,
            "quantity": dec_str(line.quantity),
            "unit_price": dec_str(line.unit_price),
            "amount": dec_str(line.amount),
        }
        for line in quote.freight_lines()
    ]
    applied = quote.freight_lines()[0] if quote.freight_lines() else None
    plan: dict[str, object] = {
        "type": "consignment",
        "total_gross_kg": dec_str(gross),
        "total_volume_cbm": dec_str(cbm),
        "total_chargeable_kg": dec_str(quote.chargeable_kg),
        "break_applied": applied.description if applied is not None else "",
        "charged_kg": dec_str(applied.quantity) if applied is not None else "0",
        "rate_per_kg": dec_str(applied.unit_price) if applied is not None else "0",
        "freight_lines": freight,
        "note": quote.note,
        "members": [
            {
                "need_id": c.demand.id,
                "gross_kg": dec_str(c.demand.gross_kg),
                "volume_cbm": dec_str(c.demand.volume_cbm),
                "chargeable_kg": dec_str(c.chargeable_kg(card)),
            }
            for c in members
        ],
    }
    return _Priced(quote.total, quote.note, plan)


class _SeaCard:
    """A sea card as the packing engine takes it: its container types, the plan cost on
    its pricer and the price slack; made once per card, as its pools are planned often."""

    __slots__ = ("plan_cost", "pricer", "slack", "types")

    def __init__(self, card: RateCard, pricer: CardPricer) -> None:
        self.pricer = pricer
        self.types = [
            packing.ContainerType(
                code=e.code, price=e.price, usable_cbm=e.usable_cbm, payload_kg=e.payload_kg
            )
            for e in card.equipment
        ]
        has_lcl = card.lcl_rate_per_wm is not None
        total_of = pricer.plan_total_of

        def plan_cost(codes: Sequence[str], lcl_kg: Decimal, lcl_cbm: Decimal) -> Decimal:
            has_cargo = lcl_kg > 0 or lcl_cbm > 0
            if has_cargo and not has_lcl:
                return _UNPRICEABLE  # no LCL rate: a plan that leaves cargo outside boxes fails
            if not codes and not has_cargo:
                return ZERO
            return total_of(tuple(codes), lcl_kg, lcl_cbm)

        self.plan_cost = plan_cost
        # Each container line is rounded once, so a plan never costs less than its
        # containers' prices minus half a minor unit per container type.
        self.slack = quantum(card.currency) * len(self.types)

    def lcl_cost(self, lcl_kg: Decimal, lcl_cbm: Decimal) -> Decimal:
        return self.plan_cost((), lcl_kg, lcl_cbm)


def _fast_plan(sea: _SeaCard, members: Sequence[_Candidate]) -> packing.SeaPlan:
    """The sea planner's fast fills for these members (what candidate pools are compared by)."""
    return packing.plan_sea(
        [c.load() for c in members], sea.types, sea.lcl_cost, fixed_cost=sea.plan_cost,
        price_slack=sea.slack, exact=False,
    )


def _sea_total(card: RateCard, members: Sequence[_Candidate], pricer: CardPricer) -> Decimal:
    """The pooled total of the fast plan."""
    return _fast_plan(_SeaCard(card, pricer), members).cost


def _sea_quote(card: RateCard, plan: packing.SeaPlan, pricer: CardPricer) -> grouping.Quote:
    """A fast plan's total and shape, in CBM: room left in its boxes, what ships LCL,
    what would have to leave before a box can go, what upgrading a box adds (the
    shape measured only when the search reads it)."""

    def measure() -> grouping.Shape:
        usable = {e.code: e.usable_cbm for e in card.equipment}
        room = sum((usable[box.code] - box.used_cbm for box in plan.containers), ZERO)
        spill = plan.lcl_cbm
        shed, grow = _shed_and_grow(card, plan, pricer) if plan.containers else (ZERO, ZERO)
        return float(room), float(spill), float(shed) if spill <= 0 else 0.0, float(grow)

    return grouping.Quote(plan.cost, measure=measure)


def _shed_and_grow(card: RateCard, plan: packing.SeaPlan, pricer: CardPricer
                   ) -> tuple[Decimal, Decimal]:
    """By volume, for a plan's boxes: the least CBM that must leave before one box can go
    or give way to a cheaper one, and the CBM the cheapest upgrade of one box (to a
    bigger type, per CBM gained) adds; each 0 when there is none."""
    counts = pricer.counts([box.code for box in plan.containers])
    equipment = list(card.equipment)
    capacity = sum((e.usable_cbm * n for e, n in zip(equipment, counts, strict=True)), ZERO)
    used = sum((box.used_cbm for box in plan.containers), ZERO)
    cost = pricer.plan_total(counts, ZERO, ZERO)
    shed: Decimal | None = None
    grow: tuple[Decimal, Decimal] | None = None
    for k, rate in enumerate(equipment):
        if not counts[k]:
            continue
        for other in [None, *equipment]:
            if other is not None and other.code == rate.code:
                continue
            changed = list(counts)
            changed[k] -= 1
            room = capacity - rate.usable_cbm
            if other is not None:
                changed[equipment.index(other)] += 1
                room += other.usable_cbm
            if not any(changed):
                continue
            price = pricer.plan_total(changed, ZERO, ZERO)
            if price < cost and used - room > 0 and (shed is None or used - room < shed):
                shed = used - room
            gained = room - capacity
            if price > cost and gained > 0:
                per = (price - cost) / gained
                if grow is None or per < grow[0]:
                    grow = (per, gained)
    return (shed or ZERO), (grow[1] if grow is not None else ZERO)


def _price_sea(
    card: RateCard, members: Sequence[_Candidate], pricer: CardPricer | None = None,
    fast_plan: packing.SeaPlan | None = None, on: _SeaCard | None = None,
) -> _Priced:
    """The exact plan and quote of these members; `fast_plan` is `_fast_plan` of the same
    members, when the pool was scored by it (`on`: the card's `_SeaCard`, when made)."""
    if on is None:
        on = _SeaCard(card, pricer if pricer is not None else CardPricer(card))
    pricer = on.pricer
    # Candidates are priced by total only; the chosen plan gets its full quote below.
    sea = packing.plan_sea([c.load() for c in members], on.types, on.lcl_cost,
                           fixed_cost=on.plan_cost, price_slack=on.slack, fast_plan=fast_plan)
    codes = [c.code for c in sea.containers]
    lcl_kg = sum((p.gross_kg for p in sea.lcl), ZERO)
    lcl_cbm = sum((p.volume_cbm for p in sea.lcl), ZERO)
    # The plan's total, W/M and note exactly as `price_sea_plan` quotes them.
    if not codes and lcl_kg <= 0 and lcl_cbm <= 0:
        price_sea_plan(card, containers=codes, lcl_gross_kg=lcl_kg, lcl_volume_cbm=lcl_cbm)
    total, wm, note = pricer.plan_summary(pricer.counts(codes), lcl_kg, lcl_cbm)
    containers: list[dict[str, object]] = []
    for box in sea.containers:
        containers.append(
            {
                "code": box.code,
                "used_cbm": dec_str(sum((p.volume_cbm for p in box.placements), ZERO)),
                "used_kg": dec_str(sum((p.gross_kg for p in box.placements), ZERO)),
                "members": [
                    {
                        "need_id": p.load_id,
                        "volume_cbm": dec_str(p.volume_cbm),
                        "gross_kg": dec_str(p.gross_kg),
                    }
                    for p in box.placements
                ],
            }
        )
    plan: dict[str, object] = {
        "type": "sea",
        "containers": containers,
        "lcl": {
            "volume_cbm": dec_str(lcl_cbm),
            "gross_kg": dec_str(lcl_kg),
            "revenue_tons": dec_str(wm),
            "members": [
                {
                    "need_id": p.load_id,
                    "volume_cbm": dec_str(p.volume_cbm),
                    "gross_kg": dec_str(p.gross_kg),
                }
                for p in sea.lcl
            ],
        },
        "note": note,
    }
    return _Priced(total, note, plan)


# ----------------------------------------------------------------- the matcher


@dataclass
class _Group:
    """Demands on one card, one exact lane and one cargo mixing key."""

    lane: LaneCard
    origin: str
    destination: str
    members: list[_Candidate]
    # The members' chains of overlapping windows (`grouping.components`), once worked out.
    parts: list[list[int]] | None = None


def _offers_for(
    group: _Group,
    capacities: Mapping[tuple[str, Mode], list[CapacityIn]],
    today: date,
    book: dict[tuple[int, ...], list[_Offer]],
) -> list[_Offer] | None:
    """Departures open on the group's lane, or None when the partner offers no capacity.

    Groups drawing on the same offers share one `_Offer` per departure (kept in
    `book`), so capacity used by one pool is gone for the next.
    """
    card = group.lane.card
    relevant = [
        c
        for c in capacities.get((group.origin, Mode(card.mode)), ())
        if c.destination in (group.destination, card.destination)
        and c.partner_id == group.lane.partner_id
        and (c.rate_card_id is None or str(c.rate_card_id) == str(card.id))
    ]
    if not relevant:
        return None
    book_key = tuple(c.id for c in relevant)
    if book_key in book:
        return book[book_key]
    by_day: dict[date, _Offer] = {}
    for cap in sorted(relevant, key=lambda c: (c.departure, c.id)):
        if cap.cutoff < today or cap.departure < today:
            continue
        if cap.departure < group.lane.valid_from or (
            group.lane.valid_to is not None and cap.departure > group.lane.valid_to
        ):
            continue
        offer = by_day.get(cap.departure)
        if offer is None:
            by_day[cap.departure] = _Offer(cap.departure, cap.kg, cap.cbm, [cap.id])
            continue
        offer.kg = None if offer.kg is None or cap.kg is None else offer.kg + cap.kg
        offer.cbm = None if offer.cbm is None or cap.cbm is None else offer.cbm + cap.cbm
        offer.ids.append(cap.id)
    book[book_key] = [by_day[d] for d in sorted(by_day)]
    return book[book_key]


def _fit_capacity(members: list[_Candidate], offer: _Offer | None) -> list[_Candidate]:
    if offer is None or (offer.kg is None and offer.cbm is None):
        return members
    kept: list[_Candidate] = []
    kg = ZERO
    cbm = ZERO
    for cand in members:
        d = cand.demand
        if offer.kg is not None and kg + d.gross_kg > offer.kg:
            continue
        if offer.cbm is not None and cbm + d.volume_cbm > offer.cbm:
            continue
        kept.append(cand)
        kg += d.gross_kg
        cbm += d.volume_cbm
    return kept


def _proposal(
    group: _Group,
    ship_date: date,
    members: list[_Candidate],
    priced: _Priced,
    standalone: list[Decimal],
    offer: _Offer | None,
    consolidation_days: int,
    max_members: int,
) -> PoolProposal:
    card = group.lane.card
    cur = card.currency
    shares = largest_remainder(priced.total, standalone, cur)
    q = quantum(cur)
    rows: list[MemberProposal] = []
    for cand, alone, share in zip(members, standalone, shares, strict=True):
        d = cand.demand
        saving = alone - share
        # In field order: need, firm, standalone cost, share, saving, chargeable kg,
        # revenue tons (units.revenue_tons, inline), CBM, budget and note.
        rows.append(MemberProposal(
            d.id, d.firm_id, alone, share, saving, cand.chargeable_kg(card),
            max(d.gross_kg / THOUSAND, d.volume_cbm).quantize(WM, ROUND_HALF_UP),
            d.volume_cbm, ZERO,
            f"saves {cur} {saving.quantize(q, ROUND_HALF_UP):,} against shipping alone",
        ))
    standalone_total = sum(standalone, ZERO)
    family = _family(card.mode)
    arrival = ship_date + timedelta(days=card.transit_days)
    classes = sorted({c.demand.cargo_class for c in members})
    reasons = [
        f"{counted(len(members), 'demand', whole=True).capitalize()} ship "
        f"{group.origin}\u2192{group.destination} by "
        f"{_FAMILY_LABEL[family]} on rate card {card.id} v{card.version} "
        f"({card.origin}\u2192{card.destination}).",
        f"Ship date {ship_date.isoformat()} lies in every window: each is ready at least "
        f"{consolidation_days} days before it, and with {card.transit_days} days' transit "
        f"the cargo arrives {arrival.isoformat()}, before every deliver-by date.",
        f"Cargo classes {', '.join(classes)} may travel together and the card accepts each.",
        f"Pooled cost {fmt_money(priced.total, cur)} against {fmt_money(standalone_total, cur)} "
        f"shipped separately ({priced.note.rstrip('.')}).",
    ]
    if offer is not None:
        reasons.append(
            f"Fits the capacity offered for the {ship_date.isoformat()} departure."
        )
    plan = dict(priced.plan)
    plan.update(
        {
            "rate_card_id": str(card.id),
            "rate_card_version": card.version,
            "ship_date": ship_date.isoformat(),
            "arrival": arrival.isoformat(),
            "currency": cur,
            "total_cost": dec_str(priced.total),
            "standalone_total": dec_str(standalone_total),
            "capacity_offer_ids": list(offer.ids) if offer is not None else [],
        }
    )
    need_ids = [c.demand.id for c in members]
    return PoolProposal(
        kind=KIND,
        signature=signature(
            KIND, card.id, card.version, ship_date.isoformat(), need_ids=need_ids
        ),
        currency=cur,
        total_cost=priced.total,
        standalone_total=standalone_total,
        members=tuple(rows),
        plan=plan,
        reasons=tuple(reasons),
        rate_card_id=card.id,
        rate_card_version=card.version,
        origin=group.origin,
        destination=group.destination,
        mode=Mode(card.mode).value,
        ship_date=ship_date,
        capacity=max_members,
    )


def _match_group(
    group: _Group,
    capacities: Mapping[tuple[str, Mode], list[CapacityIn]],
    book: dict[tuple[int, ...], list[_Offer]],
    quotes: _Quotes,
    today: date,
    consolidation_days: int,
    max_members: int,
    budget: grouping.Budget = grouping.DEFAULT_BUDGET,
    share: float = 1.0,
) -> tuple[list[PoolProposal], dict[int, str], grouping.Search]:
    """A lane group's pools, the reasons for the demands left out and how they were found.

    Without capacity offers the group is partitioned by saving; on offers it is formed
    date by date (each pool on one departure, within what is left of it), so no offer
    is ever overbooked."""
    card = group.lane.card
    is_sea = _family(card.mode) == "sea"
    offers = _offers_for(group, capacities, today, book)
    if offers is None:
        return _match_group_by_saving(group, quotes, consolidation_days, max_members,
                                      budget, share)
    reasons: dict[int, str] = {}
    pools: list[PoolProposal] = []
    search = grouping.Search(by_date=1)
    if not offers:
        for cand in group.members:
            reasons[cand.demand.id] = (
                f"no open departure on {group.origin}\u2192{group.destination} "
                f"for rate card {card.id}"
            )
        return pools, reasons, search
    on = _SeaCard(card, quotes.pricer(card)) if is_sea else None
    # Members were added in demand id order, so a stable sort on the window keeps
    # equal windows in id order.
    open_ = sorted(group.members, key=_window_key)
    dead_dates: set[date] = set()
    offer_by_day = {o.departure: o for o in offers} if offers is not None else {}
    stab = _Stabber(open_)
    price_alone: Callable[[Decimal, Decimal, bool], Decimal] | None = None
    while len(open_) >= 2:
        if offers is not None:
            dates = [d for d in offer_by_day if d not in dead_dates]
        else:
            dates = [c.first for c in open_ if c.first not in dead_dates]
        day, covered = stab.best(dates)
        if day is None or covered < 2:
            break
        cover = [c for c in open_ if c.first <= day <= c.last]
        offer = offer_by_day.get(day)
        members = _fit_capacity(cover, offer)[:max_members]
        if len(members) < 2:
            dead_dates.add(day)
            for cand in cover:
                reasons.setdefault(
                    cand.demand.id,
                    f"not enough capacity left on the {day.isoformat()} departure",
                )
            continue
        standalone: list[Decimal] = []
        kept: list[_Candidate] = []
        for cand in members:
            try:
                alone = cand.standalone
                if alone is None:
                    if price_alone is None:
                        price_alone = quotes.pricer(card).price_total
                    alone = price_alone(cand.demand.gross_kg, cand.demand.volume_cbm,
                                        cand.demand.splittable)
            except TariffError as exc:
                reasons[cand.demand.id] = str(exc)
                continue
            kept.append(cand)
            standalone.append(alone)
        taken = {id(c) for c in members}
        open_ = [c for c in open_ if id(c) not in taken]
        stab.remove(members)
        if len(kept) < 2:
            continue
        ids = [c.demand.id for c in kept]
        order = sorted(range(len(kept)), key=ids.__getitem__)
        kept = [kept[i] for i in order]
        standalone = [standalone[i] for i in order]
        try:
            priced = (
                _price_sea(card, kept, on=on) if on is not None
                else _price_consolidation(card, kept)
            )
        except (TariffError, packing.PackingError) as exc:
            for cand in kept:
                reasons[cand.demand.id] = f"the pooled shipment cannot be priced: {exc}"
            continue
        if priced.total >= sum(standalone, ZERO):
            for cand in kept:
                reasons[cand.demand.id] = (
                    f"pooling does not save on rate card {card.id} v{card.version}"
                )
            continue
        if offer is not None:
            if offer.kg is not None:
                offer.kg -= sum((c.demand.gross_kg for c in kept), ZERO)
            if offer.cbm is not None:
                offer.cbm -= sum((c.demand.volume_cbm for c in kept), ZERO)
        for cand in kept:
            reasons.pop(cand.demand.id, None)
        pools.append(
            _proposal(
                group, day, kept, priced, standalone, offer, consolidation_days, max_members
            )
        )
    for cand in open_:
        reasons.setdefault(
            cand.demand.id,
            f"no other demand on the lane fits its window "
            f"({cand.first.isoformat()} to {cand.last.isoformat()} as ship dates)",
        )
    return pools, reasons, search


def _match_group_by_saving(
    group: _Group, quotes: _Quotes, consolidation_days: int, max_members: int,
    budget: grouping.Budget = grouping.DEFAULT_BUDGET, share: float = 1.0,
) -> tuple[list[PoolProposal], dict[int, str], grouping.Search]:
    """Pools for a group without capacity limits: the partition that saves most in total.

    Sea demands carry their volume as the size that guides the search's moves, and sea
    pools are compared by the fast plan's quote (its total, the room left in its boxes,
    what ships LCL, what it would shed or could grow); the pools chosen get the exact
    plan."""
    card = group.lane.card
    is_sea = _family(card.mode) == "sea"
    pricer = quotes.pricer(card)
    reasons: dict[int, str] = {}
    cands: list[_Candidate] = []
    standalone: list[Decimal] = []
    for cand in group.members:  # in demand id order, as they were added
        d = cand.demand
        try:
            alone = cand.standalone
            if alone is None:
                alone = pricer.price_total(d.gross_kg, d.volume_cbm, d.splittable)
        except TariffError as exc:
            reasons[d.id] = str(exc)
            continue
        cands.append(cand)
        standalone.append(alone)
    needs = [grouping.Need(c.first, c.last, alone,
                           float(c.demand.volume_cbm) if is_sea else 0.0)
             for c, alone in zip(cands, standalone, strict=True)]
    failures: dict[int, str] = {}
    fast_plans: dict[tuple[int, ...], packing.SeaPlan] = {}
    on = _SeaCard(card, pricer) if is_sea else None

    def price(members: tuple[int, ...]) -> grouping.Quote | Decimal | None:
        chosen = [cands[i] for i in members]
        try:
            if on is not None:
                plan = fast_plans[members] = _fast_plan(on, chosen)
                return _sea_quote(card, plan, pricer)
            gross = sum((c.demand.gross_kg for c in chosen), ZERO)
            cbm = sum((c.demand.volume_cbm for c in chosen), ZERO)
            return pricer.consignment_total(gross, cbm)
        except (TariffError, packing.PackingError) as exc:
            for i in members:
                failures.setdefault(i, f"the pooled shipment cannot be priced: {exc}")
            return None

    # Members are in id order: the chains worked out on them hold unless some could not
    # be priced alone.
    parts = group.parts if len(cands) == len(group.members) else None
    if parts is None:
        parts = grouping.components(needs)
    found, search = grouping.partition(needs, price, max_members=max_members,
                                       budget=budget, share=share, parts=parts)
    pools: list[PoolProposal] = []
    pooled: set[int] = set()
    for g in found:
        kept = [cands[i] for i in g.members]
        alone_costs = [standalone[i] for i in g.members]
        try:
            priced = (_price_sea(card, kept, pricer, fast_plans.get(g.members), on) if is_sea
                      else _price_consolidation(card, kept))
        except (TariffError, packing.PackingError) as exc:  # pragma: no cover - priced above
            for cand in kept:
                reasons[cand.demand.id] = f"the pooled shipment cannot be priced: {exc}"
            continue
        if priced.total >= sum(alone_costs, ZERO):  # pragma: no cover - exact is cheaper
            continue
        pooled.update(g.members)
        pools.append(_proposal(group, g.ship_date, kept, priced, alone_costs, None,
                               consolidation_days, max_members))
    # Per demand with others in its chain: whether the chain was solved exactly.
    exact: dict[int, bool] = {}
    for part in parts:
        if len(part) >= 2:
            exact.update(dict.fromkeys(part, grouping.is_exact(part, needs)))
    for i, cand in enumerate(cands):
        if i in pooled:
            continue
        d = cand.demand
        if i in failures:
            reasons[d.id] = failures[i]
        elif exact.get(i):
            reasons[d.id] = (
                f"pooling does not save on rate card {card.id} v{card.version}: no group "
                f"with a common ship date costs less than its members alone"
            )
        elif i in exact:
            shipping = [p for p in pools
                        if p.ship_date is not None and cand.first <= p.ship_date <= cand.last]
            full = bool(shipping) and all(len(p.members) >= max_members for p in shipping)
            reasons[d.id] = (
                f"every pool on rate card {card.id} v{card.version} shipping in its window "
                f"is full ({max_members} demands), and no other group the search tried with "
                f"it costs less than its members alone" if full else
                f"pooling does not save on rate card {card.id} v{card.version}: no group the "
                f"search tried with it costs less than its members alone"
            )
        else:
            reasons[d.id] = (
                f"no other demand on the lane fits its window "
                f"({cand.first.isoformat()} to {cand.last.isoformat()} as ship dates)"
            )
    return pools, reasons, search


def pool_total(card: RateCard, demands: Sequence[DemandIn], *, exact: bool = False) -> Decimal:
    """What these demands cost shipped as one consolidation on `card`, as grouping prices
    candidate pools (`exact=False`: the sea planner's fast fills) or as proposed.

    Raises `TariffError` or `packing.PackingError` when it cannot be priced.
    """
    pricer = CardPricer(card)
    lane = LaneCard(card=card, partner_id=0, valid_from=date.min, valid_to=None)
    members = [_Candidate(demand=d, lane=lane, first=date.min, last=date.min)
               for d in sorted(demands, key=_demand_key)]
    if _family(card.mode) == "sea":
        if exact:
            return _price_sea(card, members, pricer).total
        return _sea_total(card, members, pricer)
    gross = sum((d.gross_kg for d in demands), ZERO)
    cbm = sum((d.volume_cbm for d in demands), ZERO)
    return pricer.consignment_total(gross, cbm)


def price_pool(
    card: RateCard,
    demands: Sequence[DemandIn],
    *,
    ship_date: date,
    partner_id: int = 0,
    consolidation_days: int = fit.CONSOLIDATION_DAYS,
    capacity: int = 40,
) -> PoolProposal | None:
    """Price `demands` as one consolidation on `card` shipping on `ship_date`.

    The proposal matching would make for exactly these members (standalone
    costs, packing, shares, plan and reasons), whether or not it saves; None
    when there are no demands. Raises `TariffError` or `packing.PackingError`
    when the pooled shipment cannot be priced.
    """
    if not demands:
        return None
    members = sorted(demands, key=_demand_key)
    lane = LaneCard(card=card, partner_id=partner_id, valid_from=date.min, valid_to=None)
    candidates = [_Candidate(demand=d, lane=lane, first=ship_date, last=ship_date)
                  for d in members]
    pricer = CardPricer(card)
    standalone = [pricer.price_total(d.gross_kg, d.volume_cbm, d.splittable) for d in members]
    if _family(card.mode) == "sea":
        priced = _price_sea(card, candidates, pricer)
    else:
        priced = _price_consolidation(card, candidates)
    group = _Group(lane, members[0].origin, members[0].destination, candidates)
    return _proposal(
        group, ship_date, candidates, priced, standalone, None, consolidation_days, capacity
    )


def match_logistics(
    demands: Iterable[DemandIn],
    cards: Iterable[LaneCard],
    capacities: Iterable[CapacityIn],
    *,
    today: date,
    consolidation_days: int = fit.CONSOLIDATION_DAYS,
    max_members: int = 40,
    budget: grouping.Budget = grouping.DEFAULT_BUDGET,
) -> MatchResult:
    """Propose consolidations of compatible demands that cost less than shipping alone.

    `budget` is what the grouping search may spend on long chains of demands."""
    with collector_paused():
        return _match_logistics(
            demands, cards, capacities, today, consolidation_days, max_members, budget)


def _match_logistics(
    demands: Iterable[DemandIn],
    cards: Iterable[LaneCard],
    capacities: Iterable[CapacityIn],
    today: date,
    consolidation_days: int,
    max_members: int,
    budget: grouping.Budget,
) -> MatchResult:
    max_members = max(2, max_members)
    index = _CardIndex(cards)
    caps: dict[tuple[str, Mode], list[CapacityIn]] = defaultdict(list)
    for cap in sorted(capacities, key=lambda c: c.id):
        caps[(cap.origin, Mode(cap.mode))].append(cap)
    quotes = _Quotes()
    windows = _Windows(today, consolidation_days)
    book: dict[tuple[int, ...], list[_Offer]] = {}
    unplaced: list[Unplaced] = []
    groups: dict[tuple[tuple[str, str], int, str, str, tuple[str, str]], _Group] = {}
    seen: set[int] = set()
    # The group a demand joins, by the card entry and what else decides its group key.
    joined: dict[tuple[int, str, str, str, str], _Group] = {}
    for demand in sorted(demands, key=_demand_key):
        if demand.id in seen:
            continue
        seen.add(demand.id)
        if demand.gross_kg < ZERO or demand.volume_cbm < ZERO or (
            demand.gross_kg == ZERO and demand.volume_cbm == ZERO
        ):
            unplaced.append(Unplaced(KIND, demand.id, "a demand needs a weight or a volume"))
            continue
        cand: _Candidate | None = None
        exact, country = index.for_demand(demand)
        if len(exact) == 1 and not country:
            # The common case, one card on the lane: _choose's checks inline; any
            # failure goes through _choose for its reason.
            only = exact[0]
            if demand.cargo_class in only.accepts and (
                demand.splittable or not only.heavy_check
            ):
                first, last, why = windows.of(demand, only.lane)
                if why is None:
                    cand = _Candidate(demand, only.lane, first, last, entry=only)
        if cand is None:
            cand, why = _choose(demand, index, quotes, windows)
            if cand is None:
                unplaced.append(Unplaced(KIND, demand.id, why))
                continue
        entry = cand.entry
        join = (id(entry), demand.origin, demand.destination, demand.cargo_class,
                demand.un_class)
        group = joined.get(join) if entry is not None else None
        if group is None:
            card_key, partner_id = (
                entry.group_key if entry is not None
                else (_card_key(cand.lane), cand.lane.partner_id)
            )
            key = (
                card_key,
                partner_id,
                demand.origin,
                demand.destination,
                _mixing_key(demand.cargo_class, demand.un_class),
            )
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(cand.lane, demand.origin, demand.destination, [])
            if entry is not None:
                joined[join] = group
        group.members.append(cand)

    # The call's long chains share its search budget: those of every group without offers.
    sizes: list[int] = []
    for key in sorted(groups):
        group = groups[key]
        if _offers_for(group, caps, today, book) is None:
            group.parts = grouping.components(group.members)
            sizes.extend(grouping.large_components(group.members, parts=group.parts))
    share = budget.share(sizes)
    pools: list[PoolProposal] = []
    search = grouping.Search()
    for key in sorted(groups):
        group = groups[key]
        found, reasons, how = _match_group(
            group, caps, book, quotes, today, consolidation_days, max_members, budget, share)
        pools.extend(found)
        unplaced.extend(Unplaced(KIND, nid, why) for nid, why in reasons.items())
        search.add(how)

    pools.sort(key=lambda p: (p.origin, p.destination, p.mode, p.ship_date or date.min,
                              p.need_ids))
    unplaced.sort(key=lambda u: u.need_id)
    return MatchResult(pools=tuple(pools), unplaced=tuple(unplaced), search=search)


__all__ = [
    "MIXABLE_CLASSES",
    "CapacityIn",
    "DemandIn",
    "LaneCard",
    "match_logistics",
    "pool_total",
    "price_pool",
]
