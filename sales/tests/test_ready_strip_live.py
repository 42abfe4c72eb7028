"""The till's ready strip polls like the kitchen display (kitchen/live.py, docs/adr/0011), under the outlet's
READY version: it refreshes only when what it shows may have changed. These tests commit (`committed_db`), so
what is counted is what a real poll costs."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from kitchen.models import Station, Ticket
from kitchen.services import KitchenLine, SentOrder, ticket_bump, ticket_line_toggle, ticket_recall, tickets_create
from sales.models import Register, Shift


@pytest.fixture
def bar(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Strip bar")
    yield alpha, station
    with tenant_context(alpha.tenant):
        Ticket.objects.filter(station=station).delete()
        station.delete()
        Shift.objects.filter(register__name="Live strip").delete()
        Register.objects.filter(name="Live strip").delete()
        cache.delete_pattern("live:*")


def _send(alpha, number: int, station: Station, *, is_addon: bool = False) -> Ticket:
    with tenant_context(alpha.tenant):
        sent = SentOrder(outlet_id=station.outlet_id, order_id=910_000 + number, order_number=number,
                         order_type="takeaway")  # fmt: skip
        return tickets_create(order=sent, lines=[KitchenLine(1, None, None, "Strip tea", 1)], is_addon=is_addon)[0]


def _till_with_a_shift(alpha):
    till = alpha.client(Role.CASHIER)
    opened = till.post("/till/shift/open/", {"register": "new", "register_name": "Live strip", "opening_float": "0"})
    assert opened.status_code == 302 and opened["Location"] == "/till/"
    return till


def test_the_ready_strip_moves_only_when_what_it_shows_may_have_changed(bar):
    """A new ticket or a line ticked leaves the tills' strip as it is (304 without a query); the bump that makes
    an order ready reaches the next poll, and so does handing it over."""
    alpha, station = bar
    till = _till_with_a_shift(alpha)
    first = till.get("/till/ready/")
    assert first.status_code == 200 and first.json() == {"ready": []}
    assert first["ETag"].startswith(f'"lv-r{station.outlet_id}-')
    ticket = _send(alpha, 2, station)
    with tenant_context(alpha.tenant):
        ticket_line_toggle(line=ticket.lines.get())
    with CaptureQueriesContext(connection) as queries:
        assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert queries.captured_queries == []
    with tenant_context(alpha.tenant):
        ticket_bump(ticket=ticket, actor=alpha.users[Role.KITCHEN])
    ready = till.get("/till/ready/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert ready.status_code == 200 and ready["ETag"] != first["ETag"]  # its order has no sales row: not listed
    _send(alpha, 2, station, is_addon=True)  # an add-on takes a ready order off the strip
    assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=ready["ETag"]).status_code == 200


def test_a_display_version_is_no_answer_to_the_strip(bar):
    """Another topic's ETag (a kitchen display's) goes to the view, which answers the strip's own."""
    alpha, _station = bar
    current = alpha.client(Role.KITCHEN).get("/kitchen/poll/")["ETag"]
    till = _till_with_a_shift(alpha)
    answer = till.get("/till/ready/", HTTP_IF_NONE_MATCH=current)
    assert answer.status_code == 200 and answer["ETag"] != current and answer["ETag"].startswith('"lv-r')


def test_the_tills_of_an_outlet_share_one_read_of_a_new_strip(bar):
    """A bump makes every till of the outlet fetch the strip at once: the first reads the orders, the others get
    that answer from the cache (per version), without a query on orders or tickets."""
    alpha, station = bar
    first_till = _till_with_a_shift(alpha)
    second_till = alpha.client(Role.SUPERVISOR)
    second_till.post("/till/shift/open/", {"register": "new", "register_name": "Live strip 2", "opening_float": "0"})
    try:
        held = first_till.get("/till/ready/")["ETag"]
        with tenant_context(alpha.tenant):
            ticket_bump(ticket=_send(alpha, 3, station), actor=alpha.users[Role.KITCHEN])
        first = first_till.get("/till/ready/", HTTP_IF_NONE_MATCH=held)
        with CaptureQueriesContext(connection) as queries:
            second = second_till.get("/till/ready/", HTTP_IF_NONE_MATCH=held)
        assert first.status_code == second.status_code == 200
        assert second["ETag"] == first["ETag"] and second.json() == first.json()
        read = [q["sql"] for q in queries.captured_queries if '"sales_order"' in q["sql"] or '"kitchen_' in q["sql"]]
        assert read == []
    finally:
        with tenant_context(alpha.tenant):
            Shift.objects.filter(register__name="Live strip 2").delete()
            Register.objects.filter(name="Live strip 2").delete()


def test_the_strip_moves_when_the_orders_last_station_bumps_not_before(bar):
    """An order at two stations is ready when both have bumped: the first bump leaves the tills' strip as it
    is, the second moves it; recalling one ticket of a ready order moves it again (the order leaves the strip)."""
    alpha, station = bar
    with tenant_context(alpha.tenant):
        grill = Station.objects.create(outlet=station.outlet, name="Strip grill")
    try:
        till = _till_with_a_shift(alpha)
        held = till.get("/till/ready/")["ETag"]
        drinks, food = _send(alpha, 4, station), _send(alpha, 4, grill)
        assert food.order_id == drinks.order_id
        with tenant_context(alpha.tenant):
            ticket_bump(ticket=drinks, actor=alpha.users[Role.KITCHEN])
        assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=held).status_code == 304
        with tenant_context(alpha.tenant):
            ticket_bump(ticket=food, actor=alpha.users[Role.KITCHEN])
        ready = till.get("/till/ready/", HTTP_IF_NONE_MATCH=held)
        assert ready.status_code == 200
        with tenant_context(alpha.tenant):
            ticket_recall(ticket=food, actor=alpha.users[Role.KITCHEN])
        assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=ready["ETag"]).status_code == 200
    finally:
        with tenant_context(alpha.tenant):
            Ticket.objects.filter(station=grill).delete()
            grill.delete()


def test_two_stations_bumping_an_order_at_once_still_move_the_strip(bar):
    """Each bump checks, after its commit, whether the order still has an open ticket: of two bumps committing
    side by side the later sees both, so the order never becomes ready without the strip moving."""
    alpha, station = bar
    with tenant_context(alpha.tenant):
        grill = Station.objects.create(outlet=station.outlet, name="Strip grill 2")
    try:
        till = _till_with_a_shift(alpha)
        for number in range(5, 10):
            held = till.get("/till/ready/")["ETag"]
            tickets = [_send(alpha, number, station), _send(alpha, number, grill)]
            barrier = threading.Barrier(2)

            def bump(ticket, barrier=barrier):
                try:
                    with tenant_context(alpha.tenant):
                        barrier.wait(5)
                        ticket_bump(ticket=ticket, actor=alpha.users[Role.KITCHEN])
                finally:
                    connection.close()

            threads = [threading.Thread(target=bump, args=(t,)) for t in tickets]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            assert till.get("/till/ready/", HTTP_IF_NONE_MATCH=held).status_code == 200, number
    finally:
        with tenant_context(alpha.tenant):
            Ticket.objects.filter(station=grill).delete()
            grill.delete()
