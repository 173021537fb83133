"""`{% pool_tracking pool as timeline %}`: the pool's tracking timeline for the pool page."""

from __future__ import annotations

from django import template

from pooling.models import Pool
from pooling.selectors.tracking import Timeline, tracking_timeline

register = template.Library()


@register.simple_tag
def pool_tracking(pool: Pool) -> Timeline:
    return tracking_timeline(pool=pool)
