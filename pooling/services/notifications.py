"""Tell people what happened: an in-app notification and an email, after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction

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
