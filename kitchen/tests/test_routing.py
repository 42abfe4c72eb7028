from accounts.models import Role
from business.models import Outlet
from catalog.services import category_create, product_create
from kitchen.models import Station, Ticket
from kitchen.services import ticket_bump, ticket_recall
from sales.services.orders import LineRequest, order_add_lines, order_submit
from sales.services.shifts import register_create, shift_open


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


def test_orders_not_sent_or_outlets_without_stations_make_no_tickets(in_tenant):
    outlet = Outlet.objects.get(code="MAIN")
    teh = product_create(category=category_create(name="Drinks"), name="Es teh", sku="ET", price_minor=10000)
    cashier = in_tenant.users[Role.CASHIER]
    shift = shift_open(register=register_create(outlet=outlet, name="T"), user=cashier, opening_float_minor=0)
    order_submit(shift=shift, user=cashier, idempotency_key="a", send_to_kitchen=True, lines=[LineRequest(teh.pk)])
    Station.objects.create(outlet=outlet, name="Bar")
    order_submit(shift=shift, user=cashier, idempotency_key="b", lines=[LineRequest(teh.pk)])
    assert not Ticket.objects.exists()
