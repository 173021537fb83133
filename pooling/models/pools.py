"""Pools, their members and history, matching runs and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Firm, Partner

from .choices import Mode
from .fields import CountryField, CurrencyField, MoneyField, VolumeField, WeightField


class MatchingRun(models.Model):
    class Trigger(models.TextChoices):
        WEB = "web", "Coordinator on the web"
        COMMAND = "command", "Management command"
        SCHEDULE = "schedule", "Schedule"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict, blank=True,
                              help_text="Counts read and rate card versions used.")
    proposed_count = models.PositiveIntegerField(default=0)
    unplaced = models.JSONField(default=list, blank=True)
    total_saving = models.JSONField(default=dict, blank=True, help_text="Per currency.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="matching_progress_le100")
        ]


class MatchingShard(models.Model):
    """One slice of a matching run: lane groups and programmes that share no data with
    another slice, matched by one task and saved in one transaction of its own."""

    Status = MatchingRun.Status

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="shards")
    number = models.PositiveSmallIntegerField()
    # [origin, mode family] pairs, and programme ids: what this shard reads.
    lanes = models.JSONField(default=list, blank=True)
    programmes = models.JSONField(default=list, blank=True)
    planned_needs = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    proposed_count = models.PositiveIntegerField(default=0)
    unplaced = models.JSONField(default=list, blank=True)
    total_saving = models.JSONField(default=dict, blank=True, help_text="Per currency.")
    worker = models.CharField(max_length=200, blank=True)
    peak_memory_mib = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="matching_shard_run_number"),
        ]

    def __str__(self) -> str:
        return f"run #{self.run_id} shard {self.number}"


class Pool(models.Model):
    class Kind(models.TextChoices):
        LOGISTICS = "logistics", "Logistics"
        ADS = "ads", "Traffic buying"

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        OPEN = "open", "Open"
        LOCKED = "locked", "Locked"
        BOOKED = "booked", "Booked"
        IN_TRANSIT = "in_transit", "In transit"
        DELIVERED = "delivered", "Delivered"
        INVOICED = "invoiced", "Invoiced"
        SETTLED = "settled", "Settled"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    class SplitMethod(models.TextChoices):
        PROPORTIONAL = "proportional", "Proportional"
        SHAPLEY = "shapley", "Shapley value"

    class PerShipmentKey(models.TextChoices):
        CHARGEABLE_KG = "chargeable_kg", "By chargeable weight"
        EQUAL = "equal", "Equally"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED,
                             db_index=True)
    signature = models.CharField(max_length=64, help_text="What matching proposed, as a key.")
    matching_run = models.ForeignKey(MatchingRun, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="pools")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="pools")
    rate_card = models.ForeignKey("pooling.RateCard", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="pools")
    programme = models.ForeignKey("pooling.ChannelProgramme", on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="pools")
    origin = models.CharField(max_length=5, blank=True)
    destination = models.CharField(max_length=5, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, blank=True)
    market = CountryField(blank=True)
    ship_date = models.DateField(null=True, blank=True)
    flight_from = models.DateField(null=True, blank=True)
    flight_to = models.DateField(null=True, blank=True)
    currency = CurrencyField()
    capacity = models.PositiveIntegerField(help_text="Most members the pool may hold.")
    member_count = models.PositiveIntegerField(default=0)
    projected_total = MoneyField()
    standalone_total = MoneyField()
    plan = models.JSONField(default=dict, help_text="A PoolPlan document (pooling.domain.formats).")
    reasons = models.JSONField(default=dict,
                               help_text="A PoolReasons document (pooling.domain.formats).")
    join_deadline = models.DateTimeField(null=True, blank=True)
    split_method = models.CharField(max_length=12, choices=SplitMethod.choices,
                                    default=SplitMethod.PROPORTIONAL)
    per_shipment_key = models.CharField(max_length=14, choices=PerShipmentKey.choices,
                                        default=PerShipmentKey.CHARGEABLE_KG)
    booking_reference = models.CharField(max_length=60, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(member_count__lte=F("capacity")),
                                   name="pool_never_over_capacity"),
            models.UniqueConstraint(
                fields=["signature"],
                condition=~Q(state__in=["rejected", "cancelled", "settled"]),
                name="pool_signature_unique_while_live",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.LOGISTICS:
            return f"Pool #{self.pk} {self.origin}→{self.destination} {self.get_mode_display()}"
        return f"Pool #{self.pk} {self.programme} {self.market}"

    @property
    def projected_saving(self) -> object:
        return self.standalone_total - self.projected_total


class PoolMember(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed"

    ACTIVE = (Status.INVITED, Status.ACCEPTED)

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="pool_memberships")
    # A member holds one need, so each need column is empty on the other kind's rows:
    # its indexes (below) leave those rows out instead of indexing their NULLs.
    demand = models.ForeignKey("pooling.ShippingDemand", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="pool_memberships", db_index=False)
    ad_need = models.ForeignKey("pooling.AdNeed", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="pool_memberships", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    standalone_cost = MoneyField(null=True, blank=True,
                                 help_text="Shipping or buying alone; empty = no access alone.")
    projected_share = MoneyField()
    projected_saving = MoneyField(null=True, blank=True)
    chargeable_kg = WeightField(default=0)
    revenue_tons = WeightField(default=0)
    volume_cbm = VolumeField(default=0)
    budget = MoneyField(default=0)
    placement = models.JSONField(default=dict, blank=True,
                                 help_text="A Placement document (pooling.domain.formats).")
    note = models.CharField(max_length=300, blank=True)
    show_name = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pool", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(demand__isnull=False, ad_need__isnull=True)
                | Q(demand__isnull=True, ad_need__isnull=False),
                name="member_has_one_need",
            ),
            models.UniqueConstraint(fields=["demand"],
                                    condition=Q(status__in=["invited", "accepted"],
                                                demand__isnull=False),
                                    name="demand_in_one_live_pool"),
            models.UniqueConstraint(fields=["ad_need"],
                                    condition=Q(status__in=["invited", "accepted"],
                                                ad_need__isnull=False),
                                    name="ad_need_in_one_live_pool"),
        ]
        indexes = [
            models.Index(fields=["demand"], condition=Q(demand__isnull=False),
                         name="member_demand"),
            models.Index(fields=["ad_need"], condition=Q(ad_need__isnull=False),
                         name="member_ad_need"),
        ]


class PoolEvent(models.Model):
    """Append-only history of a pool's state changes."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True)
    actor_label = models.CharField(max_length=200, help_text="Who acted, as shown in the audit.")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Notification(models.Model):
    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        APPROVAL = "approval", "Approval"
        LOCK = "lock", "Locked"
        CANCEL = "cancel", "Cancelled"
        BOOKING = "booking", "Booking"
        DEPARTURE = "departure", "Departure"
        DELIVERY = "delivery", "Delivery"
        SETTLEMENT = "settlement", "Settlement"
        OTHER = "other", "Other"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, null=True, blank=True)
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, null=True, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
