"""Tell people what happened: an in-app notification and an email, after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Firm, Membership
from pooling.models import EmailPreference, Notification, Pool


def absolute_url(url: str) -> str:
    """A site path as a link that works from a mail client: SITE_URL in front of it."""
    if url.startswith("/"):
        return f"{settings.SITE_URL}{url}"
    return url


def email_text(body: str, url: str = "") -> str:
    return f"{body}\n\n{absolute_url(url)}".strip()


def notify_firms(
    *, firms: Iterable[Firm], kind: str, title: str, body: str = "", pool: Pool | None = None,
    url: str = "",
) -> list[Notification]:
    """One in-app notification per member user of each firm, and one email each on commit."""
    firm_ids = [f.pk for f in firms]
    memberships = Membership.objects.filter(firm_id__in=firm_ids).select_related("user")
    notes = [
        Notification(user=m.user, firm_id=m.firm_id, pool=pool, kind=kind, title=title,
                     body=body, url=url)
        for m in memberships
    ]
    Notification.objects.bulk_create(notes)
    muted = set(EmailPreference.objects.filter(firm_id__in=firm_ids, kind=kind, by_email=False)
                .values_list("firm_id", flat=True))
    emails = sorted({m.user.email for m in memberships if m.firm_id not in muted})
    if emails:
        transaction.on_commit(
            lambda: [send_mail(title, email_text(body, url), None, [e]) for e in emails]
        )
    return notes


def notify_users(
    *, users: Iterable[Any], kind: str, title: str, body: str = "", pool: Pool | None = None,
    url: str = "",
) -> list[Notification]:
    """One in-app notification and one email (on commit) per user, e.g. for coordinators."""
    people = list(users)
    notes = [Notification(user=u, pool=pool, kind=kind, title=title, body=body, url=url)
             for u in people]
    Notification.objects.bulk_create(notes)
    emails = sorted({u.email for u in people if u.email})
    if emails:
        transaction.on_commit(
            lambda: [send_mail(title, email_text(body, url), None, [e]) for e in emails]
        )
    return notes


def notification_mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all, without an id) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def email_kinds_for_firm(*, firm: Firm) -> set[str]:
    """The notification kinds the firm's people also get by e-mail."""
    off = set(EmailPreference.objects.filter(firm=firm, by_email=False).values_list("kind", flat=True))
    return {kind for kind, _ in Notification.Kind.choices if kind not in off}


@transaction.atomic
def email_preferences_set(*, firm: Firm, by_email: set[str]) -> None:
    """Record, for every kind of notification, whether it also goes to the firm by e-mail."""
    for kind, _ in Notification.Kind.choices:
        EmailPreference.objects.update_or_create(firm=firm, kind=kind,
                                                 defaults={"by_email": kind in by_email})
