"""The JSON formats the cooperative stores, each with one type that reads and writes it.

Pure Python. A pool's plan, a member's placement, a programme's spend tiers and a
pool's reasons are stored as JSON; matching, re-pricing, settlement, the API and the
pages read and write them only through these types, so a change of shape is made in
one place. Each stored document carries its format version under "v".

* `TierTerms`: one spend tier of a programme (a rebate or a discount on the whole
  pooled spend once it reaches `min_spend`).
* `Placement`: where one member's load goes: container slots labelled "40HC#2" (the
  second 40HC of the plan) and its LCL part.
* `PoolPlan`: the priced plan of a pool (sea containers and LCL, an air or road
  consignment, or an ad buy) and the problems re-pricing found.
* `PoolReasons`: why the members fit, in lines every invitee may read (each member's
  figures are read from its row when shown, never stored twice).
* `GroupingRecord`: how a matching run (or one of its shards) grouped needs: the search's
  limits and, per kind, what the search did (`KindSearch`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pooling.domain import grouping
from pooling.domain.ad_matching import Tier
from pooling.domain.proposals import dec_str

VERSION = 1
ZERO = Decimal(0)
TIER_KINDS = ("rebate", "discount")
PLAN_KINDS = ("sea", "consignment", "ads")


class FormatError(ValueError):
    """A stored or submitted document does not have the shape its type expects."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# Amounts in stored documents stay well inside a money column (18 digits, 4 places).
LIMIT = Decimal(10) ** 14
CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise FormatError(f"{name} must be a decimal number written as a string.", field=name)
    text = str(value).strip()
    if not text.isascii() or len(text) > 32:
        raise FormatError(f"{name} must be a decimal number in ASCII digits.", field=name)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise FormatError(f"{name} must be a decimal number.", field=name) from None
    if not number.is_finite() or abs(number) >= LIMIT:
        raise FormatError(f"{name} must be a finite number below {LIMIT:,}.", field=name)
    return number


# ---------------------------------------------------------------------- tiers


@dataclass(frozen=True)
class TierTerms:
    """A rebate or discount of `percent` on the whole pooled spend from `min_spend` on.

    Both kinds lower what the pool pays by the same amount; the kind only says how
    the platform grants it (a discount on the invoice, a rebate paid back later).
    """

    min_spend: Decimal
    percent: Decimal
    kind: str = "rebate"

    def to_json(self) -> dict[str, str]:
        """Spend to the cent, percent to a thousandth: {"min_spend": "50000.00", ...: "2.000"}."""
        return {"min_spend": dec_str(self.min_spend.quantize(CENT)),
                f"{self.kind}_percent": dec_str(self.percent.quantize(THOUSANDTH))}

    @classmethod
    def from_json(cls, raw: Any, *, index: int = 0) -> TierTerms:
        where = f"tiers.{index}"
        if not isinstance(raw, Mapping):
            raise FormatError(f"Tier {index + 1} must be an object with min_spend and a "
                              "rebate_percent or discount_percent.", field=where)
        kinds = [k for k in TIER_KINDS if f"{k}_percent" in raw]
        if len(kinds) != 1 or "min_spend" not in raw:
            raise FormatError(f"Tier {index + 1} needs min_spend and exactly one of "
                              "rebate_percent or discount_percent.", field=where)
        kind = kinds[0]
        minimum = _decimal(raw["min_spend"], f"{where}.min_spend")
        percent = _decimal(raw[f"{kind}_percent"], f"{where}.{kind}_percent")
        if minimum < 0:
            raise FormatError("A tier's min_spend cannot be negative.", field=f"{where}.min_spend")
        if not ZERO <= percent < 100:
            raise FormatError("A tier's percent must be at least 0 and below 100.",
                              field=f"{where}.{kind}_percent")
        return cls(min_spend=minimum, percent=percent, kind=kind)

    def to_domain(self) -> Tier:
        return Tier(min_spend=self.min_spend, rebate_percent=self.percent)


def tiers_from_json(raw: Any) -> tuple[TierTerms, ...]:
    """A programme's tiers, validated: a list of tiers with strictly rising min_spend."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise FormatError('Tiers are a list: [{"min_spend": "100000", "rebate_percent": "3"}].',
                          field="tiers")
    tiers = tuple(TierTerms.from_json(item, index=i) for i, item in enumerate(raw))
    spends = [t.min_spend for t in tiers]
    if any(b <= a for a, b in zip(spends, spends[1:], strict=False)):
        raise FormatError("Tiers must rise: each min_spend above the one before.", field="tiers")
    return tiers


def tiers_to_json(tiers: Iterable[TierTerms]) -> list[dict[str, str]]:
    return [t.to_json() for t in tiers]


# ------------------------------------------------------------------ placements


@dataclass(frozen=True)
class ContainerSlot:
    """A member's cargo in one container of the plan; `label` is unique in the plan."""

    label: str
    code: str
    volume_cbm: Decimal
    gross_kg: Decimal


@dataclass(frozen=True)
class LclSlot:
    volume_cbm: Decimal
    gross_kg: Decimal


@dataclass(frozen=True)
class Placement:
    """Where one member's load goes: container slots and the part that ships LCL."""

    containers: tuple[ContainerSlot, ...] = ()
    lcl: LclSlot | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(slot.label for slot in self.containers)

    def cbm_by_label(self) -> tuple[tuple[str, Decimal], ...]:
        return tuple((slot.label, slot.volume_cbm) for slot in self.containers)

    def to_json(self) -> dict[str, Any]:
        if not self.containers and self.lcl is None:
            return {}
        return {
            "v": VERSION,
            "containers": [
                {"label": s.label, "code": s.code, "volume_cbm": dec_str(s.volume_cbm),
                 "gross_kg": dec_str(s.gross_kg)}
                for s in self.containers
            ],
            "lcl": ({"volume_cbm": dec_str(self.lcl.volume_cbm),
                     "gross_kg": dec_str(self.lcl.gross_kg)} if self.lcl is not None else None),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Placement:
        if raw in (None, {}):
            return cls()
        if not isinstance(raw, Mapping) or raw.get("v") != VERSION:
            raise FormatError("A placement must be a version 1 placement object.",
                              field="placement")
        slots = tuple(
            ContainerSlot(label=str(s["label"]), code=str(s["code"]),
                          volume_cbm=_decimal(s["volume_cbm"], "volume_cbm"),
                          gross_kg=_decimal(s["gross_kg"], "gross_kg"))
            for s in raw.get("containers") or ()
        )
        lcl_raw = raw.get("lcl")
        lcl = (LclSlot(_decimal(lcl_raw["volume_cbm"], "volume_cbm"),
                       _decimal(lcl_raw["gross_kg"], "gross_kg")) if lcl_raw else None)
        return cls(containers=slots, lcl=lcl)


def container_labels(codes: Sequence[str]) -> list[str]:
    """"40HC#1", "20GP#1", "40HC#2": each container numbered within its type, in plan order."""
    seen: dict[str, int] = defaultdict(int)
    labels = []
    for code in codes:
        seen[code] += 1
        labels.append(f"{code}#{seen[code]}")
    return labels


# ----------------------------------------------------------------------- plans


@dataclass(frozen=True)
class PoolPlan:
    """A pool's priced plan as the matcher or re-pricing wrote it, and its problems.

    `body` holds the figures of the plan's kind as JSON values (Decimals as strings);
    sea plans list `containers` (each with its members' parts) and `lcl`;
    consignments the weight break; ad plans the pooled spend, minimum and tier.
    """

    kind: str
    body: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @classmethod
    def from_proposal(cls, plan: Mapping[str, Any], problems: Iterable[str] = ()) -> PoolPlan:
        body = {k: v for k, v in plan.items() if k not in ("v", "type", "problems")}
        kind = plan.get("type") or ("ads" if "programme_id" in plan else "")
        if kind not in PLAN_KINDS:
            raise FormatError(f"Unknown plan type {kind!r}.", field="plan")
        return cls(kind=str(kind), body=body, problems=tuple(problems))

    @classmethod
    def from_json(cls, raw: Any) -> PoolPlan:
        if not raw:
            return cls(kind="")
        if not isinstance(raw, Mapping):
            raise FormatError("A plan must be an object.", field="plan")
        return cls.from_proposal(raw, raw.get("problems") or ())

    def to_json(self) -> dict[str, Any]:
        if not self.kind:
            return {}
        return {"v": VERSION, "type": self.kind, **self.body, "problems": list(self.problems)}

    def with_problems(self, problems: Iterable[str]) -> PoolPlan:
        return PoolPlan(kind=self.kind, body=self.body, problems=tuple(problems))

    @property
    def qualifies(self) -> bool:
        return not self.problems

    @property
    def reaches_minimum(self) -> bool:
        """Ad plans: whether the pooled spend reaches the programme's minimum."""
        if self.kind != "ads":
            return False
        try:
            return Decimal(str(self.body.get("pooled_spend", "0"))) >= Decimal(
                str(self.body.get("minimum_spend", "0")))
        except InvalidOperation:
            return False

    def container_codes(self) -> list[str]:
        return [str(box.get("code", "")) for box in self.body.get("containers") or ()]

    def containers(self) -> list[dict[str, Any]]:
        """The sea plan's containers, each with its `label`."""
        boxes = list(self.body.get("containers") or ())
        return [{**box, "label": label}
                for box, label in zip(boxes, container_labels(self.container_codes()), strict=True)]

    def placements(self) -> dict[int, Placement]:
        """Every member's placement, keyed by need id; the one place labels are given."""
        if self.kind != "sea":
            return {}
        slots: dict[int, list[ContainerSlot]] = defaultdict(list)
        for box in self.containers():
            for part in box.get("members") or ():
                slots[int(part["need_id"])].append(ContainerSlot(
                    label=box["label"], code=str(box["code"]),
                    volume_cbm=_decimal(part["volume_cbm"], "volume_cbm"),
                    gross_kg=_decimal(part["gross_kg"], "gross_kg")))
        lcl: dict[int, LclSlot] = {}
        for part in (self.body.get("lcl") or {}).get("members") or ():
            lcl[int(part["need_id"])] = LclSlot(_decimal(part["volume_cbm"], "volume_cbm"),
                                                _decimal(part["gross_kg"], "gross_kg"))
        return {need: Placement(containers=tuple(slots.get(need, ())), lcl=lcl.get(need))
                for need in sorted(set(slots) | set(lcl))}

    def public(self) -> dict[str, Any]:
        """The plan without other members' figures (shares, firm ids) or problems."""
        # "shares": plans written before each member's share lived on its row alone
        hidden = {"members", "shares", "problems"}
        out: dict[str, Any] = {"type": self.kind}
        for key, value in self.body.items():
            if key in hidden:
                continue
            if key == "containers":
                value = [{k: v for k, v in box.items() if k != "members"}
                         for box in self.containers()]
            elif key == "lcl" and isinstance(value, Mapping):
                value = {k: v for k, v in value.items() if k != "members"}
            out[key] = value
        return out

    def full(self) -> dict[str, Any]:
        """Everything, with container labels: for coordinators and the pool's partner."""
        out = self.to_json()
        if self.kind == "sea":
            out["containers"] = self.containers()
        return out


# --------------------------------------------------------------------- reasons


@dataclass(frozen=True)
class PoolReasons:
    """Why the members fit, in lines any invitee may read. What each member pays and
    saves is not stored here: it is read from the member rows whenever it is shown
    (`selectors.pools.member_lines`), so it can never disagree with them."""

    public: tuple[str, ...] = ()

    @classmethod
    def from_proposal(cls, reasons: Sequence[str]) -> PoolReasons:
        return cls(public=tuple(reasons))

    @classmethod
    def from_json(cls, raw: Any) -> PoolReasons:
        if not raw:
            return cls()
        if not isinstance(raw, Mapping) or raw.get("v") != VERSION:
            raise FormatError("Reasons must be a version 1 reasons object.", field="reasons")
        return cls(public=tuple(str(r) for r in raw.get("public") or ()))

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "public": list(self.public)}


# -------------------------------------------------------------------- grouping

SEARCH_COUNTS = grouping.RECORDED


def _count(raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FormatError(f"{name} must be a count.", field=name)
    return value


@dataclass(frozen=True)
class KindSearch:
    """What the grouping search did for one kind of need (logistics or ads).

    `exact`: components solved exactly; `local`: components built and improved by the
    local search; `by_date`: lane groups formed date by date on a partner's capacity
    offers; `budget` and `spent`: pricings the local search was allowed and used (the
    build's one pricing per pool is always spent, so `spent` can pass `budget` a
    little); `exhausted`: components whose budget ran out; `moves`: moves it made.
    """

    exact: int = 0
    local: int = 0
    by_date: int = 0
    budget: int = 0
    spent: int = 0
    exhausted: int = 0
    moves: int = 0

    @classmethod
    def from_search(cls, search: grouping.Search) -> KindSearch:
        return cls(**{name: getattr(search, name) for name in SEARCH_COUNTS})

    @property
    def method(self) -> str:
        return grouping.Search(exact=self.exact, local=self.local, by_date=self.by_date).method

    def plus(self, other: KindSearch) -> KindSearch:
        return KindSearch(**{name: getattr(self, name) + getattr(other, name)
                             for name in SEARCH_COUNTS})

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, **{name: getattr(self, name) for name in SEARCH_COUNTS}}

    @classmethod
    def from_json(cls, raw: Any) -> KindSearch:
        if not isinstance(raw, Mapping):
            raise FormatError("A kind's search must be an object of counts.", field="grouping")
        return cls(**{name: _count(raw, name) for name in SEARCH_COUNTS})


@dataclass(frozen=True)
class GroupingRecord:
    """How needs were grouped: the search's limits (components up to `exact_limit` needs
    and `exact_groups` groups solved exactly; larger ones searched with
    `pricings_per_need` pricings per need, at least `budget_floor`, and at most
    `search_pricings` for all the components of one kind: a run's, shared among its
    shards by their needs, or a shard's share) and, per kind, what the search did (None
    until that kind was matched)."""

    exact_limit: int = grouping.EXACT_LIMIT
    exact_groups: int = grouping.EXACT_GROUPS
    pricings_per_need: float = grouping.PRICINGS_PER_NEED
    budget_floor: int = grouping.BUDGET_FLOOR
    search_pricings: int | None = grouping.SEARCH_PRICINGS
    logistics: KindSearch | None = None
    ads: KindSearch | None = None

    def merged(self, others: Iterable[GroupingRecord]) -> GroupingRecord:
        """These limits with the searches of `others` (a run's shards) added up per kind."""
        kinds: dict[str, KindSearch | None] = {"logistics": None, "ads": None}
        for other in others:
            for kind, found in (("logistics", other.logistics), ("ads", other.ads)):
                if found is not None:
                    total = kinds[kind]
                    kinds[kind] = found if total is None else total.plus(found)
        return GroupingRecord(self.exact_limit, self.exact_groups, self.pricings_per_need,
                              self.budget_floor, self.search_pricings, kinds["logistics"],
                              kinds["ads"])

    def to_json(self) -> dict[str, Any]:
        return {
            "v": VERSION, "exact_limit": self.exact_limit, "exact_groups": self.exact_groups,
            "pricings_per_need": self.pricings_per_need, "budget_floor": self.budget_floor,
            "search_pricings": self.search_pricings,
            "logistics": self.logistics.to_json() if self.logistics is not None else None,
            "ads": self.ads.to_json() if self.ads is not None else None,
        }

    @classmethod
    def from_json(cls, raw: Any) -> GroupingRecord | None:
        """The record stored with a run or shard; None for one stored before records had
        a version (they held the limits only) or none at all."""
        if not raw or not isinstance(raw, Mapping) or "v" not in raw:
            return None
        if raw.get("v") != VERSION:
            raise FormatError("A grouping record must be a version 1 record.", field="grouping")
        per_need = raw.get("pricings_per_need")
        if isinstance(per_need, bool) or not isinstance(per_need, int | float) or per_need < 0:
            raise FormatError("pricings_per_need must be a number.", field="pricings_per_need")
        kinds = {kind: KindSearch.from_json(raw[kind]) if raw.get(kind) is not None else None
                 for kind in ("logistics", "ads")}
        total = _count(raw, "search_pricings") if raw.get("search_pricings") is not None \
            else None
        return cls(_count(raw, "exact_limit"), _count(raw, "exact_groups"), float(per_need),
                   _count(raw, "budget_floor"), total, kinds["logistics"], kinds["ads"])

    @classmethod
    def in_inputs(cls, inputs: Mapping[str, Any] | None) -> GroupingRecord | None:
        """The record in a run's or shard's inputs; None when it has none it can read."""
        try:
            return cls.from_json((inputs or {}).get("grouping"))
        except (FormatError, TypeError):
            return None


__all__ = [
    "ContainerSlot", "FormatError", "GroupingRecord", "KindSearch", "LclSlot", "Placement",
    "PoolPlan", "PoolReasons", "TierTerms", "container_labels", "tiers_from_json",
    "tiers_to_json",
]
