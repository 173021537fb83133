"""Settling pools: fair shares to the cent, holds, FX, credit notes, exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coop.errors import ApplicationError
from pooling.domain.formats import ContainerSlot, LclSlot, Placement
from pooling.models import (
    Account,
    Invoice,
    LedgerEntry,
    LedgerTransaction,
    Pool,
    PoolEvent,
    Settlement,
    SettlementShare,
)
from pooling.services.settlement import (
    settlement_release,
    settlement_run,
    settlements_due,
    settlements_sweep,
)
from tests.factories import AirRateCardFactory, SeaRateCardFactory
from tests.factories_settlement import (
    ads_pool,
    check_deferred_constraints,
    fx,
    ledger_sums,
    logistics_pool,
    post_invoice,
)

pytestmark = pytest.mark.django_db
D = Decimal

LCL_LINES = [("LCL", "per_wm", "1900.00"), ("BAF", "percentage", "190.00", "LCL"),
             ("DOC", "per_shipment", "75.00")]


def shares_of(settlement: Settlement) -> dict[int, SettlementShare]:
    return {s.member_id: s for s in settlement.shares.all()}


def balances() -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for e in LedgerEntry.objects.select_related("account"):
        key = (e.account.name, e.currency)
        out[key] = out.get(key, D(0)) + e.amount
    return out


def test_lcl_invoice_is_split_by_wm_and_posted_balanced():
    # given three members with 2, 5 and 13 W/M and an LCL invoice
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "5"}, {"cbm": "13"}])
    invoice = post_invoice(pool, LCL_LINES)

    # when the pool is settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then each line follows its basis and adds up exactly
    assert settlement is not None
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.total == D("2165.00")
    members = list(pool.members.order_by("pk"))
    shares = shares_of(settlement)
    assert [shares[m.pk].amount for m in members] == [D("216.50"), D("541.25"), D("1407.25")]
    assert {ln["charge_code"]: ln["amount"] for ln in shares[members[0].pk].lines} == {
        "LCL": "190.00", "BAF": "19.00", "DOC": "7.50"}
    assert sum(s.amount for s in shares.values()) == invoice.total
    # and the ledger has one balanced transaction: partner credited, firms debited
    txn = LedgerTransaction.objects.get(settlement=settlement)
    legs = {(e.account.kind, e.amount) for e in txn.entries.select_related("account")}
    assert (Account.Kind.PARTNER, D("-2165.00")) in legs
    assert sorted(a for k, a in legs if k == Account.Kind.FIRM) == [D("216.50"), D("541.25"),
                                                                      D("1407.25")]
    assert set(ledger_sums().values()) == {D(0)}
    check_deferred_constraints()
    # and the pool is settled with its history
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED
    assert PoolEvent.objects.filter(pool=pool, to_state=Pool.State.SETTLED).count() == 1
    assert any("split by revenue tons" in line for line in settlement.explanation)


def test_running_twice_creates_nothing_new(mailoutbox):
    # given a settled pool
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "5"}])
    invoice = post_invoice(pool, LCL_LINES)
    settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    counts = (Settlement.objects.count(), SettlementShare.objects.count(),
              LedgerTransaction.objects.count(), LedgerEntry.objects.count(),
              PoolEvent.objects.count())

    # when the task is delivered again and the sweeper runs
    again = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    swept = settlements_sweep()

    # then nothing new is written
    assert again is None
    assert swept == 0
    assert (Settlement.objects.count(), SettlementShare.objects.count(),
            LedgerTransaction.objects.count(), LedgerEntry.objects.count(),
            PoolEvent.objects.count()) == counts


def test_sweeper_settles_a_pool_whose_message_was_lost():
    # given an invoiced pool whose settlement message never arrived
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "5"}])
    post_invoice(pool, LCL_LINES)
    assert settlements_due() == [pool.pk]

    # when the sweeper runs
    count = settlements_sweep()

    # then it is settled once and nothing is left due
    assert count == 1
    assert Settlement.objects.filter(pool=pool, status="completed").count() == 1
    assert settlements_due() == []


def test_shares_in_other_billing_currencies_use_the_posted_rate_and_balance_per_currency():
    # given members billed in USD, EUR, JPY and KWD, and posted rates (one as inverse pair)
    pool = logistics_pool([{"cbm": "3", "currency": "USD"}, {"cbm": "3", "currency": "EUR"},
                           {"cbm": "3", "currency": "JPY"}, {"cbm": "3", "currency": "KWD"}])
    fx("USD", "EUR", "0.9213")
    fx("USD", "JPY", "151.37")
    fx("KWD", "USD", "3.2550")
    fx("USD", "EUR", "0.5", as_of=timezone.localdate() + dt.timedelta(days=3))  # after issue
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.01")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then each share is converted at the latest rate on or before the issue date
    by_currency = {s.billing_currency: s for s in settlement.shares.all()}
    assert sorted(s.amount for s in by_currency.values()) == [D("250.00"), D("250.00"),
                                                              D("250.00"), D("250.01")]
    eur, jpy, kwd = by_currency["EUR"], by_currency["JPY"], by_currency["KWD"]
    assert eur.fx_rate == D("0.9213")
    assert eur.billing_amount == (eur.amount * D("0.9213")).quantize(D("0.01"), ROUND_HALF_UP)
    assert jpy.billing_amount == (jpy.amount * D("151.37")).quantize(D("1"), ROUND_HALF_UP)
    assert jpy.billing_amount == jpy.billing_amount.to_integral_value()
    assert kwd.fx_rate == (D(1) / D("3.2550")).quantize(D("1e-10"))
    assert kwd.billing_amount == (kwd.amount * kwd.fx_rate).quantize(D("0.001"), ROUND_HALF_UP)
    # and every currency balances, through clearing and the FX account
    assert set(ledger_sums().values()) == {D(0)}
    check_deferred_constraints()
    kinds = set(LedgerEntry.objects.values_list("account__kind", "currency"))
    assert {("clearing", "USD"), ("clearing", "EUR"), ("clearing", "JPY"),
            ("clearing", "KWD")} <= kinds
    assert ("firm", "JPY") in kinds


def test_a_missing_rate_holds_the_settlement_with_a_clear_reason():
    # given a member billed in EUR and no USD/EUR rate on or before the issue date
    pool = logistics_pool([{"cbm": "3"}, {"cbm": "3", "currency": "EUR"}])
    fx("USD", "EUR", "0.92", as_of=dt.date(2030, 1, 1))
    invoice = post_invoice(pool, [("LCL", "per_wm", "600.00")], issue_date=dt.date(2026, 1, 31))

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then it is held, and nothing is posted or charged
    assert settlement.status == Settlement.Status.HELD
    assert settlement.hold_reason.startswith("No USD→EUR rate on or before 2026-01-31")
    assert SettlementShare.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    pool.refresh_from_db()
    assert pool.state == Pool.State.INVOICED

    # and once the rate is posted, a coordinator releases it
    fx("USD", "EUR", "0.92", as_of=dt.date(2026, 1, 30))
    settlement_release(settlement_id=settlement.pk, actor=None, reason="Rate posted late.")
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.shares.get(billing_currency="EUR").billing_amount == D("276.00")


def test_invoice_above_standalone_costs_is_held_then_released_with_a_reason(coordinator):
    # given members who would pay 500 and 400 alone, and an invoice of 1000
    pool = logistics_pool([{"cbm": "3", "standalone": "500"}, {"cbm": "3", "standalone": "400"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then it is held: nobody is charged more than going alone
    assert settlement.status == Settlement.Status.HELD
    assert "exceeds the members' standalone costs USD 900.00" in settlement.hold_reason
    assert LedgerEntry.objects.count() == 0

    # when a coordinator releases it without a reason
    with pytest.raises(ValidationError) as error:
        settlement_release(settlement_id=settlement.pk, actor=coordinator, reason="  ")

    # then nothing changes
    assert error.value.message_dict == {
        "reason": ["Say why this settlement may post despite the hold."]}
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.HELD
    assert LedgerEntry.objects.count() == 0

    # when released with a reason
    settlement_release(settlement_id=settlement.pk, actor=coordinator,
                       reason="Port congestion surcharge agreed with members.")

    # then it posts, with the reason recorded, and the pool is settled
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.override_reason == "Port congestion surcharge agreed with members."
    assert sum(s.amount for s in settlement.shares.all()) == D("1000.00")
    assert any("Override reason" in line for line in settlement.explanation)
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED
    assert set(ledger_sums().values()) == {D(0)}

    # and a second release is refused
    with pytest.raises(ApplicationError):
        settlement_release(settlement_id=settlement.pk, actor=coordinator, reason="again")


def test_empty_core_from_container_steps_is_explained():
    # given containers of 10 cbm at 1000 each and loads of 5, 5 and 1 cbm
    card = SeaRateCardFactory(mode="sea_fcl", lcl_rate_per_wm=None, fees=[], surcharges=[],
                              equipment=[{"code": "20GP", "price": "1000.00", "usable_cbm": "10",
                                          "payload_kg": "20000"}])
    pool = logistics_pool([{"cbm": "5", "kg": "500", "standalone": "1000"},
                           {"cbm": "5", "kg": "500", "standalone": "1000"},
                           {"cbm": "1", "kg": "100", "standalone": "1000"}], card=card)
    invoice = post_invoice(pool, [("FRT-20GP", "per_container", "2000.00", "", "20GP")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then the split stands and the explanation says the core is empty
    assert settlement.status == Settlement.Status.COMPLETED
    assert any(line.startswith("The core is empty") for line in settlement.explanation)
    assert sorted(s.amount for s in settlement.shares.all()) == [D("181.82"), D("909.09"),
                                                                 D("909.09")]


def test_split_outside_a_non_empty_core_uses_the_least_core():
    # given an air pool whose per-shipment charge is shared equally (unfair to small members)
    card = AirRateCardFactory(fees=[], surcharges=[])
    pool = logistics_pool([{"kg": "600", "cbm": "1", "standalone": None},
                           {"kg": "300", "cbm": "1", "standalone": None},
                           {"kg": "100", "cbm": "0.3", "standalone": None}],
                          card=card, per_shipment_key="equal")
    invoice = post_invoice(pool, [("FRT", "per_shipment", "2600.00")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then standalone costs were priced on the pool's card and the least core is used
    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.method == "least_core"
    assert any("outside the core" in line for line in settlement.explanation)
    shares = {s.standalone_cost: s.amount for s in settlement.shares.all()}
    assert set(shares) == {D("1740.00"), D("960.00"), D("370.00")}
    assert all(amount <= alone for alone, amount in shares.items())
    assert sum(shares.values()) == D("2600.00")


def test_shapley_split_prices_every_group_on_the_card():
    # given an air pool that chose the Shapley value
    card = AirRateCardFactory(fees=[], surcharges=[])
    pool = logistics_pool([{"kg": "600", "cbm": "1", "standalone": "1740"},
                           {"kg": "300", "cbm": "1", "standalone": "960"},
                           {"kg": "100", "cbm": "0.3", "standalone": "370"}],
                          card=card, split_method="shapley")
    invoice = post_invoice(pool, [("FRT", "per_kg", "2600.00")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then shares follow the Shapley values and add up
    assert settlement.method == "shapley"
    assert settlement.sampling_error is None
    assert sum(s.amount for s in settlement.shares.all()) == D("2600.00")
    assert any("Shapley value" in line for line in settlement.explanation)


def _boxed(*slots: tuple[str, str]) -> dict:
    """A stored placement: (label, cbm) per container slot."""
    return Placement(containers=tuple(
        ContainerSlot(label=label, code=label.split("#")[0], volume_cbm=D(cbm),
                      gross_kg=D("1000")) for label, cbm in slots)).to_json()


def test_container_lines_follow_the_members_placements():
    # given two members in a 40HC and one in LCL
    pool = logistics_pool([{"cbm": "30", "placement": _boxed(("40HC#1", "30"))},
                           {"cbm": "20", "placement": _boxed(("40HC#1", "20"))},
                           {"cbm": "4", "placement": Placement(lcl=LclSlot(
                               volume_cbm=D("4"), gross_kg=D("500"))).to_json()}])
    members = list(pool.members.order_by("pk"))
    invoice = post_invoice(pool, [("FRT-40HC", "per_container", "2800.00", "", "40HC"),
                                  ("LCL", "per_wm", "380.00")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then the container is shared only by those loaded in it
    shares = shares_of(settlement)
    lines = {m.pk: {ln["charge_code"]: ln["amount"] for ln in shares[m.pk].lines}
             for m in members}
    assert lines[members[0].pk]["FRT-40HC"] == "1680.00"
    assert lines[members[1].pk]["FRT-40HC"] == "1120.00"
    assert "FRT-40HC" not in lines[members[2].pk]


def test_a_line_for_the_second_container_is_charged_only_to_the_member_in_it():
    # given two members, each alone in its own 40HC
    pool = logistics_pool([{"cbm": "40", "placement": _boxed(("40HC#1", "40"))},
                           {"cbm": "50", "placement": _boxed(("40HC#2", "50"))}])
    first, second = pool.members.order_by("pk")
    invoice = post_invoice(pool, [("FRT-40HC", "per_container", "2800.00", "", "40HC#1"),
                                  ("FRT-40HC", "per_container", "2800.00", "", "40HC#2"),
                                  ("DEM", "per_container", "300.00", "", "40HC#2")])

    # when settled
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then each pays its own box, and only the second member the second box's demurrage
    lines = {pk: [(ln["charge_code"], ln["amount"]) for ln in share.lines]
             for pk, share in shares_of(settlement).items()}
    assert [ln for ln in lines[first.pk] if ln[0] in ("FRT-40HC", "DEM")] == [
        ("FRT-40HC", "2800.00")]
    assert [ln for ln in lines[second.pk] if ln[0] in ("FRT-40HC", "DEM")] == [
        ("FRT-40HC", "2800.00"), ("DEM", "300.00")]
    assert not any("No placement is recorded" in line for line in settlement.explanation)


def test_an_unreadable_placement_holds_the_settlement():
    pool = logistics_pool([{"cbm": "30", "placement": {"containers": [{"code": "40HC"}]}},
                           {"cbm": "20"}])
    invoice = post_invoice(pool, [("FRT-40HC", "per_container", "2800.00", "", "40HC")])

    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    assert settlement.status == Settlement.Status.HELD
    assert "placement of member #" in settlement.hold_reason
    assert LedgerEntry.objects.count() == 0


def test_container_lines_without_placement_are_split_by_volume():
    pool = logistics_pool([{"cbm": "30"}, {"cbm": "10"}])
    invoice = post_invoice(pool, [("FRT-40HC", "per_container", "2800.00", "", "40HC")])

    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    assert sorted(s.amount for s in settlement.shares.all()) == [D("700.00"), D("2100.00")]
    assert any("No placement is recorded for container 40HC" in line
               for line in settlement.explanation)


def test_credit_note_reverses_the_settlement_and_posts_a_new_version():
    # given a settled pool
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "8"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "1000.00"), ("DOC", "per_shipment", "80.00")])
    first = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    first_txn = LedgerTransaction.objects.get(settlement=first)

    # when the partner credits 100 of the freight
    Pool.objects.filter(pk=pool.pk).update(state=Pool.State.INVOICED)
    credit = post_invoice(pool, [("LCL", "per_wm", "100.00")], kind=Invoice.Kind.CREDIT_NOTE,
                          corrects=invoice)
    second = settlement_run(pool_id=pool.pk, invoice_id=credit.pk)

    # then the first settlement is reversed by a reversing transaction
    first.refresh_from_db()
    assert first.status == Settlement.Status.REVERSED
    reversal = LedgerTransaction.objects.get(reverses=first_txn)
    assert sorted(e.amount for e in reversal.entries.all()) == sorted(
        -e.amount for e in first_txn.entries.all())
    # and version 2 settles the corrected amount
    assert second.version == 2
    assert second.invoice == credit
    assert second.total == D("980.00")
    assert sorted(s.amount for s in second.shares.all()) == [D("196.00"), D("784.00")]
    # and every firm's balance is its new share; the partner is owed the corrected total
    assert sorted(v for (name, _), v in balances().items() if "payable" in name
                  and v > 0) == [D("196.00"), D("784.00")]
    assert D("-980.00") in balances().values()
    assert set(ledger_sums().values()) == {D(0)}
    check_deferred_constraints()
    pool.refresh_from_db()
    assert pool.state == Pool.State.SETTLED


def test_ads_pool_members_pay_their_own_spend_and_share_rebate_and_fees_by_spend():
    pool = ads_pool([{"spend": "30000.00", "rebate": "600.00", "fees": "2400.00"},
                     {"spend": "10000.00", "rebate": "200.00", "fees": "800.00"}])

    settlement = settlement_run(pool_id=pool.pk)

    assert settlement.status == Settlement.Status.COMPLETED
    assert settlement.method == "ad_spend"
    assert sorted(s.amount for s in settlement.shares.all()) == [D("10600.00"), D("31800.00")]
    assert settlement_run(pool_id=pool.pk) is None


def test_an_invoice_of_another_pool_is_refused():
    pool = logistics_pool([{"cbm": "2"}, {"cbm": "3"}])
    other = logistics_pool([{"cbm": "2"}, {"cbm": "3"}])
    invoice = post_invoice(other, LCL_LINES)

    with pytest.raises(ApplicationError):
        settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    assert Settlement.objects.count() == 0


currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD"])
member_loads = st.fixed_dictionaries({
    "cbm": st.decimals(min_value=D("0.1"), max_value=D("60"), places=3),
    "kg": st.decimals(min_value=D("1"), max_value=D("20000"), places=1),
    "currency": currencies,
})
invoice_lines = st.lists(st.tuples(
    st.sampled_from([("FRT", "per_kg"), ("LCL", "per_wm"), ("DOC", "per_shipment"),
                     ("FRT-40HC", "per_container")]),
    st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)), min_size=1, max_size=4)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(loads=st.lists(member_loads, min_size=1, max_size=6), lines=invoice_lines,
       surcharge=st.booleans())
def test_any_settlement_adds_up_per_line_and_balances_per_currency(loads, lines, surcharge):
    # given a random pool and invoice, and rates for every billing currency
    for quote, rate in (("EUR", "0.9137"), ("JPY", "151.3"), ("KWD", "0.3071")):
        fx("USD", quote, rate, as_of=dt.date(2020, 1, 1))
    pool = logistics_pool(loads)
    cost_lines = [(code, basis, str(amount)) for (code, basis), amount in lines]
    if surcharge:
        cost_lines.append(("BAF", "percentage", "12.34", cost_lines[0][0]))
    invoice = post_invoice(pool, cost_lines)
    entries_before = LedgerEntry.objects.count()

    # when settled twice
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    again = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)

    # then the shares add up exactly, line by line and in total
    assert again is None
    assert settlement.status == Settlement.Status.COMPLETED, settlement.hold_reason
    shares = list(settlement.shares.all())
    assert sum(s.amount for s in shares) == invoice.total
    for code in {c[0] for c in cost_lines}:
        line_total = sum(D(ln["amount"]) for s in shares for ln in s.lines
                         if ln["charge_code"] == code)
        assert line_total == sum(D(c[2]) for c in cost_lines if c[0] == code)
    for s in shares:
        places = {"JPY": 0, "KWD": 3}.get(s.billing_currency, 2)
        assert s.billing_amount == s.billing_amount.quantize(D(1).scaleb(-places))
    # and the ledger balances per transaction and currency
    assert LedgerEntry.objects.count() > entries_before
    assert set(ledger_sums().values()) == {D(0)}
    check_deferred_constraints()


def test_demo_invoices_and_settles_the_delivered_pool_once():
    from pooling.demo import DemoReport
    from pooling.demos import settlement as demo
    from pooling.models import FxRate

    # given a delivered pool
    pool = logistics_pool([{"cbm": "8", "kg": "2000", "standalone": "1000"},
                           {"cbm": "6", "kg": "1500", "standalone": "800", "currency": "EUR"}],
                          state=Pool.State.DELIVERED)

    # when the demo loads twice
    report = DemoReport()
    demo.load(report, {"delivered_pool": pool})
    counts = (Invoice.objects.count(), Settlement.objects.count(), FxRate.objects.count(),
              LedgerEntry.objects.count())
    again = DemoReport()
    demo.load(again, {"delivered_pool": pool})

    # then the pool was invoiced on its card and settled, then invoiced once more for
    # destination handling and settled again as version 2 covering both invoices
    first, second = Settlement.objects.filter(pool=pool).order_by("version")
    assert first.status == Settlement.Status.REVERSED
    assert first.invoice.total == D("1538.00")  # 14 W/M x 95 + 10% BAF + DOC 75
    assert second.status == Settlement.Status.COMPLETED
    assert second.total == D("1658.00")
    assert len(second.allocation["covers"]) == 2
    assert counts == (2, 2, 3, LedgerEntry.objects.count())
    assert (Invoice.objects.count(), Settlement.objects.count(), FxRate.objects.count()) == \
        counts[:3]
    assert again.created == []
