"""Live updates: an unchanged poll is answered before sessions, users or the database (kitchen/live.py).

These tests commit (`committed_db`): outside a transaction the tenant and the user come from their caches, as in
production, so what is counted is what a real poll costs."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from kitchen.live import KEY, live_changed
from kitchen.models import Station, Ticket
from kitchen.services import KitchenLine, SentOrder, ticket_bump, tickets_create


@pytest.fixture
def bar(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Live bar")
    yield alpha, station
    with tenant_context(alpha.tenant):
        Ticket.objects.filter(station=station).delete()
        station.delete()
        cache.delete(KEY)


def _send(alpha, number: int) -> Ticket:
    with tenant_context(alpha.tenant):
        sent = SentOrder(outlet_id=Outlet.objects.get(code="MAIN").pk, order_id=900_000 + number, order_number=number,
                         order_type="takeaway")  # fmt: skip
        return tickets_create(order=sent, lines=[KitchenLine(1, None, None, "Live tea", 1)])[0]


def test_an_unchanged_poll_touches_no_database_and_a_change_reaches_the_next_poll(bar):
    alpha, _station = bar
    display = alpha.client(Role.KITCHEN)
    display.get("/kitchen/")
    first = display.get("/kitchen/poll/")
    assert first.status_code == 200 and first["ETag"].startswith('"lv-')
    with CaptureQueriesContext(connection) as queries:
        same = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304 and same["ETag"] == first["ETag"]
    assert queries.captured_queries == []  # no tenant lookup, session, user or ticket query
    ticket = _send(alpha, 1)
    changed = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Live tea" in changed.content.decode()
    with tenant_context(alpha.tenant):
        ticket_bump(ticket=ticket, actor=alpha.users[Role.KITCHEN])
    bumped = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=changed["ETag"])
    assert bumped.status_code == 200 and bumped["ETag"] not in (first["ETag"], changed["ETag"])


def test_the_till_ready_strip_polls_the_same_way(bar):
    alpha, _station = bar
    till = alpha.client(Role.CASHIER)
    first = till.get("/till/ready/")
    assert first.status_code == 200 and first.json() == {"ready": []} and first["ETag"].startswith('"lv-')
    with CaptureQueriesContext(connection) as queries:
        assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert queries.captured_queries == []
    _send(alpha, 2)
    assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_poll_without_the_current_etag_or_a_session_is_not_answered_early(bar):
    alpha, _station = bar
    display = alpha.client(Role.KITCHEN)
    current = display.get("/kitchen/poll/")["ETag"]
    stranger = alpha.client()  # not signed in: only an ETag it already holds is confirmed; nothing else
    assert stranger.get("/kitchen/poll/")["Location"].startswith("/login/")
    assert stranger.get("/kitchen/poll/", HTTP_IF_NONE_MATCH='"lv-guess"')["Location"].startswith("/login/")
    live_changed_in(alpha)
    assert display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=current).status_code == 200


def live_changed_in(alpha) -> None:
    with tenant_context(alpha.tenant):
        live_changed()


def test_with_redis_down_displays_still_poll_from_the_database(bar, settings):
    alpha, _station = bar
    display = alpha.client(Role.KITCHEN)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    first = display.get("/kitchen/poll/")
    assert first.status_code == 200 and not first["ETag"].startswith('"lv-')  # a fingerprint from the database
    assert display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    _send(alpha, 3)
    changed = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Live tea" in changed.content.decode()
