"""API for what firms need: shipping demands (with CSV import), ad needs, the programme catalogue.

Firm users act for the firm in `X-Firm`; coordinators may list across firms. Input
serializers are thin adapters over the services' validators, which the CSV import
and the web forms use too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.reference import ProductCategory
from accounts.tenancy import IsCoordinator, IsFirmUser, IsFirmUserOrCoordinator
from coop.api import query
from coop.api.idempotency import idempotent
from coop.api.parsers import StrictMultiPartParser
from coop.api.views import ObjectApi, found, paginated, validated
from coop.errors import ApplicationError
from coop.inputs import StrictCharField, StrictDateField, StrictDecimalField, StrictIntegerField
from pooling import csv_import
from pooling.models import AdNeed, ChannelProgramme, PackageLine, ShippingDemand
from pooling.models.choices import BusinessModel, CargoClass, Channel, Incoterm, Mode
from pooling.selectors import needs as selectors
from pooling.services import needs as services

# --- serializers -------------------------------------------------------------


class ValidatorSerializer(serializers.Serializer):
    """Declares fields for the schema; a services validator turns raw input into typed input."""

    def validate_raw(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "dict") and callable(data.dict):
            data = data.dict()  # a form or multipart body: one value per field, the last
        elif not isinstance(data, dict):
            data = None
        if data is None:
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        try:
            return self.validate_raw(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None


class PackageLineInput(serializers.Serializer):
    class Meta:
        ref_name = "PackageLineInput"

    count = StrictIntegerField(min_value=1)
    length_cm = StrictDecimalField(max_digits=8, decimal_places=2)
    width_cm = StrictDecimalField(max_digits=8, decimal_places=2)
    height_cm = StrictDecimalField(max_digits=8, decimal_places=2)
    gross_kg_each = StrictDecimalField(max_digits=14, decimal_places=3)


class DemandInput(ValidatorSerializer):
    """Either package lines or totals (gross_kg and volume_cbm)."""

    class Meta:
        ref_name = "DemandInput"

    reference = StrictCharField(required=False, max_length=60)
    origin = StrictCharField(help_text="UN/LOCODE, e.g. CNSZX")
    destination = StrictCharField(help_text="UN/LOCODE, e.g. USLAX")
    mode = serializers.ChoiceField(choices=Mode.choices)
    cargo_class = serializers.ChoiceField(choices=CargoClass.choices, required=False)
    un_number = StrictCharField(required=False, help_text="e.g. UN3480")
    dg_class = StrictCharField(required=False, help_text="e.g. 9")
    splittable = serializers.BooleanField(required=False)
    lines = PackageLineInput(many=True, required=False)
    gross_kg = StrictDecimalField(max_digits=14, decimal_places=3, required=False)
    volume_cbm = StrictDecimalField(max_digits=14, decimal_places=6, required=False)
    ready_from = StrictDateField()
    deliver_by = StrictDateField()
    incoterm = serializers.ChoiceField(choices=Incoterm.choices, required=False)
    declared_value = StrictDecimalField(max_digits=18, decimal_places=4, required=False)
    declared_currency = StrictCharField(required=False)
    hs_code = StrictCharField(required=False, help_text="6 to 10 digits")

    def validate_raw(self, data: dict[str, Any]) -> services.DemandInput:
        if self.instance is not None:
            data = services.demand_raw_merged(self.instance, data)
        return services.demand_input_parse(data)


class PackageLineOutput(serializers.ModelSerializer):
    class Meta:
        model = PackageLine
        ref_name = "PackageLineOutput"
        fields = ["count", "length_cm", "width_cm", "height_cm", "gross_kg_each"]


class DemandOutput(serializers.ModelSerializer):
    lines = PackageLineOutput(many=True, read_only=True)

    class Meta:
        model = ShippingDemand
        ref_name = "DemandOutput"
        fields = [
            "id", "firm", "reference", "origin", "destination", "mode", "cargo_class",
            "un_number", "dg_class", "splittable", "lines", "gross_kg", "volume_cbm",
            "chargeable_kg", "revenue_tons", "ready_from", "deliver_by", "incoterm",
            "declared_value", "declared_currency", "hs_code", "status", "created_at",
            "updated_at",
        ]


class AdNeedInput(ValidatorSerializer):
    class Meta:
        ref_name = "AdNeedInput"

    programme = StrictIntegerField(help_text="Programme id from /api/v1/programmes/")
    market = StrictCharField(help_text="ISO 3166-1 country, e.g. US")
    budget = StrictDecimalField(max_digits=18, decimal_places=4)
    currency = StrictCharField(help_text="The programme's currency")
    flight_from = StrictDateField()
    flight_to = StrictDateField()
    category = serializers.ChoiceField(choices=ProductCategory.choices)
    excluded_firms = serializers.ListField(child=StrictIntegerField(), required=False,
                                           help_text="Ids of firms not to pool with")

    def validate_raw(self, data: dict[str, Any]) -> services.AdNeedInput:
        firm = self.context["firm"]
        if self.instance is not None:
            data = services.ad_need_raw(self.instance) | data
        return services.ad_need_input_parse(data, firm=firm)


class AdNeedOutput(serializers.ModelSerializer):
    channel = StrictCharField(source="programme.channel", read_only=True)
    programme_name = StrictCharField(source="programme.name", read_only=True)

    class Meta:
        model = AdNeed
        ref_name = "AdNeedOutput"
        fields = [
            "id", "firm", "programme", "programme_name", "channel", "market", "budget",
            "currency", "flight_from", "flight_to", "category", "excluded_firms", "status",
            "created_at", "updated_at",
        ]


class TierSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ProgrammeTier"

    min_spend = StrictDecimalField(max_digits=18, decimal_places=2)
    discount_percent = StrictDecimalField(max_digits=6, decimal_places=3, required=False)
    rebate_percent = StrictDecimalField(max_digits=6, decimal_places=3, required=False)


class ProgrammeInput(ValidatorSerializer):
    class Meta:
        ref_name = "ProgrammeInput"

    name = StrictCharField(max_length=200)
    channel = serializers.ChoiceField(choices=Channel.choices)
    business_model = serializers.ChoiceField(choices=BusinessModel.choices)
    partner = StrictIntegerField(required=False, allow_null=True)
    markets = serializers.ListField(child=StrictCharField())
    currency = StrictCharField()
    minimum_spend = StrictDecimalField(max_digits=18, decimal_places=2)
    tiers = TierSerializer(many=True, required=False)
    management_fee_percent = StrictDecimalField(max_digits=6, decimal_places=3,
                                                      required=False)
    standalone_fee_percent = StrictDecimalField(max_digits=6, decimal_places=3,
                                                      required=False)
    min_flight_days = StrictIntegerField(required=False)
    category_exclusive = serializers.BooleanField(required=False)
    is_demo = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)

    def validate_raw(self, data: dict[str, Any]) -> services.ProgrammeInput:
        if self.instance is not None:
            data = services.programme_raw(self.instance) | data
        return services.programme_input_parse(data)


class ProgrammeOutput(serializers.ModelSerializer):
    class Meta:
        model = ChannelProgramme
        ref_name = "ProgrammeOutput"
        fields = [
            "id", "name", "channel", "business_model", "partner", "markets", "currency",
            "minimum_spend", "tiers", "management_fee_percent", "standalone_fee_percent",
            "min_flight_days", "category_exclusive", "is_demo", "active", "updated_at",
        ]


# --- helpers -----------------------------------------------------------------


def _acting_firm(request: Request) -> Any:
    firm = getattr(request, "firm", None)
    if firm is None:
        raise ApplicationError("Act for a firm (X-Firm header) to do this.", status_code=403,
                               code="permission_denied")
    return firm


def _all_firms(request: Request) -> bool:
    """Coordinators list across firms (or within one with ?firm=<id>)."""
    user: Any = request.user
    asked = query.flag(request, "all_firms")
    if not getattr(user, "is_coordinator", False):
        return False
    return getattr(request, "firm", None) is None or asked


def _filtered(filterset_class: Any, request: Request, queryset: QuerySet) -> QuerySet:
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


class _PerMethod:
    """Different permissions for reading and writing."""

    read_permissions: list[type[BasePermission]]
    write_permissions: list[type[BasePermission]]
    request: Any

    def get_permissions(self) -> list[BasePermission]:
        classes = (self.read_permissions if self.request.method in ("GET", "HEAD", "OPTIONS")
                   else self.write_permissions)
        return [cls() for cls in classes]


ALL_FIRMS = OpenApiParameter("all_firms", bool, description="Coordinators: list every firm's.")


# --- shipping demands --------------------------------------------------------


class DemandListCreateApi(_PerMethod, APIView):
    read_permissions = [IsFirmUserOrCoordinator]
    write_permissions = [IsFirmUser]

    @extend_schema(parameters=[ALL_FIRMS, OpenApiParameter("lane", str)],
                   responses=DemandOutput(many=True))
    def get(self, request: Request) -> Response:
        demands = selectors.demands_visible(firm=getattr(request, "firm", None),
                                            all_firms=_all_firms(request))
        return paginated(self, request, _filtered(selectors.DemandFilter, request, demands),
                     DemandOutput)

    @extend_schema(request=DemandInput, responses={201: DemandOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        demand = services.demand_post(firm=_acting_firm(request),
                                      data=validated(DemandInput, request.data))
        return Response(DemandOutput(demand).data, status=status.HTTP_201_CREATED)


class DemandDetailApi(ObjectApi):
    permission_classes = [IsFirmUser]

    def _demand(self, request: Request, demand_id: int) -> ShippingDemand:
        return found(selectors.demand_for_firm(firm=request.firm, demand_id=demand_id))  # type: ignore[attr-defined]

    @extend_schema(responses=DemandOutput)
    def get(self, request: Request, demand_id: int) -> Response:
        return Response(DemandOutput(self._demand(request, demand_id)).data)

    @extend_schema(request=DemandInput(partial=True), responses=DemandOutput)
    def patch(self, request: Request, demand_id: int) -> Response:
        data = validated(DemandInput, request.data, instance=self._demand(request, demand_id))
        demand = services.demand_update(firm=request.firm, demand_id=demand_id, data=data)  # type: ignore[attr-defined]
        return Response(DemandOutput(selectors.demand_for_firm(
            firm=request.firm, demand_id=demand.pk)).data)  # type: ignore[attr-defined]


class DemandWithdrawApi(ObjectApi):
    permission_classes = [IsFirmUser]

    @extend_schema(request=None, responses=DemandOutput)
    def post(self, request: Request, demand_id: int) -> Response:
        demand = services.demand_withdraw(firm=request.firm, demand_id=demand_id,  # type: ignore[attr-defined]
                                          actor=request.user)
        return Response(DemandOutput(demand).data)


class DemandImportApi(APIView):
    """Upload a CSV of shipping demands (multipart field `file`): all rows stored, or none."""

    permission_classes = [IsFirmUser]
    parser_classes = [StrictMultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer(
            "DemandImportUpload", {"file": serializers.FileField()})},
        responses={201: inline_serializer("DemandImportResult",
                                          {"created": StrictIntegerField()})},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("Upload the CSV in the multipart field 'file'.",
                                   fields={"file": ["This field is required."]},
                                   code="validation_error")
        result = csv_import.demands_csv_import(firm=request.firm, data=upload.read())  # type: ignore[attr-defined]
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)


# --- ad needs ----------------------------------------------------------------


class AdNeedListCreateApi(_PerMethod, APIView):
    read_permissions = [IsFirmUserOrCoordinator]
    write_permissions = [IsFirmUser]

    @extend_schema(parameters=[ALL_FIRMS], responses=AdNeedOutput(many=True))
    def get(self, request: Request) -> Response:
        needs = selectors.ad_needs_visible(firm=getattr(request, "firm", None),
                                           all_firms=_all_firms(request))
        return paginated(self, request, _filtered(selectors.AdNeedFilter, request, needs),
                     AdNeedOutput)

    @extend_schema(request=AdNeedInput, responses={201: AdNeedOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        firm = _acting_firm(request)
        need = services.ad_need_post(
            firm=firm, data=validated(AdNeedInput, request.data, context={"firm": firm}))
        return Response(AdNeedOutput(need).data, status=status.HTTP_201_CREATED)


class AdNeedDetailApi(ObjectApi):
    permission_classes = [IsFirmUser]

    def _need(self, request: Request, need_id: int) -> AdNeed:
        return found(selectors.ad_need_for_firm(firm=request.firm, need_id=need_id))  # type: ignore[attr-defined]

    @extend_schema(responses=AdNeedOutput)
    def get(self, request: Request, need_id: int) -> Response:
        return Response(AdNeedOutput(self._need(request, need_id)).data)

    @extend_schema(request=AdNeedInput(partial=True), responses=AdNeedOutput)
    def patch(self, request: Request, need_id: int) -> Response:
        data = validated(AdNeedInput, request.data, instance=self._need(request, need_id),
                         context={"firm": request.firm})  # type: ignore[attr-defined]
        services.ad_need_update(firm=request.firm, need_id=need_id, data=data)  # type: ignore[attr-defined]
        return Response(AdNeedOutput(self._need(request, need_id)).data)


class AdNeedWithdrawApi(ObjectApi):
    permission_classes = [IsFirmUser]

    @extend_schema(request=None, responses=AdNeedOutput)
    def post(self, request: Request, need_id: int) -> Response:
        need = services.ad_need_withdraw(firm=request.firm, need_id=need_id,  # type: ignore[attr-defined]
                                         actor=request.user)
        return Response(AdNeedOutput(need).data)


# --- the programme catalogue -------------------------------------------------


class ProgrammeListCreateApi(_PerMethod, APIView):
    read_permissions = [IsAuthenticated]
    write_permissions = [IsCoordinator]

    @extend_schema(responses=ProgrammeOutput(many=True))
    def get(self, request: Request) -> Response:
        # Coordinators also see the programmes they retired.
        programmes = selectors.programmes_list(
            active_only=not getattr(request.user, "is_coordinator", False))
        return paginated(self, request, _filtered(selectors.ProgrammeFilter, request, programmes),
                     ProgrammeOutput)

    @extend_schema(request=ProgrammeInput, responses={201: ProgrammeOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        programme = services.programme_create(data=validated(ProgrammeInput, request.data))
        return Response(ProgrammeOutput(programme).data, status=status.HTTP_201_CREATED)


class ProgrammeDetailApi(_PerMethod, ObjectApi):
    read_permissions = [IsAuthenticated]
    write_permissions = [IsCoordinator]

    def _programme(self, programme_id: int, *, active_only: bool = False) -> ChannelProgramme:
        return found(selectors.programmes_list(active_only=active_only).filter(
            pk=programme_id).first())

    @extend_schema(responses=ProgrammeOutput)
    def get(self, request: Request, programme_id: int) -> Response:
        # A retired programme is gone for firms and partners, as in the list.
        active_only = not getattr(request.user, "is_coordinator", False)
        return Response(ProgrammeOutput(self._programme(programme_id,
                                                        active_only=active_only)).data)

    @extend_schema(request=ProgrammeInput(partial=True), responses=ProgrammeOutput)
    def patch(self, request: Request, programme_id: int) -> Response:
        data = validated(ProgrammeInput, request.data, instance=self._programme(programme_id))
        programme = services.programme_update(programme_id=programme_id, data=data)
        return Response(ProgrammeOutput(programme).data)


def _view(cls: type[APIView]) -> Callable[..., Any]:
    return cls.as_view()


urlpatterns = [
    path("demands/", _view(DemandListCreateApi), name="demands"),
    path("demands/import/", _view(DemandImportApi), name="demands-import"),
    path("demands/<int:demand_id>/", _view(DemandDetailApi), name="demand-detail"),
    path("demands/<int:demand_id>/withdraw/", _view(DemandWithdrawApi), name="demand-withdraw"),
    path("ad-needs/", _view(AdNeedListCreateApi), name="ad-needs"),
    path("ad-needs/<int:need_id>/", _view(AdNeedDetailApi), name="ad-need-detail"),
    path("ad-needs/<int:need_id>/withdraw/", _view(AdNeedWithdrawApi), name="ad-need-withdraw"),
    path("programmes/", _view(ProgrammeListCreateApi), name="programmes"),
    path("programmes/<int:programme_id>/", _view(ProgrammeDetailApi),
         name="programme-detail"),
]
