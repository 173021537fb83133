"""Cost allocation: splitting a partner's actual invoice among the members of a pool.

Pure Python (no Django). Plain frozen dataclasses in, plain frozen dataclasses out;
money is `Decimal` in a currency's minor units and every split is rounded with the
largest-remainder method so that it adds up exactly.

Three ways to split are offered:

* `split_proportional`: each invoice line follows its own basis (kg, W/M, container
  cbm, per shipment, percentage of another line).
* `split_shapley`: every member pays in proportion to its Shapley value of a projected
  cost function (what each group of members would have paid on its own).
* `split_ad`: pooled ad buying, where each member pays its own reported spend and the
  pool's rebate and fees are shared by spend.

`settle_split` runs one of the first two and then checks the result against the core
(no group of members pays more together than it would on its own) and against each
member's standalone cost.

Rounding rule used everywhere: members are taken in `member_id` order, so the result
never depends on the order in which members are given. Lines are rounded one after the
other; when two members tie for a leftover minor unit, it goes to the member that has
so far been rounded least in its favour, so members with identical loads end up at
most one minor unit apart in total (and on every line).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal, localcontext
from types import MappingProxyType
from typing import Literal

import numpy as np
from scipy.optimize import linprog

from pooling.domain import wording
from pooling.domain.money import ZERO, largest_remainder, minor_unit, quantize, quantum
from pooling.domain.wording import counted, verb

CostFunction = Callable[[frozenset[str]], Decimal]
"""Cost of serving a group of members on its own (the empty group costs nothing)."""

BASES = frozenset({"per_kg", "per_wm", "per_container", "per_shipment", "percentage"})
PER_SHIPMENT_KEYS = frozenset({"equal", "chargeable_kg", "revenue_tons", "volume_cbm"})

# Coalition checks enumerate all 2**n groups; above this many members they are skipped.
EXACT_CORE_LIMIT = 12

# Charge codes that count as freight when a percentage line applies to "FREIGHT" and no
# line carries that exact code (e.g. a bunker or currency surcharge on ocean freight).
FREIGHT_CODES = frozenset({"FREIGHT", "FRT", "OFR", "OCF", "AFR", "BAS", "SEA_FREIGHT",
                           "AIR_FREIGHT"})

CORE_ADJUSTMENT = "CORE_ADJUSTMENT"
STANDALONE_ADJUSTMENT = "STANDALONE_CAP_ADJUSTMENT"

_PREC = 60  # working precision for exact (unrounded) shares
_LOAD_LABELS = {
    "chargeable_kg": "chargeable weight",
    "revenue_tons": "revenue tons (W/M)",
    "volume_cbm": "volume",
}


class AllocationError(ValueError):
    """Input that cannot be split (unknown basis, bad amounts, missing members...)."""


class SettlementHold(AllocationError):
    """The invoice cannot be settled automatically; a coordinator must review it."""


@dataclass(frozen=True)
class MemberLoad:
    member_id: str
    chargeable_kg: Decimal
    revenue_tons: Decimal
    volume_cbm: Decimal
    containers: tuple[tuple[str, Decimal], ...] = ()
    spend: Decimal = ZERO


@dataclass(frozen=True)
class CostLine:
    charge_code: str
    basis: str
    amount: Decimal
    applies_to: str | None = None
    container: str | None = None


@dataclass(frozen=True)
class LineSplit:
    charge_code: str
    shares: Mapping[str, Decimal]


@dataclass(frozen=True)
class Allocation:
    currency: str
    method: str
    total: Decimal
    shares: Mapping[str, Decimal]
    lines: tuple[LineSplit, ...]
    explanation: tuple[str, ...]
    sampling_error: Decimal | None = None


# --------------------------------------------------------------------------- helpers


def _fmt(amount: Decimal, currency: str) -> str:
    return wording.money(amount, currency)


def _group(members: Iterable[str]) -> str:
    return "{" + ", ".join(sorted(members)) + "}"


def _frozen(mapping: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return MappingProxyType({k: mapping[k] for k in sorted(mapping)})


def _check_currency(currency: str) -> None:
    try:
        minor_unit(currency)
    except ValueError as exc:
        raise AllocationError(str(exc)) from exc


def _check_amount(amount: object, what: str, currency: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise AllocationError(f"{what} must be a Decimal amount, not {type(amount).__name__}.")
    if not amount.is_finite():
        raise AllocationError(f"{what} must be a finite amount.")
    if quantize(amount, currency) != amount:
        raise AllocationError(
            f"{what} {amount} is not a whole number of {currency} minor units "
            f"({minor_unit(currency)} decimals)."
        )
    return amount


def _sorted_members(members: Sequence[MemberLoad]) -> list[MemberLoad]:
    ordered = sorted(members, key=lambda m: m.member_id)
    seen: set[str] = set()
    for m in ordered:
        if m.member_id in seen:
            raise AllocationError(f"Member {m.member_id} appears more than once in the pool.")
        seen.add(m.member_id)
        for name in ("chargeable_kg", "revenue_tons", "volume_cbm", "spend"):
            value = getattr(m, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise AllocationError(
                    f"Member {m.member_id}: {name} must be a non-negative Decimal."
                )
        for label, cbm in m.containers:
            if not isinstance(cbm, Decimal) or not cbm.is_finite() or cbm < 0:
                raise AllocationError(
                    f"Member {m.member_id}: cbm loaded in {label} must be a non-negative Decimal."
                )
    return ordered


def _check_lines(lines: Sequence[CostLine], currency: str) -> None:
    for line in lines:
        if line.basis not in BASES:
            raise AllocationError(
                f"Line {line.charge_code}: unknown basis '{line.basis}' "
                f"(expected one of {', '.join(sorted(BASES))})."
            )
        _check_amount(line.amount, f"Line {line.charge_code} amount", currency)


def _exact_split(amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Unrounded proportional split (equal when all weights are zero)."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        total_weight = sum(weights.values(), ZERO)
        if total_weight == 0:
            return {k: amount / len(weights) for k in weights} if weights else {}
        return {k: amount * w / total_weight for k, w in weights.items()}


class _Rounder:
    """Rounds one line after another with largest remainder.

    Ties for a leftover minor unit go to the member whose running total is lowest
    (highest for a credit line), then by member_id: members with identical weights on
    every line therefore never drift more than one minor unit apart.
    """

    def __init__(self, member_ids: Sequence[str], currency: str) -> None:
        self.member_ids = list(member_ids)
        self.currency = currency
        self.running: dict[str, Decimal] = {m: ZERO for m in self.member_ids}

    def split(self, amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
        participants = [m for m in self.member_ids if m in weights]
        if amount >= 0:
            order = sorted(participants, key=lambda m: (self.running[m], m))
        else:
            order = sorted(participants, key=lambda m: (-self.running[m], m))
        with localcontext() as ctx:
            ctx.prec = _PREC
            parts = largest_remainder(amount, [weights[m] for m in order], self.currency)
        result = {m: ZERO for m in self.member_ids}
        for m, part in zip(order, parts, strict=True):
            result[m] = part
            self.running[m] += part
        return result


def _round_exact(
    exact: Mapping[str, Decimal], total: Decimal, currency: str
) -> dict[str, Decimal]:
    """Largest-remainder rounding of signed exact amounts that add up to `total`."""
    q = quantum(currency)
    ids = sorted(exact)
    with localcontext() as ctx:
        ctx.prec = _PREC
        units = {m: exact[m] / q for m in ids}
        floors = {m: int(units[m].to_integral_value(rounding=ROUND_FLOOR)) for m in ids}
        leftover = int(total / q) - sum(floors.values())
        remainders = {m: units[m] - floors[m] for m in ids}
    if not 0 <= leftover <= len(ids):
        raise AllocationError("Amounts to round do not add up to the total.")
    # Remainders within a hundredth of a minor unit of each other (solver noise) are
    # ties, broken by member id.
    tie = Decimal("0.01")
    by_size = sorted(ids, key=lambda m: (-remainders[m], m))
    order: list[str] = []
    while by_size:
        head = remainders[by_size[0]]
        cluster = [m for m in by_size if head - remainders[m] < tie]
        order.extend(sorted(cluster))
        by_size = [m for m in by_size if m not in cluster]
    for m in order[:leftover]:
        floors[m] += 1
    return {m: Decimal(floors[m]) * q for m in ids}


def _cost_value(value: object, group: frozenset[str]) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise AllocationError(
        f"The cost function returned {value!r} for {_group(group)}; costs must be Decimal."
    )


def _members_of(mask: int, ids: Sequence[str]) -> frozenset[str]:
    return frozenset(ids[i] for i in range(len(ids)) if mask >> i & 1)


def _coalition_costs(ids: Sequence[str], cost: CostFunction) -> list[Decimal]:
    """cost of every group, indexed by bitmask over `ids`; the empty group costs 0."""
    n = len(ids)
    groups: list[frozenset[str]] = [frozenset()] * (1 << n)
    values = [ZERO] * (1 << n)
    for mask in range(1, 1 << n):
        low = mask & -mask
        groups[mask] = groups[mask ^ low] | {ids[low.bit_length() - 1]}
        values[mask] = _cost_value(cost(groups[mask]), groups[mask])
    return values


def _memo(cost: CostFunction) -> CostFunction:
    cache: dict[frozenset[str], Decimal] = {}

    def cached(group: frozenset[str]) -> Decimal:
        if group not in cache:
            cache[group] = _cost_value(cost(group), group)
        return cache[group]

    return cached


def _check_ids(member_ids: Iterable[str]) -> list[str]:
    given = list(member_ids)
    ids = sorted(set(given))
    if len(ids) != len(given):
        raise AllocationError("Member ids must be unique.")
    return ids


def _build(
    currency: str,
    method: str,
    ids: Sequence[str],
    line_splits: Sequence[tuple[str, dict[str, Decimal]]],
    explanation: Sequence[str],
    sampling_error: Decimal | None = None,
    total: Decimal | None = None,
) -> Allocation:
    shares = {m: ZERO for m in ids}
    line_total = ZERO
    for _, split in line_splits:
        for m, part in split.items():
            shares[m] += part
            line_total += part
    return Allocation(
        currency=currency,
        method=method,
        total=line_total if total is None else total,
        shares=_frozen(shares),
        lines=tuple(LineSplit(code, _frozen(split)) for code, split in line_splits),
        explanation=tuple(explanation),
        sampling_error=sampling_error,
    )


# ------------------------------------------------------------------ proportional split


def _container_weights(
    line: CostLine, members: Sequence[MemberLoad]
) -> tuple[dict[str, Decimal], str]:
    target = line.container
    weights: dict[str, Decimal] = {}
    for m in members:
        for label, cbm in m.containers:
            if target is None or label == target or label.split("#", 1)[0] == target:
                weights[m.member_id] = weights.get(m.member_id, ZERO) + cbm
    if weights:
        where = "every container" if target is None else f"container {target}"
        return weights, f"by each member's cbm in {where}"
    if target is None:
        return (
            {m.member_id: m.volume_cbm for m in members},
            "by volume (no container loads were given)",
        )
    raise AllocationError(
        f"Line {line.charge_code} is charged for container {target}, "
        "but no member is loaded in it."
    )


def _followed_lines(index: int, lines: Sequence[CostLine]) -> list[int]:
    line = lines[index]
    target = line.applies_to
    others = [j for j in range(len(lines)) if j != index]
    if target is None:
        found = [j for j in others if lines[j].basis != "percentage"]
    else:
        found = [j for j in others if lines[j].charge_code == target]
        if not found and target.upper() == "FREIGHT":
            found = [
                j for j in others
                if lines[j].basis != "percentage"
                and (lines[j].charge_code.upper() in FREIGHT_CODES
                     or "FREIGHT" in lines[j].charge_code.upper())
            ] or [
                j for j in others
                if lines[j].basis in ("per_kg", "per_wm", "per_container")
            ]
    if not found:
        raise AllocationError(
            f"Percentage line {line.charge_code} applies to {target or 'the other lines'}, "
            "which is not on the invoice."
        )
    return found


def _percentage_weights(
    index: int, lines: Sequence[CostLine], exact: Mapping[int, dict[str, Decimal]],
    ids: Sequence[str],
) -> dict[str, Decimal] | None:
    followed = _followed_lines(index, lines)
    if any(j not in exact for j in followed):
        return None
    with localcontext() as ctx:
        ctx.prec = _PREC
        summed = {m: sum((exact[j].get(m, ZERO) for j in followed), ZERO) for m in ids}
    if all(v <= 0 for v in summed.values()):
        summed = {m: -v for m, v in summed.items()}
    if any(v < 0 for v in summed.values()):
        raise AllocationError(
            f"Percentage line {lines[index].charge_code} follows lines that mix charges and "
            "credits across members; give it a single line to follow."
        )
    return summed


def split_proportional(
    lines: Sequence[CostLine],
    members: Sequence[MemberLoad],
    currency: str,
    *,
    per_shipment_key: Literal["chargeable_kg", "revenue_tons", "volume_cbm", "equal"]
    | str = "chargeable_kg",
) -> Allocation:
    """Split every invoice line by its own basis.

    per_kg: chargeable kg; per_wm: revenue tons; per_container: cbm in the named
    container (a label such as "40HC#1", or an equipment code such as "40HC" for all
    containers of that type), among the members loaded in it; per_shipment: equally
    (``per_shipment_key="equal"``) or by the named load field; percentage: the exact
    (unrounded) proportions of the line(s) whose charge code is `applies_to` (summed
    when several lines share that code; "FREIGHT" means the freight lines; no
    `applies_to` means all non-percentage lines). A basis whose weights are all zero
    is split equally. Each line is rounded by largest remainder to its own amount;
    member totals are the sums of their line shares.
    """
    ids, splits, explanation = _proportional_parts(lines, members, currency,
                                                   per_shipment_key=per_shipment_key)
    return _build(currency, "proportional", ids, splits, explanation)


def _proportional_parts(
    lines: Sequence[CostLine],
    members: Sequence[MemberLoad],
    currency: str,
    *,
    per_shipment_key: str,
) -> tuple[list[str], list[tuple[str, dict[str, Decimal]]], list[str]]:
    """Member ids, line splits and explanation of `split_proportional`, unassembled."""
    _check_currency(currency)
    if per_shipment_key not in PER_SHIPMENT_KEYS:
        raise AllocationError(
            f"per_shipment_key must be one of {', '.join(sorted(PER_SHIPMENT_KEYS))}."
        )
    ordered = _sorted_members(members)
    _check_lines(lines, currency)
    ids = [m.member_id for m in ordered]
    if not ids:
        if any(line.amount != 0 for line in lines):
            raise AllocationError("Cannot split an invoice among a pool with no members.")
        return ids, [], ["The pool has no members."]

    weights: dict[int, dict[str, Decimal]] = {}
    how: dict[int, str] = {}
    for i, line in enumerate(lines):
        if line.basis == "per_kg":
            weights[i] = {m.member_id: m.chargeable_kg for m in ordered}
            how[i] = "by chargeable weight"
        elif line.basis == "per_wm":
            weights[i] = {m.member_id: m.revenue_tons for m in ordered}
            how[i] = "by revenue tons (W/M)"
        elif line.basis == "per_container":
            weights[i], how[i] = _container_weights(line, ordered)
        elif line.basis == "per_shipment":
            if per_shipment_key == "equal":
                weights[i] = {m.member_id: Decimal(1) for m in ordered}
                how[i] = "equally per shipment"
            else:
                weights[i] = {m.member_id: getattr(m, per_shipment_key) for m in ordered}
                how[i] = f"per shipment by {_LOAD_LABELS[per_shipment_key]}"
        if i in weights and sum(weights[i].values(), ZERO) == 0 and len(weights[i]) > 1:
            how[i] += " (all zero, so equally)"

    exact: dict[int, dict[str, Decimal]] = {i: _exact_split(lines[i].amount, w)
                                            for i, w in weights.items()}
    pending = [i for i, line in enumerate(lines) if line.basis == "percentage"]
    while pending:
        progressed = False
        for i in list(pending):
            w = _percentage_weights(i, lines, exact, ids)
            if w is None:
                continue
            weights[i] = w
            exact[i] = _exact_split(lines[i].amount, w)
            target = lines[i].applies_to or "all other lines"
            how[i] = f"in the exact proportions of {target}"
            pending.remove(i)
            progressed = True
        if not progressed:
            codes = ", ".join(lines[i].charge_code for i in pending)
            raise AllocationError(f"Percentage lines {codes} follow each other in a circle.")

    rounder = _Rounder(ids, currency)
    splits: list[tuple[str, dict[str, Decimal]]] = []
    explanation: list[str] = []
    for i, line in enumerate(lines):
        splits.append((line.charge_code, rounder.split(line.amount, weights[i])))
        explanation.append(
            f"{line.charge_code} ({_fmt(line.amount, currency)}, {line.basis}) "
            f"split {how[i]}."
        )
    explanation.append(
        "Each line was rounded by largest remainder so it adds up exactly; "
        "members are ordered by id, so the order they were given in does not matter."
    )
    return ids, splits, explanation


# --------------------------------------------------------------------------- ad pools


def split_ad(
    members: Sequence[MemberLoad],
    *,
    rebate: Decimal,
    fees: Decimal,
    currency: str,
) -> Allocation:
    """Pooled ad buying: each member pays its own spend, less its spend-share of the
    pool's rebate, plus its spend-share of the pool's fees.

    Rebate and fee shares are each rounded by largest remainder. With no spend at all,
    fees are shared equally.
    """
    _check_currency(currency)
    ordered = _sorted_members(members)
    ids = [m.member_id for m in ordered]
    rebate = _check_amount(rebate, "Rebate", currency)
    fees = _check_amount(fees, "Fees", currency)
    if rebate < 0 or fees < 0:
        raise AllocationError("Rebate and fees must not be negative.")
    spend = {m.member_id: _check_amount(m.spend, f"Spend of {m.member_id}", currency)
             for m in ordered}
    total_spend = sum(spend.values(), ZERO)
    if rebate > total_spend:
        raise AllocationError(
            f"Rebate {_fmt(rebate, currency)} exceeds the pool's total spend "
            f"{_fmt(total_spend, currency)}."
        )
    if not ids:
        if fees:
            raise AllocationError("Cannot split fees among a pool with no members.")
        return _build(currency, "ad_spend", ids, [], ["The pool has no members."])
    rounder = _Rounder(ids, currency)
    own = rounder.split(total_spend, spend) if total_spend else {m: ZERO for m in ids}
    splits = [
        ("AD_SPEND", own),
        ("REBATE", rounder.split(-rebate, spend)),
        ("FEES", rounder.split(fees, spend)),
    ]
    explanation = [
        f"Each member pays its own reported spend ({_fmt(total_spend, currency)} in total).",
        f"The rebate of {_fmt(rebate, currency)} is returned in proportion to spend.",
        f"Fees of {_fmt(fees, currency)} are charged in proportion to spend"
        + (" (no spend reported, so equally)." if total_spend == 0 else "."),
    ]
    return _build(currency, "ad_spend", ids, splits, explanation)


# ---------------------------------------------------------------------------- Shapley


def shapley(
    member_ids: Iterable[str],
    cost: CostFunction,
    *,
    exact_limit: int = EXACT_CORE_LIMIT,
    samples: int = 2000,
    seed: int = 0,
) -> tuple[dict[str, Decimal], Decimal | None]:
    """Shapley value of each member for the cost game `cost` (with cost(empty) = 0).

    Exact for up to `exact_limit` members: the cost of every group is computed once
    and the weighted marginal costs summed. Above that, `samples` random orderings
    (seeded, so deterministic) are averaged; the second value is then the largest
    standard error of the mean over members (None when exact).
    """
    ids = _check_ids(member_ids)
    n = len(ids)
    if n == 0:
        return {}, None
    if n <= exact_limit:
        return _exact_shapley(ids, cost), None
    if samples < 2:
        raise AllocationError("Sampled Shapley values need at least 2 samples.")
    return _sampled_shapley(ids, cost, samples, seed)


def _exact_shapley(ids: Sequence[str], cost: CostFunction) -> dict[str, Decimal]:
    n = len(ids)
    values = _coalition_costs(ids, cost)
    # |S|! (n - |S| - 1)! for a group S not containing the member
    coeff = [Decimal(math.factorial(k) * math.factorial(n - k - 1)) for k in range(n)]
    acc = [ZERO] * n
    with localcontext() as ctx:
        ctx.prec = _PREC
        for mask in range((1 << n) - 1):
            c = coeff[mask.bit_count()]
            base = values[mask]
            for i in range(n):
                bit = 1 << i
                if not mask & bit:
                    acc[i] += c * (values[mask | bit] - base)
        n_fact = Decimal(math.factorial(n))
        exact = [a / n_fact for a in acc]
    return {ids[i]: +exact[i] for i in range(n)}


def _sampled_shapley(
    ids: Sequence[str], cost: CostFunction, samples: int, seed: int
) -> tuple[dict[str, Decimal], Decimal]:
    n = len(ids)
    cached = _memo(cost)
    rng = np.random.default_rng(seed)
    sums = [ZERO] * n
    squares = [ZERO] * n
    with localcontext() as ctx:
        ctx.prec = _PREC
        for _ in range(samples):
            group: frozenset[str] = frozenset()
            previous = ZERO
            for raw in rng.permutation(n):
                i = int(raw)
                group = group | {ids[i]}
                value = cached(group)
                marginal = value - previous
                previous = value
                sums[i] += marginal
                squares[i] += marginal * marginal
        m = Decimal(samples)
        means = [s / m for s in sums]
        errors: list[Decimal] = []
        for i in range(n):
            variance = max((squares[i] - m * means[i] * means[i]) / (m - 1), ZERO)
            errors.append((variance / m).sqrt())
    return {ids[i]: +means[i] for i in range(n)}, +max(errors)


def split_shapley(
    lines: Sequence[CostLine],
    members: Sequence[MemberLoad],
    currency: str,
    cost: CostFunction,
    *,
    exact_limit: int = EXACT_CORE_LIMIT,
    samples: int = 2000,
    seed: int = 0,
) -> Allocation:
    """Shares proportional to the Shapley values of the projected cost function,
    scaled to the actual invoice total.

    Every invoice line is split in those proportions (largest remainder per line), so
    the line view and the member view agree. For more than `exact_limit` members the
    Shapley values are sampled; the standard error (scaled to the invoice and rounded up
    to a minor unit) is recorded in `sampling_error` and the explanation.
    """
    _check_currency(currency)
    ordered = _sorted_members(members)
    _check_lines(lines, currency)
    ids = [m.member_id for m in ordered]
    if not ids:
        return split_proportional(lines, members, currency)
    values, error = shapley(ids, cost, exact_limit=exact_limit, samples=samples, seed=seed)
    projected = sum(values.values(), ZERO)
    if projected <= 0:
        raise AllocationError(
            "The projected cost of the whole pool is not positive; Shapley shares are "
            "undefined."
        )
    negative = sorted(m for m, v in values.items() if v < 0)
    if negative:
        raise AllocationError(
            f"Members {', '.join(negative)} lower the pool's projected cost (negative "
            "Shapley value); a proportional Shapley split is undefined."
        )
    total = sum((line.amount for line in lines), ZERO)
    rounder = _Rounder(ids, currency)
    splits = [(line.charge_code, rounder.split(line.amount, values)) for line in lines]
    explanation = [
        f"Shares follow each member's Shapley value of the projected cost "
        f"({_fmt(projected, currency)} for the whole pool), scaled to the invoice total "
        f"{_fmt(total, currency)}; every line is split in the same proportions and rounded "
        "by largest remainder.",
    ]
    sampling_error: Decimal | None = None
    if error is not None:
        with localcontext() as ctx:
            ctx.prec = _PREC
            scaled = error * abs(total) / projected
        sampling_error = scaled.quantize(quantum(currency), rounding=ROUND_CEILING)
        explanation.append(
            f"With {len(ids)} members the Shapley values were estimated from {samples} "
            f"sampled orderings (seed {seed}); the standard error is at most "
            f"{_fmt(sampling_error, currency)} per member."
        )
    return _build(currency, "shapley", ids, splits, explanation, sampling_error)


# ------------------------------------------------------------------ core and least core


def _check_core_size(ids: Sequence[str]) -> None:
    if len(ids) > EXACT_CORE_LIMIT:
        raise AllocationError(
            f"Core checks enumerate every group and are limited to {EXACT_CORE_LIMIT} "
            f"members ({len(ids)} given)."
        )


def core_violations(
    shares: Mapping[str, Decimal],
    cost: CostFunction,
    member_ids: Iterable[str],
    *,
    currency: str | None = None,
    tolerance: Decimal | None = None,
) -> list[tuple[frozenset[str], Decimal]]:
    """Groups that pay more together than the cost function says they cost on their own.

    Returns (group, excess) for every non-empty proper group S with
    sum(shares[S]) - cost(S) > tolerance, smallest groups first. The tolerance is one
    minor unit: given explicitly, from `currency`, or else from the shares' decimals.
    Limited to 12 members.
    """
    ids = _check_ids(member_ids)
    _check_core_size(ids)
    missing = [m for m in ids if m not in shares]
    if missing:
        raise AllocationError(f"No share given for members {', '.join(missing)}.")
    if tolerance is None:
        if currency is not None:
            tolerance = quantum(currency)
        else:
            places = max((-int(shares[m].as_tuple().exponent) for m in ids), default=0)
            tolerance = Decimal(1).scaleb(-max(places, 0))
    n = len(ids)
    values = _coalition_costs(ids, cost)
    sums = [ZERO] * (1 << n)
    found: list[tuple[frozenset[str], Decimal]] = []
    for mask in range(1, (1 << n) - 1):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + shares[ids[low.bit_length() - 1]]
        excess = sums[mask] - values[mask]
        if excess > tolerance:
            found.append((_members_of(mask, ids), excess))
    found.sort(key=lambda item: (len(item[0]), sorted(item[0])))
    return found


def _to_decimal(value: float, places: Decimal) -> Decimal:
    return Decimal(repr(float(value))).quantize(places)


def least_core(
    member_ids: Iterable[str],
    cost: CostFunction,
    total: Decimal,
    *,
    target: Mapping[str, Decimal] | None = None,
) -> tuple[dict[str, Decimal], Decimal]:
    """The least core: minimise eps subject to sum(x[S]) <= cost(S) + eps for every
    non-empty proper group S and sum(x) == total.

    The constraints use the cost function exactly as given while the allocation adds up
    to `total`; callers settling an actual invoice pass a cost function scaled to that
    invoice (e.g. projected cost x invoice total / projected grand cost), otherwise the
    difference between the two totals shows up in eps. eps <= 0 means the core is
    non-empty. With `target`, the least-core point closest to it (sum of absolute
    differences) is returned. Values are rounded to 1e-9 (eps to 1e-6; |eps| below
    solver noise is reported as 0) and x adds up exactly to `total`. Limited to 12
    members; a single member simply gets the total with eps = 0.
    """
    ids = _check_ids(member_ids)
    _check_core_size(ids)
    n = len(ids)
    if n == 0:
        if total != 0:
            raise AllocationError("Cannot share a non-zero total among nobody.")
        return {}, ZERO
    if n == 1:
        return {ids[0]: total}, ZERO
    values = _coalition_costs(ids, cost)
    masks = range(1, (1 << n) - 1)
    rows = np.array([[(mask >> i) & 1 for i in range(n)] for mask in masks], dtype=float)
    bounds = np.array([float(values[mask]) for mask in masks])
    scale = max(1.0, float(abs(total)), float(np.abs(bounds).max()))
    free: list[tuple[float | None, float | None]] = [(None, None)]

    stage1 = linprog(
        c=np.r_[np.zeros(n), 1.0],
        A_ub=np.c_[rows, -np.ones(len(rows))],
        b_ub=bounds,
        A_eq=np.r_[np.ones(n), 0.0].reshape(1, -1),
        b_eq=[float(total)],
        bounds=free * (n + 1),
        method="highs",
    )
    if stage1.status != 0:
        raise AllocationError(f"The least-core program could not be solved: {stage1.message}")
    eps_value = float(stage1.x[n])
    x_values = np.asarray(stage1.x[:n], dtype=float)

    if target is not None:
        missing = [m for m in ids if m not in target]
        if missing:
            raise AllocationError(f"No target share for members {', '.join(missing)}.")
        t = np.array([float(target[m]) for m in ids])
        eye = np.eye(n)
        slack = eps_value + 1e-10 * scale
        stage2 = linprog(
            c=np.r_[np.zeros(n), np.ones(n)],
            A_ub=np.r_[
                np.c_[rows, np.zeros((len(rows), n))],
                np.c_[eye, -eye],
                np.c_[-eye, -eye],
            ],
            b_ub=np.r_[bounds + slack, t, -t],
            A_eq=np.r_[np.ones(n), np.zeros(n)].reshape(1, -1),
            b_eq=[float(total)],
            bounds=free * n + [(0, None)] * n,
            method="highs",
        )
        if stage2.status == 0:
            x_values = np.asarray(stage2.x[:n], dtype=float)

    places = Decimal("1e-9")
    x = {ids[i]: _to_decimal(x_values[i], places) for i in range(n)}
    residual = total - sum(x.values(), ZERO)
    if residual:
        largest = max(ids, key=lambda m: (x[m], m))
        x[largest] += residual
    eps = ZERO if abs(eps_value) < 1e-7 * scale else _to_decimal(eps_value, Decimal("1e-6"))
    return x, eps


# ----------------------------------------------------------------------- orchestrator


def _standalone_caps(
    standalone: Mapping[str, Decimal], ids: Sequence[str], currency: str
) -> dict[str, Decimal]:
    missing = [m for m in ids if m not in standalone]
    if missing:
        raise AllocationError(f"No standalone cost given for members {', '.join(missing)}.")
    caps: dict[str, Decimal] = {}
    for m in ids:
        value = standalone[m]
        if not isinstance(value, Decimal) or not value.is_finite():
            raise AllocationError(f"Standalone cost of {m} must be a finite Decimal.")
        caps[m] = value.quantize(quantum(currency), rounding=ROUND_DOWN)
    return caps


def _apply_caps(
    currency: str,
    ids: Sequence[str],
    caps: Mapping[str, Decimal],
    shares: dict[str, Decimal],
    splits: list[tuple[str, dict[str, Decimal]]],
    explanation: list[str],
) -> None:
    """Cap every member at its standalone cost, shifting the excess onto members with
    headroom (a STANDALONE_CAP_ADJUSTMENT line); updates shares, splits and explanation."""
    over = {m: shares[m] - caps[m] for m in ids if shares[m] > caps[m]}
    if over:
        excess = sum(over.values(), ZERO)
        capped = {m: caps[m] if m in over else shares[m] for m in ids}
        headroom = {m: caps[m] - capped[m] for m in ids if caps[m] > capped[m]}
        takers = sorted(headroom)
        parts = largest_remainder(excess, [headroom[m] for m in takers], currency)
        for m, part in zip(takers, parts, strict=True):
            capped[m] += part
        splits.append((STANDALONE_ADJUSTMENT, {m: capped[m] - shares[m] for m in ids}))
        shares.update(capped)
        for m in sorted(over):
            explanation.append(
                f"{m}'s share exceeded its standalone cost {_fmt(caps[m], currency)} by "
                f"{_fmt(over[m], currency)}; it pays its standalone cost."
            )
        explanation.append(
            f"The excess of {_fmt(excess, currency)} was shifted onto "
            f"{', '.join(takers)} in proportion to their headroom below their own "
            "standalone costs."
        )
    else:
        explanation.append("Every member pays no more than its standalone cost.")



def _settle_parts(
    currency: str,
    ids: list[str],
    splits: list[tuple[str, dict[str, Decimal]]],
    explanation: list[str],
    *,
    method: str,
    standalone: Mapping[str, Decimal],
) -> Allocation:
    """`settle_split` without a cost function: the split as given, then the caps."""
    shares = {m: ZERO for m in ids}
    for _, split in splits:
        for m, part in split.items():
            shares[m] += part
    total = sum(shares.values(), ZERO)
    caps = _standalone_caps(standalone, ids, currency)
    cap_total = sum(caps.values(), ZERO)
    if total > cap_total:
        raise SettlementHold(
            f"Invoice total {_fmt(total, currency)} exceeds the members' standalone costs "
            f"{_fmt(cap_total, currency)} in total; a coordinator must review."
        )
    explanation.append("No cost function was given, so the core was not checked.")
    _apply_caps(currency, ids, caps, shares, splits, explanation)
    return _build(currency, method, ids, splits, explanation, None, total=total)


def settle_split(
    lines: Sequence[CostLine],
    members: Sequence[MemberLoad],
    currency: str,
    *,
    method: Literal["proportional", "shapley"] | str = "proportional",
    cost: CostFunction | None = None,
    standalone: Mapping[str, Decimal],
    per_shipment_key: Literal["chargeable_kg", "revenue_tons", "volume_cbm", "equal"]
    | str = "chargeable_kg",
    exact_limit: int = EXACT_CORE_LIMIT,
    samples: int = 2000,
    seed: int = 0,
) -> Allocation:
    """Split an actual invoice, then make it stable and fair where possible.

    1. Compute the chosen split ("proportional" or "shapley"; shapley needs `cost`).
    2. With a cost function (scaled to the invoice) and at most 12 members, check the
       core. If some group pays more than its own cost and the core is non-empty, use
       the least-core point closest to the chosen split instead (rounded by largest
       remainder); if the core is empty, say so and keep the split.
    3. Cap every member at its standalone cost (rounded down to a minor unit): the
       excess is shifted onto members with headroom in proportion to their headroom.
       If the invoice exceeds all standalone costs together, raise `SettlementHold`.

    Changes made in steps 2 and 3 appear as extra zero-sum lines (CORE_ADJUSTMENT,
    STANDALONE_CAP_ADJUSTMENT) so every line still adds up to its amount and member
    totals remain the sums of their line shares.
    """
    if method == "proportional" and cost is None:
        # Nothing below needs the proportional split as an Allocation: skip assembling it.
        return _settle_parts(currency, *_proportional_parts(
            lines, members, currency, per_shipment_key=per_shipment_key),
            method="proportional", standalone=standalone)
    if method == "proportional":
        base = split_proportional(lines, members, currency, per_shipment_key=per_shipment_key)
    elif method == "shapley":
        if cost is None:
            raise AllocationError("A Shapley split needs a cost function.")
        base = split_shapley(lines, members, currency, cost, exact_limit=exact_limit,
                             samples=samples, seed=seed)
    else:
        raise AllocationError(f"Unknown split method '{method}' (proportional or shapley).")

    ids = sorted(base.shares)
    total = base.total
    caps = _standalone_caps(standalone, ids, currency)
    cap_total = sum(caps.values(), ZERO)
    if total > cap_total:
        raise SettlementHold(
            f"Invoice total {_fmt(total, currency)} exceeds the members' standalone costs "
            f"{_fmt(cap_total, currency)} in total; a coordinator must review."
        )

    shares: dict[str, Decimal] = dict(base.shares)
    splits = [(ls.charge_code, dict(ls.shares)) for ls in base.lines]
    explanation = list(base.explanation)
    final_method = base.method
    n = len(ids)

    if cost is None:
        explanation.append("No cost function was given, so the core was not checked.")
    elif n > EXACT_CORE_LIMIT:
        explanation.append(
            f"The core was not checked: with {n} members there are too many groups "
            f"(the check covers up to {EXACT_CORE_LIMIT})."
        )
    elif n >= 2:
        cached = _memo(cost)
        violations = core_violations(shares, cached, ids, currency=currency)
        groups = (1 << n) - 2
        if not violations:
            explanation.append(
                f"Core check: none of the {groups} groups of members pays more than its own "
                "cost, so no group would do better on its own."
            )
        else:
            worst_group, worst_excess = max(violations, key=lambda v: (v[1], -len(v[0])))
            detail = (
                f"groups paying more than their own cost: {len(violations)} of {groups} "
                f"(worst: {_group(worst_group)} by {_fmt(worst_excess, currency)})"
            )
            x, eps = least_core(ids, cached, total, target=shares)
            if eps <= 0:
                new = _round_exact(x, total, currency)
                splits.append((CORE_ADJUSTMENT, {m: new[m] - shares[m] for m in ids}))
                shares = new
                final_method = "least_core"
                explanation.append(
                    f"The {base.method} split is outside the core: {detail}. The core is "
                    f"not empty (least-core epsilon {_fmt(eps, currency)}), so the "
                    f"least-core split closest to the {base.method} split is used instead, "
                    "rounded by largest remainder."
                )
                left = core_violations(shares, cached, ids, currency=currency)
                if left:
                    explanation.append(
                        f"After rounding to whole minor units {counted(len(left), 'group')} still "
                        f"{verb(len(left), 'exceeds its', 'exceed their')} own cost slightly."
                    )
            else:
                explanation.append(
                    "The core is empty: no split can satisfy every group; even the least "
                    f"core leaves some group paying {_fmt(eps, currency)} more than its own "
                    f"cost. The {base.method} split is kept: {detail}."
                )

    _apply_caps(currency, ids, caps, shares, splits, explanation)
    return _build(currency, final_method, ids, splits, explanation,
                  base.sampling_error, total=total)
