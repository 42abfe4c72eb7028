"""Merging two tabs and splitting one bill by items. Lines keep their sold-at prices; both sides' totals are
computed again. Locks are taken on the orders in primary-key order."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record

from ..models import Order, OrderLine, Payment
from .orders import order_retotal
from .shifts import business_date_now, order_number_next


def _lock_open(*orders: Order) -> dict[int, Order]:
    locked = {
        o.pk: o
        for o in Order.objects.select_for_update(of=("self",)).filter(pk__in=[o.pk for o in orders]).order_by("pk")
    }
    for order in locked.values():
        if order.status != Order.Status.OPEN:
            raise ValidationError(f"Order #{order.number} is no longer open.")
    return locked


@transaction.atomic
def order_merge(*, target: Order, source: Order, user: User) -> Order:
    """Move every line (and any payment) of `source` onto `target`; `source` is closed as merged."""
    if target.pk == source.pk:
        raise ValidationError("Choose two different tabs to merge.")
    locked = _lock_open(target, source)
    target, source = locked[target.pk], locked[source.pk]
    if target.outlet_id != source.outlet_id:
        raise ValidationError("Only tabs of the same outlet can be merged.")
    start = target.lines.aggregate(m=Max("position"))["m"] or 0
    moving = list(source.lines.order_by("position"))
    for offset, line in enumerate(moving, start=1):
        line.order, line.position = target, start + offset
    # Two steps keep (order, position) unique at every moment.
    OrderLine.objects.filter(pk__in=[line.pk for line in moving]).update(position=10_000 + start)
    for line in moving:
        line.save(update_fields=["order", "position"])
    paid = source.paid_minor
    Payment.objects.filter(order=source).update(order=target)
    target.paid_minor += paid
    order_retotal(target)
    source.status, source.paid_minor = Order.Status.VOIDED, 0
    source.void_reason, source.voided_at, source.voided_by = f"Merged into #{target.number}", timezone.now(), user
    source.subtotal_minor = source.discount_minor = source.service_charge_minor = 0
    source.tax_minor = source.tax_included_minor = source.total_minor = 0
    source.tax_breakdown = []
    source.version += 1
    source.save()
    audit_record(action="order.merge", actor=user, target=f"order {target.number}", data={"from": source.number})
    return target


@transaction.atomic
def order_split(*, order: Order, user: User, quantities: dict[int, int]) -> Order:
    """Move the chosen quantities of lines to a new bill (its own number, same shift and table)."""
    order = _lock_open(order)[order.pk]
    lines = {line.pk: line for line in order.lines.all()}
    chosen = {pk: q for pk, q in quantities.items() if q}
    errors = [f"Line {pk} is not on this bill." for pk in chosen if pk not in lines]
    errors += [
        f"{lines[pk].name}: choose 1 to {lines[pk].quantity}."
        for pk, q in chosen.items()
        if pk in lines and not 1 <= q <= lines[pk].quantity
    ]
    if not chosen:
        errors.append("Choose the items that go on the new bill.")
    elif not errors and all(q == lines[pk].quantity for pk, q in chosen.items()) and len(chosen) == len(lines):
        errors.append("Leave at least one item on this bill.")
    if errors:
        raise ValidationError(errors)
    if order.paid_minor:
        raise ValidationError("This bill already has a payment; split it before paying.")
    day = business_date_now()
    new = Order.objects.create(
        outlet_id=order.outlet_id,
        shift_id=order.shift_id,
        business_date=day,
        number=order_number_next(outlet_id=order.outlet_id, business_date=day),
        order_type=order.order_type,
        table=order.table,
        table_label=order.table_label,
        customer_name=order.customer_name,
        created_by=user,
        idempotency_key=f"split-{order.uid.hex[:20]}-{order.version}",
        currency=order.currency,
    )
    for position, (pk, quantity) in enumerate(chosen.items(), start=1):
        line = lines[pk]
        if quantity == line.quantity:
            line.order, line.position = new, position
            line.save(update_fields=["order", "position"])
        else:
            line.quantity -= quantity
            line.save(update_fields=["quantity"])
            copy = OrderLine.objects.get(pk=line.pk)
            copy.pk, copy.order, copy.position, copy.quantity = None, new, position, quantity
            copy.save()
    order_retotal(order)
    order_retotal(new)
    audit_record(action="order.split", actor=user, target=f"order {order.number}", data={"new": new.number})
    return new
