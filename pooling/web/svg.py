"""Grouped bar charts laid out on the server as inline SVG: axes, gridlines, values on bars.

The template draws what this returns; no JavaScript and nothing from outside. Every chart is
also given as a table on the page, so the figures stay readable without the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from pooling.domain.proposals import fmt_money

WIDTH = 720
HEIGHT = 280
LEFT = 84
RIGHT = 12
TOP = 24
BOTTOM = 40
TICKS = 4


@dataclass(frozen=True)
class SvgBar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    value_label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class CategoryLabel:
    x: float
    text: str


def nice_ceiling(value: Decimal) -> Decimal:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - the loop always returns


def _short(value: Decimal) -> str:
    if value >= 1_000_000:
        return f"{(value / 1_000_000).normalize():f}M"
    if value >= 1_000:
        return f"{(value / 1_000).quantize(Decimal('0.1'), rounding=ROUND_CEILING).normalize():f}k"
    return f"{value.normalize():f}"


def bar_chart(*, title: str, categories: Sequence[str],
              series: Sequence[tuple[str, str, Sequence[Decimal]]], currency: str) -> dict[str, Any]:
    """`series` is (name, css class, one value per category)."""
    values = [v for _, _, vs in series for v in vs]
    top = nice_ceiling(max(values + [Decimal(0)]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w / max(len(categories), 1)
    bar_w = min(48.0, slot * 0.8 / max(len(series), 1))
    bars: list[SvgBar] = []
    labels: list[CategoryLabel] = []
    for index, category in enumerate(categories):
        group_x = LEFT + index * slot + (slot - bar_w * len(series)) / 2
        for number, (name, css, vs) in enumerate(series):
            value = max(vs[index], Decimal(0))
            height = float(Decimal(plot_h) * value / top)
            bars.append(SvgBar(
                x=round(group_x + number * bar_w, 1), y=round(baseline - height, 1),
                width=round(bar_w - 2, 1), height=round(height, 1), css=css,
                title=f"{category}, {name}: {fmt_money(vs[index], currency)}",
                value_label=_short(value)))
        labels.append(CategoryLabel(x=round(LEFT + index * slot + slot / 2, 1), text=category))
    ticks = [Tick(y=round(baseline - plot_h * i / TICKS, 1), label=_short(top * i / TICKS))
             for i in range(TICKS + 1)]
    return {
        "title": title, "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "top": TOP, "baseline": baseline, "bars": bars, "labels": labels, "ticks": ticks,
        "series": [(name, css) for name, css, _ in series], "currency": currency,
        "label_y": baseline + 18, "axis_label_y": TOP - 8,
    }
