"""Planning a settlement without the database: properties of the split and the words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.domain.allocation import CostLine, MemberLoad
from pooling.domain.settlement import (
    CREDIT_NOTE,
    INVOICE,
    NO_MEMBER_OVER,
    Document,
    LogisticsInputs,
    MemberInput,
    PlanHold,
    net_lines,
    plan_logistics,
    released_note,
)

D = Decimal
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: D(c) / 100)


def _inputs(cbms: list[Decimal], standalone: list[Decimal], documents: tuple[Document, ...],
            *, override: bool = False) -> LogisticsInputs:
    members = tuple(MemberInput(
        label=f"member #{n}", load=MemberLoad(member_id=f"member #{n}", chargeable_kg=cbm * 167,
                                              revenue_tons=cbm, volume_cbm=cbm),
        standalone_cost=alone) for n, (cbm, alone) in enumerate(zip(cbms, standalone,
                                                                     strict=True), start=1))
    return LogisticsInputs(currency="USD", documents=documents, members=members, card=None,
                           card_error="", card_currency="USD", card_rate=D(1), rate_note="",
                           mode="sea_lcl", split_method="proportional",
                           per_shipment_key="chargeable_kg", seed=1, override=override)


def _invoice(name: str, *lines: tuple[str, str, Decimal], kind: str = INVOICE) -> Document:
    return Document(name=name, kind=kind, currency="USD",
                    total=sum((amount for _, _, amount in lines), D(0)),
                    lines=tuple(CostLine(code, basis, amount) for code, basis, amount in lines))


@settings(max_examples=60, deadline=None)
@given(cbms=st.lists(st.integers(min_value=1, max_value=60).map(D), min_size=1, max_size=6),
       freight=cents, doc=cents)
def test_shares_add_up_to_the_net_invoice_and_stay_within_standalone(cbms, freight, doc):
    documents = (_invoice("Invoice A", ("LCL", "per_wm", freight), ("DOC", "per_shipment", doc)),)
    standalone = [freight + doc] * len(cbms)

    plan = plan_logistics(_inputs(cbms, standalone, documents))

    assert sum(s.amount for s in plan.shares) == plan.total == freight + doc
    assert all(s.amount <= s.standalone for s in plan.shares)  # type: ignore[operator]
    assert NO_MEMBER_OVER in plan.explanation


def test_credit_notes_reduce_the_matching_line():
    lines, notes = net_lines((
        _invoice("Invoice A", ("LCL", "per_wm", D("1000.00")), ("DOC", "per_shipment", D("75"))),
        _invoice("Credit note B", ("LCL", "per_wm", D("100.00")), kind=CREDIT_NOTE),
    ), "USD")

    assert [(ln.charge_code, ln.amount) for ln in lines] == [("LCL", D("900.00")),
                                                              ("DOC", D("75.00"))]
    assert notes == ["Credit note B credits USD 100.00."]


def test_over_standalone_is_held_unless_released_and_then_named():
    documents = (_invoice("Invoice A", ("LCL", "per_wm", D("1000.00"))),)
    with pytest.raises(PlanHold):
        plan_logistics(_inputs([D(3), D(3)], [D(500), D(400)], documents))

    plan = plan_logistics(_inputs([D(3), D(3)], [D(500), D(400)], documents, override=True))

    assert NO_MEMBER_OVER not in plan.explanation
    assert plan.explanation[-1] == (
        "A coordinator released this settlement with a recorded reason: member #2 pays "
        "USD 100.00 more than its standalone cost USD 400.00.")


def test_a_release_where_nobody_pays_more_says_so_once():
    note = released_note({"a": D(10)}, {"a": D(12)}, "USD")

    assert note == ("A coordinator released this settlement; every member pays no more than "
                    "its standalone cost.")
