"""Settlement over the API: a firm's statement, one settlement, a coordinator's release.

Amounts are strings in the currency's minor unit (JPY "27246", KWD "76.805").
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import IsCoordinator, IsFirmUser, IsFirmUserOrCoordinator
from coop.api.views import ObjectApi
from coop.inputs import StrictCharField, StrictDateField, StrictDateTimeField, StrictIntegerField
from pooling.domain.money import quantize
from pooling.selectors.settlement import (
    dispute_window,
    settlement_documents,
    settlement_shares_for,
    settlement_visible,
    statement_for_firm,
    statement_period,
)
from pooling.services.settlement import settlement_release


class ShareLineOutput(serializers.Serializer):
    class Meta:
        ref_name = "SettlementShareLineOutput"

    charge_code = StrictCharField()
    amount = StrictCharField()


class StatementLineOutput(serializers.Serializer):
    class Meta:
        ref_name = "StatementLineOutput"

    settlement_id = StrictIntegerField()
    pool_id = StrictIntegerField()
    pool = StrictCharField()
    version = StrictIntegerField()
    status = StrictCharField()
    invoice_number = StrictCharField()
    documents = serializers.ListField(child=StrictCharField())
    settled_on = StrictDateField(allow_null=True)
    currency = StrictCharField()
    amount = StrictCharField()
    standalone_cost = StrictCharField(allow_null=True)
    saving = StrictCharField(allow_null=True)
    billing_currency = StrictCharField()
    billing_amount = StrictCharField()
    billing_saving = StrictCharField(allow_null=True)
    fx_rate = StrictCharField()
    lines = ShareLineOutput(many=True)
    closed_on = serializers.DateField(allow_null=True)


class StatementTotalOutput(serializers.Serializer):
    class Meta:
        ref_name = "StatementTotalOutput"

    currency = StrictCharField()
    billed = StrictCharField()
    standalone = StrictCharField()
    saving = StrictCharField()


class StatementApi(APIView):
    """GET /api/v1/statements/?from=YYYY-MM-DD&to=YYYY-MM-DD: the acting firm's statement."""

    permission_classes = [IsFirmUser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StatementInput"

        date_from = StrictDateField(required=False)
        date_to = StrictDateField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("date_from") and attrs.get("date_to") and \
                    attrs["date_from"] > attrs["date_to"]:
                raise serializers.ValidationError({"from": ["Must be on or before 'to'."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StatementOutput"

        firm_id = StrictIntegerField(source="firm.pk")
        firm = StrictCharField(source="firm.legal_name")
        date_from = StrictDateField()
        date_to = StrictDateField()
        lines = StatementLineOutput(many=True)
        totals = StatementTotalOutput(many=True)

    @extend_schema(
        parameters=[OpenApiParameter("from", str, description="First day (YYYY-MM-DD)."),
                    OpenApiParameter("to", str, description="Last day (YYYY-MM-DD).")],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        raw = {"date_from": request.query_params.get("from") or None,
               "date_to": request.query_params.get("to") or None}
        data = self.InputSerializer(data={k: v for k, v in raw.items() if v is not None})
        if not data.is_valid():
            errors = {("from" if k == "date_from" else "to" if k == "date_to" else k): v
                      for k, v in data.errors.items()}
            raise serializers.ValidationError(errors)
        date_from, date_to = statement_period(data.validated_data.get("date_from"),
                                              data.validated_data.get("date_to"))
        statement = statement_for_firm(firm=request.firm,  # type: ignore[attr-defined]
                                       date_from=date_from, date_to=date_to)
        return Response(self.OutputSerializer(statement).data)


class SettlementOutput(serializers.Serializer):
    class Meta:
        ref_name = "SettlementOutput"

    id = StrictIntegerField()
    pool_id = StrictIntegerField()
    invoice_number = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    closes_on = serializers.SerializerMethodField()
    closed = serializers.SerializerMethodField()
    version = StrictIntegerField()
    status = StrictCharField()
    method = StrictCharField()
    currency = StrictCharField()
    total = serializers.SerializerMethodField()
    explanation = serializers.ListField(child=StrictCharField())
    hold_reason = StrictCharField()
    override_reason = StrictCharField()
    sampling_error = StrictCharField(allow_null=True)
    completed_at = StrictDateTimeField(allow_null=True)
    shares = serializers.SerializerMethodField()

    def get_invoice_number(self, obj: Any) -> str:
        return obj.invoice.number if obj.invoice else ""

    def get_documents(self, obj: Any) -> list[str]:
        return settlement_documents(obj)

    def get_closes_on(self, obj: Any) -> str | None:
        window = self.context["window"]
        return window.closes_on.isoformat() if window.closes_on else None

    def get_closed(self, obj: Any) -> bool:
        return bool(self.context["window"].closed)

    def get_total(self, obj: Any) -> str:
        return str(quantize(obj.total, obj.currency))

    def get_shares(self, obj: Any) -> list[dict[str, Any]]:
        return [{
            "member_id": s.member_id, "firm_id": s.firm_id, "currency": s.currency,
            "amount": str(quantize(s.amount, s.currency)),
            "standalone_cost": None if s.standalone_cost is None
            else str(quantize(s.standalone_cost, s.currency)),
            "saving": None if s.saving is None else str(quantize(s.saving, s.currency)),
            "billing_currency": s.billing_currency,
            "billing_amount": str(quantize(s.billing_amount, s.billing_currency)),
            "fx_rate": str(s.fx_rate.normalize()), "lines": s.lines,
        } for s in self.context["shares"]]


class SettlementDetailApi(ObjectApi):
    """GET /api/v1/settlements/{id}/: members see their own share; coordinators every share."""

    permission_classes = [IsFirmUserOrCoordinator]

    @extend_schema(responses=SettlementOutput)
    def get(self, request: Request, settlement_id: int) -> Response:
        coordinator = bool(getattr(request.user, "is_coordinator", False))
        firm = getattr(request, "firm", None)
        settlement = settlement_visible(settlement_id=settlement_id, firm=firm,
                                        coordinator=coordinator)
        if settlement is None:
            raise NotFound()
        shares = settlement_shares_for(settlement=settlement, firm=firm, coordinator=coordinator)
        return Response(SettlementOutput(settlement, context={
            "shares": shares, "window": dispute_window(pool_id=settlement.pool_id)}).data)


class SettlementReleaseApi(ObjectApi):
    """POST /api/v1/settlements/{id}/release/: a coordinator lets a held settlement post."""

    permission_classes = [IsCoordinator]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SettlementReleaseInput"

        reason = StrictCharField(max_length=2000, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=SettlementOutput)
    def post(self, request: Request, settlement_id: int) -> Response:
        if settlement_visible(settlement_id=settlement_id, firm=None, coordinator=True) is None:
            raise NotFound()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement = settlement_release(settlement_id=settlement_id, actor=request.user,
                                        reason=data.validated_data["reason"])
        shares = settlement_shares_for(settlement=settlement, firm=None, coordinator=True)
        return Response(SettlementOutput(settlement, context={
            "shares": shares, "window": dispute_window(pool_id=settlement.pool_id)}).data)


urlpatterns = [
    path("statements/", StatementApi.as_view(), name="statement"),
    path("settlements/<int:settlement_id>/", SettlementDetailApi.as_view(),
         name="settlement-detail"),
    path("settlements/<int:settlement_id>/release/", SettlementReleaseApi.as_view(),
         name="settlement-release"),
]
