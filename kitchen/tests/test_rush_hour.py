"""The kitchen at rush hour (issue 11, point 12): all-day counts, *Handed over* at the expo, bump-bar numbers.
The sales half of the hand-over (the order marked served through the outbox) is in
sales/tests/test_expo_handover.py; the keys and the sound are browser tests (sales/tests/test_browser_kitchen.py)."""

from accounts.models import Role
from business.tests.factories import OutletFactory
from core.models import OutboxEvent
from kitchen.models import Ticket
from kitchen.selectors import AllDay, all_day_counts, expo_orders, orders_ready, tickets_open
from kitchen.services import HANDED_OVER, ticket_bump

from .factories import StationFactory, TicketFactory


def test_all_day_counts_add_up_what_is_still_to_make(kitchen):
    grill = kitchen["grill"]
    TicketFactory(station=grill, lines=[{"name": "Nasi goreng", "quantity": 2}, {"name": "Kerupuk"}])
    TicketFactory(station=grill, lines=[{"name": "Nasi goreng"}, {"name": "Kerupuk", "is_voided": True}])
    TicketFactory(station=grill, lines=[{"name": "Sate", "quantity": 3, "is_done": True}, {"name": "Kerupuk"}])
    tickets = list(tickets_open(outlet_id=kitchen["outlet"].pk))
    # most first, then by name; a struck-out (VOID) line and one ticked made do not count
    assert all_day_counts(tickets) == [AllDay("Nasi goreng", 3), AllDay("Kerupuk", 2)]
    assert all_day_counts([]) == []


def test_the_display_shows_all_day_counts_per_station_and_they_follow_a_bump(kitchen, tenant):
    first = TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng", "quantity": 2}])
    TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
    TicketFactory(station=kitchen["bar"], lines=[{"name": "Es teh", "quantity": 4}])
    display = tenant.client(Role.KITCHEN)
    whole = display.get("/kitchen/poll/").content.decode()
    assert 'data-testid="all-day"' in whole
    assert "<strong>3 ×</strong> Nasi goreng" in whole and "<strong>4 ×</strong> Es teh" in whole
    grill = display.get(f"/kitchen/?station={kitchen['grill'].pk}").content.decode()
    assert "<strong>3 ×</strong> Nasi goreng" in grill and "Es teh" not in grill  # the station's own tickets only
    after = display.post(f"/kitchen/tickets/{first.pk}/bump/?station={kitchen['grill'].pk}").content.decode()
    assert "<strong>1 ×</strong> Nasi goreng" in after


def test_tickets_carry_their_bump_bar_number_and_the_keys_are_written_on_the_display(kitchen, tenant):
    for _ in range(11):
        TicketFactory(station=kitchen["grill"])
    page = tenant.client(Role.KITCHEN).get("/kitchen/").content.decode()
    assert page.count('<kbd class="ticket__key"') == 9  # 1–9: the first nine tickets, as a bump bar's keys
    assert 'data-testid="kds-keys"' in page and 'data-testid="kds-sound"' in page and "data-bump" in page


def _ready_order(kitchen, tenant):
    grill = TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
    bar = TicketFactory(station=kitchen["bar"], order_id=grill.order_id, order_number=grill.order_number,
                        lines=[{"name": "Es teh"}])  # fmt: skip
    for ticket in (grill, bar):
        ticket_bump(ticket=ticket, actor=tenant.users[Role.KITCHEN])
    return grill


def test_handed_over_at_the_expo_takes_the_order_off_the_pass_and_tells_sales_once(
    kitchen, tenant, django_assert_max_num_queries
):
    ticket = _ready_order(kitchen, tenant)
    outlet_id = kitchen["outlet"].pk
    expo = tenant.client(Role.KITCHEN)
    page = expo.get("/kitchen/expo/").content.decode()
    assert "Handed over" in page and f"/kitchen/expo/orders/{ticket.order_id}/handed-over/" in page
    assert orders_ready(outlet_id=outlet_id) == [ticket.order_id]
    with django_assert_max_num_queries(13):
        answer = expo.post(f"/kitchen/expo/orders/{ticket.order_id}/handed-over/")
    assert answer.status_code == 200 and answer["ETag"].startswith(f'"lv-k{outlet_id}-')
    assert f"#{ticket.order_number}" not in answer.content.decode()
    assert expo_orders(outlet_id=outlet_id) == []
    assert orders_ready(outlet_id=outlet_id) == []  # off the tills' strip at once, before sales hears of it
    assert not Ticket.objects.filter(order_id=ticket.order_id, handed_over_at__isnull=True).exists()
    [event] = OutboxEvent.objects.filter(name=HANDED_OVER)
    assert event.payload == {"order": ticket.order_id, "outlet": outlet_id}
    expo.post(f"/kitchen/expo/orders/{ticket.order_id}/handed-over/")  # a double tap
    assert OutboxEvent.objects.filter(name=HANDED_OVER).count() == 1


def test_an_order_still_being_made_is_not_handed_over(kitchen, tenant):
    ticket = TicketFactory(station=kitchen["grill"], lines=[{"name": "Nasi goreng"}])
    answer = tenant.client(Role.KITCHEN).post(f"/kitchen/expo/orders/{ticket.order_id}/handed-over/")
    assert answer.status_code == 200 and "is not ready yet" in answer.content.decode()
    assert not Ticket.objects.filter(handed_over_at__isnull=False).exists()
    assert not OutboxEvent.objects.filter(name=HANDED_OVER).exists()


def test_another_outlets_order_or_no_order_is_a_404_and_a_cashier_is_refused(kitchen, tenant):
    elsewhere = StationFactory(outlet=OutletFactory(code="FAR"), name="Far grill")
    far = TicketFactory(station=elsewhere)
    ticket_bump(ticket=far, actor=tenant.users[Role.KITCHEN])
    mine = _ready_order(kitchen, tenant)
    expo = tenant.client(Role.KITCHEN)
    expo.get(f"/kitchen/expo/?outlet={kitchen['outlet'].pk}")  # this screen works for the main outlet
    assert expo.post(f"/kitchen/expo/orders/{far.order_id}/handed-over/").status_code == 404
    assert expo.post("/kitchen/expo/orders/123456789/handed-over/").status_code == 404
    refused = tenant.client(Role.CASHIER).post(f"/kitchen/expo/orders/{mine.order_id}/handed-over/")
    assert refused.status_code in (302, 403)
    assert expo.get(f"/kitchen/expo/orders/{mine.order_id}/handed-over/").status_code == 405
    assert not Ticket.objects.filter(handed_over_at__isnull=False).exists()
    assert not OutboxEvent.objects.filter(name=HANDED_OVER).exists()
