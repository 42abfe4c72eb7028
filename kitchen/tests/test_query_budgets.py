"""Kitchen pages cost the same number of queries with 3 tickets or 60."""

import pytest

from accounts.models import Role
from kitchen.models import Station, Ticket
from kitchen.services import ticket_bump
from sales.services.orders import LineRequest, order_submit


def _send_orders(resto, n: int, start: int) -> None:
    m = resto["menu"]
    for i in range(start, start + n):
        order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"budget-{i}", send_to_kitchen=True,
                     lines=[LineRequest(m["nasi"].pk, 2, note="pedas"), LineRequest(m["teh"].pk)],
                     rush=i % 5 == 0)  # fmt: skip


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
def test_kitchen_pages_have_a_bounded_query_count(resto, tenant, role, path, budget, django_assert_max_num_queries):
    grill = Station.objects.create(outlet=resto["outlet"], name="Grill")
    bar = Station.objects.create(outlet=resto["outlet"], name="Bar")
    grill.categories.add(resto["menu"]["nasi"].category)
    bar.categories.add(resto["menu"]["teh"].category)
    client = tenant.client(role)
    _send_orders(resto, 3, 0)
    url = path.format(grill=grill.pk, ticket=Ticket.objects.first().pk)
    client.get(url)  # warm-up: the first request may load the session
    _send_orders(resto, 1, 100)  # a new version: the poll renders it (a shared, cached render costs fewer)
    with django_assert_max_num_queries(budget) as few:
        assert client.get(url).status_code == 200
    _send_orders(resto, 30, 3)  # 33 orders: 66 tickets, 99 lines
    for ticket in Ticket.objects.order_by("pk")[:8]:
        ticket_bump(ticket=ticket, actor=tenant.users[Role.KITCHEN])  # recall buttons and ready orders on the pages too
    with django_assert_max_num_queries(budget) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
