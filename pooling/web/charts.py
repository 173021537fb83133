"""Savings over time as an inline SVG bar chart, laid out on the server (no JavaScript)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pooling.domain.proposals import fmt_money

WIDTH = 640
HEIGHT = 200
TOP = 16
BOTTOM = 28
LEFT = 8
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    css: str
    title: str


def savings_charts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """One chart per currency: per month a projected and a realised bar, scaled to the largest."""
    by_currency: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    charts = []
    for currency, months in sorted(by_currency.items()):
        months.sort(key=lambda r: r.month)
        top = max([max(r.projected, r.realised) for r in months] + [Decimal(1)])
        plot = HEIGHT - TOP - BOTTOM
        slot = max((WIDTH - LEFT) // max(len(months), 1), 24)
        bar_width = max((slot - 3 * BAR_GAP) // 2, 6)
        bars: list[Bar] = []
        labels: list[dict[str, Any]] = []
        for index, row in enumerate(months):
            x = LEFT + index * slot + BAR_GAP
            label = row.month.strftime("%b %Y")
            for offset, value, css, what in ((0, row.projected, "projected", "projected"),
                                             (bar_width + BAR_GAP, row.realised, "realised",
                                              "realised")):
                height = int(plot * max(value, Decimal(0)) / top)
                bars.append(Bar(x + offset, TOP + plot - height, bar_width, height, css,
                                f"{label}: {fmt_money(value, currency)} {what}"))
            labels.append({"x": x + bar_width, "y": HEIGHT - 8, "text": row.month.strftime("%b")})
        charts.append({
            "currency": currency, "bars": bars, "labels": labels, "width": WIDTH,
            "height": HEIGHT, "baseline": TOP + plot,
            "projected_total": fmt_money(sum((r.projected for r in months), Decimal(0)), currency),
            "realised_total": fmt_money(sum((r.realised for r in months), Decimal(0)), currency),
        })
    return charts
