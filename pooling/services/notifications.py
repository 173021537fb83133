"""Tell people what happened: an in-app notification and an email, after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Firm, Membership
from pooling.models import Notification, Pool


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
    emails = sorted({m.user.email for m in memberships})
    if emails:
        transaction.on_commit(
            lambda: [send_mail(title, f"{body}\n\n{url}".strip(), None, [e]) for e in emails]
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
            lambda: [send_mail(title, f"{body}\n\n{url}".strip(), None, [e]) for e in emails]
        )
    return notes


def notification_mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all, without an id) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
