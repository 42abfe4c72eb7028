"""Row locks of the till, taken only through these helpers and in this order (docs/adr/0007-lock-order.md):

    idempotency key -> Shift -> Order (by id) -> OrderLine (by id) -> Payment (by id) -> stock levels -> tickets

A write that needs several takes them top-down, so two writers meet at the first row they share and queue
there instead of deadlocking: a payment locks the order's shift before the order, so a shift that is closing
makes it wait and then refuse; the QR callback locks the order before its payment, as merging tabs does.
"""

from collections.abc import Iterable

from .models import DiningTable, Order, OrderLine, Payment, Shift


def shift_lock(shift_id: int) -> Shift:
    return Shift.objects.select_for_update(of=("self",)).get(pk=shift_id)


def order_lock(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def orders_lock(order_ids: Iterable[int]) -> dict[int, Order]:
    """Several orders (merging tabs), by id."""
    rows = Order.objects.select_for_update(of=("self",)).filter(pk__in=set(order_ids)).order_by("pk")
    return {order.pk: order for order in rows}


def order_lines_lock(order: Order, *, include_voided: bool = False) -> list[OrderLine]:
    lines = OrderLine.objects.select_for_update(of=("self",)).filter(order=order)
    if not include_voided:
        lines = lines.filter(is_voided=False)
    return list(lines.order_by("pk"))


def payments_lock(order: Order, *, status: str | None = None) -> list[Payment]:
    payments = Payment.objects.select_for_update(of=("self",)).filter(order=order)
    if status is not None:
        payments = payments.filter(status=status)
    return list(payments.order_by("pk"))


def payment_lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)


def table_lock(table_id: int) -> DiningTable:
    """A floor-plan table, locked alone (deleting it): a sale inserting an order at it holds a key-share lock."""
    return DiningTable.objects.select_for_update(of=("self",)).select_related("area").get(pk=table_id)
