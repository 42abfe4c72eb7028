"""Reports' outbox subscribers: the roll-ups hear of every paid, voided and refunded order (reports/rollups.py).

Each handler adds the facts behind the event's order that are not counted yet, in the relay's savepoint: a
second delivery, or an event relayed after a rebuild already counted its order, adds nothing."""

from core.models import OutboxEvent
from core.outbox import subscriber

from .rollups import REFUND, SALE, VOID, facts_apply


@subscriber("order.paid", name="reports.sale")
def sale_counted(event: OutboxEvent) -> None:
    facts_apply(SALE, order_ids=[event.payload["order"]])


@subscriber("order.voided", name="reports.void")
def void_counted(event: OutboxEvent) -> None:
    facts_apply(VOID, order_ids=[event.payload["order"]])


@subscriber("order.refunded", name="reports.refund")
def refund_counted(event: OutboxEvent) -> None:
    facts_apply(REFUND, order_ids=[event.payload["order"]])
