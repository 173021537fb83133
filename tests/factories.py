from __future__ import annotations

import factory

from accounts.models import Firm, Membership, Partner, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    legal_name = factory.Sequence(lambda n: f"Exporter {n} Ltd")
    country = "CN"
    billing_currency = "USD"
    growth_stage = "growth"
    product_categories = factory.LazyFunction(lambda: ["electronics"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    firm = factory.SubFactory(FirmFactory)
    role = "owner"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = Partner.Kind.LOGISTICS


# --- the marketplace -------------------------------------------------------

import datetime as _dt  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.utils import timezone  # noqa: E402

from pooling.models import (  # noqa: E402
    AdNeed,
    ChannelProgramme,
    Invoice,
    InvoiceLine,
    Pool,
    PoolMember,
    RateCard,
    ShippingDemand,
)


def _today() -> _dt.date:
    return timezone.localdate()


class ShippingDemandFactory(factory.django.DjangoModelFactory):
    """An open sea LCL demand CNSZX→USLAX, ready in a week, due in two months."""

    class Meta:
        model = ShippingDemand

    firm = factory.SubFactory(FirmFactory)
    origin = "CNSZX"
    destination = "USLAX"
    mode = "sea_lcl"
    cargo_class = "general"
    gross_kg = Decimal("2000.000")
    volume_cbm = Decimal("8.000000")
    chargeable_kg = Decimal("8000.000")
    revenue_tons = Decimal("8.000")
    ready_from = factory.LazyFunction(lambda: _today() + _dt.timedelta(days=7))
    deliver_by = factory.LazyFunction(lambda: _today() + _dt.timedelta(days=60))


class SeaRateCardFactory(factory.django.DjangoModelFactory):
    """A sea card CNSZX→USLAX with LCL and the three container types."""

    class Meta:
        model = RateCard

    partner = factory.SubFactory(PartnerFactory)
    origin = "CNSZX"
    destination = "USLAX"
    mode = "sea_lcl"
    version = factory.Sequence(lambda n: n + 1)
    currency = "USD"
    valid_from = factory.LazyFunction(lambda: _today() - _dt.timedelta(days=30))
    minimum_charge = Decimal("0")
    lcl_rate_per_wm = Decimal("95.00")
    lcl_minimum_wm = Decimal("1")
    equipment = factory.LazyFunction(lambda: [
        {"code": "20GP", "price": "1800.00", "usable_cbm": "28", "payload_kg": "21700"},
        {"code": "40GP", "price": "2600.00", "usable_cbm": "58", "payload_kg": "26600"},
        {"code": "40HC", "price": "2800.00", "usable_cbm": "66", "payload_kg": "26500"},
    ])
    fees = factory.LazyFunction(lambda: [
        {"code": "DOC", "description": "Documentation", "amount": "75.00"}])
    surcharges = factory.LazyFunction(lambda: [
        {"code": "BAF", "description": "Fuel", "percent": "10"}])
    allowed_cargo_classes = factory.LazyFunction(lambda: ["general", "magnetic", "powders"])
    transit_days = 18


class AirRateCardFactory(SeaRateCardFactory):
    """An air card CNSZX→DEFRA with the usual weight breaks."""

    destination = "DEFRA"
    mode = "air"
    minimum_charge = Decimal("75.00")
    lcl_rate_per_wm = None
    equipment = factory.LazyFunction(list)
    weight_breaks = factory.LazyFunction(lambda: [
        {"min_kg": "0", "rate_per_kg": "5.20"}, {"min_kg": "45", "rate_per_kg": "4.30"},
        {"min_kg": "100", "rate_per_kg": "3.70"}, {"min_kg": "300", "rate_per_kg": "3.20"},
        {"min_kg": "500", "rate_per_kg": "2.90"}, {"min_kg": "1000", "rate_per_kg": "2.60"},
    ])
    transit_days = 3


class ChannelProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelProgramme

    name = factory.Sequence(lambda n: f"Amazon DSP managed service {n}")
    channel = "amazon_dsp"
    business_model = "marketplace"
    markets = factory.LazyFunction(lambda: ["US", "GB", "DE"])
    currency = "USD"
    minimum_spend = Decimal("50000")
    tiers = factory.LazyFunction(lambda: [{"min_spend": "50000", "rebate_percent": "2"},
                                          {"min_spend": "100000", "rebate_percent": "4"}])
    management_fee_percent = Decimal("8")
    standalone_fee_percent = Decimal("15")
    min_flight_days = 14


class AdNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdNeed

    firm = factory.SubFactory(FirmFactory)
    programme = factory.SubFactory(ChannelProgrammeFactory)
    market = "US"
    budget = Decimal("20000")
    currency = "USD"
    flight_from = factory.LazyFunction(lambda: _today() + _dt.timedelta(days=10))
    flight_to = factory.LazyFunction(lambda: _today() + _dt.timedelta(days=40))
    category = "electronics"


class PoolFactory(factory.django.DjangoModelFactory):
    """A logistics pool on a sea card; add members with PoolMemberFactory."""

    class Meta:
        model = Pool

    kind = Pool.Kind.LOGISTICS
    state = Pool.State.PROPOSED
    signature = factory.Sequence(lambda n: f"sig-{n:08d}")
    rate_card = factory.SubFactory(SeaRateCardFactory)
    partner = factory.LazyAttribute(lambda pool: pool.rate_card.partner if pool.rate_card else None)
    origin = "CNSZX"
    destination = "USLAX"
    mode = "sea_lcl"
    ship_date = factory.LazyFunction(lambda: _today() + _dt.timedelta(days=14))
    currency = "USD"
    capacity = 10
    projected_total = Decimal("0")
    standalone_total = Decimal("0")


class PoolMemberFactory(factory.django.DjangoModelFactory):
    """A member with its demand; keeps the pool's member_count in step."""

    class Meta:
        model = PoolMember
        skip_postgeneration_save = True

    pool = factory.SubFactory(PoolFactory)
    demand = factory.SubFactory(ShippingDemandFactory)
    firm = factory.LazyAttribute(lambda member: member.demand.firm)
    status = PoolMember.Status.ACCEPTED
    standalone_cost = Decimal("1000.00")
    projected_share = Decimal("800.00")
    projected_saving = Decimal("200.00")
    chargeable_kg = factory.LazyAttribute(lambda member: member.demand.chargeable_kg)
    revenue_tons = factory.LazyAttribute(lambda member: member.demand.revenue_tons)
    volume_cbm = factory.LazyAttribute(lambda member: member.demand.volume_cbm)

    @factory.post_generation
    def _count(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            Pool.objects.filter(pk=obj.pool_id).update(
                member_count=PoolMember.objects.filter(
                    pool_id=obj.pool_id, status__in=PoolMember.ACTIVE).count())
            obj.pool.refresh_from_db()


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    partner = factory.LazyAttribute(lambda invoice: invoice.pool.partner)
    pool = factory.SubFactory(PoolFactory)
    number = factory.Sequence(lambda n: f"INV-{n:06d}")
    currency = "USD"
    issue_date = factory.LazyFunction(_today)
    total = Decimal("0")


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    charge_code = "LCL"
    basis = "per_wm"
    quantity = Decimal("10")
    unit_price = Decimal("95.00")
    amount = Decimal("950.00")
