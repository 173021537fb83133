"""Writes for what firms need: shipping demands, ad needs and the programme catalogue.

One validator per kind of input serves the API, the CSV import and the web forms:
`demand_input_parse` and `ad_need_input_parse` take raw values (strings from a form
or a CSV row, JSON values from the API) and return a typed input, or raise a Django
`ValidationError` whose message dict names every bad field with a precise message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Firm
from accounts.reference import ProductCategory, country_codes, currency_codes
from coop import inputs
from coop.errors import Conflict, NotFound
from coop.inputs import InputError as _Invalid
from coop.inputs import excerpt
from pooling.domain import units, wording
from pooling.domain.ad_matching import flight_days
from pooling.domain.formats import FormatError, tiers_from_json, tiers_to_json
from pooling.domain.money import minor_unit, quantize
from pooling.models import AdNeed, ChannelProgramme, PackageLine, Pool, PoolMember, ShippingDemand
from pooling.models.choices import BusinessModel, CargoClass, Channel, Incoterm, Mode
from pooling.selectors.console import programme_pool_blocker
from pooling.services.locks import lock_firm_need, lock_pools, lock_programme
from pooling.services.pools import pool_members_out

Need = TypeVar("Need", ShippingDemand, AdNeed)

MAX_GROSS_KG = Decimal(500_000)
MAX_VOLUME_CBM = Decimal(1000)
MAX_DIMENSION_CM = Decimal(10_000)
MAX_PACKAGES = 1_000_000
MAX_DECLARED_VALUE = Decimal("99999999999999")
MAX_EXCLUDED_FIRMS = 200
LITHIUM_UN_NUMBERS = frozenset({"UN3480", "UN3481"})
DG_CLASSES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9"})

# A demand stays withdrawable until its pool is locked; from then on the load is committed.
POOL_STATES_BEFORE_LOCK = frozenset({Pool.State.PROPOSED, Pool.State.APPROVED, Pool.State.OPEN})

Errors = dict[str, list[str]]


# --- parsing raw values ------------------------------------------------------


# Declared values and budgets: what a NUMERIC(18, 4) column holds.
MONEY_DIGITS = 18


def _text(raw: Mapping[str, Any], name: str) -> str:
    """Text as given; numbers are read where a number is expected (see `_number`)."""
    return inputs.text(raw.get(name))


def _number(raw: Mapping[str, Any], name: str) -> str:
    """The written form of a number field: a JSON number or a string of ASCII digits."""
    value = raw.get(name)
    if value is None or value == "":
        return ""
    return inputs.number_text(value)


def _required(raw: Mapping[str, Any], name: str) -> str:
    value = _text(raw, name)
    if not value:
        raise _Invalid("This field is required.")
    return value


def _decimal(text: str, *, places: int, label: str) -> Decimal:
    return inputs.decimal(text, max_digits=MONEY_DIGITS, places=places, label=label)


def _positive(text: str, *, places: int, label: str, unit: str, most: Decimal) -> Decimal:
    value = _decimal(text, places=places, label=label)
    if value <= 0:
        # `text` parsed as a number, so it is short ASCII and safe to quote.
        raise _Invalid(f"{label.capitalize()} must be above zero {unit}; got {text}.")
    if value > most:
        raise _Invalid(f"{label.capitalize()} may be at most {most:,} {unit}; got {value:,}.")
    return value


def _date(text: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text, re.ASCII):
        raise _Invalid(f"Enter a date as YYYY-MM-DD; got {excerpt(text)}.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"Enter a date as YYYY-MM-DD; got {excerpt(text)}.") from None


def _choice(text: str, choices: Iterable[tuple[str, str]], what: str) -> str:
    values = [value for value, _ in choices]
    if text in values:
        return text
    lowered = {v.lower(): v for v in values} | {lbl.lower(): v for v, lbl in choices}
    if text.lower() in lowered:
        return lowered[text.lower()]
    raise _Invalid(f"{excerpt(text)} is not a {what}; choose one of {', '.join(values)}.")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is not None and not isinstance(value, str | int):
        raise _Invalid(f"Enter yes or no, not {excerpt(value)}.")
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    if text in ("1", "true", "yes", "y", "on"):
        return True
    raise _Invalid(f"Enter yes or no; got {excerpt(value)}.")


def locode(text: str) -> str:
    """A UN/LOCODE, upper-cased, whose country part is an ISO 3166-1 country."""
    value = text.replace(" ", "").upper()
    if len(value) != 5 or not value[:2].isalpha() or not all(
        c.isalpha() or c in "23456789" for c in value[2:]
    ) or not value.isascii():
        raise _Invalid(
            f"{excerpt(text)} is not a UN/LOCODE: two-letter country code and three letters or "
            "digits 2-9, e.g. CNSZX."
        )
    if value[:2] not in country_codes():
        raise _Invalid(f"'{value}' starts with '{value[:2]}', which is not an ISO 3166-1 country.")
    return value


def _currency(text: str) -> str:
    value = text.upper()
    if value not in currency_codes():
        raise _Invalid(f"{excerpt(text)} is not an ISO 4217 currency code.")
    return value


def _country(text: str) -> str:
    value = text.upper()
    if value not in country_codes():
        raise _Invalid(f"{excerpt(text)} is not an ISO 3166-1 country code.")
    return value


class _Collector:
    """Runs field parsers and keeps every error, so one answer names all bad fields."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def take(self, name: str, parse: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return parse(*args, **kwargs)
        except _Invalid as exc:
            self.add(name, str(exc))
            return None

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# --- shipping demands --------------------------------------------------------


@dataclass(frozen=True)
class PackageLineInput:
    count: int
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    gross_kg_each: Decimal

    @property
    def volume_cbm(self) -> Decimal:
        return units.volume_cbm(self.length_cm, self.width_cm, self.height_cm) * self.count

    @property
    def gross_kg(self) -> Decimal:
        return self.gross_kg_each * self.count


@dataclass(frozen=True)
class Measure:
    """What a demand weighs and measures, and what the mode charges for it."""

    mode: str
    gross_kg: Decimal
    volume_cbm: Decimal

    @property
    def chargeable_kg(self) -> Decimal:
        return units.chargeable_weight(self.mode, self.gross_kg, self.volume_cbm)

    @property
    def revenue_tons(self) -> Decimal:
        return units.revenue_tons(self.gross_kg, self.volume_cbm)

    @property
    def kg_per_cbm(self) -> Decimal:
        return units.KG_PER_CBM[units.Mode(self.mode)]

    @property
    def is_sea(self) -> bool:
        return units.Mode(self.mode) in units.SEA_MODES


@dataclass(frozen=True)
class DemandInput(Measure):
    """A validated shipping demand, with its derived figures."""

    origin: str
    destination: str
    ready_from: dt.date
    deliver_by: dt.date
    reference: str = ""
    cargo_class: str = CargoClass.GENERAL
    un_number: str = ""
    dg_class: str = ""
    splittable: bool = False
    incoterm: str = Incoterm.FOB
    declared_value: Decimal | None = None
    declared_currency: str = ""
    hs_code: str = ""
    lines: tuple[PackageLineInput, ...] = field(default=())

    def model_fields(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "origin": self.origin,
            "destination": self.destination, "mode": self.mode,
            "cargo_class": self.cargo_class, "un_number": self.un_number,
            "dg_class": self.dg_class, "splittable": self.splittable,
            "gross_kg": self.gross_kg, "volume_cbm": self.volume_cbm,
            "chargeable_kg": self.chargeable_kg, "revenue_tons": self.revenue_tons,
            "ready_from": self.ready_from, "deliver_by": self.deliver_by,
            "incoterm": self.incoterm, "declared_value": self.declared_value,
            "declared_currency": self.declared_currency, "hs_code": self.hs_code,
        }


DEMAND_FIELDS = (
    "reference", "origin", "destination", "mode", "cargo_class", "un_number", "dg_class",
    "splittable", "gross_kg", "volume_cbm", "ready_from", "deliver_by", "incoterm",
    "declared_value", "declared_currency", "hs_code",
)


def _lines(value: Any, c: _Collector) -> tuple[PackageLineInput, ...]:
    if value in (None, "", []):
        return ()
    if not isinstance(value, list | tuple):
        c.add("lines", "Package lines must be a list of {count, length_cm, width_cm, "
                       "height_cm, gross_kg_each}.")
        return ()
    parsed: list[PackageLineInput] = []
    for index, line in enumerate(value):
        prefix = f"lines.{index}"
        if not isinstance(line, Mapping):
            c.add(prefix, "Each package line must be an object.")
            continue
        count = c.take(f"{prefix}.count", lambda line=line: _count(_required_or(line, "count")))
        dims = {
            name: c.take(f"{prefix}.{name}", _positive_required, line, name, places=2,
                         label=label, unit="cm", most=MAX_DIMENSION_CM)
            for name, label in (("length_cm", "length"), ("width_cm", "width"),
                                ("height_cm", "height"))
        }
        each = c.take(f"{prefix}.gross_kg_each", _positive_required, line, "gross_kg_each",
                      places=3, label="gross weight per package", unit="kg", most=MAX_GROSS_KG)
        if count is not None and each is not None and None not in dims.values():
            parsed.append(PackageLineInput(count=count, gross_kg_each=each, **dims))
    return tuple(parsed)


def _required_or(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return "" if value is None or value == "" else inputs.number_text(value)


def _count(text: str) -> int:
    if not text:
        raise _Invalid("This field is required.")
    value = inputs.integer(text, label="the package count")
    if value <= 0:
        raise _Invalid(f"The package count must be above zero; got {value}.")
    if value > MAX_PACKAGES:
        raise _Invalid(f"The package count may be at most {MAX_PACKAGES:,}.")
    return value


def _positive_required(raw: Mapping[str, Any], name: str, **kwargs: Any) -> Decimal:
    value = _number(raw, name)
    if not value:
        raise _Invalid("This field is required.")
    return _positive(value, **kwargs)


def _measures(
    raw: Mapping[str, Any], c: _Collector
) -> tuple[Decimal | None, Decimal | None, tuple[PackageLineInput, ...]]:
    """Gross weight and volume: summed from package lines, or given as totals."""
    given_lines = raw.get("lines") not in (None, "", [], ())
    lines = _lines(raw.get("lines"), c)
    if not given_lines:
        gross_kg = c.take("gross_kg", _positive_required, raw, "gross_kg", places=3,
                          label="gross weight", unit="kg", most=MAX_GROSS_KG)
        volume_cbm = c.take("volume_cbm", _positive_required, raw, "volume_cbm", places=6,
                            label="volume", unit="CBM", most=MAX_VOLUME_CBM)
        return gross_kg, volume_cbm, ()
    for name in ("gross_kg", "volume_cbm"):
        if raw.get(name) not in (None, ""):
            c.add(name, "Give either package lines or totals, not both: totals are derived "
                        "from the lines.")
    if not lines:
        return None, None, ()
    gross_kg = sum((line.gross_kg for line in lines), Decimal(0))
    volume_cbm = sum((line.volume_cbm for line in lines), Decimal(0))
    if volume_cbm <= 0:
        c.add("lines", "The package lines add up to no volume; check the dimensions.")
    if gross_kg > MAX_GROSS_KG:
        c.add("lines", f"The package lines weigh {wording.kg(gross_kg)}; one demand may weigh at "
                       f"most {wording.kg(MAX_GROSS_KG)}.")
    if volume_cbm > MAX_VOLUME_CBM:
        c.add("lines", f"The package lines measure {wording.cbm(volume_cbm)}; one demand may "
                       f"measure at most {wording.number(MAX_VOLUME_CBM)} CBM.")
    return gross_kg, volume_cbm, lines


def demand_input_parse(
    raw: Mapping[str, Any], *, today: dt.date | None = None, prefix: str = ""
) -> DemandInput:
    """Validate a shipping demand given as raw values; derive totals from package lines.

    Raises ValidationError naming each bad field (`prefix` is put before every name).
    """
    today = today or timezone.localdate()
    c = _Collector()
    reference = c.take("reference", _text, raw, "reference") or ""
    if len(reference) > 60:
        c.add("reference", "A reference has at most 60 characters.")
    origin = c.take("origin", lambda: locode(_required(raw, "origin")))
    destination = c.take("destination", lambda: locode(_required(raw, "destination")))
    if origin and destination and origin == destination:
        c.add("destination", f"The destination must differ from the origin ({origin}).")
    mode = c.take("mode", lambda: _choice(_required(raw, "mode"), Mode.choices, "mode"))
    cargo_class = c.take(
        "cargo_class",
        lambda: _choice(_text(raw, "cargo_class") or CargoClass.GENERAL, CargoClass.choices,
                        "cargo class"),
    )
    un_number = (c.take("un_number", _text, raw, "un_number") or "").upper().replace(" ", "")
    if un_number and not un_number.startswith("UN"):
        un_number = f"UN{un_number}"
    dg_class = c.take("dg_class", _text, raw, "dg_class") or ""
    if un_number and not re.fullmatch(r"UN[0-9]{4}", un_number, re.ASCII):
        c.add("un_number", f"Enter a UN number such as UN3480; got {excerpt(un_number)}.")
    elif cargo_class == CargoClass.LITHIUM and un_number not in LITHIUM_UN_NUMBERS:
        c.add("un_number", "Lithium batteries ship as UN3480 (cells alone) or UN3481 "
                           "(packed with or in equipment).")
    elif cargo_class == CargoClass.OTHER_DG and not un_number:
        c.add("un_number", "Dangerous goods need a UN number, e.g. UN1263.")
    if cargo_class == CargoClass.OTHER_DG and dg_class.split(".")[0] not in DG_CLASSES:
        c.add("dg_class", "Dangerous goods need a class from 1 to 9, e.g. 3 or 2.1.")
    elif dg_class and dg_class.split(".")[0] not in DG_CLASSES:
        c.add("dg_class", f"{excerpt(dg_class)} is not a dangerous goods class (1 to 9, e.g. 3 "
                          "or 2.1).")
    if cargo_class in (CargoClass.GENERAL,) and un_number:
        c.add("un_number", "General cargo has no UN number; choose the cargo class that fits.")
    splittable = c.take("splittable", _bool, raw.get("splittable"))

    gross_kg, volume_cbm, lines = _measures(raw, c)

    ready_from = c.take("ready_from", lambda: _date(_required(raw, "ready_from")))
    deliver_by = c.take("deliver_by", lambda: _date(_required(raw, "deliver_by")))
    if deliver_by and deliver_by < today:
        c.add("deliver_by", f"The deliver-by date {deliver_by.isoformat()} is in the past.")
    elif ready_from and deliver_by and deliver_by < ready_from:
        c.add("deliver_by", f"Deliver by ({deliver_by.isoformat()}) is before ready from "
                            f"({ready_from.isoformat()}).")
    incoterm = c.take("incoterm", lambda: _choice(
        (_text(raw, "incoterm") or Incoterm.FOB).upper(), Incoterm.choices, "Incoterms 2020 rule"))

    declared_currency = c.take("declared_currency", lambda: _currency(
        _text(raw, "declared_currency")) if _text(raw, "declared_currency") else "") or ""
    declared_value = None
    declared_text = c.take("declared_value", _number, raw, "declared_value")
    if declared_text:
        declared_value = c.take("declared_value", _positive, declared_text,
                                places=4, label="declared value", unit="",
                                most=MAX_DECLARED_VALUE)
        if declared_value is not None and not declared_currency:
            c.add("declared_currency", "Name the currency of the declared value, e.g. USD.")
        elif declared_value is not None and declared_currency:
            declared_value = quantize(declared_value, declared_currency)
    elif declared_currency and declared_text is not None:
        c.add("declared_value", "Enter the declared value in that currency, or leave both empty.")
    hs_code = (c.take("hs_code", _text, raw, "hs_code") or "").replace(".", "").replace(" ", "")
    if hs_code and not re.fullmatch(r"[0-9]{6,10}", hs_code, re.ASCII):
        c.add("hs_code", f"An HS code has 6 to 10 digits; got {excerpt(hs_code)}.")

    if c.errors:
        raise ValidationError({f"{prefix}{k}": v for k, v in c.errors.items()})
    assert gross_kg is not None and volume_cbm is not None  # noqa: S101 - checked above
    return DemandInput(
        reference=reference, origin=origin, destination=destination, mode=mode,
        cargo_class=cargo_class, un_number=un_number, dg_class=dg_class,
        splittable=bool(splittable), gross_kg=gross_kg, volume_cbm=volume_cbm,
        ready_from=ready_from, deliver_by=deliver_by, incoterm=incoterm,
        declared_value=declared_value, declared_currency=declared_currency if declared_value
        is not None else "", hs_code=hs_code, lines=lines,
    )


def demand_measure_parse(raw: Mapping[str, Any]) -> Measure:
    """Only the mode, package lines and totals: the figures shown while a form is filled in."""
    c = _Collector()
    mode = c.take("mode", lambda: _choice(_required(raw, "mode"), Mode.choices, "mode"))
    gross_kg, volume_cbm, _ = _measures(raw, c)
    c.raise_if_any()
    assert mode is not None and gross_kg is not None and volume_cbm is not None  # noqa: S101
    return Measure(mode=mode, gross_kg=gross_kg, volume_cbm=volume_cbm)


def demand_raw(demand: ShippingDemand) -> dict[str, Any]:
    """A stored demand as raw values, so an update can be validated as a whole."""
    raw: dict[str, Any] = {name: getattr(demand, name) for name in DEMAND_FIELDS}
    for name in ("ready_from", "deliver_by"):
        raw[name] = raw[name].isoformat()
    raw["declared_value"] = "" if demand.declared_value is None else str(demand.declared_value)
    lines = [
        {"count": line.count, "length_cm": line.length_cm, "width_cm": line.width_cm,
         "height_cm": line.height_cm, "gross_kg_each": line.gross_kg_each}
        for line in demand.lines.all()
    ]
    if lines:
        raw["lines"] = lines
        raw["gross_kg"] = raw["volume_cbm"] = ""
    return raw


def demand_raw_merged(demand: ShippingDemand, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values overlaid with `changes`.

    New package lines replace stored totals; new totals replace stored lines (the total
    not given is kept from the stored demand).
    """
    raw = demand_raw(demand)
    if changes.get("lines"):
        raw["gross_kg"] = raw["volume_cbm"] = ""
    elif {"gross_kg", "volume_cbm"} & set(changes):
        raw.pop("lines", None)
        raw["gross_kg"], raw["volume_cbm"] = str(demand.gross_kg), str(demand.volume_cbm)
    raw.update(changes)
    return raw


def _package_lines(demand: ShippingDemand, lines: Sequence[PackageLineInput]) -> list[PackageLine]:
    return [
        PackageLine(demand=demand, count=line.count, length_cm=line.length_cm,
                    width_cm=line.width_cm, height_cm=line.height_cm,
                    gross_kg_each=line.gross_kg_each)
        for line in lines
    ]


@transaction.atomic
def demand_post(*, firm: Firm, data: DemandInput) -> ShippingDemand:
    demand = ShippingDemand.objects.create(firm=firm, **data.model_fields())
    PackageLine.objects.bulk_create(_package_lines(demand, data.lines))
    return demand


def _need_locked(model: type[Need], *, firm: Firm, pk: int) -> Need:
    """The firm's demand or ad need, row-locked; 404 for other firms' (never reveals they exist)."""
    return lock_firm_need(model, firm=firm, pk=pk)


def _need_change(need: Need, fields: Mapping[str, Any], *, what: str) -> None:
    """Set a demand's or ad need's fields while it is open; pooled or later ones are fixed."""
    if need.status != type(need).Status.OPEN:
        raise Conflict(
            f"This {what} is {need.get_status_display().lower()}; only open {what}s can be "
            "changed.", fields={"status": [f"Only open {what}s can be changed."]},
        )
    for name, value in fields.items():
        setattr(need, name, value)
    need.save()


@transaction.atomic
def demand_update(*, firm: Firm, demand_id: int, data: DemandInput) -> ShippingDemand:
    """Change a demand while it is open; pooled or later demands are fixed."""
    demand = _need_locked(ShippingDemand, firm=firm, pk=demand_id)
    _need_change(demand, data.model_fields(), what="demand")
    demand.lines.all().delete()
    PackageLine.objects.bulk_create(_package_lines(demand, data.lines))
    return demand


def _need_withdraw(model: type[Need], *, firm: Firm, pk: int, link: str, actor: Any,
                   what: str) -> Need:
    """Withdraw a demand or ad need: it leaves pools not locked yet; a locked pool keeps it.

    Locks in the one order (pools, then the need): the pools it is a live member of
    are locked first, then the need, then the memberships are read again.
    """
    pool_ids = PoolMember.objects.filter(
        **{f"{link}__firm": firm, f"{link}_id": pk}, status__in=PoolMember.ACTIVE,
    ).values_list("pool_id", flat=True)
    pools = {p.pk: p for p in lock_pools(pool_ids)}
    need = lock_firm_need(model, firm=firm, pk=pk)
    status = type(need).Status
    if need.status not in (status.OPEN, status.POOLED):
        raise Conflict(
            f"This {what} is {need.get_status_display().lower()}; it cannot be withdrawn.",
            fields={"status": [f"A {need.status} {what} cannot be withdrawn."]},
        )
    live = list(PoolMember.objects.filter(**{link: need}, status__in=PoolMember.ACTIVE)
                .order_by("pool_id"))
    if any(m.pool_id not in pools for m in live):
        raise Conflict(f"This {what} joined a pool a moment ago; try again.")
    for member in live:
        pool = pools[member.pool_id]
        if pool.state not in POOL_STATES_BEFORE_LOCK:
            raise Conflict(
                f"This {what} is in pool #{pool.pk}, which is {pool.get_state_display().lower()}; "
                "it can no longer be withdrawn.",
                fields={"status": [f"Pool #{pool.pk} is {pool.state}."]},
            )
    for member in live:
        pool_members_out(pool=pools[member.pool_id], members=[member],
                         status=PoolMember.Status.LEFT, actor=actor, action="member_left",
                         reason=f"{member.firm} withdrew its {what}.")
    need.status = status.WITHDRAWN
    need.save(update_fields=["status", "updated_at"])
    return need


@transaction.atomic
def demand_withdraw(*, firm: Firm, demand_id: int, actor: Any = None) -> ShippingDemand:
    """Withdraw a demand; it leaves a pool that is not locked yet, and a locked pool keeps it."""
    return _need_withdraw(ShippingDemand, firm=firm, pk=demand_id, link="demand", actor=actor,
                          what="demand")


# --- CSV import --------------------------------------------------------------


@transaction.atomic
def demands_import(*, firm: Firm, rows: Sequence[DemandInput]) -> int:
    """Store validated demands in one transaction: all of them or none."""
    demands = ShippingDemand.objects.bulk_create(
        [ShippingDemand(firm=firm, **row.model_fields()) for row in rows], batch_size=2000
    )
    lines = [line for demand, row in zip(demands, rows, strict=True)
             for line in _package_lines(demand, row.lines)]
    if lines:
        PackageLine.objects.bulk_create(lines, batch_size=2000)
    return len(demands)


# --- ad needs ----------------------------------------------------------------


@dataclass(frozen=True)
class AdNeedInput:
    programme: ChannelProgramme
    market: str
    budget: Decimal
    currency: str
    flight_from: dt.date
    flight_to: dt.date
    category: str
    excluded_firm_ids: tuple[int, ...] = ()

    def model_fields(self) -> dict[str, Any]:
        return {
            "programme": self.programme, "market": self.market, "budget": self.budget,
            "currency": self.currency, "flight_from": self.flight_from,
            "flight_to": self.flight_to, "category": self.category,
        }


def _excluded(value: Any, firm: Firm) -> tuple[int, ...]:
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        items: list[Any] = inputs.text(value).split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _Invalid("Name firms by their ids, e.g. [12, 40].")
    if len(items) > MAX_EXCLUDED_FIRMS:
        raise _Invalid(f"Exclude at most {MAX_EXCLUDED_FIRMS} firms.")
    try:
        ids = sorted({inputs.integer(item.strip() if isinstance(item, str) else item,
                                     minimum=1, maximum=inputs.BIGINT_MAX)
                      for item in items if not (isinstance(item, str) and not item.strip())})
    except _Invalid:
        raise _Invalid("Name firms by their ids, e.g. [12, 40].") from None
    if firm.pk in ids:
        raise _Invalid("A firm cannot exclude itself.")
    # Ids of firms that do not exist are dropped, not reported: an answer that told them
    # apart would let anyone list which firm ids exist.
    known = set(Firm.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return tuple(i for i in ids if i in known)


def ad_need_input_parse(
    raw: Mapping[str, Any], *, firm: Firm, today: dt.date | None = None
) -> AdNeedInput:
    """Validate an ad need against its programme: market, currency, budget, flight length."""
    today = today or timezone.localdate()
    c = _Collector()
    programme = c.take("programme", _programme, raw.get("programme"))
    market = c.take("market", lambda: _country(_required(raw, "market")))
    if programme and market and programme.markets and market not in programme.markets:
        c.add("market", f"{programme.name} buys in {', '.join(programme.markets)}, not {market}.")
    currency = c.take("currency", lambda: _currency(_required(raw, "currency")))
    if programme and currency and currency != programme.currency:
        c.add("currency", f"{programme.name} buys in {programme.currency}, not {currency}.")
    budget = c.take("budget", _positive_required, raw, "budget", places=4, label="budget",
                    unit=currency or "", most=MAX_DECLARED_VALUE)
    if budget is not None and currency:
        rounded = quantize(budget, currency)
        if rounded != budget:
            c.add("budget", f"{currency} amounts have at most {minor_unit(currency)} decimal "
                            f"places; got {budget.normalize()}.")
        budget = rounded
    flight_from = c.take("flight_from", lambda: _date(_required(raw, "flight_from")))
    flight_to = c.take("flight_to", lambda: _date(_required(raw, "flight_to")))
    if flight_from and flight_from < today:
        c.add("flight_from", f"The flight cannot start in the past ({flight_from.isoformat()}).")
    if flight_from and flight_to:
        days = flight_days(flight_from, flight_to)
        if flight_to < flight_from:
            c.add("flight_to", f"The flight ends ({flight_to.isoformat()}) before it starts "
                               f"({flight_from.isoformat()}).")
        elif programme and days < programme.min_flight_days:
            c.add("flight_to", f"The flight lasts {days} days; {programme.name} needs at least "
                               f"{programme.min_flight_days} days.")
    category = c.take("category", lambda: _choice(_required(raw, "category"),
                                                  ProductCategory.choices, "product category"))
    excluded = c.take("excluded_firms", _excluded, raw.get("excluded_firms"), firm)
    c.raise_if_any()
    return AdNeedInput(programme=programme, market=market, budget=budget, currency=currency,
                       flight_from=flight_from, flight_to=flight_to, category=category,
                       excluded_firm_ids=excluded or ())


def _programme(value: Any) -> ChannelProgramme:
    if value is None or value == "":
        raise _Invalid("This field is required.")
    try:
        pk = inputs.integer(value.strip() if isinstance(value, str) else value, minimum=1,
                            maximum=inputs.BIGINT_MAX)
    except _Invalid:
        raise _Invalid(f"Name the programme by its id; got {excerpt(value)}.") from None
    programme = ChannelProgramme.objects.filter(pk=pk).first()
    if programme is None:
        raise _Invalid(f"No programme with id {pk}.")
    if not programme.active:
        raise _Invalid(f"{programme.name} is not taking new needs.")
    blocker = programme_pool_blocker(programme)
    if blocker is not None:
        raise _Invalid(f"{programme.name} cannot form a pool, so it takes no needs: {blocker}.")
    return programme


def ad_need_raw(need: AdNeed) -> dict[str, Any]:
    return {
        "programme": need.programme_id, "market": need.market, "budget": str(need.budget),
        "currency": need.currency, "flight_from": need.flight_from.isoformat(),
        "flight_to": need.flight_to.isoformat(), "category": need.category,
        "excluded_firms": [f.pk for f in need.excluded_firms.all()],
    }


@transaction.atomic
def ad_need_post(*, firm: Firm, data: AdNeedInput) -> AdNeed:
    need = AdNeed.objects.create(firm=firm, **data.model_fields())
    need.excluded_firms.set(data.excluded_firm_ids)
    return need


@transaction.atomic
def ad_need_update(*, firm: Firm, need_id: int, data: AdNeedInput) -> AdNeed:
    need = _need_locked(AdNeed, firm=firm, pk=need_id)
    _need_change(need, data.model_fields(), what="ad need")
    need.excluded_firms.set(data.excluded_firm_ids)
    return need


@transaction.atomic
def ad_need_withdraw(*, firm: Firm, need_id: int, actor: Any = None) -> AdNeed:
    return _need_withdraw(AdNeed, firm=firm, pk=need_id, link="ad_need", actor=actor,
                   what="ad need")


# --- the programme catalogue -------------------------------------------------


@dataclass(frozen=True)
class ProgrammeInput:
    name: str
    channel: str
    business_model: str
    markets: list[str]
    currency: str
    minimum_spend: Decimal
    tiers: list[dict[str, str]]
    management_fee_percent: Decimal
    standalone_fee_percent: Decimal
    min_flight_days: int
    category_exclusive: bool
    is_demo: bool = False
    active: bool = True
    partner_id: int | None = None


def _percent(text: Any, label: str) -> Decimal:
    value = _decimal(text if text not in (None, "") else "0", places=3, label=label)
    if value < 0 or value >= 100:
        raise _Invalid(f"{label.capitalize()} is a percentage from 0 up to 100; got {value}.")
    return value


def _tiers(value: Any) -> list[dict[str, str]]:
    try:
        return tiers_to_json(tiers_from_json(value))
    except FormatError as exc:
        raise _Invalid(exc.message) from None


def _markets(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        items = [inputs.text(m) for m in value]
    else:
        items = inputs.text(value).split(",")
    markets = [m.strip().upper() for m in items if m.strip()]
    if not markets:
        raise _Invalid("Name at least one market, e.g. [\"US\"].")
    unknown = [m for m in markets if m not in country_codes()]
    if unknown:
        raise _Invalid(f"Not ISO 3166-1 country codes: {', '.join(excerpt(m) for m in unknown[:5])}.")
    return sorted(set(markets))


def programme_input_parse(raw: Mapping[str, Any]) -> ProgrammeInput:
    c = _Collector()
    name = c.take("name", _required, raw, "name")
    if name and len(name) > 200:
        c.add("name", "A programme name has at most 200 characters.")
    channel = c.take("channel", lambda: _choice(_required(raw, "channel"), Channel.choices,
                                                "channel"))
    business_model = c.take("business_model", lambda: _choice(
        _required(raw, "business_model"), BusinessModel.choices, "business model"))
    markets = c.take("markets", _markets, raw.get("markets"))
    currency = c.take("currency", lambda: _currency(_required(raw, "currency")))
    minimum = c.take("minimum_spend", lambda: _decimal(_positive_input(raw, "minimum_spend"),
                                                        places=2, label="minimum spend"))
    if minimum is not None and minimum < 0:
        c.add("minimum_spend", "The minimum spend cannot be negative.")
    tiers = c.take("tiers", _tiers, raw.get("tiers"))
    fee = c.take("management_fee_percent", lambda: _percent(
        _number(raw, "management_fee_percent"), "management fee"))
    standalone = c.take("standalone_fee_percent", lambda: _percent(
        _number(raw, "standalone_fee_percent"), "standalone fee"))
    days = c.take("min_flight_days", lambda: _count_days(_number(raw, "min_flight_days") or "14"))
    exclusive = c.take("category_exclusive", _bool, raw.get("category_exclusive"))
    is_demo = c.take("is_demo", _bool, raw.get("is_demo"))
    active = c.take("active", _bool, raw.get("active", True))
    partner_id = c.take("partner", lambda: inputs.integer(
        raw["partner"], label="partner", minimum=1, maximum=inputs.BIGINT_MAX)
        if raw.get("partner") not in (None, "") else None)
    if partner_id is not None:
        from accounts.models import Partner

        if not Partner.objects.filter(pk=partner_id, kind=Partner.Kind.ADVERTISING).exists():
            c.add("partner", f"No advertising partner with id {partner_id}.")
    c.raise_if_any()
    return ProgrammeInput(
        name=name, channel=channel, business_model=business_model, markets=markets,
        currency=currency, minimum_spend=minimum, tiers=tiers, management_fee_percent=fee,
        standalone_fee_percent=standalone, min_flight_days=days, category_exclusive=exclusive,
        is_demo=is_demo, active=active, partner_id=partner_id,
    )


def _count_days(text: str) -> int:
    try:
        value = inputs.integer(text)
    except _Invalid:
        raise _Invalid(f"Enter a whole number of days; got {excerpt(text)}.") from None
    if not 1 <= value <= 366:
        raise _Invalid("The minimum flight lasts from 1 to 366 days.")
    return value


def programme_raw(programme: ChannelProgramme) -> dict[str, Any]:
    return {
        "name": programme.name, "channel": programme.channel,
        "business_model": programme.business_model, "markets": programme.markets,
        "currency": programme.currency, "minimum_spend": str(programme.minimum_spend),
        "tiers": programme.tiers,
        "management_fee_percent": str(programme.management_fee_percent),
        "standalone_fee_percent": str(programme.standalone_fee_percent),
        "min_flight_days": programme.min_flight_days,
        "category_exclusive": programme.category_exclusive, "is_demo": programme.is_demo,
        "active": programme.active, "partner": programme.partner_id,
    }


def _positive_input(raw: Mapping[str, Any], name: str) -> str:
    value = _number(raw, name)
    if not value:
        raise _Invalid("This field is required.")
    return value


def _programme_fields(data: ProgrammeInput) -> dict[str, Any]:
    return {name: getattr(data, name) for name in ProgrammeInput.__dataclass_fields__}


def _name_taken(name: str, exclude: int | None = None) -> None:
    taken = ChannelProgramme.objects.filter(name=name)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": [f"A programme named '{name}' already exists."]})


@transaction.atomic
def programme_create(*, data: ProgrammeInput) -> ChannelProgramme:
    _name_taken(data.name)
    return ChannelProgramme.objects.create(**_programme_fields(data))


@transaction.atomic
def programme_update(*, programme_id: int, data: ProgrammeInput) -> ChannelProgramme:
    programme = lock_programme(programme_id)
    if programme is None:
        raise NotFound()
    _name_taken(data.name, exclude=programme.pk)
    for name, value in _programme_fields(data).items():
        setattr(programme, name, value)
    programme.save()
    return programme
