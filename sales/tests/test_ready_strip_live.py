"""The till's ready strip polls like the kitchen display (kitchen/live.py, docs/adr/0011), under the outlet's
READY version: it refreshes only when what it shows may have changed. These tests commit (`committed_db`), so
what is counted is what a real poll costs."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from kitchen.models import Station, Ticket
from kitchen.services import KitchenLine, SentOrder, ticket_bump, ticket_line_toggle, tickets_create
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
