"""The till hands sent orders to the kitchen: one ticket per station with only its lines, add-ons, voided lines
struck out, rush, ready and served. These go through the sales services (they test the hand-off itself); the
kitchen's own behaviour is tested in kitchen/tests with tickets from its factories."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from catalog.services import category_create, product_create
from kitchen.models import Station, Ticket, TicketLine
from kitchen.selectors import expo_orders, tickets_open
from kitchen.services import ticket_bump, ticket_recall
from sales.models import Order
from sales.selectors import orders_ready_to_hand_over
from sales.services.orders import LineRequest, order_add_lines, order_mark_served, order_submit
from sales.services.refunds import order_line_void, order_void
from sales.services.shifts import register_create, shift_open


@pytest.fixture
def kitchen(resto):
    grill = Station.objects.create(outlet=resto["outlet"], name="Grill", amber_after_minutes=5, red_after_minutes=10)
    bar = Station.objects.create(outlet=resto["outlet"], name="Bar", amber_after_minutes=3, red_after_minutes=6)
    grill.products.add(resto["menu"]["nasi"])
    bar.products.add(resto["menu"]["teh"])
    return {"grill": grill, "bar": bar, **resto}


def send(k, lines, key, **kwargs):
    return order_submit(shift=k["shift"], user=k["cashier"], idempotency_key=key, lines=lines, send_to_kitchen=True,
                        order_type="dine_in", table_label="4", **kwargs)  # fmt: skip


def _send_from_till(till):
    with tenant_context(till["tenant"].tenant):
        station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Bar")
    body = {
        "lines": [{"product_id": till["teh"].pk, "quantity": 2, "note": "no ice"}],
        "idempotency_key": "k",
        "send": True,
        "order_type": "dine_in",
        "table_label": "9",
    }
    response = till["client"].post("/till/orders/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    return station


# Moved from kitchen/tests/test_routing.py.
def test_a_sent_order_becomes_one_ticket_per_station_with_only_its_lines(in_tenant):
    outlet = Outlet.objects.get(code="MAIN")
    food, drinks = category_create(name="Food"), category_create(name="Drinks")
    nasi = product_create(category=food, name="Nasi goreng", sku="NG", price_minor=45000)
    teh = product_create(category=drinks, name="Es teh", sku="ET", price_minor=10000)
    cake = product_create(category=food, name="Cake", sku="CK", price_minor=20000)
    grill, bar = Station.objects.create(outlet=outlet, name="Grill"), Station.objects.create(outlet=outlet, name="Bar")
    grill.categories.add(food)
    bar.categories.add(drinks)
    bar.products.add(cake)  # the bar plates desserts too: cake goes to both
    cashier = in_tenant.users[Role.CASHIER]
    shift = shift_open(register=register_create(outlet=outlet, name="T"), user=cashier, opening_float_minor=0)

    order = order_submit(
        shift=shift,
        user=cashier,
        idempotency_key="k",
        send_to_kitchen=True,
        lines=[LineRequest(nasi.pk, 2, note="pedas"), LineRequest(teh.pk), LineRequest(cake.pk)],
        order_type="dine_in",
        table_label="5",
    )
    tickets = {t.station.name: t for t in Ticket.objects.select_related("station")}
    assert sorted(tickets) == ["Bar", "Grill"]
    assert [(x.name, x.quantity, x.note) for x in tickets["Grill"].lines.all()] == [
        ("Nasi goreng", 2, "pedas"),
        ("Cake", 1, ""),
    ]
    assert [x.name for x in tickets["Bar"].lines.all()] == ["Es teh", "Cake"]
    assert tickets["Grill"].table_label == "5" and tickets["Grill"].order_number == order.number

    order_add_lines(
        order=order, user=cashier, lines=[LineRequest(teh.pk, 2)], expected_version=1, idempotency_key="r-add"
    )
    addon = Ticket.objects.get(is_addon=True)
    assert addon.station == bar and [(x.name, x.quantity) for x in addon.lines.all()] == [("Es teh", 2)]

    ticket_bump(ticket=tickets["Grill"], actor=in_tenant.users[Role.KITCHEN])
    ticket_bump(ticket=tickets["Grill"], actor=in_tenant.users[Role.KITCHEN])  # a double tap is harmless
    assert Ticket.objects.get(pk=tickets["Grill"].pk).status == Ticket.Status.BUMPED
    ticket_recall(ticket=tickets["Grill"], actor=in_tenant.users[Role.KITCHEN])
    assert Ticket.objects.get(pk=tickets["Grill"].pk).status == Ticket.Status.NEW


# Moved from kitchen/tests/test_routing.py.
def test_orders_not_sent_or_outlets_without_stations_make_no_tickets(in_tenant):
    outlet = Outlet.objects.get(code="MAIN")
    teh = product_create(category=category_create(name="Drinks"), name="Es teh", sku="ET", price_minor=10000)
    cashier = in_tenant.users[Role.CASHIER]
    shift = shift_open(register=register_create(outlet=outlet, name="T"), user=cashier, opening_float_minor=0)
    order_submit(shift=shift, user=cashier, idempotency_key="a", send_to_kitchen=True, lines=[LineRequest(teh.pk)])
    Station.objects.create(outlet=outlet, name="Bar")
    order_submit(shift=shift, user=cashier, idempotency_key="b", lines=[LineRequest(teh.pk)])
    assert not Ticket.objects.exists()


# Moved from kitchen/tests/test_changes_and_expo.py.
def test_a_voided_line_is_struck_out_with_void_on_the_station_that_has_it(kitchen, tenant):
    m = kitchen["menu"]
    order = send(kitchen, [LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk)], "v-1")
    nasi = order.lines.get(product=m["nasi"])
    display = tenant.client(Role.KITCHEN)
    before = display.get(f"/kitchen/poll/?station={kitchen['grill'].pk}")
    order_line_void(order=order, line_id=nasi.pk, user=kitchen["cashier"],
                    approved_by=tenant.users[Role.SUPERVISOR], reason="wrong dish")  # fmt: skip
    assert TicketLine.objects.get(order_line_id=nasi.pk).is_voided
    assert not TicketLine.objects.get(ticket__station=kitchen["bar"]).is_voided  # the bar's line stands
    grill_page = display.get(f"/kitchen/poll/?station={kitchen['grill'].pk}", HTTP_IF_NONE_MATCH=before["ETag"])
    assert grill_page.status_code == 200  # the change reaches the display
    html = grill_page.content.decode()
    assert 'data-testid="voided-line"' in html and "VOID" in html and "<s><strong>2 ×</strong> Nasi goreng</s>" in html
    assert "Es teh" not in html  # only the grill's ticket on the grill's display
    order_void(order=order, user=kitchen["cashier"], approved_by=tenant.users[Role.SUPERVISOR], reason="left")
    assert not TicketLine.objects.filter(is_voided=False).exists()


# Moved from kitchen/tests/test_changes_and_expo.py.
def test_rush_puts_the_ticket_first(kitchen):
    m = kitchen["menu"]
    first = send(kitchen, [LineRequest(m["nasi"].pk)], "r-1")
    second = send(kitchen, [LineRequest(m["nasi"].pk)], "r-2", rush=True)
    third = send(kitchen, [LineRequest(m["nasi"].pk)], "r-3")
    order_of = lambda: [t.order_id for t in tickets_open(outlet_id=kitchen["outlet"].pk)]  # noqa: E731
    assert order_of() == [second.pk, first.pk, third.pk]
    from sales.services.orders import order_rush

    assert order_rush(order=third) == 1
    assert order_of() == [second.pk, third.pk, first.pk]  # both rushed, in arrival order, then the rest


# Moved from kitchen/tests/test_changes_and_expo.py.
def test_addon_ticket_and_tab_never_sent_goes_whole_once(kitchen):
    m = kitchen["menu"]
    tab = order_submit(shift=kitchen["shift"], user=kitchen["cashier"], idempotency_key="t-1",
                       lines=[LineRequest(m["teh"].pk)])  # fmt: skip
    assert not Ticket.objects.exists()
    tab = order_add_lines(order=tab, user=kitchen["cashier"], lines=[LineRequest(m["nasi"].pk)], expected_version=1,
                          idempotency_key="t-add-1")  # fmt: skip
    assert Ticket.objects.filter(is_addon=False).count() == 2  # first send: the whole tab, one ticket a station
    order_add_lines(order=tab, user=kitchen["cashier"], lines=[LineRequest(m["teh"].pk, 3)],
                    expected_version=tab.version, idempotency_key="t-add-2")  # fmt: skip
    addon = Ticket.objects.get(is_addon=True)
    assert addon.station == kitchen["bar"] and [(x.name, x.quantity) for x in addon.lines.all()] == [("Es teh", 3)]


# The served half of kitchen/tests/test_changes_and_expo.py's expo test (whose kitchen half stays there).
def test_an_order_marked_served_leaves_the_expo_view(kitchen, tenant):
    m = kitchen["menu"]
    order = send(kitchen, [LineRequest(m["nasi"].pk), LineRequest(m["teh"].pk)], "e-1")
    [entry] = expo_orders(outlet_id=kitchen["outlet"].pk)
    assert entry.number == order.number and len(entry.parts) == 2
    for ticket in Ticket.objects.filter(order_id=order.pk):
        ticket_bump(ticket=ticket, actor=tenant.users[Role.KITCHEN])
    assert expo_orders(outlet_id=kitchen["outlet"].pk)[0].is_ready
    order_mark_served(order=order)
    assert expo_orders(outlet_id=kitchen["outlet"].pk) == []


# Moved from kitchen/tests/test_display.py.
def test_bumped_orders_show_ready_on_the_till_until_served(till, tenant):
    _send_from_till(till)
    client = till["client"]
    assert client.get("/till/ready/").json()["ready"] == []  # the kitchen is still on it
    with tenant_context(tenant.tenant):
        ticket = Ticket.objects.get()
    tenant.client(Role.KITCHEN).post(f"/kitchen/tickets/{ticket.pk}/bump/")
    ready = client.get("/till/ready/").json()["ready"]
    assert [(o["number"], o["table_label"]) for o in ready] == [(ticket.order_number, "9")]
    assert client.post(f"/till/orders/{ready[0]['id']}/served/").status_code == 200
    assert client.get("/till/ready/").json()["ready"] == []


def test_an_order_nobody_handed_over_leaves_the_strip_after_a_shift(kitchen):
    """The strip read every sent order never marked served, from any day: in a café that rarely presses
    "served" they piled up on every till and every poll read them all. Now only the last 12 hours count."""
    stale = send(kitchen, [LineRequest(kitchen["menu"]["teh"].pk)], "stale")
    long_ago = timezone.now() - timedelta(days=2)
    Order.objects.bulk_create(
        [
            Order(outlet=stale.outlet, shift=stale.shift, business_date=stale.business_date - timedelta(days=2),
                  number=1000 + n, created_by=stale.created_by, sent_to_kitchen_at=long_ago)
            for n in range(50)
        ]
    )  # fmt: skip
    Order.objects.filter(pk=stale.pk).update(sent_to_kitchen_at=long_ago)
    cook = kitchen["fixture"].users[Role.KITCHEN]
    for ticket in Ticket.objects.filter(order_id=stale.pk):
        ticket_bump(ticket=ticket, actor=cook)
    today = send(kitchen, [LineRequest(kitchen["menu"]["nasi"].pk)], "today")
    for ticket in Ticket.objects.filter(order_id=today.pk):
        ticket_bump(ticket=ticket, actor=cook)
    assert [o["number"] for o in orders_ready_to_hand_over(outlet_id=today.outlet_id)] == [today.number]
