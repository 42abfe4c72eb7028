"""Kitchen pages cost the same number of queries with 3 tickets or 60."""

import itertools

import pytest

from accounts.models import Role
from catalog.tests.factories import ProductFactory
from kitchen.live import live_changed
from kitchen.models import Ticket, TicketLine
from kitchen.services import ticket_bump

from .factories import TicketFactory, TicketLineFactory

_order_ids = itertools.count(800_000)


def _send_orders(kitchen, n: int, start: int) -> None:
    """n orders as the till sends them: the grill's part (2 × nasi goreng, pedas; kerupuk) and the bar's (es teh),
    every fifth one rushed. Two tickets and three lines an order, written in two queries however many."""
    tickets, lines = [], []
    for i in range(start, start + n):
        order = {"order_id": next(_order_ids), "order_number": i + 1, "is_rush": i % 5 == 0, "table_label": f"{i}"}
        grill = TicketFactory.build(station=kitchen["grill"], **order)
        bar = TicketFactory.build(station=kitchen["bar"], **order)
        tickets += [grill, bar]
        lines += [
            TicketLineFactory.build(ticket=grill, name="Nasi goreng", quantity=2, note="pedas"),
            TicketLineFactory.build(ticket=grill, name="Kerupuk"),
            TicketLineFactory.build(ticket=bar, name="Es teh"),
        ]
    Ticket.objects.bulk_create(tickets)  # PostgreSQL returns the new keys: the lines below can point at them
    TicketLine.objects.bulk_create(lines)
    live_changed(kitchen["grill"].outlet_id)  # as tickets_create does: the displays' live version moves


@pytest.mark.parametrize(
    ("role", "path", "budget"),
    [
        (Role.KITCHEN, "/kitchen/", 11),
        (Role.KITCHEN, "/kitchen/?station={grill}", 12),
        (Role.KITCHEN, "/kitchen/poll/", 10),
        (Role.KITCHEN, "/kitchen/expo/", 9),
        (Role.KITCHEN, "/kitchen/expo/poll/", 9),
        (Role.KITCHEN, "/kitchen/tickets/{ticket}/print/", 9),
        (Role.SUPERVISOR, "/supervisor/kitchen/", 10),
        (Role.ADMIN_TENANT, "/backoffice/stations/", 11),
        (Role.ADMIN_TENANT, "/backoffice/stations/{grill}/", 11),
    ],
)
def test_kitchen_pages_have_a_bounded_query_count(kitchen, tenant, role, path, budget, django_assert_max_num_queries):
    client = tenant.client(role)
    _send_orders(kitchen, 3, 0)
    url = path.format(grill=kitchen["grill"].pk, ticket=Ticket.objects.first().pk)
    client.get(url)  # warm-up: the first request may load the session
    _send_orders(kitchen, 1, 100)  # a new version: the poll renders it (a shared, cached render costs fewer)
    with django_assert_max_num_queries(budget) as few:
        assert client.get(url).status_code == 200
    _send_orders(kitchen, 30, 3)  # 34 orders: 68 tickets, 102 lines
    ProductFactory.create_batch(20, category=kitchen["food"])  # a longer menu in the stations editor
    for ticket in Ticket.objects.order_by("pk")[:8]:
        ticket_bump(ticket=ticket, actor=tenant.users[Role.KITCHEN])  # recall buttons and ready orders on the pages too
    with django_assert_max_num_queries(budget) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
