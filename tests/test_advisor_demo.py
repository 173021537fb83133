"""The advisor's demo: a profile for each of the three stages and an open pool the
startup firm is pointed to; loading twice changes nothing."""

from __future__ import annotations

import pytest

from accounts.models import Firm
from pooling import demo
from pooling.models import AdNeed, FirmProfile, Pool
from pooling.selectors.advisor import advice_for_firm

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (sorted(FirmProfile.objects.values_list("firm_id", "channels")),
            AdNeed.objects.count(), sorted(Pool.objects.values_list("pk", "state", "member_count")))


def test_the_demo_has_a_firm_at_each_stage_and_a_pool_for_the_startup():
    demo.load()

    stages = {p.firm.legal_name: advice_for_firm(firm=p.firm).advice.stage.value
              for p in FirmProfile.objects.select_related("firm")}
    assert stages == {"Pearl River Home Co": "startup", "Shenzhen Gadgets Ltd": "growth",
                      "Lisboa Ceramics Lda": "mature"}

    startup = advice_for_firm(firm=Firm.objects.get(legal_name="Pearl River Home Co"))
    assert startup.advice.sales is not None and startup.advice.sales.dominant == "Amazon"
    assert [s.recommendation.channel for s in startup.steps] == ["facebook", "ebay"]
    offer = startup.steps[0].pools[0]
    assert offer.pool.state == Pool.State.OPEN and offer.offer.unlocks

    growth = advice_for_firm(firm=Firm.objects.get(legal_name="Shenzhen Gadgets Ltd"))
    assert growth.steps[0].recommendation.channel == "tiktok_live"
    assert growth.steps[0].recommendation.warnings  # no presenters

    before = _state()
    demo.load()
    assert _state() == before
