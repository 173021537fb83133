"""Pool pages: plain CSRF-protected form posts, tenant checks (404), privacy between members."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from pooling.models import (
    Booking,
    Notification,
    Pool,
    PoolEvent,
    PoolMember,
    TrackingEvent,
)
from tests.factories import AdNeedFactory
from tests.factories_pools import ads_pool, firm_with_user, user_of

pytestmark = pytest.mark.django_db

S = Pool.State


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _snapshot(pool: Pool) -> tuple:
    pool.refresh_from_db()
    return (pool.state, pool.member_count, sorted(pool.members.values_list("pk", "status")),
            PoolEvent.objects.filter(pool=pool).count())


def test_the_firm_sees_its_invitation_with_its_saving_on_the_dashboard(firm, firm_user):
    pool = ads_pool(firms=[firm, firm_with_user(), firm_with_user()], state=S.APPROVED)
    mine = pool.members.get(firm=firm)

    page = _client(firm_user).get("/dashboard/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'/pools/{pool.pk}/accept/' in html
    assert f"USD {mine.projected_share:,.2f}" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_accepting_is_a_plain_form_post_that_needs_the_csrf_token(firm, firm_user):
    pool = ads_pool(firms=[firm, firm_with_user()], state=S.APPROVED)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(firm_user)
    before = _snapshot(pool)

    # without a token: refused, nothing changed
    assert strict.post(f"/pools/{pool.pk}/accept/").status_code == 403
    assert _snapshot(pool) == before

    # with the token from the page: accepted, and back to the pool page
    strict.get(f"/pools/{pool.pk}/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(f"/pools/{pool.pk}/accept/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == f"/pools/{pool.pk}/"
    assert pool.members.get(firm=firm).status == "accepted"


def test_another_firm_gets_404_for_the_pool_page_and_every_action(firm_user):
    pool = ads_pool(state=S.APPROVED)
    stranger = _client(firm_user)
    before = _snapshot(pool)

    assert stranger.get(f"/pools/{pool.pk}/").status_code == 404
    for action in ("accept", "decline", "leave", "join"):
        assert stranger.post(f"/pools/{pool.pk}/{action}/", {"need": "1"}).status_code == 404
    for action in ("approve", "reject", "open", "lock", "cancel", "deadline"):
        assert stranger.post(f"/pools/{pool.pk}/{action}/", {"reason": "x"}).status_code == 404
    member = pool.members.first()
    assert stranger.post(f"/pools/{pool.pk}/members/{member.pk}/remove/").status_code == 404
    assert _snapshot(pool) == before


def test_a_member_firm_cannot_use_coordinator_actions(firm, firm_user):
    pool = ads_pool(firms=[firm, firm_with_user()])
    pool.state = S.APPROVED
    pool.save()
    before = _snapshot(pool)

    assert _client(firm_user).post(f"/pools/{pool.pk}/lock/").status_code == 404

    assert _snapshot(pool) == before


def test_the_pool_page_hides_other_members_names_unless_they_chose(firm, firm_user):
    quiet = firm_with_user(legal_name="Quiet Trader Ltd")
    named = firm_with_user(legal_name="Open Book Ltd")
    pool = ads_pool(firms=[firm, quiet, named], state=S.APPROVED)
    PoolMember.objects.filter(pool=pool, firm=named).update(show_name=True)

    html = _client(firm_user).get(f"/pools/{pool.pk}/").content.decode()

    assert "2 other members" in html
    assert "Open Book Ltd" in html
    assert "Quiet Trader" not in html
    assert f"Firm {quiet.pk} " not in html


def test_after_booking_the_firm_sees_the_booking_and_the_tracking_timeline(firm, firm_user):
    pool = ads_pool(firms=[firm, firm_with_user()], state=S.BOOKED)
    Booking.objects.create(pool=pool, partner=pool.partner, status="confirmed", reference="BK-42",
                           etd=timezone.now(), eta=timezone.now() + dt.timedelta(days=18))
    kept = TrackingEvent.objects.create(
        partner=pool.partner, pool=pool, event_id="e1", event_type="TRANSPORT", classifier="ACT",
        event_code="DEPA", location="CNSZX", event_datetime=timezone.now(), payload={})
    TrackingEvent.objects.create(
        partner=pool.partner, pool=pool, event_id="e2", event_type="TRANSPORT", classifier="EST",
        event_code="ARRI", location="USLAX", event_datetime=timezone.now(), payload={},
        is_retracted=True)

    html = _client(firm_user).get(f"/pools/{pool.pk}/").content.decode()

    assert "BK-42" in html
    assert f"Departed {kept.location}" in html
    assert "Arrived USLAX" not in html
    assert "1 event retracted by the partner, not shown." in html


def test_the_coordinator_reviews_and_approves_from_the_console(coordinator):
    pool = ads_pool()
    client = _client(coordinator)

    console = client.get("/console/").content.decode()
    assert f"/pools/{pool.pk}/approve/" in console
    detail = client.get(f"/pools/{pool.pk}/").content.decode()
    assert all(m.firm.legal_name in detail for m in pool.members.select_related("firm"))

    response = client.post(f"/pools/{pool.pk}/approve/")

    assert response.status_code == 302
    pool.refresh_from_db()
    assert pool.state == S.APPROVED


def test_a_failed_action_shows_the_reason_and_changes_nothing(coordinator):
    pool = ads_pool()
    client = _client(coordinator)
    before = _snapshot(pool)

    page = client.post(f"/pools/{pool.pk}/reject/", {"reason": ""}, follow=True)

    assert "Say why the pool is rejected." in page.content.decode()
    assert _snapshot(pool) == before


def test_a_firm_joins_an_open_pool_from_its_page(firm, firm_user, coordinator):
    pool = ads_pool(state=S.OPEN, status="accepted",
                    join_deadline=timezone.now() + dt.timedelta(days=1))
    need = AdNeedFactory(firm=firm, programme=pool.programme)
    client = _client(firm_user)

    page = client.get(f"/pools/{pool.pk}/").content.decode()
    assert f'value="{need.pk}"' in page
    client.post(f"/pools/{pool.pk}/join/", {"need": need.pk})

    assert pool.members.get(firm=firm).status == "accepted"


def test_notifications_list_and_unread_count(firm, firm_user, coordinator):
    from pooling.services.pools import pool_approve

    pool = ads_pool(firms=[firm, firm_with_user()])
    pool_approve(pool=pool, actor=coordinator)
    client = _client(firm_user)

    assert "Notifications (1)" in client.get("/dashboard/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert f"Invitation to pool #{pool.pk}" in page

    client.post("/notifications/read/")

    assert not Notification.objects.filter(user=firm_user, read_at__isnull=True).exists()
    assert "Notifications (1)" not in client.get("/notifications/").content.decode()


def test_another_users_notification_cannot_be_marked_read(firm_user, coordinator):
    from pooling.services.pools import pool_approve

    pool = ads_pool()
    pool_approve(pool=pool, actor=coordinator)
    theirs = Notification.objects.filter(kind="invitation").first()

    _client(firm_user).post("/notifications/read/", {"notification": theirs.pk})

    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert user_of(theirs.firm) != firm_user


def test_the_console_charts_projected_and_realised_savings(coordinator):
    from decimal import Decimal

    from pooling.models import Settlement, SettlementShare

    pool = ads_pool(state=S.SETTLED, status="accepted")
    member = pool.members.first()
    PoolMember.objects.filter(pool=pool).update(projected_saving=Decimal("300"))
    settlement = Settlement.objects.create(pool=pool, status="completed", currency="USD",
                                           total=Decimal("1000"), completed_at=timezone.now())
    SettlementShare.objects.create(settlement=settlement, member=member, firm=member.firm,
                                   currency="USD", amount=Decimal("700"), saving=Decimal("250"),
                                   billing_currency="USD", billing_amount=Decimal("700"))

    html = _client(coordinator).get("/console/").content.decode()

    assert "Savings in USD" in html
    assert "projected USD 900.00, realised USD 250.00" in html
    assert html.count('<rect class="realised"') == 1
    assert html.count('<rect class="projected"') == 1
