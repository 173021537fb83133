"""Accounts API: tokens, the caller's identity and firms, partner keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.api.idempotency import idempotent
from coop.api.views import ObjectApi, found, paginated, validated
from coop.errors import ApplicationError, NotFound
from coop.inputs import StrictCharField, StrictDateTimeField, StrictIntegerField

from .. import services
from ..authentication import PartnerPrincipal
from ..models import Firm, Partner, PartnerAPIKey
from ..tenancy import IsCoordinator, IsFirmUser, IsPartner, firms_for_user
from ..throttling import login_failed, login_retry_after


class FirmOutput(serializers.ModelSerializer):
    class Meta:
        model = Firm
        fields = [
            "id", "legal_name", "country", "billing_currency", "growth_stage",
            "product_categories", "contact_name", "contact_email", "contact_phone",
            "named_in_pools",
        ]


class TokenOutput(serializers.Serializer):
    class Meta:
        ref_name = "TokenOutput"

    token = StrictCharField(help_text="Send as `Authorization: Token <token>`; stored hashed.")
    expiry = StrictDateTimeField(allow_null=True)


class TokenObtainApi(APIView):
    """Exchange an email and password for a new API token (hashed at rest, expiring).

    Failed attempts are counted per account and per address; past the limit the answer
    is 429 with `Retry-After`.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenObtain"

        email = serializers.EmailField()
        password = StrictCharField(trim_whitespace=False, max_length=256)

    @extend_schema(request=InputSerializer, responses={200: TokenOutput})
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        email = data["email"].lower()
        wait = login_retry_after(request, email)
        if wait is not None:
            raise exceptions.Throttled(wait=wait, detail=(
                f"Too many failed sign-ins; try again in {wait} seconds."))
        user = authenticate(request, username=email, password=data["password"])
        if user is None:
            login_failed(request, email)
            raise ApplicationError(
                "Email or password is wrong.", fields={"password": ["Email or password is wrong."]},
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        instance, token = services.api_token_issue(user=user)  # type: ignore[arg-type]
        return Response(TokenOutput({"token": token, "expiry": instance.expiry}).data)


class TokenRevokeApi(APIView):
    """Revoke the token this request is signed with (`all`: every token of the user)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenRevoke"

        all = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.user, PartnerPrincipal):
            raise ApplicationError("Partners revoke keys, not tokens.", status_code=403,
                                   code="permission_denied")
        data = validated(self.InputSerializer, request.data)
        if data["all"]:
            AuthToken.objects.filter(user=request.user).delete()
        elif isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Me"

        email = serializers.EmailField()
        full_name = StrictCharField()
        is_coordinator = serializers.BooleanField()
        firms = FirmOutput(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        if isinstance(request.user, PartnerPrincipal):
            raise ApplicationError("Partners use /api/v1/partner/me/.", status_code=403,
                                   code="permission_denied")
        user: Any = request.user
        return Response(self.OutputSerializer({
            "email": user.email, "full_name": user.full_name,
            "is_coordinator": user.is_coordinator, "firms": firms_for_user(user),
        }).data)


class FirmDetailApi(ObjectApi):
    permission_classes = [IsFirmUser]

    @extend_schema(responses=FirmOutput)
    def get(self, request: Request, firm_id: int) -> Response:
        firm = found(firms_for_user(request.user).filter(pk=firm_id).first())
        return Response(FirmOutput(firm).data)


class PartnerMeApi(APIView):
    permission_classes = [IsPartner]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PartnerMe"

        id = StrictIntegerField()
        name = StrictCharField()
        kind = StrictCharField()
        key_name = StrictCharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        partner = request.partner  # type: ignore[attr-defined]
        return Response(self.OutputSerializer({
            "id": partner.pk, "name": partner.name, "kind": partner.kind,
            "key_name": getattr(request.auth, "name", ""),
        }).data)


class PartnerKeyOutput(serializers.ModelSerializer):
    """A key as listed: its public prefix names it; the hash never leaves the database."""

    id = serializers.CharField(source="prefix", read_only=True,
                               help_text="The key's public prefix; revoke by it.")

    class Meta:
        model = PartnerAPIKey
        fields = ["id", "name", "prefix", "created", "revoked", "expiry_date", "last_used_at"]


class PartnerKeyListCreateApi(ObjectApi):
    """Coordinators issue and list a partner's API keys; the key is shown once."""

    permission_classes = [IsCoordinator]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PartnerKeyCreate"

        name = StrictCharField(max_length=50)
        expiry_date = StrictDateTimeField(required=False, allow_null=True)

    @extend_schema(responses=PartnerKeyOutput(many=True))
    def get(self, request: Request, partner_id: int) -> Response:
        partner = found(Partner.objects.filter(pk=partner_id).first())
        return paginated(self, request, partner.api_keys.order_by("-created"), PartnerKeyOutput)

    @extend_schema(
        request=InputSerializer,
        responses={201: inline_serializer("NewPartnerKey", {
            "key": StrictCharField(allow_null=True, help_text=(
                "Shown once; null when an Idempotency-Key replays.")),
            "api_key": PartnerKeyOutput()})},
    )
    @idempotent
    def post(self, request: Request, partner_id: int) -> Response:
        partner = found(Partner.objects.filter(pk=partner_id).first())
        new = services.partner_key_create(partner=partner,
                                          **validated(self.InputSerializer, request.data))
        return Response(
            {"key": new.key, "api_key": PartnerKeyOutput(new.api_key).data},
            status=status.HTTP_201_CREATED,
        )


class PartnerKeyRevokeApi(ObjectApi):
    permission_classes = [IsCoordinator]

    @extend_schema(request=None, responses=PartnerKeyOutput)
    def post(self, request: Request, partner_id: int, key_id: str) -> Response:
        try:
            partner = Partner.objects.get(pk=partner_id)
            api_key = services.partner_key_revoke(partner=partner, key_id=key_id)
        except (Partner.DoesNotExist, PartnerAPIKey.DoesNotExist):
            raise NotFound() from None
        return Response(PartnerKeyOutput(api_key).data)
