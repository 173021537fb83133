"""A firm's lists (search, filters, sorting, pages, CSV), savings page, e-mail choices, and
the ad-need form that offers only what a programme buys; links in e-mails are absolute."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from pooling.models import AdNeed, EmailPreference, Notification
from pooling.services.notifications import notify_firms
from pooling.services.settlement import settlement_run
from tests.factories import AdNeedFactory, ChannelProgrammeFactory, ShippingDemandFactory
from tests.factories_settlement import logistics_pool, post_invoice

pytestmark = pytest.mark.django_db


def _web(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_demand_list_filters_searches_sorts_and_exports(firm_user, firm, other_firm_user):
    # given three demands of the firm and one of another firm
    ShippingDemandFactory(firm=firm, reference="PO-1", origin="CNSZX", destination="USLAX",
                          mode="sea_lcl")
    ShippingDemandFactory(firm=firm, reference="PO-2", origin="CNSZX", destination="DEHAM",
                          mode="sea_lcl", status="withdrawn")
    ShippingDemandFactory(firm=firm, reference="AIR-3", origin="CNSZX", destination="USLAX",
                          mode="air")
    other = ShippingDemandFactory(reference="THEIRS", origin="CNSZX", destination="USLAX")
    client = _web(firm_user)

    # when the firm filters by lane and status and searches
    page = client.get("/needs/demands/?lane=CNSZX-USLAX&status=open&sort=reference").content.decode()
    searched = client.get("/needs/demands/?q=po-").content.decode()

    # then only its own matching demands are listed, sorted
    assert "AIR-3" in page and "PO-1" in page and "PO-2" not in page and other.reference not in page
    assert page.index("AIR-3") < page.index("PO-1")
    assert "2 demands match the filters" in page
    assert "PO-1" in searched and "PO-2" in searched and "AIR-3" not in searched

    # and the CSV holds the same rows
    exported = client.get("/needs/demands.csv?lane=CNSZX-USLAX&status=open&sort=reference")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [r["reference"] for r in rows] == ["AIR-3", "PO-1"]
    assert exported["Content-Disposition"] == 'attachment; filename="shipping-demands.csv"'


def test_demand_list_pages_and_bad_filters(firm_user, firm):
    for n in range(30):
        ShippingDemandFactory(firm=firm, reference=f"R-{n:02d}")
    client = _web(firm_user)

    first = client.get("/needs/demands/?sort=reference").content.decode()
    second = client.get("/needs/demands/?sort=reference&page=2").content.decode()
    bad = client.get("/needs/demands/?ready_from_after=soon")

    assert "R-00" in first and "R-25" not in first and "Page 1 of 2" in first
    assert "R-25" in second and "R-00" not in second
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()


def test_ad_need_list_and_csv(firm_user, firm):
    AdNeedFactory(firm=firm, market="US")
    rows = list(csv.DictReader(io.StringIO(
        _web(firm_user).get("/needs/ad-needs.csv").content.decode())))
    assert [r["market"] for r in rows] == ["US"]
    assert "Ad needs" in _web(firm_user).get("/needs/ad-needs/?market=us").content.decode()


def test_empty_lists_say_what_to_do(firm_user, firm):
    body = _web(firm_user).get("/needs/demands/").content.decode()
    assert "No shipping demands yet." in body


def test_savings_page_charts_and_tables_what_the_firm_paid(firm_user, firm):
    # given a settled pool in which the firm paid 200 against 300 alone
    pool = logistics_pool([{"cbm": "2", "firm": firm, "standalone": "300"},
                           {"cbm": "3", "standalone": "400"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "500.00")])
    settlement = settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)
    assert settlement is not None and settlement.status == "completed"
    share = settlement.shares.get(firm=firm)

    body = _web(firm_user).get("/savings/").content.decode()

    assert "<svg" in body and 'role="img"' in body
    assert f"USD {share.amount:,.2f}" in body
    assert f"USD {share.standalone_cost - share.amount:,.2f}" in body
    assert "Per month" in body and "Per pool" in body


def test_savings_page_when_nothing_is_settled(firm_user, firm):
    assert "No savings yet." in _web(firm_user).get("/savings/").content.decode()


def test_email_choices_stop_mail_but_keep_the_notification(firm_user, firm, settings):
    settings.SITE_URL = "https://coop.example"
    client = _web(firm_user)
    kinds = [k for k, _ in Notification.Kind.choices if k != "lock"]
    assert client.post("/notifications/email/", {"kinds": kinds}).status_code == 302
    assert EmailPreference.objects.get(firm=firm, kind="lock").by_email is False

    from django.db import transaction

    with transaction.atomic():
        notify_firms(firms=[firm], kind="lock", title="Locked", url="/pools/4/")
        notify_firms(firms=[firm], kind="cancel", title="Cancelled", url="/pools/4/")
    assert Notification.objects.filter(user=firm_user).count() == 2


def test_emails_carry_absolute_links(firm_user, firm, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://coop.example"
    with django_capture_on_commit_callbacks(execute=True):
        notify_firms(firms=[firm], kind="cancel", title="Pool cancelled", body="Sorry.",
                     url="/pools/4/")
    assert mail.outbox[-1].body == "Sorry.\n\nhttps://coop.example/pools/4/"


def test_muted_kinds_send_no_mail(firm_user, firm, django_capture_on_commit_callbacks):
    EmailPreference.objects.create(firm=firm, kind="lock", by_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify_firms(firms=[firm], kind="lock", title="Locked", url="/pools/4/")
    assert mail.outbox == []
    assert Notification.objects.filter(user=firm_user, kind="lock").count() == 1


def test_ad_need_form_offers_only_programmes_that_can_pool(firm_user, firm):
    can = ChannelProgrammeFactory(name="Tiered", markets=["US", "GB"], currency="USD")
    flat = ChannelProgrammeFactory(name="Flat", tiers=[], minimum_spend=0, markets=["FR"],
                                   management_fee_percent=12, standalone_fee_percent=12)
    ChannelProgrammeFactory(name="Retired", active=False, markets=["FR"])
    body = _web(firm_user).get("/needs/ad-needs/new/").content.decode()
    assert f'value="{can.pk}"' in body and f'value="{flat.pk}"' not in body
    assert "Retired" not in body
    # the programme left out is named with why
    assert "Flat: programme Flat has no minimum spend, no spend tiers and no lower fee" in body
    assert 'value="GB"' in body and 'value="FR"' not in body
    assert '<option value="USD">USD</option>' in body


def test_a_programme_with_a_minimum_and_no_tiers_takes_needs_and_one_that_gains_nothing_refuses(
        firm_user, firm):
    access = ChannelProgrammeFactory(name="Access only", tiers=[], minimum_spend=10000)
    flat = ChannelProgrammeFactory(name="Flat", tiers=[], minimum_spend=0,
                                   management_fee_percent=12, standalone_fee_percent=12)
    today = timezone.localdate()
    need = {"market": "US", "budget": "6000", "currency": "USD", "category": "home",
            "flight_from": (today + dt.timedelta(days=5)).isoformat(),
            "flight_to": (today + dt.timedelta(days=40)).isoformat()}
    client = _web(firm_user)
    body = client.get("/needs/ad-needs/new/").content.decode()
    assert f'value="{access.pk}"' in body

    refused = client.post("/needs/ad-needs/new/", {**need, "programme": flat.pk})
    assert refused.status_code == 400
    assert "Flat cannot form a pool, so it takes no needs" in refused.content.decode()
    assert not AdNeed.objects.exists()

    posted = client.post("/needs/ad-needs/new/", {**need, "programme": access.pk})
    assert posted.status_code == 302
    assert AdNeed.objects.get().programme == access


def test_withdraw_is_offered_only_where_it_can_succeed(firm_user, firm):
    open_need = ShippingDemandFactory(firm=firm, reference="PO-OPEN")
    pooled = ShippingDemandFactory(firm=firm, reference="PO-LOCKED", status="pooled")
    body = _web(firm_user).get("/needs/demands/").content.decode()
    assert f'action="/needs/demands/{open_need.pk}/withdraw/"' in body
    assert f'action="/needs/demands/{pooled.pk}/withdraw/"' not in body
    assert "In a locked pool: it stays" in body
