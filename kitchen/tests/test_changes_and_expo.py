"""After sending: voided lines, rush, lines marked done, the expo view, printing, and the stations editor."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from kitchen.models import Station, Ticket, TicketLine
from kitchen.selectors import expo_orders, kitchen_metrics, tickets_open
from kitchen.services import ticket_bump
from sales.services.orders import LineRequest, order_add_lines, order_mark_served, order_submit
from sales.services.refunds import order_line_void, order_void


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


def test_tapping_a_line_marks_it_done_and_changes_the_display_version(kitchen, tenant):
    send(kitchen, [LineRequest(kitchen["menu"]["nasi"].pk)], "d-1")
    line = TicketLine.objects.get()
    display = tenant.client(Role.KITCHEN)
    first = display.get("/kitchen/poll/")
    html = display.post(f"/kitchen/lines/{line.pk}/done/").content.decode()
    assert 'aria-pressed="true"' in html and "is-done" in html
    assert TicketLine.objects.get().is_done
    assert display.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    display.post(f"/kitchen/lines/{line.pk}/done/")
    assert not TicketLine.objects.get().is_done  # a second tap undoes it


def test_expo_shows_each_station_part_and_ready_when_all_are_bumped(kitchen, tenant):
    m = kitchen["menu"]
    order = send(kitchen, [LineRequest(m["nasi"].pk), LineRequest(m["teh"].pk)], "e-1")
    [entry] = expo_orders(outlet_id=kitchen["outlet"].pk)
    assert entry.number == order.number and entry.done_count == 0 and not entry.is_ready
    grill_ticket = Ticket.objects.get(station=kitchen["grill"])
    ticket_bump(ticket=grill_ticket, actor=tenant.users[Role.KITCHEN])
    page = tenant.client(Role.KITCHEN).get("/kitchen/expo/").content.decode()
    assert "1/2 stations done" in page and "READY" not in page
    ticket_bump(ticket=Ticket.objects.get(station=kitchen["bar"]), actor=tenant.users[Role.KITCHEN])
    poll = tenant.client(Role.KITCHEN).get("/kitchen/expo/poll/").content.decode()
    assert "READY" in poll and "2/2 stations done" in poll
    order_mark_served(order=order)
    assert expo_orders(outlet_id=kitchen["outlet"].pk) == []


def test_a_ticket_prints_per_station(kitchen, tenant):
    send(kitchen, [LineRequest(kitchen["menu"]["nasi"].pk, 2, note="pedas")], "p-1")
    ticket = Ticket.objects.get()
    html = tenant.client(Role.KITCHEN).get(f"/kitchen/tickets/{ticket.pk}/print/?paper=58").content.decode()
    assert "Grill" in html and "2 × Nasi goreng" in html and "pedas" in html and "size: 58mm" in html


def test_metrics_per_station(kitchen, tenant, django_assert_max_num_queries):
    m, now = kitchen["menu"], timezone.now()
    for n, minutes in enumerate([2, 4, 6, 8, 20], start=1):  # grill red after 10: the 20-minute one is late
        send(kitchen, [LineRequest(m["nasi"].pk)], f"m-{n}")
        ticket = Ticket.objects.latest("pk")
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(minutes=30), bumped_at=now - timedelta(minutes=30 - minutes), status="bumped"
        )
    send(kitchen, [LineRequest(m["teh"].pk)], "m-open")
    Ticket.objects.filter(station=kitchen["bar"]).update(created_at=now - timedelta(minutes=7))  # open, past red
    start = now - timedelta(hours=1)
    with django_assert_max_num_queries(3):
        metrics = kitchen_metrics(outlet_id=kitchen["outlet"].pk, start=start, end=now + timedelta(minutes=1), now=now)
    by_name = {s.station.name: s for s in metrics.stations}
    grill, bar = by_name["Grill"], by_name["Bar"]
    assert grill.tickets == 5 and grill.bumped == 5 and grill.late == 1
    assert grill.per_hour == 5.0  # all five came within the same minute: counted over one hour
    assert grill.avg_prep == timedelta(minutes=8)  # (2+4+6+8+20)/5
    assert grill.p90_prep == timedelta(minutes=15.2)  # percentile_cont: 8 + 0.6 × (20 − 8)
    assert bar.tickets == 1 and bar.late == 1 and bar.avg_prep is None
    page = tenant.client(Role.SUPERVISOR).get("/supervisor/kitchen/")
    assert page.status_code == 200 and "8:00" in page.content.decode() and "15:12" in page.content.decode()
    assert tenant.client(Role.SUPERVISOR).get("/supervisor/kitchen/?day=nope").status_code == 400
    assert tenant.client(Role.KITCHEN).get("/supervisor/kitchen/").status_code == 403


def test_the_owner_routes_single_products_to_a_station(kitchen, tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    grill = kitchen["grill"]
    form = {"name": "Grill", "amber": "5", "red": "10", "products": [kitchen["menu"]["latte"].pk]}
    response = owner.post(f"/backoffice/stations/{grill.pk}/", form)
    assert response.status_code == 302
    assert list(Station.objects.get(pk=grill.pk).products.all()) == [kitchen["menu"]["latte"]]
    bad = owner.post(f"/backoffice/stations/{grill.pk}/", {"name": "Bar", "amber": "5", "red": "10"})
    assert bad.status_code == 400 and "already has a station called" in bad.content.decode()
    with tenant_context(tenant.tenant):
        assert Station.objects.get(pk=grill.pk).name == "Grill"


def test_each_outlet_has_its_own_display_and_the_device_remembers_which(kitchen, tenant):
    from business.services import outlet_create
    from sales.services.shifts import register_create, shift_open

    harbour = outlet_create(name="Harbour Road", code="harbour")
    Station.objects.create(outlet=harbour, name="Harbour grill")
    shift = shift_open(register=register_create(outlet=harbour, name="H1"), user=kitchen["cashier"],
                       opening_float_minor=0)  # fmt: skip
    order_submit(shift=shift, user=kitchen["cashier"], idempotency_key="h-1", send_to_kitchen=True,
                 lines=[LineRequest(kitchen["menu"]["nasi"].pk)], order_type="dine_in", table_label="H3")  # fmt: skip
    display = tenant.client(Role.KITCHEN)
    main_page = display.get("/kitchen/").content.decode()
    assert "Table H3" not in main_page and "Harbour Road" in main_page  # the picker offers the other outlet
    harbour_page = display.get(f"/kitchen/?outlet={harbour.pk}").content.decode()
    assert "Table H3" in harbour_page and 'aria-current="true">Harbour Road' in harbour_page
    assert "Table H3" in display.get("/kitchen/poll/").content.decode()  # remembered for this device's polls
    assert "Table H3" in display.get("/kitchen/expo/").content.decode()
    assert "Table H3" not in tenant.client(Role.KITCHEN).get("/kitchen/").content.decode()  # another device
