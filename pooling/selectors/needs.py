"""Reads for what firms need, always scoped to the caller's firm (or, for coordinators, all)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from accounts.models import Firm
from pooling.models import AdNeed, ChannelProgramme, ShippingDemand
from pooling.models.choices import BusinessModel, Channel, Mode


class _FirmNeedFilter(django_filters.FilterSet):
    """What demand and ad need filters share: codes in any case, a firm for coordinators."""

    firm = django_filters.NumberFilter(field_name="firm_id", label="Firm id (coordinators)")

    def _upper(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{name: value.strip().upper()})


class DemandFilter(_FirmNeedFilter):
    """?status=open&lane=CNSZX-USLAX&mode=sea_lcl&ready_from_after=2026-01-01 ..."""

    status = django_filters.MultipleChoiceFilter(choices=ShippingDemand.Status.choices)
    mode = django_filters.MultipleChoiceFilter(choices=Mode.choices)
    origin = django_filters.CharFilter(method="_upper")
    destination = django_filters.CharFilter(method="_upper")
    lane = django_filters.CharFilter(method="_lane", label="Origin-destination, e.g. CNSZX-USLAX")
    ready_from_after = django_filters.DateFilter(field_name="ready_from", lookup_expr="gte")
    ready_from_before = django_filters.DateFilter(field_name="ready_from", lookup_expr="lte")
    deliver_by_after = django_filters.DateFilter(field_name="deliver_by", lookup_expr="gte")
    deliver_by_before = django_filters.DateFilter(field_name="deliver_by", lookup_expr="lte")

    class Meta:
        model = ShippingDemand
        fields: list[str] = []

    def _lane(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        origin, _, destination = value.strip().upper().partition("-")
        lane = Q(origin=origin)
        if destination:
            lane &= Q(destination=destination)
        return queryset.filter(lane)


class AdNeedFilter(_FirmNeedFilter):
    status = django_filters.MultipleChoiceFilter(choices=AdNeed.Status.choices)
    channel = django_filters.MultipleChoiceFilter(field_name="programme__channel",
                                                  choices=Channel.choices)
    programme = django_filters.NumberFilter(field_name="programme_id")
    market = django_filters.CharFilter(method="_upper")
    flight_from_after = django_filters.DateFilter(field_name="flight_from", lookup_expr="gte")
    flight_from_before = django_filters.DateFilter(field_name="flight_from", lookup_expr="lte")
    flight_to_after = django_filters.DateFilter(field_name="flight_to", lookup_expr="gte")
    flight_to_before = django_filters.DateFilter(field_name="flight_to", lookup_expr="lte")

    class Meta:
        model = AdNeed
        fields: list[str] = []


class ProgrammeFilter(django_filters.FilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    business_model = django_filters.ChoiceFilter(choices=BusinessModel.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = ChannelProgramme
        fields: list[str] = []


def demands_visible(*, firm: Firm | None, all_firms: bool = False) -> QuerySet[ShippingDemand]:
    """The firm's demands; every firm's for a coordinator asking for all firms."""
    demands = ShippingDemand.objects.select_related("firm").prefetch_related("lines")
    if all_firms:
        return demands
    return demands.filter(firm=firm) if firm is not None else demands.none()


def demand_for_firm(*, firm: Firm, demand_id: int) -> ShippingDemand | None:
    return demands_visible(firm=firm).filter(pk=demand_id).first()


def ad_needs_visible(*, firm: Firm | None, all_firms: bool = False) -> QuerySet[AdNeed]:
    needs = AdNeed.objects.select_related("firm", "programme").prefetch_related("excluded_firms")
    if all_firms:
        return needs
    return needs.filter(firm=firm) if firm is not None else needs.none()


def ad_need_for_firm(*, firm: Firm, need_id: int) -> AdNeed | None:
    return ad_needs_visible(firm=firm).filter(pk=need_id).first()


def programmes_list(*, active_only: bool = False) -> QuerySet[ChannelProgramme]:
    programmes = ChannelProgramme.objects.all()
    return programmes.filter(active=True) if active_only else programmes


def demands_for_dashboard(*, firm: Firm, limit: int = 50) -> list[ShippingDemand]:
    return list(ShippingDemand.objects.filter(firm=firm)[:limit])


def ad_needs_for_dashboard(*, firm: Firm, limit: int = 50) -> list[AdNeed]:
    return list(AdNeed.objects.filter(firm=firm).select_related("programme")[:limit])
