"""Splitting an amount to the minor unit: exact, fair and in one way."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.money import MoneyError, largest_remainder

D = Decimal

@settings(max_examples=200, deadline=None)
@given(st.integers(-10**9, 10**9),
       st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 6)), min_size=1, max_size=40))
def test_parts_add_up_and_each_is_within_a_cent_of_its_exact_share(
    cents: int, raw: list[tuple[int, int]],
) -> None:
    # given an amount in cents and weights with up to six decimal places
    total = D(cents).scaleb(-2)
    ws = [D(digits).scaleb(-places) for digits, places in raw]
    parts = largest_remainder(total, ws, "USD")
    # then the parts add up to the amount exactly, in whole cents
    assert sum(parts, D(0)) == total
    assert all(p == p.quantize(D("0.01")) for p in parts)
    # and each part is its exact proportional share rounded down or up by one cent
    weight_sum = sum((Fraction(w) for w in ws), Fraction(0))
    for w, part in zip(ws, parts, strict=True):
        exact = (Fraction(total) * Fraction(w) / weight_sum if weight_sum
                 else Fraction(total) / len(ws))
        assert abs(Fraction(part) - exact) < Fraction(1, 100)


def test_leftover_cents_go_to_the_largest_remainders_then_the_earlier_need() -> None:
    # 1.00 in thirds: 0.33 each and one cent left, which the first of the tie takes
    assert largest_remainder(D("1.00"), [D(1), D(1), D(1)], "USD") == [
        D("0.34"), D("0.33"), D("0.33")]
    # 0.10 over 1 : 2 : 7 (exact 0.01, 0.02, 0.07) leaves nothing over
    assert largest_remainder(D("0.10"), [D("0.1"), D("0.2"), D("0.7")], "USD") == [
        D("0.01"), D("0.02"), D("0.07")]
    # a remainder beyond 28 significant digits still decides: 2/3 of a cent beats 1/3
    tiny = D("1E-30")
    assert largest_remainder(D("0.01"), [tiny, 2 * tiny], "USD") == [D("0.00"), D("0.01")]
    # no weight at all: equal parts
    assert largest_remainder(D("0.05"), [D(0), D(0)], "USD") == [D("0.03"), D("0.02")]


@pytest.mark.parametrize("bad", [[D(-1), D(2)], [D("NaN")], [D("Infinity")]])
def test_weights_that_cannot_split_money_are_refused(bad: list[Decimal]) -> None:
    with pytest.raises(MoneyError):
        largest_remainder(D("1.00"), bad, "USD")


def test_an_amount_off_the_minor_unit_is_refused() -> None:
    with pytest.raises(MoneyError):
        largest_remainder(D("1.005"), [D(1)], "USD")
