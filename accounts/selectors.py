"""Reads about firms that other firms may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Firm


def firms_excludable(*, firm: Firm, need: Any = None) -> QuerySet[Firm]:
    """Firms a firm may name as "do not pool with": those that chose to be named in pools,
    and any its need already excludes (so an edit never drops them unseen)."""
    already = list(need.excluded_firms.values_list("pk", flat=True)) if need is not None else []
    return (Firm.objects.filter(Q(named_in_pools=True) | Q(pk__in=already))
            .exclude(pk=firm.pk).order_by("legal_name"))
