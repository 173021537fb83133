"""API of the channel advisor: the acting firm's profile and advice; for coordinators, the
demand building up by channel and market.

The profile input is parsed by the same validator as the web form; the advice is the
same selector the advisor page renders.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.reference import GrowthStage
from accounts.tenancy import IsCoordinator, IsFirmUser
from coop.api.views import found, paginated
from pooling.domain.advisor import SALES_BANDS, SALES_CHANNELS, Concentration
from pooling.models.advisor import RiskAppetite
from pooling.selectors import advisor as selectors
from pooling.services import advisor as services

# --- serializers -------------------------------------------------------------

STAFF_HELP = "yes, some or no (default no)"
STAGES = ", ".join(GrowthStage.values)


class ChannelShareSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorChannelShare"

    channel = serializers.CharField(help_text="One of: " + ", ".join(SALES_CHANNELS))
    share = serializers.IntegerField(min_value=0, max_value=100, help_text="Rough % of sales")


class ProfileSerializer(serializers.Serializer):
    """A firm's channel profile; every field is optional (with a neutral default)."""

    class Meta:
        ref_name = "AdvisorProfile"

    channels = ChannelShareSerializer(many=True, required=False)
    markets = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="ISO 3166-1 countries, e.g. [\"US\", \"GB\"]")
    sales_band = serializers.ChoiceField(choices=[("", "not given"), *[
        (k, label) for k, (label, _) in SALES_BANDS.items()]], required=False)
    content_staff = serializers.CharField(required=False, help_text=STAFF_HELP)
    live_staff = serializers.CharField(required=False, help_text=STAFF_HELP)
    site_staff = serializers.CharField(required=False, help_text=STAFF_HELP)
    has_own_site = serializers.BooleanField(required=False)
    has_brand = serializers.BooleanField(required=False)
    risk_appetite = serializers.ChoiceField(choices=RiskAppetite.choices, required=False)
    stage_override = serializers.CharField(
        required=False, help_text="Empty to follow the channels, or " + STAGES)
    stage = serializers.CharField(read_only=True, help_text="The stage in force: " + STAGES)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        try:
            return services.firm_profile_input_parse(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None


class PlatformShareSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorPlatformShare"

    platform = serializers.CharField()
    share = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="Percent")


class ConcentrationSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorConcentration"

    hhi = serializers.IntegerField(help_text="Herfindahl-Hirschman index, 0-10,000")
    level = serializers.CharField()
    above_threshold = serializers.BooleanField(help_text="HHI above 2,500 (2010 guidelines)")
    dominant = serializers.CharField()
    dominant_share = serializers.DecimalField(max_digits=5, decimal_places=1)
    shares = PlatformShareSerializer(many=True)


class WarningSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorWarning"

    kind = serializers.ChoiceField(choices=["concentration", "resources"])
    factor = serializers.CharField()
    message = serializers.CharField()


class ProgrammeStepSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorProgramme"

    programme = serializers.IntegerField()
    name = serializers.CharField()
    market = serializers.CharField()
    minimum_spend = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    suggested_budget = serializers.DecimalField(max_digits=18, decimal_places=2)
    reachable_alone = serializers.BooleanField()
    ad_need = serializers.DictField(child=serializers.CharField(),
                                    help_text="Fields for POST /api/v1/ad-needs/")


class PoolStepSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorPool"

    pool = serializers.IntegerField()
    programme = serializers.IntegerField()
    market = serializers.CharField()
    currency = serializers.CharField()
    budget = serializers.DecimalField(max_digits=18, decimal_places=2)
    pooled_spend = serializers.DecimalField(max_digits=18, decimal_places=2)
    projected_share = serializers.DecimalField(max_digits=18, decimal_places=2)
    yardstick = serializers.DecimalField(max_digits=18, decimal_places=2)
    yardstick_note = serializers.CharField()
    projected_saving = serializers.DecimalField(max_digits=18, decimal_places=2)
    unlocks = serializers.BooleanField(help_text="The budget misses the minimum alone; "
                                                 "the pool reaches it")
    ad_need = serializers.DictField(child=serializers.CharField(),
                                    help_text="Fields for POST /api/v1/ad-needs/, then "
                                              "POST /api/v1/pools/{pool}/join/")


class RecommendationSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorRecommendation"

    channel = serializers.CharField()
    channel_label = serializers.CharField()
    business_model = serializers.CharField()
    factors = serializers.ListField(child=serializers.ChoiceField(
        choices=["stage", "concentration", "resources", "market"]))
    why = serializers.CharField()
    needs = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    programmes = ProgrammeStepSerializer(many=True)
    pools = PoolStepSerializer(many=True)


class AdviceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorAdvice"

    stage = serializers.CharField(help_text="In force (corrected or derived): " + STAGES)
    derived_stage = serializers.CharField(help_text="As the channels say: " + STAGES)
    channels = serializers.ListField(child=serializers.CharField())
    markets = serializers.ListField(child=serializers.CharField())
    has_profile = serializers.BooleanField()
    sales_concentration = ConcentrationSerializer(allow_null=True)
    ad_spend_concentration = ConcentrationSerializer(allow_null=True)
    ad_spend_left_out = serializers.ListField(
        child=serializers.CharField(), help_text="Currencies with no FX rate to the firm's")
    warnings = WarningSerializer(many=True)
    recommendations = RecommendationSerializer(many=True)


class DemandRowSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AdvisorDemandRow"

    channel = serializers.CharField()
    channel_label = serializers.CharField()
    market = serializers.CharField()
    open_needs = serializers.IntegerField(help_text="Open ad needs in no live pool")
    firms_waiting = serializers.IntegerField()
    budgets = serializers.DictField(child=serializers.DecimalField(max_digits=18,
                                                                   decimal_places=2))
    programmes = serializers.ListField(child=serializers.CharField())
    no_programme = serializers.BooleanField()
    shortfall = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True,
                                         help_text="To the lowest programme minimum")
    shortfall_currency = serializers.CharField(allow_null=True)
    advised_firms = serializers.IntegerField(
        help_text="Firms the advisor sends here with no programme to buy through")


# --- views -------------------------------------------------------------------


def _concentration(c: Concentration | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"hhi": c.hhi, "level": c.level, "above_threshold": c.above_threshold,
            "dominant": c.dominant, "dominant_share": c.dominant_share,
            "shares": [{"platform": p, "share": s} for p, s in c.shares]}


def advice_json(firm_advice: selectors.FirmAdvice) -> dict[str, Any]:
    a = firm_advice.advice
    return {
        "stage": a.stage.value, "derived_stage": a.derived_stage.value, "channels": list(a.used),
        "markets": list(firm_advice.markets), "has_profile": firm_advice.profile is not None,
        "sales_concentration": _concentration(a.sales),
        "ad_spend_concentration": _concentration(a.ad_spend),
        "ad_spend_left_out": list(firm_advice.spend_left_out),
        "warnings": [{"kind": w.kind, "factor": w.factor.value, "message": w.message}
                     for w in a.warnings],
        "recommendations": [{
            "channel": s.recommendation.channel, "channel_label": s.recommendation.label,
            "business_model": s.recommendation.model.value,
            "factors": [f.value for f in s.recommendation.factors],
            "why": s.recommendation.why, "needs": list(s.recommendation.needs),
            "warnings": list(s.recommendation.warnings),
            "programmes": [{
                "programme": p.programme.pk, "name": p.programme.name, "market": p.market,
                "minimum_spend": p.programme.minimum_spend, "currency": p.programme.currency,
                "suggested_budget": p.budget, "reachable_alone": p.alone, "ad_need": p.prefill,
            } for p in s.programmes],
            "pools": [{
                "pool": p.pool.pk, "programme": p.offer.programme_id, "market": p.offer.market,
                "currency": p.offer.currency, "budget": p.offer.budget,
                "pooled_spend": p.offer.pooled_spend, "projected_share": p.offer.share,
                "yardstick": p.offer.yardstick, "yardstick_note": p.offer.yardstick_note,
                "projected_saving": p.offer.saving, "unlocks": p.offer.unlocks,
                "ad_need": {k: v for k, v in p.prefill.items() if k != "pool"},
            } for p in s.pools],
        } for s in firm_advice.steps],
    }


class AdviceApi(APIView):
    permission_classes = [IsFirmUser]

    @extend_schema(responses=AdviceSerializer, summary="The acting firm's channel advice")
    def get(self, request: Request) -> Response:
        advice = selectors.advice_for_firm(firm=request.firm)  # type: ignore[attr-defined]
        return Response(AdviceSerializer(advice_json(advice)).data)


class ProfileApi(APIView):
    permission_classes = [IsFirmUser]

    def _out(self, profile: Any) -> Response:
        data = services.firm_profile_raw(profile)
        data["stage"] = profile.firm.growth_stage
        return Response(ProfileSerializer(data).data)

    @extend_schema(responses=ProfileSerializer, summary="The acting firm's channel profile")
    def get(self, request: Request) -> Response:
        return self._out(found(selectors.firm_profile_for_firm(firm=request.firm)))  # type: ignore[attr-defined]

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer,
                   summary="Create or replace the acting firm's channel profile")
    def put(self, request: Request) -> Response:
        serializer = ProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.firm_profile_save(firm=request.firm,  # type: ignore[attr-defined]
                                             data=serializer.validated_data)
        return self._out(profile)


class DemandApi(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(responses=DemandRowSerializer(many=True),
                   summary="Demand building up by channel and market (coordinators)")
    def get(self, request: Request) -> Response:
        rows = [{
            "channel": r.channel, "channel_label": r.channel_label, "market": r.market,
            "open_needs": r.open_needs, "firms_waiting": r.firms_waiting, "budgets": r.budgets,
            "programmes": r.programmes, "no_programme": r.no_programme, "shortfall": r.shortfall,
            "shortfall_currency": r.lowest_minimum[0] if r.lowest_minimum else None,
            "advised_firms": r.advised_firms,
        } for r in selectors.demand_building_up()]
        return paginated(self, request, rows, DemandRowSerializer)


urlpatterns = [
    path("advisor/", AdviceApi.as_view(), name="advisor"),
    path("advisor/profile/", ProfileApi.as_view(), name="advisor-profile"),
    path("advisor/demand/", DemandApi.as_view(), name="advisor-demand"),
]
