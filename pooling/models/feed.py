"""What partners send through the API feed, and what we send back to them."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from accounts.models import Partner

from .choices import Mode
from .fields import CurrencyField, LocodeField, MoneyField, VolumeField, WeightField


class RateCard(models.Model):
    """One version of a partner's tariff for a lane and mode.

    A newer version for the same lane supersedes the older one from its
    valid-from date; old versions stay for history and for re-running settlements.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="rate_cards")
    origin = LocodeField()
    destination = models.CharField(
        max_length=5, help_text="UN/LOCODE, or a two-letter country code for a whole country."
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    version = models.PositiveIntegerField()
    currency = CurrencyField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    superseded_from = models.DateField(
        null=True, blank=True, help_text="Set when a newer version takes over from this date."
    )
    kg_per_cbm = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    minimum_charge = MoneyField(default=0)
    weight_breaks = models.JSONField(default=list)
    higher_break_rule = models.BooleanField(default=True)
    lcl_rate_per_wm = MoneyField(null=True, blank=True)
    lcl_minimum_wm = models.DecimalField(max_digits=8, decimal_places=3, default=1)
    equipment = models.JSONField(default=list)
    fees = models.JSONField(default=list)
    surcharges = models.JSONField(default=list)
    allowed_cargo_classes = models.JSONField(default=list)
    transit_days = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "origin", "destination", "mode", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "origin", "destination", "mode", "version"],
                                    name="rate_card_version_unique"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True)
                                   | Q(valid_to__gte=F("valid_from")),
                                   name="rate_card_validity_ordered"),
            models.CheckConstraint(condition=Q(minimum_charge__gte=0),
                                   name="rate_card_minimum_ge0"),
        ]
        indexes = [models.Index(fields=["origin", "destination", "mode"],
                                name="rate_card_lane_idx")]

    def __str__(self) -> str:
        return f"{self.partner} {self.origin}→{self.destination} {self.mode} v{self.version}"


class CapacityOffer(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="capacity_offers")
    rate_card = models.ForeignKey(RateCard, on_delete=models.SET_NULL, null=True, blank=True)
    origin = LocodeField()
    destination = models.CharField(max_length=5)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    departure_date = models.DateField()
    cutoff_at = models.DateTimeField()
    equipment = models.JSONField(default=dict, help_text='{"40HC": 2}')
    allotment_kg = WeightField(null=True, blank=True)
    allotment_cbm = VolumeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["departure_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(allotment_kg__isnull=True) | Q(allotment_kg__gt=0),
                                   name="capacity_kg_positive"),
            models.CheckConstraint(condition=Q(allotment_cbm__isnull=True)
                                   | Q(allotment_cbm__gt=0), name="capacity_cbm_positive"),
        ]


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    pool = models.ForeignKey("pooling.Pool", on_delete=models.CASCADE, related_name="bookings")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=10, choices=Status.choices)
    reference = models.CharField(max_length=60, blank=True)
    equipment = models.JSONField(default=dict, blank=True)
    etd = models.DateTimeField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["pool"], condition=Q(status="confirmed"),
                                    name="booking_one_confirmed_per_pool"),
            models.UniqueConstraint(fields=["partner", "reference"],
                                    condition=Q(status="confirmed"),
                                    name="booking_reference_unique_per_partner"),
        ]


class TrackingEvent(models.Model):
    """A DCSA Track & Trace 3.0.0 event, stored once per (partner, eventID).

    A later `eventUpdatedDateTime` under the same eventID replaces the stored event; a
    retraction (`isRetracted`) keeps the row, flagged, so the eventID stays retracted.
    """

    class EventType(models.TextChoices):
        SHIPMENT = "SHIPMENT", "Shipment"
        TRANSPORT = "TRANSPORT", "Transport"
        EQUIPMENT = "EQUIPMENT", "Equipment"
        IOT = "IOT", "IoT"
        REEFER = "REEFER", "Reefer"

    class Classifier(models.TextChoices):
        PLN = "PLN", "Planned"
        EST = "EST", "Estimated"
        ACT = "ACT", "Actual"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tracking_events")
    pool = models.ForeignKey("pooling.Pool", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="tracking_events")
    event_id = models.CharField(max_length=500)
    event_type = models.CharField(max_length=10, choices=EventType.choices, blank=True)
    classifier = models.CharField(max_length=3, choices=Classifier.choices, blank=True)
    event_code = models.CharField(max_length=4, blank=True)
    event_datetime = models.DateTimeField(null=True, blank=True)
    event_created_datetime = models.DateTimeField(null=True, blank=True)
    event_updated_datetime = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=5, blank=True)
    references = models.JSONField(default=list, blank=True)
    equipment_reference = models.CharField(max_length=11, blank=True)
    retracted_event_id = models.CharField(max_length=100, blank=True)
    is_retracted = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, blank=True,
                                    help_text="SHA-256 of the event's canonical JSON.")
    payload = models.JSONField(help_text="The event as received, in DCSA shape.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_datetime", "id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "event_id"],
                                    name="tracking_event_once_per_partner"),
        ]
        indexes = [models.Index(fields=["pool", "event_datetime"], name="tracking_pool_time_idx")]


class ShipmentReferenceLink(models.Model):
    """A reference (transport document, equipment, shipment) a partner's events tie to a pool.

    Learned from events that attach through the booking reference, so later events that
    name only the transport document or the container attach to the same pool.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="reference_links")
    reference = models.CharField(max_length=100)
    pool = models.ForeignKey("pooling.Pool", on_delete=models.CASCADE, related_name="reference_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "reference"],
                                    name="reference_link_once_per_partner"),
        ]


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="invoices")
    pool = models.ForeignKey("pooling.Pool", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections")
    currency = CurrencyField()
    issue_date = models.DateField()
    total = MoneyField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"],
                                    name="invoice_number_unique_per_partner"),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="credit_note_references_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class InvoiceLine(models.Model):
    class Basis(models.TextChoices):
        PER_KG = "per_kg", "Per kg"
        PER_WM = "per_wm", "Per W/M"
        PER_CONTAINER = "per_container", "Per container"
        PER_SHIPMENT = "per_shipment", "Per shipment"
        PERCENTAGE = "percentage", "Percentage of another line"
        PER_MEMBER = "per_member", "Per member (advertising)"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    charge_code = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    basis = models.CharField(max_length=14, choices=Basis.choices)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = MoneyField()
    amount = MoneyField()
    applies_to = models.CharField(max_length=20, blank=True,
                                  help_text="For percentage lines: the charge code it follows.")
    container = models.CharField(max_length=20, blank=True,
                                 help_text="For per-container lines: equipment code or label.")

    class Meta:
        ordering = ["invoice", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_no"], name="invoice_line_no_unique"),
        ]


class SpendReport(models.Model):
    """An advertising partner's actual spend for one member campaign of a pool."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="spend_reports")
    pool = models.ForeignKey("pooling.Pool", on_delete=models.PROTECT,
                             related_name="spend_reports")
    member = models.ForeignKey("pooling.PoolMember", on_delete=models.PROTECT,
                               related_name="spend_reports")
    report_id = models.CharField(max_length=60)
    campaign_reference = models.CharField(max_length=100, blank=True)
    period_from = models.DateField()
    period_to = models.DateField()
    currency = CurrencyField()
    spend = MoneyField()
    rebate = MoneyField(default=0)
    fees = MoneyField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "report_id"],
                                    name="spend_report_unique_per_partner"),
            models.CheckConstraint(condition=Q(spend__gte=0) & Q(rebate__gte=0) & Q(fees__gte=0),
                                   name="spend_report_non_negative"),
        ]


class FxRate(models.Model):
    """A conversion rate posted by a coordinator or partner; never fetched from outside."""

    base = CurrencyField()
    quote = CurrencyField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    as_of = models.DateField()
    posted_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=~Q(base=F("quote")), name="fx_distinct_currencies"),
            models.UniqueConstraint(fields=["base", "quote", "as_of"], name="fx_rate_unique_day"),
        ]


class WebhookEndpoint(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE,
                                related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, help_text="Shared secret for HMAC-SHA256 signatures.")
    dcsa_signature = models.BooleanField(
        default=False, help_text="Also sign with DCSA's Notification-Signature: sha256=<hex>.")
    event_types = models.JSONField(default=list, blank=True,
                                   help_text="Empty means every event type.")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "id"]
