"""Whether a shipping demand fits a consolidation: the one rule matching, joining and pages use.

Pure Python. A demand fits a logistics pool when it ships the pool's lane in the
pool's mode family, its cargo may be consolidated and the card accepts it, and the
pool's ship date lies inside the demand's ship window:

    ready_from + consolidation days <= ship date <= deliver_by - transit days

(and on or after today, inside the card's validity, when matching chooses the date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pooling.domain.units import Mode, mode_family

# Days a consolidation needs at origin between the last member's cargo being ready
# and the sailing or flight (DESIGN: 2 to 5 days).
CONSOLIDATION_DAYS = 3
MIXABLE_CLASSES = frozenset({"general", "magnetic", "powders", "liquids", "lithium_batteries"})


@dataclass(frozen=True)
class ShipWindow:
    """The ship dates open to a demand on a card: `first` to `last`, both included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @property
    def empty(self) -> bool:
        return self.first > self.last


def _window_dates(ready_from: date, deliver_by: date, transit_days: int,
                  consolidation_days: int) -> tuple[date, date]:
    """The rule: consolidated by `ready_from` + consolidation, delivered by `deliver_by`
    after transit."""
    return (ready_from + timedelta(days=consolidation_days),
            deliver_by - timedelta(days=transit_days))


def _within(first: date, last: date, today: date, valid_from: date,
            valid_to: date | None) -> tuple[date, date]:
    """A window cut to today onwards and to the card's validity."""
    return max(first, today, valid_from), last if valid_to is None else min(last, valid_to)


def ship_window(*, ready_from: date, deliver_by: date, transit_days: int,
                consolidation_days: int = CONSOLIDATION_DAYS) -> ShipWindow:
    """Consolidated by `ready_from` + consolidation, delivered by `deliver_by` after transit."""
    return ShipWindow(*_window_dates(ready_from, deliver_by, transit_days, consolidation_days))


def open_dates(*, ready_from: date, deliver_by: date, transit_days: int, today: date,
               valid_from: date, valid_to: date | None,
               consolidation_days: int = CONSOLIDATION_DAYS) -> tuple[date, date] | None:
    """The first and last ship date open to a demand on a card (its ship window inside
    today and the card's validity), or None when there is none: `window_problem` says why."""
    first, last = _window_dates(ready_from, deliver_by, transit_days, consolidation_days)
    if first > last or last < today:
        return None
    first, last = _within(first, last, today, valid_from, valid_to)
    return (first, last) if first <= last else None


def window_problem(*, ready_from: date, deliver_by: date, transit_days: int, today: date,
                   valid_from: date, valid_to: date | None, card_label: str,
                   consolidation_days: int = CONSOLIDATION_DAYS) -> tuple[ShipWindow, str]:
    """The window inside today and the card's validity, and why it is empty ("" when not)."""
    dates = open_dates(ready_from=ready_from, deliver_by=deliver_by, transit_days=transit_days,
                       today=today, valid_from=valid_from, valid_to=valid_to,
                       consolidation_days=consolidation_days)
    if dates is not None:
        return ShipWindow(*dates), ""
    window = ship_window(ready_from=ready_from, deliver_by=deliver_by,
                         transit_days=transit_days, consolidation_days=consolidation_days)
    if window.empty:
        return window, (
            f"window too short: ready {ready_from.isoformat()}, deliver by "
            f"{deliver_by.isoformat()}, transit {transit_days} days "
            f"(plus {consolidation_days} days to consolidate)")
    if window.last < today:
        return window, (
            f"too late to ship: the latest ship date {window.last.isoformat()} "
            f"(deliver by {deliver_by.isoformat()}, transit {transit_days} days) "
            f"is before today {today.isoformat()}")
    first, last = _within(window.first, window.last, today, valid_from, valid_to)
    until = valid_to.isoformat() if valid_to is not None else "open-ended"
    return ShipWindow(first, last), (
        f"rate card {card_label} is valid {valid_from.isoformat()} to {until}, outside the "
        f"ship window {max(window.first, today).isoformat()} to {window.last.isoformat()}")


@dataclass(frozen=True)
class ConsolidationSlot:
    """What a pool offers a demand: lane, mode, accepted cargo, ship date and transit."""

    origin: str
    destination: str
    mode: Mode
    accepted_classes: frozenset[str]
    ship_date: date | None
    transit_days: int


@dataclass(frozen=True)
class DemandShape:
    """What of a demand decides whether it fits a consolidation."""

    origin: str
    destination: str
    mode: Mode
    cargo_class: str
    ready_from: date
    deliver_by: date


MODE_LABELS = {"sea_lcl": "sea (LCL)", "sea_fcl": "sea (FCL)"}


def _mode(mode: Mode) -> str:
    return MODE_LABELS.get(mode.value, mode.value.replace("_", " "))


def demand_misfit(demand: DemandShape, slot: ConsolidationSlot) -> str:
    """Why the demand cannot join the consolidation, or "" when it fits."""
    if (demand.origin, demand.destination) != (slot.origin, slot.destination):
        return (f"it ships {demand.origin}→{demand.destination}, the pool "
                f"{slot.origin}→{slot.destination}.")
    if mode_family(demand.mode) != mode_family(slot.mode):
        return f"it ships by {_mode(demand.mode)}, the pool by {_mode(slot.mode)}."
    cargo = demand.cargo_class.replace("_", " ")
    if demand.cargo_class not in slot.accepted_classes:
        return f"the rate card does not accept {cargo}."
    if demand.cargo_class not in MIXABLE_CLASSES:
        return f"{cargo} cannot be consolidated with other cargo."
    ship = slot.ship_date
    if ship is None:
        return ""
    window = ship_window(ready_from=demand.ready_from, deliver_by=demand.deliver_by,
                         transit_days=slot.transit_days)
    if ship < window.first:
        return (f"it is ready {demand.ready_from.isoformat()}, too late to consolidate for "
                f"the {ship.isoformat()} sailing.")
    if ship > window.last:
        arrival = ship + timedelta(days=slot.transit_days)
        return (f"the pool arrives {arrival.isoformat()}, after its deliver-by date "
                f"{demand.deliver_by.isoformat()}.")
    return ""


__all__ = ["CONSOLIDATION_DAYS", "MIXABLE_CLASSES", "ConsolidationSlot", "DemandShape",
           "ShipWindow", "demand_misfit", "open_dates", "ship_window", "window_problem"]
