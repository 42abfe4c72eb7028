"""After sending: rush order, lines marked done, the expo view, printing, metrics, outlets and the stations
editor. (Voided lines, rush from the till and add-ons arrive through sales: sales/tests/test_kitchen_handoff.py.)"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Role
from business.tests.factories import OutletFactory
from catalog.tests.factories import ProductFactory
from kitchen.models import Station, Ticket, TicketLine
from kitchen.selectors import expo_orders, kitchen_metrics, tickets_open
from kitchen.services import ticket_bump, tickets_handed_over, tickets_rush

from .factories import StationFactory, TicketFactory


def test_rush_tickets_come_first_in_arrival_order(kitchen):
    first, second, third = (TicketFactory(station=kitchen["grill"], is_rush=n == 2) for n in (1, 2, 3))
    order_of = lambda: [t.pk for t in tickets_open(outlet_id=kitchen["outlet"].pk)]  # noqa: E731
    assert order_of() == [second.pk, first.pk, third.pk]
    assert tickets_rush(outlet_id=kitchen["outlet"].pk, order_id=third.order_id) == 1
    assert tickets_rush(outlet_id=kitchen["outlet"].pk, order_id=third.order_id) == 0  # asked twice: already rushed
    assert order_of() == [second.pk, third.pk, first.pk]  # both rushed, in arrival order, then the rest


def test_tapping_a_line_marks_it_done_and_changes_the_display_version(kitchen, tenant):
    TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
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
    grill_ticket = TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
    TicketFactory(station=kitchen["bar"], order_id=grill_ticket.order_id, order_number=grill_ticket.order_number,
                  lines=[{"name": "Es teh"}])  # fmt: skip
    [entry] = expo_orders(outlet_id=kitchen["outlet"].pk)
    assert entry.number == grill_ticket.order_number and entry.done_count == 0 and not entry.is_ready
    ticket_bump(ticket=grill_ticket, actor=tenant.users[Role.KITCHEN])
    page = tenant.client(Role.KITCHEN).get("/kitchen/expo/").content.decode()
    assert "1/2 stations done" in page and "READY" not in page
    ticket_bump(ticket=Ticket.objects.get(station=kitchen["bar"]), actor=tenant.users[Role.KITCHEN])
    poll = tenant.client(Role.KITCHEN).get("/kitchen/expo/poll/").content.decode()
    assert "READY" in poll and "2/2 stations done" in poll
    tickets_handed_over(
        outlet_id=kitchen["outlet"].pk, order_id=grill_ticket.order_id
    )  # what the till's "served" calls
    assert expo_orders(outlet_id=kitchen["outlet"].pk) == []


def test_a_ticket_prints_per_station(kitchen, tenant):
    TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng", "quantity": 2, "note": "pedas"}])
    ticket = Ticket.objects.get()
    html = tenant.client(Role.KITCHEN).get(f"/kitchen/tickets/{ticket.pk}/print/?paper=58").content.decode()
    assert "Grill" in html and "2 × Nasi goreng" in html and "pedas" in html and 'class="paper-58"' in html


def test_metrics_per_station(kitchen, tenant, django_assert_max_num_queries):
    now = timezone.now()
    for minutes in [2, 4, 6, 8, 20]:  # grill red after 10: the 20-minute one is late
        ticket = TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(minutes=30), bumped_at=now - timedelta(minutes=30 - minutes), status="bumped"
        )
    TicketFactory(station=kitchen["bar"], lines=[{"name": "Es teh"}])
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
    # The page shows a business day: the one the tickets came in on (30 minutes ago may be yesterday just after
    # midnight in the business's time zone).
    day = timezone.localdate(now - timedelta(minutes=30), ZoneInfo(tenant.tenant.timezone))
    page = tenant.client(Role.SUPERVISOR).get("/supervisor/kitchen/", {"day": day.isoformat()})
    assert page.status_code == 200 and "8:00" in page.content.decode() and "15:12" in page.content.decode()
    assert tenant.client(Role.SUPERVISOR).get("/supervisor/kitchen/?day=nope").status_code == 400
    assert tenant.client(Role.KITCHEN).get("/supervisor/kitchen/").status_code == 403


def test_the_owner_routes_single_products_to_a_station(kitchen, tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    grill, latte = kitchen["grill"], ProductFactory(category=kitchen["drinks"], name="Latte")
    form = {"name": "Grill", "amber": "5", "red": "10", "products": [latte.pk]}
    response = owner.post(f"/backoffice/stations/{grill.pk}/", form)
    assert response.status_code == 302
    assert list(Station.objects.get(pk=grill.pk).products.all()) == [latte]
    bad = owner.post(f"/backoffice/stations/{grill.pk}/", {"name": "Bar", "amber": "5", "red": "10"})
    assert bad.status_code == 400 and "already has a station called" in bad.content.decode()
    assert Station.objects.get(pk=grill.pk).name == "Grill"


def test_each_outlet_has_its_own_display_and_the_device_remembers_which(kitchen, tenant):
    harbour = OutletFactory(name="Harbour Road", code="harbour")
    TicketFactory(station=StationFactory(outlet=harbour, name="Harbour grill"), table_label="H3",
                  lines=[{"name": "Nasi goreng"}])  # fmt: skip
    display = tenant.client(Role.KITCHEN)
    main_page = display.get("/kitchen/").content.decode()
    assert "Table H3" not in main_page and "Harbour Road" in main_page  # the picker offers the other outlet
    harbour_page = display.get(f"/kitchen/?outlet={harbour.pk}").content.decode()
    assert "Table H3" in harbour_page and 'aria-current="true">Harbour Road' in harbour_page
    assert "Table H3" in display.get("/kitchen/poll/").content.decode()  # remembered for this device's polls
    assert "Table H3" in display.get("/kitchen/expo/").content.decode()
    assert "Table H3" not in tenant.client(Role.KITCHEN).get("/kitchen/").content.decode()  # another device
