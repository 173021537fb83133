"""PostgreSQL itself keeps the ledger balanced and immutable, even against raw SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from pooling.models import Account, LedgerEntry, LedgerTransaction
from pooling.services.ledger import AccountCache, LedgerError, Leg, ledger_post, ledger_reverse
from tests.factories import FirmFactory, PartnerFactory

D = Decimal


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the ledger triggers are PostgreSQL's")


def accounts() -> tuple[Account, Account]:
    firm = Account.objects.create(kind="firm", firm=FirmFactory(), currency="USD", name="firm")
    partner = Account.objects.create(kind="partner", partner=PartnerFactory(), currency="USD",
                                     name="partner")
    return firm, partner


def raw_transaction(cursor, legs: list[tuple[int, str, str]]) -> int:  # type: ignore[no-untyped-def]
    cursor.execute("INSERT INTO pooling_ledgertransaction (description, created_at) "
                   "VALUES ('raw', now()) RETURNING id")
    txn_id = cursor.fetchone()[0]
    for account_id, currency, amount in legs:
        cursor.execute("INSERT INTO pooling_ledgerentry (transaction_id, account_id, currency, "
                       "amount, memo) VALUES (%s, %s, %s, %s, '')",
                       [txn_id, account_id, currency, amount])
    return txn_id


@pytest.mark.django_db(transaction=True)
def test_raw_sql_unbalanced_transaction_is_rejected_at_commit():
    # given two accounts
    firm, partner = accounts()

    # when raw SQL commits legs that do not sum to zero
    with pytest.raises(IntegrityError, match="does not balance in USD: legs sum to 1.0000"):
        with transaction.atomic(), connection.cursor() as cursor:
            raw_transaction(cursor, [(firm.pk, "USD", "101.00"), (partner.pk, "USD", "-100.00")])

    # then nothing was stored
    assert LedgerTransaction.objects.count() == 0
    assert LedgerEntry.objects.count() == 0

    # and balanced raw SQL commits
    with transaction.atomic(), connection.cursor() as cursor:
        raw_transaction(cursor, [(firm.pk, "USD", "100.00"), (partner.pk, "USD", "-100.00")])
    assert LedgerEntry.objects.count() == 2


@pytest.mark.django_db
def test_legs_must_balance_per_currency_not_just_in_total():
    firm, partner = accounts()
    eur = Account.objects.create(kind="clearing", currency="EUR", name="clearing")

    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            raw_transaction(cursor, [(firm.pk, "USD", "100.00"), (eur.pk, "EUR", "-100.00")])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE pooling_ledgerentry SET amount = amount + 1",
    "DELETE FROM pooling_ledgerentry",
    "UPDATE pooling_ledgertransaction SET description = 'edited'",
    "DELETE FROM pooling_ledgertransaction",
])
def test_ledger_rows_cannot_be_updated_or_deleted(statement):
    # given a posted transaction
    firm, partner = accounts()
    txn = ledger_post(description="posted", legs=[Leg(firm, D("50.00")), Leg(partner, D("-50.00"))])
    before = list(LedgerEntry.objects.order_by("pk").values_list("amount", flat=True))

    # when raw SQL tries to change history
    with pytest.raises(IntegrityError, match="ledger rows are immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    # then nothing changed
    assert list(LedgerEntry.objects.order_by("pk").values_list("amount", flat=True)) == before
    assert LedgerTransaction.objects.get(pk=txn.pk).description == "posted"


@pytest.mark.django_db
def test_corrections_are_reversing_transactions():
    firm, partner = accounts()
    txn = ledger_post(description="posted", legs=[Leg(firm, D("50.00")), Leg(partner, D("-50.00"))])

    reversal = ledger_reverse(txn=txn, description="reversed")

    assert reversal.reverses == txn
    assert sorted(reversal.entries.values_list("amount", flat=True)) == [D("-50.00"), D("50.00")]
    assert LedgerEntry.objects.filter(account=firm).values_list("amount", flat=True).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_the_service_refuses_unbalanced_legs_before_the_database_does():
    firm, partner = accounts()

    with pytest.raises(LedgerError, match="sum to USD 0.01"):
        ledger_post(description="bad", legs=[Leg(firm, D("50.01")), Leg(partner, D("-50.00"))])

    assert LedgerTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_legs_added_after_a_passed_check_are_checked_again_at_commit():
    # given a balanced transaction whose check already ran inside the database transaction
    firm, partner = accounts()
    with pytest.raises(IntegrityError, match="does not balance in USD: legs sum to 5.0000"):
        with transaction.atomic(), connection.cursor() as cursor:
            txn_id = raw_transaction(cursor, [(firm.pk, "USD", "10.00"),
                                              (partner.pk, "USD", "-10.00")])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

            # when one more leg unbalances it before commit
            cursor.execute("INSERT INTO pooling_ledgerentry (transaction_id, account_id, "
                           "currency, amount, memo) VALUES (%s, %s, 'USD', 5, '')",
                           [txn_id, firm.pk])

    # then the commit was refused and nothing was stored
    assert LedgerTransaction.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_many_transactions_in_one_statement_are_each_checked_and_leave_no_notes():
    # given two accounts
    firm, partner = accounts()

    # when one statement writes three transactions' legs and one of them does not balance
    with pytest.raises(IntegrityError, match="does not balance in USD: legs sum to 0.0100"):
        with transaction.atomic(), connection.cursor() as cursor:
            ids = [raw_transaction(cursor, []) for _ in range(3)]
            cursor.execute(
                "INSERT INTO pooling_ledgerentry (transaction_id, account_id, currency, amount, "
                "memo) VALUES (%s, %s, 'USD', 1, ''), (%s, %s, 'USD', -1, ''), "
                "(%s, %s, 'USD', 2, ''), (%s, %s, 'USD', -2, ''), "
                "(%s, %s, 'USD', 3.01, ''), (%s, %s, 'USD', -3, '')",
                [ids[0], firm.pk, ids[0], partner.pk, ids[1], firm.pk, ids[1], partner.pk,
                 ids[2], firm.pk, ids[2], partner.pk])

    # then nothing was stored
    assert LedgerEntry.objects.count() == 0

    # and a balanced batch commits and leaves no pending notes behind
    with transaction.atomic(), connection.cursor() as cursor:
        ids = [raw_transaction(cursor, []) for _ in range(2)]
        cursor.execute(
            "INSERT INTO pooling_ledgerentry (transaction_id, account_id, currency, amount, "
            "memo) VALUES (%s, %s, 'USD', 1, ''), (%s, %s, 'USD', -1, ''), "
            "(%s, %s, 'USD', 2, ''), (%s, %s, 'USD', -2, '')",
            [ids[0], firm.pk, ids[0], partner.pk, ids[1], firm.pk, ids[1], partner.pk])
    assert LedgerEntry.objects.count() == 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pooling_ledger_unchecked")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_account_cache_creates_missing_accounts_once_and_reuses_existing_ones():
    # given a firm with a USD account and a partner without any
    firm = FirmFactory()
    partner = PartnerFactory()
    existing = Account.objects.create(kind="firm", firm=firm, currency="USD", name="firm")
    cache = AccountCache()
    cache.prefetch(firms=[firm], partners=[partner])

    # when the accounts a posting needs are ensured, twice
    wanted = [("firm", firm, None, "USD"), ("firm", firm, None, "EUR"),
              ("partner", None, partner, "USD"), ("clearing", None, None, "USD"),
              ("clearing", None, None, "USD")]
    cache.ensure(wanted)
    cache.ensure(wanted)

    # then the missing ones exist exactly once and the existing one is reused
    assert cache.get("firm", "USD", firm=firm) == existing
    assert Account.objects.filter(kind="firm", firm=firm).count() == 2
    assert cache.get("firm", "EUR", firm=firm).name == f"{firm.legal_name} payable"
    assert cache.get("partner", "USD", partner=partner).name == f"{partner.name} payable"
    assert Account.objects.filter(kind="clearing", currency="USD").count() == 1
    assert Account.objects.count() == 4
