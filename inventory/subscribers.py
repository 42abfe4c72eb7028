"""Inventory's outbox subscribers (core/outbox.py): what inventory does when something happened."""

from core.models import OutboxEvent
from core.outbox import subscriber

from .services.purchasing import purchase_order_email_queue


@subscriber("purchase_order.sent", name="inventory.purchase_order_email")
def purchase_order_email(event: OutboxEvent) -> None:
    """Put the supplier's e-mail in the mail outbox (database work only, in this delivery's savepoint: it commits
    once with the delivery). Once per PO (`emailed_at`) however often the event is relayed; a PO without an
    address queues nothing. Beat's mail run sends it, and retries while the mail server is down."""
    purchase_order_email_queue(purchase_order_id=event.payload["purchase_order"])
