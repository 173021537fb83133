"""The bulk writer for field values: the same rows the ORM would write, without instances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from pooling.models import PoolEvent, PoolMember
from pooling.services.bulk import values_insert
from tests.factories import FirmFactory, PoolFactory, ShippingDemandFactory

pytestmark = pytest.mark.django_db


def test_values_insert_fills_defaults_stamps_and_json_like_the_orm() -> None:
    # given a pool and two demands, one member row given in full and one with the least
    pool = PoolFactory()
    firm_a, firm_b = FirmFactory(), FirmFactory()
    demand_a = ShippingDemandFactory(firm=firm_a)
    demand_b = ShippingDemandFactory(firm=firm_b)
    before = timezone.now()
    values_insert(PoolMember, [
        {"pool_id": pool.pk, "firm_id": firm_a.pk, "demand_id": demand_a.pk,
         "status": PoolMember.Status.INVITED, "projected_share": Decimal("812.35"),
         "placement": {"containers": [{"code": "40HC", "cbm": "12.5"}]}, "note": "alone"},
        {"pool_id": pool.pk, "firm_id": firm_b.pk, "demand_id": demand_b.pk,
         "projected_share": Decimal("90")},
    ])
    # then both rows are there, as the ORM reads them back
    full = PoolMember.objects.get(demand=demand_a)
    least = PoolMember.objects.get(demand=demand_b)
    assert full.projected_share == Decimal("812.35")
    assert full.placement == {"containers": [{"code": "40HC", "cbm": "12.5"}]}
    assert full.note == "alone"
    # and a field left out has the model's default; the stamps are the time of the call
    orm = PoolMember(pool=pool, firm=firm_b)
    assert least.status == orm.status
    assert least.show_name is orm.show_name is False
    assert least.placement == orm.placement == {}
    assert least.note == ""
    assert least.volume_cbm == orm.volume_cbm == 0
    assert least.standalone_cost is None
    assert least.created_at >= before and least.updated_at >= before
    assert least.created_at.tzinfo is not None


def test_values_insert_with_no_rows_writes_nothing() -> None:
    values_insert(PoolEvent, [])
    assert not PoolEvent.objects.exists()
