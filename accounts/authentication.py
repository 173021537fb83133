"""Partner authentication: `Authorization: Api-Key <key>`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import Partner, PartnerAPIKey

KEYWORD = "Api-Key"


@dataclass(frozen=True)
class PartnerPrincipal:
    """Stands in for `request.user` on partner calls; never a firm user."""

    partner: Partner
    key: PartnerAPIKey
    is_authenticated: bool = True
    is_active: bool = True
    is_coordinator: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None

    def __str__(self) -> str:
        return f"partner:{self.partner.pk}"


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerAPIKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{KEYWORD} ") and header != KEYWORD:
            return None
        raw = header[len(KEYWORD):].strip()
        prefix, dot, secret = raw.partition(".")
        if not raw or not dot or not prefix or not secret or " " in raw:
            raise exceptions.AuthenticationFailed(
                "Malformed API key: expected 'Authorization: Api-Key <prefix>.<secret>'."
            )
        key = next(
            (candidate for candidate in
             PartnerAPIKey.objects.select_related("partner").filter(prefix=prefix)
             if candidate.is_valid(raw)),
            None,
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if key.revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            PartnerAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return PartnerPrincipal(partner=key.partner, key=key), key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.PartnerKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Partners: `Api-Key <prefix>.<secret>`"}
