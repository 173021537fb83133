"""What the coordinator's pages do, over the API: start and list matching runs, read one run
with its unplaced needs, and list settlements (every one for a coordinator, a firm's own for
a firm user).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tenancy import IsCoordinator, IsFirmUserOrCoordinator
from coop.api.views import ObjectApi, found, paginated
from pooling.domain.formats import GroupingRecord
from pooling.domain.money import quantize
from pooling.models import MatchingRun, MatchingShard, Settlement
from pooling.selectors.console import matching_run_find, matching_runs_page, settlements_listed
from pooling.services.matching import matching_run_start


class UnplacedOutput(serializers.Serializer):
    class Meta:
        ref_name = "MatchingRunUnplacedOutput"

    kind = serializers.ChoiceField(choices=["logistics", "ads"],
                                   help_text="`logistics` for a shipping demand, `ads` for an ad need")
    need_id = serializers.IntegerField(help_text="The demand's or ad need's id")
    reason = serializers.CharField(help_text="Why matching could not place it")


class KindSearchOutput(serializers.Serializer):
    class Meta:
        ref_name = "MatchingKindSearchOutput"

    method = serializers.CharField(
        help_text="`exact`, `local search`, `date by date` or those joined by `and`; `none`")
    exact = serializers.IntegerField(help_text="Chains of needs solved exactly")
    local = serializers.IntegerField(help_text="Longer chains built and improved by the local "
                                               "search")
    by_date = serializers.IntegerField(help_text="Lane groups formed date by date on a "
                                                 "partner's capacity offers")
    budget = serializers.IntegerField(help_text="Pricings the local search was allowed")
    spent = serializers.IntegerField(help_text="Pricings it used (each pool's first pricing "
                                               "is always spent, so it can pass the budget)")
    exhausted = serializers.IntegerField(help_text="Chains whose budget ran out")
    moves = serializers.IntegerField(help_text="Moves the local search made")


class GroupingOutput(serializers.Serializer):
    class Meta:
        ref_name = "MatchingGroupingOutput"

    exact_limit = serializers.IntegerField(help_text="Chains of at most this many needs are "
                                                     "solved exactly")
    exact_groups = serializers.IntegerField(help_text="... when they have at most this many "
                                                      "groups with a common date")
    pricings_per_need = serializers.FloatField(help_text="The local search's budget per need "
                                                         "of a chain")
    budget_floor = serializers.IntegerField(help_text="The least budget of a chain")
    search_pricings = serializers.IntegerField(
        allow_null=True, help_text="The most the chains of one kind may price in all: the "
                                   "run's, shared among its shards by their needs (a shard: "
                                   "its share); null: no limit")
    logistics = KindSearchOutput(allow_null=True, help_text="Null until demands were matched")
    ads = KindSearchOutput(allow_null=True, help_text="Null until ad needs were matched")


def _grouping(obj: MatchingRun | MatchingShard) -> dict[str, Any] | None:
    record = GroupingRecord.in_inputs(obj.inputs)
    return dict(GroupingOutput(record.to_json()).data) if record is not None else None


class MatchingRunOutput(serializers.Serializer):
    class Meta:
        ref_name = "MatchingRunOutput"

    id = serializers.IntegerField()
    trigger = serializers.CharField(help_text="web, command or schedule")
    status = serializers.CharField(help_text="queued, running, succeeded or failed")
    progress = serializers.IntegerField(help_text="0 to 100")
    stage = serializers.CharField(help_text="What the run is doing now, e.g. `matching ads`")
    inputs = serializers.DictField(help_text="What the run read: demands, ad_needs, rate_cards, ...")
    grouping = serializers.SerializerMethodField(
        help_text="How needs were grouped: the search's limits and what it did per kind "
                  "(null for a run recorded before)")
    proposed_count = serializers.IntegerField(help_text="Pools proposed")
    unplaced_count = serializers.SerializerMethodField()
    total_saving = serializers.DictField(child=serializers.CharField(),
                                         help_text="Projected saving per currency")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)

    def get_unplaced_count(self, obj: MatchingRun) -> int:
        return len(obj.unplaced or [])

    @extend_schema_field(GroupingOutput(allow_null=True))
    def get_grouping(self, obj: MatchingRun) -> dict[str, Any] | None:
        return _grouping(obj)


class MatchingShardOutput(serializers.Serializer):
    class Meta:
        ref_name = "MatchingShardOutput"

    number = serializers.IntegerField(help_text="1 to the run's shard count")
    lanes = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Lane groups matched, each [origin, mode family], e.g. [\"CNSZX\", \"sea\"]")
    programmes = serializers.ListField(child=serializers.IntegerField(),
                                       help_text="Channel programme ids matched")
    planned_needs = serializers.IntegerField(help_text="Open needs on them when the run began")
    status = serializers.CharField(help_text="queued, running, succeeded or failed")
    stage = serializers.CharField(help_text="reading input, matching logistics, matching ads, "
                                            "saving pools, done or failed")
    proposed_count = serializers.IntegerField()
    grouping = serializers.SerializerMethodField(
        help_text="How this shard's needs were grouped (null until it finished)")
    error = serializers.CharField()
    duration_ms = serializers.IntegerField(allow_null=True)

    @extend_schema_field(GroupingOutput(allow_null=True))
    def get_grouping(self, obj: MatchingShard) -> dict[str, Any] | None:
        return _grouping(obj)


class MatchingRunDetailOutput(MatchingRunOutput):
    class Meta:
        ref_name = "MatchingRunDetailOutput"

    unplaced = UnplacedOutput(many=True)
    shards = MatchingShardOutput(many=True, source="shards.all",
                                 help_text="The run cut into shards, one worker task each")


RUN_EXAMPLE = {
    "id": 12, "trigger": "web", "status": "succeeded", "progress": 100, "stage": "done",
    "inputs": {"demands": 14, "ad_needs": 4, "rate_cards": 3, "programmes": 5},
    "grouping": {"exact_limit": 12, "exact_groups": 4096, "pricings_per_need": 0.4,
                 "budget_floor": 50, "search_pricings": 8000,
                 "logistics": {"method": "exact and local search", "exact": 3, "local": 1,
                               "by_date": 0, "budget": 50, "spent": 50, "exhausted": 1,
                               "moves": 4},
                 "ads": {"method": "exact", "exact": 1, "local": 0, "by_date": 0,
                         "budget": 0, "spent": 0, "exhausted": 0, "moves": 0}},
    "proposed_count": 4, "unplaced_count": 1, "total_saving": {"USD": "5120.00"}, "error": "",
    "created_at": "2026-12-01T10:00:00Z", "started_at": "2026-12-01T10:00:00Z",
    "finished_at": "2026-12-01T10:00:01Z", "duration_ms": 412,
    "unplaced": [{"kind": "logistics", "need_id": 31,
                  "reason": "no rate card for CNSZX\u2192GBFXT by sea"}],
    "shards": [{"number": 1, "lanes": [["CNSZX", "sea"]], "programmes": [2],
                "planned_needs": 18, "status": "succeeded", "stage": "done",
                "proposed_count": 4, "grouping": None, "error": "", "duration_ms": 380}],
}


class MatchingRunsApi(ObjectApi):
    """GET /api/v1/matching/runs/: the latest runs; POST: start one (it runs on a worker)."""

    permission_classes = [IsCoordinator]

    @extend_schema(responses=MatchingRunOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, matching_runs_page(), MatchingRunOutput)

    @extend_schema(request=None, responses={202: MatchingRunDetailOutput},
                   examples=[OpenApiExample("A queued run", response_only=True, status_codes=["202"],
                                            value={**RUN_EXAMPLE, "status": "queued", "progress": 0,
                                                   "stage": "queued", "unplaced": [],
                                                   "shards": []})])
    def post(self, request: Request) -> Response:
        run = matching_run_start(trigger=MatchingRun.Trigger.WEB, started_by=request.user)
        run.refresh_from_db()
        return Response(MatchingRunDetailOutput(run).data, status=status.HTTP_202_ACCEPTED)


class MatchingRunDetailApi(ObjectApi):
    """GET /api/v1/matching/runs/{id}/: a run's progress, figures and unplaced needs; poll it."""

    permission_classes = [IsCoordinator]

    @extend_schema(responses=MatchingRunDetailOutput,
                   examples=[OpenApiExample("A finished run", value=RUN_EXAMPLE, response_only=True)])
    def get(self, request: Request, run_id: int) -> Response:
        run = found(matching_run_find(run_id=run_id))
        return Response(MatchingRunDetailOutput(run).data)


class SettlementListOutput(serializers.Serializer):
    class Meta:
        ref_name = "SettlementListOutput"

    id = serializers.IntegerField()
    pool_id = serializers.IntegerField()
    pool = serializers.CharField(source="pool.__str__")
    version = serializers.IntegerField()
    status = serializers.CharField(help_text="pending, completed, held, reversed or failed")
    method = serializers.CharField(help_text="How the invoice was split, e.g. `proportional`")
    currency = serializers.CharField()
    total = serializers.SerializerMethodField(help_text="The invoice total in its minor unit")
    invoice_number = serializers.SerializerMethodField()
    hold_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_total(self, obj: Settlement) -> str:
        return str(quantize(obj.total, obj.currency))

    def get_invoice_number(self, obj: Settlement) -> str:
        return obj.invoice.number if obj.invoice else ""


class SettlementListApi(ObjectApi):
    """GET /api/v1/settlements/?status=held: coordinators see every settlement, a firm its own."""

    permission_classes = [IsFirmUserOrCoordinator]

    @extend_schema(parameters=[OpenApiParameter(
        "status", str, enum=list(Settlement.Status.values),
        description="Only settlements in this status, e.g. `held` for those waiting for release.")],
        responses=SettlementListOutput(many=True))
    def get(self, request: Request) -> Response:
        state = request.query_params.get("status", "")
        if state and state not in Settlement.Status.values:
            raise serializers.ValidationError(
                {"status": [f"Choose one of: {', '.join(Settlement.Status.values)}."]})
        coordinator = bool(getattr(request.user, "is_coordinator", False))
        rows = settlements_listed(firm=getattr(request, "firm", None), coordinator=coordinator,
                                  state=state)
        return paginated(self, request, rows, SettlementListOutput)


urlpatterns = [
    path("matching/runs/", MatchingRunsApi.as_view(), name="matching-runs"),
    path("matching/runs/<int:run_id>/", MatchingRunDetailApi.as_view(), name="matching-run-detail"),
    path("settlements/", SettlementListApi.as_view(), name="settlement-list"),
]
