"""The coordinator's pages: programmes with a tier preview, partners, FX rates, run history,
held settlements with their split, a pool's audit trail; and the API routes behind them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Partner, PartnerAPIKey, User
from pooling.models import ChannelProgramme, FxRate, MatchingRun, Settlement
from pooling.services.settlement import settlement_run
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
)
from tests.factories_settlement import logistics_pool, post_invoice

pytestmark = pytest.mark.django_db


def _web(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


PROGRAMME = {
    "name": "Amazon DSP pooled", "channel": "amazon_dsp", "business_model": "marketplace",
    "markets": "US, GB", "currency": "USD", "minimum_spend": "50000",
    "tiers": "50000, 2\n100000, 4", "tier_kind": "rebate_percent",
    "management_fee_percent": "8", "standalone_fee_percent": "15", "min_flight_days": "30",
    "active": "on", "partner": "",
}


def test_coordinator_creates_a_programme_with_tiers(coordinator):
    # when a coordinator posts the form
    response = _web(coordinator).post("/console/programmes/new/", PROGRAMME)

    # then the programme is stored with its tiers and listed with a preview
    assert response.status_code == 302
    programme = ChannelProgramme.objects.get(name="Amazon DSP pooled")
    assert programme.tiers == [{"min_spend": "50000.00", "rebate_percent": "2.000"},
                               {"min_spend": "100000.00", "rebate_percent": "4.000"}]
    assert programme.markets == ["GB", "US"]
    page = _web(coordinator).get("/console/programmes/").content.decode()
    # at 100,000: 4,000 rebate, 8,000 fee -> pays 104,000; alone 4% rebate, 15% fee -> 111,000
    assert "USD 104,000.00" in page and "USD 111,000.00" in page and "USD 7,000.00" in page


def test_preview_shows_the_tiers_without_saving(coordinator):
    response = _web(coordinator).post("/console/programmes/new/", {**PROGRAMME, "action": "preview"})

    assert response.status_code == 200
    assert "USD 104,000.00" in response.content.decode()
    assert not ChannelProgramme.objects.exists()


def test_the_live_preview_answers_the_form_as_typed_and_saves_nothing(coordinator):
    # given a form with only the money terms filled in (no name, channel or markets yet)
    terms = {"currency": "usd", "minimum_spend": "50000", "tiers": "50000, 2\n100000, 4",
             "tier_kind": "rebate_percent", "management_fee_percent": "8",
             "standalone_fee_percent": "15"}
    client = _web(coordinator)

    # when htmx asks for the preview
    response = client.post("/console/programmes/preview/", terms, HTTP_HX_REQUEST="true")

    # then the partial shows each tier, and nothing is stored
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "USD 104,000.00" in body
    assert not ChannelProgramme.objects.exists()

    # a tier line it cannot read is named instead of a table
    bad = client.post("/console/programmes/preview/", {**terms, "tiers": "50000"}).content.decode()
    assert "Line 1: give a minimum spend and a percentage" in bad and "<table" not in bad


def test_the_programme_form_asks_for_the_live_preview(coordinator):
    body = _web(coordinator).get("/console/programmes/new/").content.decode()
    assert 'hx-post="/console/programmes/preview/"' in body
    assert 'hx-include="#programme-form"' in body
    assert 'value="preview"' in body  # the plain form post still previews without script


def test_firms_get_404_from_the_live_preview(firm_user):
    assert _web(firm_user).post("/console/programmes/preview/", PROGRAMME).status_code == 404
    assert not ChannelProgramme.objects.exists()


def test_bad_programme_input_is_named_per_field_and_saves_nothing(coordinator):
    response = _web(coordinator).post("/console/programmes/new/", {
        **PROGRAMME, "markets": "XX", "tiers": "100000, 4\n50000, 2"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Not ISO 3166-1 country codes:" in body and "XX" in body
    assert "Tiers must rise" in body
    assert not ChannelProgramme.objects.exists()


def test_a_programme_with_a_minimum_and_no_tiers_pools_for_access(coordinator):
    response = _web(coordinator).post("/console/programmes/new/", {**PROGRAMME, "tiers": ""})

    assert response.status_code == 302
    assert ChannelProgramme.objects.get().tiers == []
    page = _web(coordinator).get("/console/programmes/").content.decode()
    assert "Matching cannot pool" not in page
    assert ("No spend tiers: pools that reach the USD 50,000.00 minimum gain access and pay "
            "the cooperative's 8% fee instead of 15% alone.") in page


def test_a_programme_that_gives_a_pool_nothing_is_flagged(coordinator):
    response = _web(coordinator).post("/console/programmes/new/", {
        **PROGRAMME, "tiers": "", "minimum_spend": "0", "standalone_fee_percent": "8"})

    assert response.status_code == 302
    page = _web(coordinator).get("/console/programmes/").content.decode()
    assert "Matching cannot pool this programme, so firms are not offered it: programme " \
           "Amazon DSP pooled has no minimum spend, no spend tiers and no lower fee pooled" in page


def test_coordinator_stops_offering_a_programme(coordinator):
    programme = ChannelProgrammeFactory()

    _web(coordinator).post(f"/console/programmes/{programme.pk}/active/", {"active": "0"})

    programme.refresh_from_db()
    assert programme.active is False


def test_firms_cannot_reach_console_pages_and_change_nothing(firm_user, firm):
    client = _web(firm_user)
    for url in ("/console/programmes/", "/console/partners/", "/console/fx/", "/matching/runs/",
                "/console/settlements/held/"):
        assert client.get(url).status_code == 404
    assert client.post("/console/programmes/new/", PROGRAMME).status_code == 404
    assert client.post("/console/fx/", {"base": "USD", "quote": "EUR", "rate": "0.9",
                                        "as_of": "2026-01-05"}).status_code == 404
    assert client.post("/console/partners/", {"name": "X", "kind": "logistics"}).status_code == 404
    assert not ChannelProgramme.objects.exists()
    assert not FxRate.objects.exists()
    assert not Partner.objects.exists()


def test_coordinator_posts_an_fx_rate_and_sees_the_history(coordinator):
    client = _web(coordinator)
    response = client.post("/console/fx/", {"base": "usd", "quote": "EUR", "rate": "0.9215",
                                            "as_of": "2026-01-05"})
    assert response.status_code == 302
    assert FxRate.objects.get().rate == Decimal("0.9215")
    assert "USD/EUR" in client.get("/console/fx/").content.decode()


def test_a_bad_fx_rate_is_refused_by_field(coordinator):
    response = _web(coordinator).post("/console/fx/", {"base": "USD", "quote": "USD",
                                                       "rate": "abc", "as_of": "2026-01-05"})
    assert response.status_code == 400
    assert "Enter a number" in response.content.decode()
    assert not FxRate.objects.exists()


def test_coordinator_adds_a_partner_and_issues_a_key_shown_once(coordinator):
    client = _web(coordinator)
    response = client.post("/console/partners/", {"name": "Blue Anchor", "kind": "logistics",
                                                  "contact_email": "ops@blue.example"})
    partner = Partner.objects.get(name="Blue Anchor")
    assert response.status_code == 302

    issued = client.post(f"/console/partners/{partner.pk}/keys/", {"name": "production feed"})

    body = issued.content.decode()
    key = PartnerAPIKey.objects.get(partner=partner)
    assert 'id="new-key"' in body and key.prefix in body
    assert issued["Cache-Control"] == "no-store"
    assert 'id="new-key"' not in client.get(f"/console/partners/{partner.pk}/").content.decode()


def test_partner_page_sets_rate_card_versions_side_by_side(coordinator):
    card = SeaRateCardFactory(version=1)
    SeaRateCardFactory(partner=card.partner, version=2, lcl_rate_per_wm=Decimal("75.00"))

    body = _web(coordinator).get(f"/console/partners/{card.partner.pk}/").content.decode()

    assert "Version 1" in body and "Version 2" in body
    assert 'class="changed"' in body
    partners = _web(coordinator).get("/console/partners/").content.decode()
    assert card.partner.name in partners


def test_run_history_lists_every_run(coordinator):
    SeaRateCardFactory()
    ShippingDemandFactory()
    for _ in range(12):
        MatchingRun.objects.create(trigger="command", status="succeeded", progress=100)

    body = _web(coordinator).get("/matching/runs/").content.decode()

    assert body.count('href="/matching/runs/') >= 12


@pytest.fixture
def held():  # type: ignore[no-untyped-def]
    pool = logistics_pool([{"cbm": "2", "standalone": "100"}, {"cbm": "3", "standalone": "100"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "500.00")])
    return settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)


def test_held_settlements_show_the_split_and_need_a_reason(coordinator, held):
    client = _web(coordinator)
    page = client.get("/console/settlements/held/").content.decode()
    for share in held.shares.all():
        assert share.firm.legal_name in page
    assert "USD 500.00" in page
    # the split release would post: 500 by W/M 2:3, each above its standalone 100
    assert "USD 200.00" in page and "USD 300.00" in page and "USD -100.00" in page

    refused = client.post(f"/console/settlements/{held.pk}/release/", {"reason": "", "back": "held"})
    held.refresh_from_db()
    assert held.status == Settlement.Status.HELD
    assert refused["Location"] == "/console/settlements/held/"

    client.post(f"/console/settlements/{held.pk}/release/", {"reason": "Agreed.", "back": "held"})
    held.refresh_from_db()
    assert held.status == Settlement.Status.COMPLETED


def test_pool_audit_trail_names_who_did_what(coordinator, held):
    body = _web(coordinator).get(f"/console/pools/{held.pool_id}/audit/").content.decode()
    assert "Audit trail of" in body


def test_api_starts_and_lists_matching_runs(coordinator_api, api,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        started = coordinator_api.post("/api/v1/matching/runs/")
    assert started.status_code == 202
    run_id = started.json()["id"]
    listed = coordinator_api.get("/api/v1/matching/runs/").json()
    assert [r["id"] for r in listed["results"]] == [run_id]
    detail = coordinator_api.get(f"/api/v1/matching/runs/{run_id}/").json()
    assert detail["status"] == "succeeded" and detail["unplaced"] == []

    # and firm users can neither start nor read runs
    assert api.post("/api/v1/matching/runs/").status_code == 404
    assert api.get("/api/v1/matching/runs/").status_code == 404
    assert MatchingRun.objects.count() == 1


def test_api_lists_settlements_for_coordinators_and_firms(coordinator_api, api, held, firm):
    everything = coordinator_api.get("/api/v1/settlements/?status=held").json()
    assert [s["id"] for s in everything["results"]] == [held.pk]
    assert everything["results"][0]["total"] == "500.00"
    assert api.get("/api/v1/settlements/").json()["results"] == []
    bad = coordinator_api.get("/api/v1/settlements/?status=nope")
    assert bad.status_code == 400


def test_create_coordinator_makes_the_first_coordinator(monkeypatch):
    monkeypatch.setenv("COORDINATOR_PASSWORD", "a-long-and-unusual-pass-77")
    call_command("create_coordinator", "first@coop.example", "--name", "First Coordinator")

    user = User.objects.get(email="first@coop.example")
    assert user.is_coordinator and user.check_password("a-long-and-unusual-pass-77")


def test_unplaced_need_pages_name_the_firm(coordinator):
    need = AdNeedFactory()
    demand = ShippingDemandFactory(reference="PO-1")
    client = _web(coordinator)
    assert need.firm.legal_name in client.get(f"/console/needs/ad-needs/{need.pk}/").content.decode()
    assert "PO-1" in client.get(f"/console/needs/demands/{demand.pk}/").content.decode()


def test_run_stages_follow_the_run():
    from pooling.web.matching import run_stages

    running = MatchingRun(trigger="web", status="running", progress=50,
                          stage="matching shards (1 of 2 done)")
    failed = MatchingRun(trigger="web", status="failed", progress=20, stage="failed")

    assert run_stages(running) == [
        ("queued", "done"), ("cutting shards", "done"), ("matching shards", "under way"),
        ("done", "to come")]
    assert ("matching shards", "failed") in run_stages(failed)
    assert run_stages(MatchingRun(trigger="web", status="queued"))[0] == ("queued", "under way")


def test_matching_reads_discount_tiers_like_rebate_tiers():
    from pooling.selectors.matching import programmes_active

    ChannelProgrammeFactory(tiers=[{"min_spend": "10000", "discount_percent": "3"}])

    programmes, _, _ = programmes_active()

    assert [(t.min_spend, t.rebate_percent) for t in programmes[0].tiers] == [
        (Decimal("10000"), Decimal("3"))]
