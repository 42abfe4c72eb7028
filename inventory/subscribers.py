"""Inventory's outbox subscribers (core/outbox.py): what inventory does when something happened."""

import logging
from functools import partial

from django.db import transaction

from core.models import OutboxEvent
from core.outbox import subscriber

from .models import PurchaseOrder
from .tasks import send_purchase_order_email

logger = logging.getLogger(__name__)


@subscriber("purchase_order.sent", name="inventory.purchase_order_email")
def purchase_order_email(event: OutboxEvent) -> None:
    """Queue the supplier's e-mail once this delivery commits. The task is the idempotent part: it sends once
    (`emailed_at`) however often it is queued, and a PO without an address queues nothing."""
    purchase_order_id = event.payload["purchase_order"]
    unsent = PurchaseOrder.objects.filter(pk=purchase_order_id, emailed_at__isnull=True).exclude(supplier__email="")
    if unsent.exists():
        transaction.on_commit(partial(_queue_email, purchase_order_id))


def _queue_email(purchase_order_id: int) -> None:
    """After commit: hand the e-mail to Celery. A broker outage loses only the e-mail (logged); the order stays
    sent and can be printed."""
    try:
        send_purchase_order_email.delay(purchase_order_id)
    except Exception:  # kombu's OperationalError and friends: the broker is down
        logger.warning("Purchase order %s: the e-mail could not be queued.", purchase_order_id, exc_info=True)
