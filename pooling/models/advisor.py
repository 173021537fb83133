"""What a firm tells the channel advisor about itself. Optional: a firm may skip it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Firm
from accounts.reference import GrowthStage
from pooling.domain.advisor import SALES_BANDS, Risk, Staff


class StaffLevel(models.TextChoices):
    YES = Staff.YES.value, "Yes"
    SOME = Staff.SOME.value, "Some"
    NO = Staff.NO.value, "No"


class RiskAppetite(models.TextChoices):
    LOW = Risk.LOW.value, "Low: try what we can staff"
    MEDIUM = Risk.MEDIUM.value, "Medium"
    HIGH = Risk.HIGH.value, "High: try new channels early"


SALES_BAND_CHOICES = [(code, label) for code, (label, _) in SALES_BANDS.items()]


class FirmProfile(models.Model):
    """Channels with a rough share of sales, markets, sales band, people, site, brand, risk.

    `channels` is read and written only by `pooling.domain.advisor.channel_shares_from_json`
    and `channel_shares_to_json`. The stage follows from the channels unless the firm
    corrects it in `stage_override`.
    """

    firm = models.OneToOneField(Firm, on_delete=models.CASCADE, related_name="channel_profile")
    channels = models.JSONField(default=list, blank=True,
                                help_text='[{"channel": "amazon", "share": 70}, ...]')
    markets = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 countries.")
    sales_band = models.CharField(max_length=10, choices=SALES_BAND_CHOICES, blank=True)
    content_staff = models.CharField(max_length=4, choices=StaffLevel.choices,
                                     default=StaffLevel.NO)
    live_staff = models.CharField(max_length=4, choices=StaffLevel.choices, default=StaffLevel.NO)
    site_staff = models.CharField(max_length=4, choices=StaffLevel.choices, default=StaffLevel.NO)
    has_own_site = models.BooleanField(default=False)
    has_brand = models.BooleanField(default=False)
    risk_appetite = models.CharField(max_length=6, choices=RiskAppetite.choices,
                                     default=RiskAppetite.MEDIUM)
    stage_override = models.CharField(max_length=10, choices=GrowthStage.choices, blank=True,
                                      help_text="Empty: the stage follows from the channels.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(content_staff__in=StaffLevel.values) & Q(live_staff__in=StaffLevel.values)
                & Q(site_staff__in=StaffLevel.values),
                name="firm_profile_staff_levels"),
            models.CheckConstraint(condition=Q(risk_appetite__in=RiskAppetite.values),
                                   name="firm_profile_risk_appetite"),
            models.CheckConstraint(condition=Q(stage_override__in=["", *GrowthStage.values]),
                                   name="firm_profile_stage_override"),
            models.CheckConstraint(condition=Q(sales_band__in=["", *SALES_BANDS]),
                                   name="firm_profile_sales_band"),
        ]

    def __str__(self) -> str:
        return f"Channel profile of {self.firm}"
