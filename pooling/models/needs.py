"""What firms tell the cooperative they need: shipping demands and ad needs."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Firm
from accounts.reference import ProductCategory
from pooling.domain import wording

from .choices import BusinessModel, CargoClass, Channel, Incoterm, Mode
from .fields import CountryField, CurrencyField, LocodeField, MoneyField, VolumeField, WeightField


class ShippingDemand(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POOLED = "pooled", "Pooled"
        SHIPPED = "shipped", "Shipped"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="shipping_demands")
    reference = models.CharField(max_length=60, blank=True, help_text="The firm's own reference.")
    origin = LocodeField()
    destination = LocodeField()
    mode = models.CharField(max_length=10, choices=Mode.choices)
    cargo_class = models.CharField(max_length=20, choices=CargoClass.choices,
                                   default=CargoClass.GENERAL)
    un_number = models.CharField(max_length=6, blank=True, validators=[
        RegexValidator(r"^(UN)?\d{4}$", "Enter a UN number such as UN3480.")])
    dg_class = models.CharField(max_length=4, blank=True, help_text="Dangerous goods class, e.g. 9")
    splittable = models.BooleanField(
        default=False, help_text="The load may be split across containers or flights."
    )
    gross_kg = WeightField()
    volume_cbm = VolumeField()
    chargeable_kg = WeightField(help_text="Derived: max(gross, volumetric) for the mode.")
    revenue_tons = WeightField(help_text="Derived: W/M, max(tonnes, CBM).")
    ready_from = models.DateField()
    deliver_by = models.DateField()
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, default=Incoterm.FOB)
    declared_value = MoneyField(null=True, blank=True)
    declared_currency = CurrencyField(blank=True)
    hs_code = models.CharField(max_length=10, blank=True, validators=[
        RegexValidator(r"^\d{6,10}$", "An HS code has 6 to 10 digits.")])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "origin", "destination", "mode"],
                         name="demand_open_lane_idx"),
            models.Index(fields=["firm", "status"], name="demand_firm_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(gross_kg__gt=0) & Q(gross_kg__lte=500_000),
                                   name="demand_gross_kg_range"),
            models.CheckConstraint(condition=Q(volume_cbm__gt=0) & Q(volume_cbm__lte=1000),
                                   name="demand_volume_range"),
            models.CheckConstraint(condition=~Q(origin=F("destination")),
                                   name="demand_origin_not_destination"),
            models.CheckConstraint(condition=Q(deliver_by__gte=F("ready_from")),
                                   name="demand_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.origin}→{self.destination} {self.get_mode_display()} {wording.kg(self.gross_kg)}"


class PackageLine(models.Model):
    demand = models.ForeignKey(ShippingDemand, on_delete=models.CASCADE, related_name="lines")
    count = models.PositiveIntegerField()
    length_cm = models.DecimalField(max_digits=8, decimal_places=2)
    width_cm = models.DecimalField(max_digits=8, decimal_places=2)
    height_cm = models.DecimalField(max_digits=8, decimal_places=2)
    gross_kg_each = WeightField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gt=0) & Q(length_cm__gt=0) & Q(width_cm__gt=0)
                & Q(height_cm__gt=0) & Q(gross_kg_each__gt=0),
                name="package_line_positive",
            )
        ]


class ChannelProgramme(models.Model):
    """A traffic-buying programme from the catalogue coordinators maintain."""

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=24, choices=Channel.choices)
    business_model = models.CharField(max_length=20, choices=BusinessModel.choices)
    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, null=True, blank=True,
        related_name="programmes", help_text="The advertising partner that buys for the pool.",
    )
    markets = models.JSONField(default=list, help_text="ISO 3166-1 country codes served.")
    currency = CurrencyField()
    minimum_spend = MoneyField(help_text="Minimum pooled spend to buy at all.")
    tiers = models.JSONField(
        default=list, help_text='Spend tiers: [{"min_spend": "100000", "rebate_percent": "3"}]'
    )
    management_fee_percent = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    standalone_fee_percent = models.DecimalField(
        max_digits=6, decimal_places=3, default=0,
        help_text="Fee a firm pays buying alone through the same channel.",
    )
    min_flight_days = models.PositiveIntegerField(default=14)
    category_exclusive = models.BooleanField(
        default=False, help_text="Firms of the same product category may not share a pool."
    )
    is_demo = models.BooleanField(default=False, help_text="Demo figures a coordinator edits.")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum_spend__gte=0), name="programme_min_ge0"),
            models.UniqueConstraint(fields=["name"], name="programme_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AdNeed(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POOLED = "pooled", "Pooled"
        RUNNING = "running", "Running"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="ad_needs")
    programme = models.ForeignKey(ChannelProgramme, on_delete=models.PROTECT,
                                  related_name="needs")
    market = CountryField()
    budget = MoneyField()
    currency = CurrencyField()
    flight_from = models.DateField()
    flight_to = models.DateField()
    category = models.CharField(max_length=20, choices=ProductCategory.choices)
    excluded_firms = models.ManyToManyField(Firm, blank=True, related_name="+",
                                            help_text="Firms this firm will not pool with.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="ad_need_budget_positive"),
            models.CheckConstraint(condition=Q(flight_to__gte=F("flight_from")),
                                   name="ad_need_flight_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.market} {wording.money(self.budget, self.currency)}"
