"""The double-entry ledger: accounts, balanced transactions, reversals.

Transactions are never edited: PostgreSQL rejects updates and deletes of ledger rows
and checks at commit that each transaction's legs sum to zero per currency. A
correction is a reversing transaction that points at the one it undoes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Firm, Partner
from coop.errors import ApplicationError
from pooling.domain.money import ZERO, quantize
from pooling.models import Account, LedgerEntry, LedgerTransaction, Settlement

AccountKey = tuple[str, int | None, int | None, str]
"""(kind, firm id, partner id, currency): one account each."""


@dataclass(frozen=True)
class Leg:
    """One line of a transaction: debit positive, credit negative."""

    account: Account
    amount: Decimal
    memo: str = ""

    @property
    def currency(self) -> str:
        return self.account.currency


class LedgerError(ApplicationError):
    code = "ledger_unbalanced"


def _name(kind: str, firm: Firm | None, partner: Partner | None, currency: str) -> str:
    if kind == Account.Kind.FIRM and firm is not None:
        return f"{firm.legal_name} payable"
    if kind == Account.Kind.PARTNER and partner is not None:
        return f"{partner.name} payable"
    if kind == Account.Kind.CLEARING:
        return "Cooperative clearing"
    return "FX differences"


class AccountCache:
    """Accounts by (kind, firm, partner, currency), created on first use.

    Posting many settlements in one transaction looks each account up once.
    """

    def __init__(self) -> None:
        self._accounts: dict[AccountKey, Account] = {}

    def prefetch(self, *, firms: Iterable[Firm] = (), partners: Iterable[Partner] = ()) -> None:
        """Load the accounts of these firms and partners, and the cooperative's, at once."""
        firm_ids = {f.pk for f in firms}
        partner_ids = {p.pk for p in partners}
        wanted = Account.objects.filter(
            Q(firm_id__in=firm_ids) | Q(partner_id__in=partner_ids)
            | Q(kind__in=[Account.Kind.CLEARING, Account.Kind.FX])
        )
        for account in wanted:
            self._accounts[(account.kind, account.firm_id, account.partner_id,
                            account.currency)] = account

    def ensure(self, wanted: Iterable[tuple[str, Firm | None, Partner | None, str]]) -> None:
        """Create every wanted account that does not exist yet, in one statement.

        A concurrent settlement creating the same account meanwhile is harmless: the
        conflicting row is skipped and the existing one is loaded."""
        missing: dict[AccountKey, Account] = {}
        for kind, firm, partner, currency in wanted:
            key: AccountKey = (kind, firm.pk if firm else None, partner.pk if partner else None,
                               currency)
            if key not in self._accounts and key not in missing:
                missing[key] = Account(kind=kind, firm=firm, partner=partner, currency=currency,
                                       name=_name(kind, firm, partner, currency))
        if not missing:
            return
        Account.objects.bulk_create(missing.values(), ignore_conflicts=True)
        firm_ids = {key[1] for key in missing if key[1] is not None}
        partner_ids = {key[2] for key in missing if key[2] is not None}
        shared = {key[0] for key in missing if key[1] is None and key[2] is None}
        for account in Account.objects.filter(Q(firm_id__in=firm_ids)
                                              | Q(partner_id__in=partner_ids)
                                              | Q(kind__in=shared)):
            key = (account.kind, account.firm_id, account.partner_id, account.currency)
            if key in missing:
                self._accounts[key] = account

    def get(self, kind: str, currency: str, *, firm: Firm | None = None,
            partner: Partner | None = None) -> Account:
        key: AccountKey = (kind, firm.pk if firm else None, partner.pk if partner else None,
                           currency)
        account = self._accounts.get(key)
        if account is None:
            account = _account(kind=kind, currency=currency, firm=firm, partner=partner)
            self._accounts[key] = account
        return account


def _account(*, kind: str, currency: str, firm: Firm | None, partner: Partner | None) -> Account:
    lookup = {"kind": kind, "currency": currency, "firm": firm, "partner": partner}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, name=_name(kind, firm, partner, currency))
    except IntegrityError:  # created meanwhile by a concurrent settlement
        return Account.objects.get(**lookup)


def check_balanced(legs: Sequence[Leg]) -> None:
    """Refuse before the database does: legs must sum to zero in every currency."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for leg in legs:
        if quantize(leg.amount, leg.currency) != leg.amount:
            raise LedgerError(f"{leg.currency} {leg.amount} is not a whole number of minor units.")
        totals[leg.currency] += leg.amount
    unbalanced = {c: t for c, t in totals.items() if t != 0}
    if unbalanced:
        detail = ", ".join(f"{c} {t}" for c, t in sorted(unbalanced.items()))
        raise LedgerError(f"The legs do not balance: they sum to {detail}.")


def ledger_entries(txn: LedgerTransaction, legs: Sequence[Leg]) -> list[LedgerEntry]:
    """Unsaved entries for `txn`, skipping zero legs (for bulk posting)."""
    return [
        LedgerEntry(transaction=txn, account=leg.account, currency=leg.currency,
                    amount=leg.amount, memo=leg.memo[:300])
        for leg in legs if leg.amount != 0
    ]


LEDGER_ENTRY_COLUMNS = ("transaction_id", "account_id", "currency", "amount", "memo")


def ledger_entry_rows(transaction_id: int, legs: Sequence[Leg]) -> list[tuple[object, ...]]:
    """Rows of LEDGER_ENTRY_COLUMNS for a transaction's legs, skipping zero legs (for COPY)."""
    return [(transaction_id, leg.account.pk, leg.account.currency, leg.amount, leg.memo[:300])
            for leg in legs if leg.amount != 0]


def ledger_post(*, description: str, legs: Sequence[Leg], settlement: Settlement | None = None,
                reverses: LedgerTransaction | None = None) -> LedgerTransaction:
    """Write one balanced transaction; it can never change afterwards."""
    check_balanced(legs)
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(settlement=settlement, reverses=reverses,
                                               description=description[:300])
        LedgerEntry.objects.bulk_create(ledger_entries(txn, legs))
    return txn


def ledger_reverse(*, txn: LedgerTransaction, description: str) -> LedgerTransaction:
    """Undo `txn` with a transaction of the opposite legs."""
    legs = [Leg(account=e.account, amount=-e.amount, memo=f"Reversal: {e.memo}")
            for e in txn.entries.select_related("account")]
    return ledger_post(description=description, legs=legs,
                       settlement=txn.settlement, reverses=txn)
