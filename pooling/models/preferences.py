from __future__ import annotations

from django.db import models

from accounts.models import Firm


class EmailPreference(models.Model):
    """Which notifications of a kind also go to a firm's people by e-mail (all do, unless off)."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="email_preferences")
    kind = models.CharField(max_length=12)
    by_email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "kind"], name="email_preference_once_per_kind"),
        ]
