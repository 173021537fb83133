"""Reads for the coordinator's pages: runs, unplaced needs named, partners' health, rate card
versions, a pool's audit trail. Coordinators see the whole cooperative; nothing here is for firms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Partner
from pooling import adapters
from pooling.domain import wording
from pooling.domain.ad_matching import ProgrammeIn, cannot_pool_reason
from pooling.domain.formats import FormatError
from pooling.models import (
    AdNeed,
    ChannelProgramme,
    FxRate,
    MatchingRun,
    Pool,
    PoolEvent,
    RateCard,
    Settlement,
    ShippingDemand,
    WebhookDelivery,
)
from pooling.models.choices import CargoClass

RATE_CARD_FIELDS = (
    ("currency", "Currency"), ("valid_from", "Valid from"), ("valid_to", "Valid to"),
    ("superseded_from", "Superseded from"), ("kg_per_cbm", "kg per CBM"),
    ("minimum_charge", "Minimum charge"), ("weight_breaks", "Weight breaks"),
    ("higher_break_rule", "Next break when cheaper"), ("lcl_rate_per_wm", "LCL rate per W/M"),
    ("lcl_minimum_wm", "LCL minimum W/M"), ("equipment", "Containers"), ("fees", "Fees"),
    ("surcharges", "Surcharges"), ("allowed_cargo_classes", "Cargo classes"),
    ("transit_days", "Transit days"),
)


def matching_run_find(*, run_id: int) -> MatchingRun | None:
    return MatchingRun.objects.select_related("started_by").filter(pk=run_id).first()


def settlements_listed(*, firm: Any, coordinator: bool, state: str = "") -> QuerySet[Settlement]:
    """Every settlement for a coordinator; for a firm, those it has a share in."""
    rows = Settlement.objects.select_related("pool", "invoice").order_by("-created_at", "-pk")
    if not coordinator:
        rows = rows.filter(shares__firm=firm).distinct() if firm is not None else rows.none()
    if state:
        rows = rows.filter(status=state)
    return rows


def matching_runs_page(*, limit: int = 100) -> QuerySet[MatchingRun]:
    return MatchingRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]


@dataclass(frozen=True)
class UnplacedNeed:
    kind: str
    need_id: int
    firm: str
    reference: str
    url: str


@dataclass
class UnplacedGroup:
    reason: str
    needs: list[UnplacedNeed] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.needs)


def unplaced_grouped(unplaced: Sequence[Mapping[str, Any]], *,
                     url_for: Mapping[str, str]) -> list[UnplacedGroup]:
    """The run's unplaced needs named with firm and reference, grouped by reason, most first.

    `url_for` maps a kind to a URL pattern with `{id}` in it.
    """
    ids: dict[str, set[int]] = defaultdict(set)
    for item in unplaced:
        ids[str(item.get("kind"))].add(int(item.get("need_id") or 0))
    names: dict[tuple[str, int], tuple[str, str]] = {}
    for pk, firm, reference in ShippingDemand.objects.filter(pk__in=ids.get("logistics", ())) \
            .values_list("pk", "firm__legal_name", "reference"):
        names[("logistics", pk)] = (firm, reference)
    for pk, firm, programme, market in AdNeed.objects.filter(pk__in=ids.get("ads", ())) \
            .values_list("pk", "firm__legal_name", "programme__name", "market"):
        names[("ads", pk)] = (firm, f"{programme} · {market}")
    groups: dict[str, UnplacedGroup] = {}
    for item in unplaced:
        kind, need_id = str(item.get("kind")), int(item.get("need_id") or 0)
        firm, reference = names.get((kind, need_id), ("(removed)", ""))
        group = groups.setdefault(str(item.get("reason", "")), UnplacedGroup(str(item.get("reason", ""))))
        group.needs.append(UnplacedNeed(kind=kind, need_id=need_id, firm=firm, reference=reference,
                                        url=url_for.get(kind, "").format(id=need_id)))
    return sorted(groups.values(), key=lambda g: (-g.count, g.reason))


@dataclass(frozen=True)
class PartnerHealth:
    partner: Partner
    keys_active: int
    rate_cards_in_force: int
    capacity_offers_open: int
    endpoints: int
    endpoints_disabled: int
    deliveries_failed: int
    deliveries_pending: int
    last_delivered: Any


def partners_overview() -> list[PartnerHealth]:
    today = timezone.localdate()
    now = timezone.now()
    partners = Partner.objects.annotate(
        n_keys=Count("api_keys", filter=Q(api_keys__revoked=False), distinct=True),
        n_cards=Count("rate_cards", filter=Q(rate_cards__valid_from__lte=today)
                      & (Q(rate_cards__valid_to__isnull=True) | Q(rate_cards__valid_to__gte=today))
                      & (Q(rate_cards__superseded_from__isnull=True)
                         | Q(rate_cards__superseded_from__gt=today)), distinct=True),
        n_capacity=Count("capacity_offers", filter=Q(capacity_offers__cutoff_at__gt=now),
                         distinct=True),
        n_endpoints=Count("webhook_endpoints", distinct=True),
        n_disabled=Count("webhook_endpoints", filter=Q(webhook_endpoints__is_active=False),
                         distinct=True),
    ).order_by("name")
    deliveries = {
        row["endpoint__partner_id"]: row for row in WebhookDelivery.objects.values(
            "endpoint__partner_id").annotate(
            failed=Count("pk", filter=Q(status=WebhookDelivery.Status.FAILED)),
            pending=Count("pk", filter=Q(status=WebhookDelivery.Status.PENDING)),
            last=Max("created_at", filter=Q(status=WebhookDelivery.Status.DELIVERED)))
    }
    return [PartnerHealth(
        partner=p, keys_active=p.n_keys, rate_cards_in_force=p.n_cards,  # type: ignore[attr-defined]
        capacity_offers_open=p.n_capacity, endpoints=p.n_endpoints,  # type: ignore[attr-defined]
        endpoints_disabled=p.n_disabled,  # type: ignore[attr-defined]
        deliveries_failed=deliveries.get(p.pk, {}).get("failed", 0),
        deliveries_pending=deliveries.get(p.pk, {}).get("pending", 0),
        last_delivered=deliveries.get(p.pk, {}).get("last"),
    ) for p in partners]


@dataclass(frozen=True)
class RateCardLane:
    """Every version of one partner's card on one lane, oldest first, with what changed."""

    origin: str
    destination: str
    mode: str
    versions: list[RateCard]
    rows: list[tuple[str, list[tuple[Any, bool]]]]


def _shown(name: str, value: Any, currency: str) -> Any:
    """A rate card value as a person reads it: money with its currency, weights in kg,
    lists of objects one per line, yes/no."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = wording.as_decimal(value) if not isinstance(value, list) else None
    if name in ("minimum_charge", "lcl_rate_per_wm") and number is not None:
        return wording.money(number, currency)
    if name == "kg_per_cbm" and number is not None:
        return wording.kg(number)
    if name == "lcl_minimum_wm" and number is not None:
        return wording.wm(number)
    if name == "transit_days" and number is not None:
        return wording.counted(int(number), "day")
    if isinstance(value, list):
        return "\n".join(_item(name, item, currency) for item in value)
    return value


def _item(name: str, item: Any, currency: str) -> str:
    if not isinstance(item, dict):
        return str(dict(CargoClass.choices).get(item, item)) if name == "allowed_cargo_classes" \
            else str(item)
    def dec(key: str) -> Any:
        return wording.as_decimal(item.get(key))
    if name == "weight_breaks" and dec("min_kg") is not None and dec("rate_per_kg") is not None:
        label = item.get("label") or ("N" if dec("min_kg") == 0 else f"+{wording.number(dec('min_kg'))}")
        return (f"{label}: from {wording.kg(dec('min_kg'))}, "
                f"{wording.money(dec('rate_per_kg'), currency)} per kg")
    if name == "equipment" and dec("price") is not None:
        parts = [f"{item.get('code', '')}: {wording.money(dec('price'), currency)}"]
        if dec("usable_cbm") is not None:
            parts.append(wording.cbm(dec("usable_cbm")))
        if dec("payload_kg") is not None:
            parts.append(f"{wording.kg(dec('payload_kg'))} payload")
        return ", ".join(parts)
    if name == "fees" and dec("amount") is not None:
        return " ".join(p for p in (item.get("code", ""), item.get("description", ""),
                                    wording.money(dec("amount"), currency)) if p)
    if name == "surcharges" and dec("percent") is not None:
        return " ".join(p for p in (item.get("code", ""), item.get("description", ""),
                                    wording.percent(dec("percent"))) if p)
    return ", ".join(f"{k} {v}" for k, v in item.items())


def rate_card_lanes(*, partner: Partner) -> list[RateCardLane]:
    cards: dict[tuple[str, str, str], list[RateCard]] = defaultdict(list)
    for card in RateCard.objects.filter(partner=partner).order_by("origin", "destination", "mode",
                                                                   "version"):
        cards[(card.origin, card.destination, card.mode)].append(card)
    lanes = []
    for (origin, destination, mode), versions in cards.items():
        rows = []
        for name, label in RATE_CARD_FIELDS:
            values = [_shown(name, getattr(card, name), card.currency) for card in versions]
            rows.append((label, [(value, index > 0 and value != values[index - 1])
                                 for index, value in enumerate(values)]))
        lanes.append(RateCardLane(origin, destination, mode, versions, rows))
    return lanes


def fx_rates_history(*, limit: int = 200) -> QuerySet[FxRate]:
    return FxRate.objects.order_by("-as_of", "base", "quote", "-id")[:limit]


def pool_audit_trail(*, pool: Pool) -> list[PoolEvent]:
    """Every event of a pool with who acted and why, oldest first (coordinators only)."""
    return list(pool.events.select_related("actor").order_by("created_at", "pk"))


def programme_in(source: Any) -> ProgrammeIn:
    """A programme row (or its parsed input) as the matcher reads it, for previews."""
    return adapters.programme_in(source)


def programmes_catalogue() -> QuerySet[ChannelProgramme]:
    return ChannelProgramme.objects.select_related("partner").annotate(
        open_needs=Count("needs", filter=Q(needs__status=AdNeed.Status.OPEN))
    ).order_by("-active", "channel", "name")


def programme_pool_blocker(programme: Any) -> str | None:
    """Why matching cannot pool needs on this programme's terms, or None when it can: the
    one rule (`ad_matching.cannot_pool_reason`), plus tiers that cannot be read."""
    try:
        terms = adapters.programme_in(programme)
    except FormatError as exc:
        return f"programme {programme.name} has tiers that cannot be read: {exc}"
    return cannot_pool_reason(terms)


def programme_can_pool(programme: Any) -> bool:
    """Matching places needs on a programme whose terms give a pool something: a minimum
    spend to reach, a tier, or a lower fee than buying alone."""
    return programme_pool_blocker(programme) is None
