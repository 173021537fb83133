"""How figures and counts read: one set of helpers (`pooling.domain.wording`) behind the
template filters, the matching reasons and the messages."""

from __future__ import annotations

from decimal import Decimal as D

from django.template import Context, Template

from pooling.domain import wording
from pooling.templatetags.coop import cbm, count, kg, percent, qty, wm


def test_weights_volumes_and_revenue_tons_carry_their_unit_and_group_thousands() -> None:
    assert kg(D("1234.500")) == "1,234.5 kg"
    assert kg(D("2400.000")) == "2,400 kg"
    assert kg(D("333.3333")) == "333.33 kg"
    assert kg("26600") == "26,600 kg"
    assert cbm(D("12.345")) == "12.35 CBM"
    assert cbm(D("15.000000")) == "15.00 CBM"
    assert cbm(D("1250")) == "1,250.00 CBM"
    assert wm(D("2.5")) == "2.50 W/M"
    assert qty(D("2500.000")) == "2,500"


def test_percentages_drop_a_tail_of_zeros() -> None:
    assert percent(D("2.000")) == "2%"
    assert percent("1.50") == "1.5%"
    assert percent(D("12.25")) == "12.25%"
    assert percent(D("0")) == "0%"


def test_anything_that_is_not_a_number_reads_as_a_dash() -> None:
    for value in (None, "", "abc", "NaN", True):
        assert kg(value) == "—"
        assert cbm(value) == "—"
        assert percent(value) == "—"


def test_counts_agree_with_their_nouns_and_verbs() -> None:
    assert count(1, "row") == "1 row"
    assert count(3, "row") == "3 rows"
    assert count(0, "open ad need") == "0 open ad needs"
    assert count(2, "box,boxes") == "2 boxes"
    assert count([1, 2], "container") == "2 containers"
    assert count(1200, "demand") == "1,200 demands"
    assert wording.counted(2, "demand", whole=True) == "both demands"
    assert wording.counted(3, "demand", whole=True) == "all 3 demands"
    assert wording.counted(1, "demand", whole=True) == "1 demand"
    assert f"1 of 3 rows {wording.verb(1, 'has', 'have')} errors" == "1 of 3 rows has errors"
    assert f"2 of 3 rows {wording.verb(2, 'has', 'have')} errors" == "2 of 3 rows have errors"


def test_money_reads_the_same_in_messages_and_pages() -> None:
    assert wording.money(D("1234.5"), "USD") == "USD 1,234.50"
    assert wording.money(D("151234.6"), "JPY") == "JPY 151,235"
    assert wording.money(D("316.3784"), "KWD") == "KWD 316.378"
    page = Template('{% load coop %}{{ v|money:"USD" }} · {{ w|kg }} · {{ n|count:"row" }}').render(
        Context({"v": D("1234.500000"), "w": D("1234.500"), "n": 1}))
    assert page == "USD 1,234.50 · 1,234.5 kg · 1 row"
