"""Writes for accounts: sign-up, invitations, partner keys. One transaction each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Firm, Invitation, Membership, Partner, PartnerAPIKey, User


def _require_new_email(email: str) -> str:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email address already exists."]})
    return email


def _check_password(password: str, email: str, full_name: str) -> None:
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def firm_signup(
    *,
    email: str,
    password: str,
    full_name: str,
    legal_name: str,
    country: str,
    billing_currency: str,
    growth_stage: str,
    product_categories: list[str] | None = None,
    contact_phone: str = "",
) -> Membership:
    """A new user and their new firm, with the user as its owner; all or nothing."""
    email = _require_new_email(email)
    _check_password(password, email, full_name)
    firm = Firm(
        legal_name=legal_name.strip(),
        country=country.strip().upper(),
        billing_currency=billing_currency.strip().upper(),
        growth_stage=growth_stage,
        product_categories=product_categories or [],
        contact_name=full_name,
        contact_email=email,
        contact_phone=contact_phone,
    )
    firm.full_clean()
    user = User(email=email, full_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        user.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"email": ["An account with this email address already exists."]}
        ) from exc
    firm.save()
    return Membership.objects.create(user=user, firm=firm, role=Membership.Role.OWNER)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def invitation_create(
    *, firm: Firm, invited_by: User, email: str, role: str = Membership.Role.MEMBER,
    link_for: Callable[[str], str] | None = None,
) -> NewInvitation:
    email = email.strip().lower()
    if not Membership.objects.filter(firm=firm, user=invited_by).exists():
        raise ValidationError({"email": ["Only members of the firm can invite colleagues."]})
    if Membership.objects.filter(firm=firm, user__email__iexact=email).exists():
        raise ValidationError({"email": [f"{email} is already a member of {firm}."]})
    token, token_hash = Invitation.new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            firm=firm, email=email, role=role, token_hash=token_hash, invited_by=invited_by,
            expires_at=Invitation.default_expiry(),
        )
        link = link_for(token) if link_for else token
        transaction.on_commit(
            lambda: send_mail(
                f"You are invited to join {firm} in the exporters' cooperative",
                f"{invited_by.full_name or invited_by.email} invited you to join {firm}.\n"
                f"Accept the invitation here: {link}\n",
                None,
                [email],
            )
        )
    return NewInvitation(invitation=invitation, token=token)


def invitation_for_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("firm").filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, password: str = "", full_name: str = ""
) -> Membership:
    """Join the inviting firm: as the signed-in user, or as a new user created here."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("firm")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_usable:
        raise ValidationError({"token": ["This invitation is unknown, used or expired."]})
    if user is None:
        email = _require_new_email(invitation.email)
        _check_password(password, email, full_name)
        user = User.objects.create_user(email, password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(
            {"token": [f"This invitation was sent to {invitation.email}; sign in as that user."]}
        )
    membership, _ = Membership.objects.get_or_create(
        user=user, firm=invitation.firm, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@dataclass(frozen=True)
class NewPartnerKey:
    api_key: PartnerAPIKey
    key: str  # shown once; only its hash is stored


def partner_key_create(*, partner: Partner, name: str, expiry_date: Any = None) -> NewPartnerKey:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name, e.g. 'production feed'."]})
    api_key, key = PartnerAPIKey.objects.create_key(
        name=name, partner=partner, expiry_date=expiry_date
    )
    assert isinstance(api_key, PartnerAPIKey)  # noqa: S101 - narrows the manager's type
    return NewPartnerKey(api_key=api_key, key=key)


def partner_key_revoke(*, partner: Partner, key_id: str) -> PartnerAPIKey:
    """Revoke a key named by its public prefix (a full stored id names it too)."""
    api_key = PartnerAPIKey.objects.get(partner=partner, prefix=key_id.partition(".")[0])
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
    return api_key


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[Any, str]:
    """A new API token for `user` (its hash stored), keeping only the newest few."""
    from django.conf import settings
    from knox.models import AuthToken

    instance, token = AuthToken.objects.create(user=user)
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    keep = AuthToken.objects.filter(user=user).order_by("-created").values_list(
        "pk", flat=True)[: settings.API_TOKENS_PER_USER]
    AuthToken.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
    return instance, token


def idempotency_records_prune(*, now: Any = None) -> int:
    """Forget idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    from datetime import timedelta

    from django.conf import settings

    from .models import IdempotencyRecord

    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    # A key still "running" after the TTL belongs to a request that died; forget it too.
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
