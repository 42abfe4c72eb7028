"""Sales' outbox subscribers (core/outbox.py): what sales does when something happened elsewhere."""

from core.models import OutboxEvent
from core.outbox import subscriber
from kitchen.services import HANDED_OVER

from .models import Order
from .services.orders import order_mark_served


@subscriber(HANDED_OVER, name="sales.order_served_at_the_expo")
def order_served_at_the_expo(event: OutboxEvent) -> None:
    """The expo handed an order over (kitchen.services.order_hand_over): it is served, as if the till had
    pressed its own *Handed over*. Idempotent by the order's `served_at` (a second delivery, or the till having
    pressed first, changes nothing); served at the moment of the tap (the event's time). An order that is gone
    (or an id the kitchen made up in a test) is skipped."""
    order = Order.objects.filter(pk=event.payload["order"], outlet_id=event.payload["outlet"]).first()
    if order is not None and order.served_at is None:
        order_mark_served(order=order, at=event.created_at)  # the tap's time, not the relay's
