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
from kitchen.live import KITCHEN, live_changed
from kitchen.models import Station, Ticket
from kitchen.services import KitchenLine, SentOrder, ticket_bump, tickets_create


@pytest.fixture
def bar(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        main = Outlet.objects.get(code="MAIN")
        station = Station.objects.create(outlet=main, name="Live bar")
        other = Outlet.objects.create(code="LIVE2", name="Live second outlet")
        other_station = Station.objects.create(outlet=other, name="Second bar")
    yield alpha, station, other_station
    with tenant_context(alpha.tenant):
        Ticket.objects.filter(station__in=(station, other_station)).delete()
        Station.objects.filter(pk__in=(station.pk, other_station.pk)).delete()
        other.delete()
        cache.delete_pattern("live:*")


def _send(alpha, number: int, station: Station, *, is_addon: bool = False) -> Ticket:
    with tenant_context(alpha.tenant):
        sent = SentOrder(outlet_id=station.outlet_id, order_id=900_000 + number, order_number=number,
                         order_type="takeaway")  # fmt: skip
        return tickets_create(order=sent, lines=[KitchenLine(1, None, None, "Live tea", 1)], is_addon=is_addon)[0]


def test_an_unchanged_poll_touches_no_database_and_a_change_reaches_the_next_poll(bar):
    alpha, station, _ = bar
    display = alpha.client(Role.KITCHEN)
    display.get("/kitchen/")
    first = display.get("/kitchen/poll/")
    assert first.status_code == 200 and first["ETag"].startswith(f'"lv-k{station.outlet_id}-')
    with CaptureQueriesContext(connection) as queries:
        same = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304 and same["ETag"] == first["ETag"]
    assert queries.captured_queries == []  # no tenant lookup, session, user or ticket query
    ticket = _send(alpha, 1, station)
    changed = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Live tea" in changed.content.decode()
    with tenant_context(alpha.tenant):
        ticket_bump(ticket=ticket, actor=alpha.users[Role.KITCHEN])
    bumped = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=changed["ETag"])
    assert bumped.status_code == 200 and bumped["ETag"] not in (first["ETag"], changed["ETag"])


def test_one_outlets_kitchen_does_not_refresh_another_outlets_screens(bar):
    alpha, station, other_station = bar
    display = alpha.client(Role.KITCHEN)
    first = display.get(f"/kitchen/poll/?station={station.pk}")
    _send(alpha, 3, other_station)
    assert display.get(f"/kitchen/poll/?station={station.pk}", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    other = display.get(f"/kitchen/poll/?station={other_station.pk}")
    assert "Live tea" in other.content.decode() and other["ETag"].startswith(f'"lv-k{other_station.outlet_id}-')


def test_a_poll_without_the_current_etag_or_a_session_is_not_answered_early(bar):
    alpha, station, _ = bar
    display = alpha.client(Role.KITCHEN)
    current = display.get("/kitchen/poll/")["ETag"]
    stranger = alpha.client()  # not signed in: only an ETag it already holds is confirmed; nothing else
    assert stranger.get("/kitchen/poll/")["Location"].startswith("/login/")
    assert stranger.get("/kitchen/poll/", HTTP_IF_NONE_MATCH='"lv-guess"')["Location"].startswith("/login/")
    guessed = f'"lv-k{station.outlet_id}-000000000000"'
    assert stranger.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=guessed)["Location"].startswith("/login/")
    with tenant_context(alpha.tenant):
        live_changed(station.outlet_id, KITCHEN)
    assert display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=current).status_code == 200


def test_with_redis_down_displays_still_poll_from_the_database(bar, settings):
    alpha, station, _ = bar
    display = alpha.client(Role.KITCHEN)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    first = display.get("/kitchen/poll/")
    assert first.status_code == 200 and not first["ETag"].startswith('"lv-')  # a fingerprint from the database
    assert display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    _send(alpha, 4, station)
    changed = display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Live tea" in changed.content.decode()


def test_a_displays_own_tap_answers_its_version_so_the_next_poll_is_unchanged(bar):
    """A bump's answer is the display's tickets after the bump, with the ETag of that version: the display polls
    on from it (static/js/kitchen.js) and gets a 304 instead of fetching again what the tap just gave it."""
    alpha, station, _ = bar
    display = alpha.client(Role.KITCHEN)
    ticket = _send(alpha, 7, station)
    answer = display.post(f"/kitchen/tickets/{ticket.pk}/bump/?station={station.pk}")
    assert answer.status_code == 200 and answer["ETag"].startswith(f'"lv-k{station.outlet_id}-')
    with CaptureQueriesContext(connection) as queries:
        again = display.get(f"/kitchen/poll/?station={station.pk}", HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304 and queries.captured_queries == []
    _send(alpha, 8, station)  # somebody else's change still reaches it
    assert display.get(f"/kitchen/poll/?station={station.pk}", HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 200
