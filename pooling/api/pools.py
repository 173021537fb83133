"""Pools over the API: firms see their pools and invitations, accept, decline, join and leave;
coordinators list pools across firms and approve, reject, open, lock, cancel, set the join
deadline and remove members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import HEADER, IsCoordinator, IsFirmUser, IsFirmUserOrCoordinator
from coop.api.idempotency import idempotent
from coop.api.pagination import Pagination
from coop.api.views import ObjectApi, validated
from coop.errors import ApplicationError
from pooling.models import Pool, PoolMember
from pooling.selectors import pools as selectors
from pooling.services import pools as services


class MemberOutput(serializers.Serializer):
    """A member row: a firm sees its own rows; coordinators see every row."""

    class Meta:
        ref_name = "PoolMemberOutput"

    id = serializers.IntegerField()
    firm_id = serializers.IntegerField()
    status = serializers.CharField()
    demand_id = serializers.IntegerField(allow_null=True)
    ad_need_id = serializers.IntegerField(allow_null=True)
    standalone_cost = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    projected_share = serializers.DecimalField(max_digits=18, decimal_places=4)
    projected_saving = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    note = serializers.CharField()
    placement = serializers.JSONField(
        help_text='Sea pools: {"v": 1, "containers": [{"label": "40HC#2", "code": "40HC", '
                  '"volume_cbm": "12.5", "gross_kg": "3100"}], "lcl": {"volume_cbm", "gross_kg"} '
                  'or null}; {} for other pools.')


class OthersOutput(serializers.Serializer):
    class Meta:
        ref_name = "PoolOthersOutput"

    count = serializers.IntegerField()
    share_total = serializers.DecimalField(max_digits=18, decimal_places=4)
    standalone_total = serializers.DecimalField(max_digits=18, decimal_places=4)
    named = serializers.ListField(child=serializers.CharField())


class OwnOutput(serializers.Serializer):
    class Meta:
        ref_name = "PoolOwnOutput"

    share = serializers.DecimalField(max_digits=18, decimal_places=4)
    share_is_actual = serializers.BooleanField(
        help_text="True once the pool is settled: the share of the settlement in force.")
    standalone_cost = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    saving = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    access_gained = serializers.BooleanField()


class PoolOutput(serializers.Serializer):
    class Meta:
        ref_name = "PoolOutput"

    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    origin = serializers.CharField()
    destination = serializers.CharField()
    mode = serializers.CharField()
    programme_id = serializers.IntegerField(allow_null=True)
    market = serializers.CharField()
    ship_date = serializers.DateField(allow_null=True)
    flight_from = serializers.DateField(allow_null=True)
    flight_to = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    capacity = serializers.IntegerField()
    member_count = serializers.IntegerField()
    projected_total = serializers.DecimalField(max_digits=18, decimal_places=4)
    standalone_total = serializers.DecimalField(max_digits=18, decimal_places=4)
    join_deadline = serializers.DateTimeField(allow_null=True)
    members = MemberOutput(many=True)


class PoolDetailOutput(PoolOutput):
    class Meta:
        ref_name = "PoolDetailOutput"

    plan = serializers.JSONField(help_text="The pool's plan; firms get it without other members' "
                                           "figures. Sea plans label containers (40HC#1).")
    reasons = serializers.ListField(child=serializers.CharField())
    qualifies = serializers.BooleanField(help_text="Whether the pool still stands on its terms.")
    problems = serializers.ListField(child=serializers.CharField(), required=False)
    others = OthersOutput(allow_null=True)
    own = OwnOutput(required=False)


def _firm_view(request: Request) -> bool:
    """Coordinators read across firms unless they name a firm in X-Firm."""
    firm = getattr(request, "firm", None)
    coordinator = bool(getattr(request.user, "is_coordinator", False))
    return firm is not None and not (coordinator and not request.META.get(HEADER))


def _pool_data(pool: Pool, members: list[PoolMember], *, detail: bool = False,
               firm: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        f: getattr(pool, f) for f in (
            "id", "kind", "state", "origin", "destination", "mode", "programme_id", "market",
            "ship_date", "flight_from", "flight_to", "currency", "capacity", "member_count",
            "projected_total", "standalone_total", "join_deadline")
    }
    data["members"] = members
    if detail:
        view = (selectors.pool_view_for_firm(pool=pool, firm=firm) if firm is not None
                else selectors.pool_view_for_coordinator(pool=pool))
        data.update(view.api())
    return data


class PoolListApi(APIView):
    """Firms: their pools and invitations. Coordinators: every pool, `?state=` filters."""

    permission_classes = [IsFirmUserOrCoordinator]

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=[s for s, _ in Pool.State.choices])],
                   responses=PoolOutput(many=True))
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state") or None
        if state is not None and state not in Pool.State.values:
            raise ApplicationError(
                f"Invalid input. state: unknown state {state!r}.", code="validation_error",
                fields={"state": [f"Choose one of {', '.join(Pool.State.values)}."]})
        paginator = Pagination()
        if _firm_view(request):
            firm = request.firm  # type: ignore[attr-defined]
            pools = selectors.pools_for_firm(firm=firm)
            if state:
                pools = pools.filter(state=state)
            page = paginator.paginate_queryset(pools, request, view=self) or []
            data = [_pool_data(p, p.own_members) for p in page]  # type: ignore[attr-defined]
        else:
            pools = selectors.pools_for_coordinator(state=state).prefetch_related("members")
            page = paginator.paginate_queryset(pools, request, view=self) or []
            data = [_pool_data(p, list(p.members.all())) for p in page]
        return paginator.get_paginated_response(PoolOutput(data, many=True).data)


class PoolDetailApi(ObjectApi):
    permission_classes = [IsFirmUserOrCoordinator]

    @extend_schema(responses=PoolDetailOutput)
    def get(self, request: Request, pool_id: int) -> Response:
        pool = (selectors.pool_for_firm(firm=request.firm, pool_id=pool_id)  # type: ignore[attr-defined]
                if _firm_view(request) else selectors.pool_for_coordinator(pool_id=pool_id))
        return _detail(request, pool, refresh=False)


def _detail(request: Request, pool: Pool, *, refresh: bool = True) -> Response:
    """The pool as the caller may see it; after an action, as the action left it."""
    if refresh:
        pool.refresh_from_db()
    if _firm_view(request):
        firm = request.firm  # type: ignore[attr-defined]
        data = _pool_data(pool, list(pool.members.filter(firm=firm).order_by("pk")), detail=True,
                          firm=firm)
    else:
        data = _pool_data(pool, selectors.pool_members_for_coordinator(pool=pool), detail=True)
    return Response(PoolDetailOutput(data).data)


# ------------------------------------------------------------------ firms


class _FirmAction(ObjectApi):
    permission_classes = [IsFirmUser]

    def _pool(self, request: Request, pool_id: int) -> Pool:
        return selectors.pool_for_firm(firm=request.firm, pool_id=pool_id)  # type: ignore[attr-defined]


class ReasonInput(serializers.Serializer):
    class Meta:
        ref_name = "PoolReasonInput"

    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RequiredReasonInput(serializers.Serializer):
    class Meta:
        ref_name = "PoolRequiredReasonInput"

    reason = serializers.CharField(max_length=2000)


class PoolAcceptApi(_FirmAction):
    @extend_schema(request=None, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        pool = services.pool_accept(pool=self._pool(request, pool_id), firm=request.firm,  # type: ignore[attr-defined]
                                    actor=request.user)
        return _detail(request, pool)


class PoolDeclineApi(_FirmAction):
    @extend_schema(request=ReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        reason = validated(ReasonInput, request.data)["reason"]
        pool = services.pool_decline(pool=self._pool(request, pool_id), firm=request.firm,  # type: ignore[attr-defined]
                                     actor=request.user, reason=reason)
        return _detail(request, pool)


class PoolLeaveApi(_FirmAction):
    @extend_schema(request=ReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        reason = validated(ReasonInput, request.data)["reason"]
        pool = services.pool_leave(pool=self._pool(request, pool_id), firm=request.firm,  # type: ignore[attr-defined]
                                   actor=request.user, reason=reason)
        return _detail(request, pool)


class PoolJoinApi(_FirmAction):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PoolJoinInput"

        need_id = serializers.IntegerField(
            min_value=1, help_text="Your open shipping demand (logistics pools) or ad need (ads).")

    @extend_schema(request=InputSerializer, responses={201: PoolDetailOutput})
    @idempotent
    def post(self, request: Request, pool_id: int) -> Response:
        need_id = validated(self.InputSerializer, request.data)["need_id"]
        pool = self._pool(request, pool_id)
        services.pool_join(pool=pool, firm=request.firm, actor=request.user,  # type: ignore[attr-defined]
                           need_id=need_id)
        response = _detail(request, pool)
        response.status_code = status.HTTP_201_CREATED
        return response


# ----------------------------------------------------------------- coordinators


class _CoordinatorAction(ObjectApi):
    permission_classes = [IsCoordinator]

    def _pool(self, pool_id: int) -> Pool:
        return selectors.pool_for_coordinator(pool_id=pool_id)

    def _act(self, request: Request, pool_id: int, action: Callable[..., Pool],
             reason_input: type[serializers.Serializer] | None = None) -> Response:
        """Run one action on the pool (with the reason given, if it takes one); answer the pool."""
        pool = self._pool(pool_id)
        extra = {"reason": validated(reason_input, request.data)["reason"]} if reason_input else {}
        return _detail(request, action(pool=pool, actor=request.user, **extra))


class PoolApproveApi(_CoordinatorAction):
    @extend_schema(request=None, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        return self._act(request, pool_id, services.pool_approve)


class PoolRejectApi(_CoordinatorAction):
    @extend_schema(request=RequiredReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        return self._act(request, pool_id, services.pool_reject, RequiredReasonInput)


class PoolOpenApi(_CoordinatorAction):
    @extend_schema(request=None, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        return self._act(request, pool_id, services.pool_open)


class PoolLockApi(_CoordinatorAction):
    @extend_schema(request=ReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        return self._act(request, pool_id, services.pool_lock, ReasonInput)


class PoolCancelApi(_CoordinatorAction):
    @extend_schema(request=RequiredReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        return self._act(request, pool_id, services.pool_cancel, RequiredReasonInput)


class PoolDeadlineApi(_CoordinatorAction):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PoolDeadlineInput"

        join_deadline = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int) -> Response:
        pool = self._pool(pool_id)
        deadline = validated(self.InputSerializer, request.data)["join_deadline"]
        return _detail(request, services.pool_deadline_set(pool=pool, actor=request.user,
                                                           deadline=deadline))


class PoolMemberRemoveApi(_CoordinatorAction):
    @extend_schema(request=ReasonInput, responses=PoolDetailOutput)
    def post(self, request: Request, pool_id: int, member_id: int) -> Response:
        pool = self._pool(pool_id)
        reason = validated(ReasonInput, request.data)["reason"]
        services.pool_member_remove(pool=pool, member_id=member_id, actor=request.user,
                                    reason=reason)
        return _detail(request, pool)


urlpatterns = [
    path("pools/", PoolListApi.as_view(), name="pool-list"),
    path("pools/<int:pool_id>/", PoolDetailApi.as_view(), name="pool-detail"),
    path("pools/<int:pool_id>/accept/", PoolAcceptApi.as_view(), name="pool-accept"),
    path("pools/<int:pool_id>/decline/", PoolDeclineApi.as_view(), name="pool-decline"),
    path("pools/<int:pool_id>/join/", PoolJoinApi.as_view(), name="pool-join"),
    path("pools/<int:pool_id>/leave/", PoolLeaveApi.as_view(), name="pool-leave"),
    path("pools/<int:pool_id>/approve/", PoolApproveApi.as_view(), name="pool-approve"),
    path("pools/<int:pool_id>/reject/", PoolRejectApi.as_view(), name="pool-reject"),
    path("pools/<int:pool_id>/open/", PoolOpenApi.as_view(), name="pool-open"),
    path("pools/<int:pool_id>/lock/", PoolLockApi.as_view(), name="pool-lock"),
    path("pools/<int:pool_id>/cancel/", PoolCancelApi.as_view(), name="pool-cancel"),
    path("pools/<int:pool_id>/deadline/", PoolDeadlineApi.as_view(), name="pool-deadline"),
    path("pools/<int:pool_id>/members/<int:member_id>/remove/", PoolMemberRemoveApi.as_view(),
         name="pool-member-remove"),
]
