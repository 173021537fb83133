from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pooling.domain.ad_matching import ProgrammeIn, Tier
from pooling.domain.tier_preview import tier_preview
from pooling.web.svg import bar_chart, nice_ceiling

D = Decimal


def programme(tiers: tuple[Tier, ...], minimum: str = "50000") -> ProgrammeIn:
    return ProgrammeIn(id=1, name="DSP", currency="USD", markets=frozenset({"US"}),
                       minimum_spend=D(minimum), tiers=tiers, management_fee_percent=D("8"),
                       standalone_fee_percent=D("15"), min_flight_days=14,
                       category_exclusive=False)


def test_each_tier_shows_what_a_pool_pays_against_alone() -> None:
    rows = tier_preview(programme((Tier(D("50000"), D("2")), Tier(D("100000"), D("4")))))

    assert [(r.spend, r.rebate, r.fee, r.pooled_cost, r.alone_cost, r.saving) for r in rows] == [
        (D("50000"), D("1000.00"), D("4000.00"), D("53000.00"), D("56500.00"), D("3500.00")),
        (D("100000"), D("4000.00"), D("8000.00"), D("104000.00"), D("111000.00"), D("7000.00")),
    ]
    assert rows[0].is_minimum and not rows[1].is_minimum


def test_a_programme_without_tiers_still_shows_its_minimum() -> None:
    rows = tier_preview(programme(()))

    assert len(rows) == 1
    assert rows[0].rebate_percent == 0 and rows[0].saving == D("3500.00")


@given(st.lists(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False), min_size=1,
                max_size=12))
def test_chart_axis_covers_every_value_and_bars_stay_inside(values: list[Decimal]) -> None:
    chart = bar_chart(title="t", categories=[str(i) for i in range(len(values))],
                      series=[("Paid", "bar-paid", values)], currency="USD")

    assert nice_ceiling(max(values)) >= max(values)
    for bar in chart["bars"]:
        assert chart["top"] - 0.01 <= bar.y <= chart["baseline"] + 0.01
        assert bar.y + bar.height <= chart["baseline"] + 0.01
