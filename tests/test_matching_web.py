"""The coordinator's matching pages, the `match` command and the scheduled task."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from pooling.models import MatchingRun, Pool, PoolMember
from pooling.services.matching import matching_run_execute, matching_run_start
from pooling.tasks.matching import matching_run_scheduled
from tests.conftest import client_for
from tests.factories import (
    AdNeedFactory,
    ChannelProgrammeFactory,
    MembershipFactory,
    SeaRateCardFactory,
    ShippingDemandFactory,
)
from tests.factories_pools import two_lane_groups

pytestmark = pytest.mark.django_db

START = reverse("pooling:matching-run-start")


def _web(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _market() -> None:
    SeaRateCardFactory()
    ShippingDemandFactory()
    ShippingDemandFactory()
    ShippingDemandFactory(destination="GBFXT")


def test_coordinator_starts_a_run_from_the_console(coordinator, django_capture_on_commit_callbacks):
    # given a market with a compatible pair
    _market()
    client = _web(coordinator)

    # when the coordinator presses "Run matching now" (eager Celery runs it on commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START)

    # then the run is recorded as theirs, it ran, and they land on its page
    run = MatchingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pooling:matching-run-detail", args=[run.pk])
    assert (run.trigger, run.started_by, run.status) == ("web", coordinator, "succeeded")
    assert Pool.objects.filter(matching_run=run).count() == 1


def test_firm_users_cannot_start_or_see_runs(firm_user):
    # given a firm user and someone else's run
    run = MatchingRun.objects.create(trigger="command")
    client = _web(firm_user)

    # when they try the coordinator's matching pages
    start = client.post(START)
    detail = client.get(reverse("pooling:matching-run-detail", args=[run.pk]))
    progress = client.get(reverse("pooling:matching-run-progress", args=[run.pk]))

    # then each is not found, and no run was started
    assert (start.status_code, detail.status_code, progress.status_code) == (404, 404, 404)
    assert MatchingRun.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().post(START)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert MatchingRun.objects.count() == 0


def test_start_only_accepts_post(coordinator):
    response = _web(coordinator).get(START)

    assert response.status_code == 405
    assert MatchingRun.objects.count() == 0


def test_start_needs_a_csrf_token(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    response = client.post(START)

    assert response.status_code == 403
    assert MatchingRun.objects.count() == 0


def test_progress_partial_polls_every_second_until_the_run_finishes(coordinator):
    # given a running run
    run = MatchingRun.objects.create(trigger="web", status="running", progress=50,
                                     stage="matching ads")
    client = _web(coordinator)
    url = reverse("pooling:matching-run-progress", args=[run.pk])

    # when the page polls it
    polling = client.get(url + "?refresh=1")

    # then it keeps polling and shows the stage
    body = polling.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert f'hx-get="{url}?refresh=1"' in body
    assert 'value="50"' in body and "matching ads" in body
    assert "HX-Refresh" not in polling

    # when the run has finished
    MatchingRun.objects.filter(pk=run.pk).update(status="succeeded", progress=100, stage="done")
    done = client.get(url + "?refresh=1")

    # then polling stops and the run page reloads to show the results
    assert "hx-trigger" not in done.content.decode()
    assert done["HX-Refresh"] == "true"
    assert "HX-Refresh" not in client.get(url)


def test_run_page_lists_pools_and_unplaced_needs(coordinator, django_assert_max_num_queries):
    # given a finished run with one pool and unplaced needs
    _market()
    no_tiers = AdNeedFactory(programme=ChannelProgrammeFactory(
        tiers=[], minimum_spend=0, management_fee_percent=12, standalone_fee_percent=12))
    call_command("match", stdout=StringIO())
    run = MatchingRun.objects.get()
    pool = Pool.objects.get()
    client = _web(coordinator)
    url = reverse("pooling:matching-run-detail", args=[run.pk])

    # when the coordinator opens the run's page (one query more names the unplaced needs'
    # firms, one counts the pools for the pages, one reads the page's members and needs)
    with django_assert_max_num_queries(12):
        response = client.get(url)

    # then it links the proposed pool and says why the others were not placed
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/pools/{pool.pk}/"' in body or (
        f'href="{reverse("pooling:pool-detail", args=[pool.pk])}"' in body)
    assert "no rate card for CNSZX\u2192GBFXT by sea" in body
    assert f"Ad need #{no_tiers.pk}" in body
    assert f'href="/console/needs/ad-needs/{no_tiers.pk}/"' in body
    assert no_tiers.firm.legal_name in body
    assert "a pool gains nothing over buying alone" in body
    assert "hx-trigger" not in body
    # and says what each member pays, as its row has it now
    for member in pool.members.select_related("firm", "demand"):
        assert escape(f"{member.firm.legal_name} (demand {member.demand_id}, ready "
                      f"{member.demand.ready_from.isoformat()}") in body
    member = pool.members.order_by("pk").first()
    PoolMember.objects.filter(pk=member.pk).update(projected_share=Decimal("1.23"))
    assert "pays USD 1.23 instead of" in client.get(url).content.decode()


def test_console_shows_the_form_and_latest_runs(coordinator, django_assert_max_num_queries):
    # given three finished runs
    _market()
    for _ in range(3):
        call_command("match", stdout=StringIO())
    client = _web(coordinator)

    # when the coordinator opens the console
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pooling:console"))

    # then it offers the start form and the runs, newest first
    body = response.content.decode()
    assert "Run matching now" in body
    assert f'action="{START}"' in body
    assert "csrfmiddlewaretoken" in body
    ids = list(MatchingRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    positions = [body.index(f">#{pk}</a>") for pk in ids]
    assert positions == sorted(positions)
    assert "USD 75.00" in body


def test_match_command_runs_once_and_reports(capsys):
    # given a market
    _market()
    out = StringIO()

    # when the command runs
    call_command("match", stdout=out)

    # then a command run proposed the pool and the output says so
    run = MatchingRun.objects.get()
    assert (run.trigger, run.status, run.started_by) == ("command", "succeeded", None)
    text = out.getvalue()
    assert f"Matching run #{run.pk} succeeded" in text
    assert "Read 3 open demands" in text
    assert "Proposed 1 pool; 1 need left unplaced; saving USD 75.00." in text


def test_scheduled_task_runs_matching_once():
    # given a market
    _market()

    # when beat fires the scheduled task (eager here)
    run_id = matching_run_scheduled.delay().get()

    # then a scheduled run proposed the pool
    run = MatchingRun.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.proposed_count) == ("schedule", "succeeded", 1)


def test_another_firm_member_sees_no_runs_on_the_dashboard():
    user = MembershipFactory().user
    response = _web(user).get(reverse("pooling:dashboard"))

    assert response.status_code == 200
    assert "Run matching now" not in response.content.decode()


def test_run_page_lists_the_shards_a_run_was_cut_into(coordinator, settings):
    # given pairs on two origins, matched in shards of about two needs
    two_lane_groups(settings)
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
    matching_run_execute(run_id=run.pk)

    # when the coordinator opens the run's page
    html = _web(coordinator).get(f"/matching/runs/{run.pk}/").content.decode()

    # then both shards are listed with their lane group, needs and pools
    assert "2 shards, each a task of its own on a worker" in html
    assert "CNSZX sea" in html and "VNSGN sea" in html


def test_run_page_and_api_show_how_needs_were_grouped(coordinator):
    # given a chain of thirteen demands on one lane (longer than the exact search takes)
    SeaRateCardFactory()
    for _ in range(13):
        ShippingDemandFactory()
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
    run = matching_run_execute(run_id=run.pk)
    recorded = run.inputs["grouping"]["logistics"]

    # when the coordinator opens the run's page and reads it over the API
    html = _web(coordinator).get(f"/matching/runs/{run.pk}/").content.decode()
    detail = client_for(coordinator).get(f"/api/v1/matching/runs/{run.pk}/").json()

    # then both say the demands were grouped by the local search, within its budget
    assert (recorded["method"], recorded["exact"], recorded["local"]) == ("local search", 0, 1)
    assert recorded["budget"] == 50 and 0 < recorded["spent"] <= 50
    assert "How needs were grouped" in html
    assert (f"<tr><td>Logistics</td><td>local search</td><td class=\"num\">0</td>"
            f"<td class=\"num\">1</td><td class=\"num\">0</td>"
            f"<td class=\"num\">{recorded['spent']}</td><td class=\"num\">50</td>") in html
    assert f"Logistics: local search, {recorded['spent']} of 50 pricings" in html
    grouping = detail["grouping"]
    assert {key: grouping[key] for key in ("exact_limit", "exact_groups", "pricings_per_need",
                                           "budget_floor", "search_pricings")} == {
        "exact_limit": 12, "exact_groups": 4096, "pricings_per_need": 0.4, "budget_floor": 50,
        "search_pricings": 8000}
    assert grouping["logistics"] == recorded and "v" not in grouping
    assert grouping["ads"]["method"] == "none"
    assert detail["shards"][0]["grouping"] == grouping


def test_run_page_shows_its_pools_a_page_at_a_time(coordinator, settings, monkeypatch,
                                                  django_assert_max_num_queries):
    # given a run that proposed two pools, and pages of one pool
    from pooling.web import matching as pages

    two_lane_groups(settings)
    run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
    matching_run_execute(run_id=run.pk)
    first, second = Pool.objects.filter(matching_run=run).order_by("id")
    monkeypatch.setattr(pages, "POOLS_PER_PAGE", 1)
    client = _web(coordinator)

    # when the coordinator opens the run's page, then its second page
    with django_assert_max_num_queries(11):
        one = client.get(f"/matching/runs/{run.pk}/").content.decode()
    two = client.get(f"/matching/runs/{run.pk}/?page=2").content.decode()
    past = client.get(f"/matching/runs/{run.pk}/?page=9")

    # then each page lists its own pool, says which of how many and links the other
    assert f">#{first.pk}</a>" in one and f">#{second.pk}</a>" not in one
    assert f">#{second.pk}</a>" in two and f">#{first.pk}</a>" not in two
    assert "Pools 1–1 of 2." in one and "Page 1 of 2" in one and 'href="?page=2"' in one
    assert 'href="?page=1"' in two
    # and a page past the end shows the last one
    assert past.status_code == 200 and f">#{second.pk}</a>" in past.content.decode()
