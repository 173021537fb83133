"""The demo needs: a labelled catalogue and needs designed to pool; loading twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pooling.demo import DemoReport, load_accounts
from pooling.demos import needs
from pooling.models import AdNeed, ChannelProgramme, ShippingDemand

pytestmark = pytest.mark.django_db


def _load() -> tuple[DemoReport, dict]:
    report = DemoReport()
    ctx = load_accounts(report)
    needs.load(report, ctx)
    return report, ctx


def test_the_demo_catalogue_and_needs_load_once() -> None:
    _, ctx = _load()
    again, _ = _load()

    assert again.created == []
    assert ChannelProgramme.objects.count() == 5
    assert all(p.is_demo and "(demo figures)" in p.name for p in ChannelProgramme.objects.all())
    dsp = ChannelProgramme.objects.get(name="Amazon DSP managed service (demo figures)")
    assert (dsp.currency, dsp.minimum_spend) == ("USD", Decimal("50000"))
    assert ShippingDemand.objects.filter(origin="CNSZX", destination="USLAX",
                                         mode="sea_lcl").count() == 5
    assert ShippingDemand.objects.filter(destination="DEFRA", mode="air").count() == 6
    assert ShippingDemand.objects.filter(origin="CNNGB", destination="DEHAM").count() == 3
    assert sorted(AdNeed.objects.filter(programme=dsp).values_list("budget", flat=True)) == [
        Decimal("15000"), Decimal("18000"), Decimal("20000")]
    assert len(ctx["demands"]) == 14
    assert len(ctx["ad_needs"]) == 6
    google = ChannelProgramme.objects.get(name="Google Ads agency pool (demo figures)")
    assert google.tiers == [] and google.minimum_spend == Decimal("10000")
    assert sorted(AdNeed.objects.filter(programme=google).values_list("budget", flat=True)) == [
        Decimal("5000"), Decimal("6000")]
