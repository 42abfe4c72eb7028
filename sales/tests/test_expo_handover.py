"""*Handed over* at the kitchen's expo marks the order served in sales through the outbox (kitchen never imports
sales): sales/subscribers.py hears `kitchen.handed_over`. The kitchen half is in kitchen/tests/test_rush_hour.py."""

from django.utils import timezone

from accounts.models import Role
from business.models import Outlet
from core.models import OutboxDelivery, OutboxEvent
from core.outbox import outbox_relay
from kitchen.services import HANDED_OVER, ticket_bump
from kitchen.tests.factories import StationFactory, TicketFactory
from sales.models import Order
from sales.selectors import orders_ready_to_hand_over
from sales.services.orders import order_mark_served
from sales.tests.factories import OrderFactory, ShiftFactory


def _ready(tenant, *, table: str = "5") -> Order:
    outlet = Outlet.objects.get(code="MAIN")
    order = OrderFactory(shift=ShiftFactory(register__outlet=outlet), order_type="dine_in", table_label=table,
                         sent_to_kitchen_at=timezone.now())  # fmt: skip
    ticket = TicketFactory(station=StationFactory(outlet=outlet), order_id=order.pk, order_number=order.number)
    ticket_bump(ticket=ticket, actor=tenant.users[Role.KITCHEN])
    outbox_relay()  # the bump's own event (ticket.bumped), out of the way
    return order


def test_the_expo_hands_over_and_sales_marks_the_order_served(tenant, in_tenant):
    order = _ready(tenant)
    assert [(o["number"], o["table_label"]) for o in orders_ready_to_hand_over(outlet_id=order.outlet_id)] == [
        (order.number, "5")
    ]  # what the till's strip shows as "Order #N ready — Table 5"
    assert tenant.client(Role.KITCHEN).post(f"/kitchen/expo/orders/{order.pk}/handed-over/").status_code == 200
    assert orders_ready_to_hand_over(outlet_id=order.outlet_id) == []  # off the strip before sales hears of it
    order.refresh_from_db()
    assert order.served_at is None
    assert outbox_relay() == 1
    order.refresh_from_db()
    event = OutboxEvent.objects.get(name=HANDED_OVER)
    assert order.served_at == event.created_at  # the tap's time, not the relay's
    served_at = order.served_at
    OutboxDelivery.objects.filter(event=event).delete()
    OutboxEvent.objects.filter(pk=event.pk).update(done_at=None)
    assert outbox_relay() == 1  # delivered again (at least once): nothing changes
    order.refresh_from_db()
    assert order.served_at == served_at


def test_handed_over_at_the_till_first_leaves_nothing_for_the_expo_to_tell(tenant, in_tenant):
    order = _ready(tenant)
    order_mark_served(order=order)
    assert tenant.client(Role.KITCHEN).post(f"/kitchen/expo/orders/{order.pk}/handed-over/").status_code == 200
    assert not OutboxEvent.objects.filter(name=HANDED_OVER).exists()


def test_an_event_for_an_order_sales_does_not_have_is_skipped(in_tenant):
    from django.db import transaction

    from core.outbox import event_emit

    with transaction.atomic():
        event_emit(HANDED_OVER, {"order": 987_654_321, "outlet": Outlet.objects.get(code="MAIN").pk})
    assert outbox_relay() == 1
