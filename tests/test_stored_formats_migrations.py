"""Data migrations of stored formats, run on rows written in the older shape."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from pooling.models import Pool
from pooling.selectors.pools import pool_view_for_coordinator
from tests.factories_pools import logistics_pool

pytestmark = pytest.mark.django_db

drop_member_lines = importlib.import_module(
    "pooling.migrations.0010_reasons_without_member_lines").drop_member_lines


def test_stored_member_lines_are_dropped_and_read_from_the_rows_instead():
    # given a pool whose reasons still carry per-member lines (stale: 1.00 each)
    pool = logistics_pool(members=2)
    Pool.objects.filter(pk=pool.pk).update(reasons={
        "v": 1, "public": ["Both demands ship by sea."],
        "per_member": ["Firm 1 (demand 1) pays USD 1.00 instead of USD 2.00 alone."]})
    untouched = logistics_pool(members=2)
    Pool.objects.filter(pk=untouched.pk).update(reasons={"v": 1, "public": ["Kept."]})

    # when the migration runs
    drop_member_lines(apps, None)

    # then the pool keeps its own lines, and the members' lines come from their rows
    pool.refresh_from_db()
    assert pool.reasons == {"v": 1, "public": ["Both demands ship by sea."]}
    lines = pool_view_for_coordinator(pool=pool).reasons
    assert lines[0] == "Both demands ship by sea."
    members = list(pool.members.select_related("firm").order_by("pk"))
    assert len(lines) == 1 + len(members)
    assert all(line.startswith(f"{m.firm.legal_name} (demand {m.demand_id}, ")
               for line, m in zip(lines[1:], members, strict=True))
    assert "USD 1.00" not in " ".join(lines)
    untouched.refresh_from_db()
    assert untouched.reasons == {"v": 1, "public": ["Kept."]}
