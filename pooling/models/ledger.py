"""Settlements and the double-entry ledger they post to."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Firm, Partner

from .fields import CurrencyField, MoneyField


class Settlement(models.Model):
    """One settlement run per pool and invoice version; the database keeps it unique."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        HELD = "held", "Held for a coordinator"
        REVERSED = "reversed", "Reversed"
        FAILED = "failed", "Failed"

    pool = models.ForeignKey("pooling.Pool", on_delete=models.PROTECT, related_name="settlements")
    invoice = models.ForeignKey("pooling.Invoice", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="settlements")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=12, default="proportional")
    currency = CurrencyField()
    total = MoneyField(default=0)
    explanation = models.JSONField(default=list, blank=True)
    allocation = models.JSONField(default=dict, blank=True)
    hold_reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    sampling_error = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "invoice"], name="settlement_once_per_invoice"),
            models.UniqueConstraint(fields=["pool", "version"], name="settlement_version_unique"),
        ]


class SettlementShare(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="shares")
    member = models.ForeignKey("pooling.PoolMember", on_delete=models.PROTECT,
                               related_name="settlement_shares")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="settlement_shares")
    currency = CurrencyField()
    amount = MoneyField()
    standalone_cost = MoneyField(null=True, blank=True)
    saving = MoneyField(null=True, blank=True)
    billing_currency = CurrencyField()
    billing_amount = MoneyField()
    fx_rate = models.DecimalField(max_digits=20, decimal_places=10, default=1)
    lines = models.JSONField(default=list, blank=True, help_text="Share of each invoice line.")

    class Meta:
        ordering = ["settlement", "id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "member"],
                                    name="settlement_share_once_per_member"),
        ]


class Account(models.Model):
    class Kind(models.TextChoices):
        FIRM = "firm", "Firm payable"
        PARTNER = "partner", "Partner payable"
        CLEARING = "clearing", "Cooperative clearing"
        FX = "fx", "FX differences"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="ledger_accounts")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="ledger_accounts")
    currency = CurrencyField()
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "name", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "firm", "partner", "currency"],
                                    name="account_unique", nulls_distinct=False),
            models.CheckConstraint(
                condition=Q(kind="firm", firm__isnull=False, partner__isnull=True)
                | Q(kind="partner", partner__isnull=False, firm__isnull=True)
                | Q(kind__in=["clearing", "fx"], firm__isnull=True, partner__isnull=True),
                name="account_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class LedgerTransaction(models.Model):
    """Immutable: PostgreSQL rejects updates and deletes, and unbalanced legs at commit."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="transactions")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    description = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT,
                                    related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    currency = CurrencyField()
    amount = MoneyField(help_text="Debit positive, credit negative.")
    memo = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["transaction", "id"]
        indexes = [models.Index(fields=["account", "currency"], name="ledger_account_idx")]
