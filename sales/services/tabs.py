"""Merging two tabs and splitting one bill by items. Lines keep their sold-at prices; both sides' totals are
computed again. The orders are locked by id, then their payments (sales/lock_objects.py). And moving a shift's
unpaid tabs to another open shift, when the first one closes."""

from collections.abc import Collection

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import capability_check
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from core.idempotency import idempotent_write
from kitchen.live import READY, live_changed
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import orders_lock, payments_lock, shift_lock
from ..models import Order, OrderLine, Payment, Shift
from ..transitions import ORDER, order_transition
from .orders import order_retotal
from .shifts import business_date_now, order_number_next


def _lock_open(*orders: Order, action: str) -> dict[int, Order]:
    locked = orders_lock(o.pk for o in orders)
    for order in locked.values():
        if not ORDER.can_start(order, action):
            raise ServiceError(
                "order.not_open", _("Order #%(number)s is no longer open.") % {"number": order.number}, status=CONFLICT
            )
    return locked


def order_merge(*, target: Order, source: Order, user: User, idempotency_key: str) -> Order:
    """Keyed: a double-posted merge answers with the merged tab, not "no longer open"."""
    return idempotent_write(key=idempotency_key, action="order.merge", model=Order,
                            request={"target": target.pk, "source": source.pk},
                            write=lambda: _merge(target=target, source=source, user=user))  # fmt: skip


def _merge(*, target: Order, source: Order, user: User) -> Order:
    """Move every line (and any payment) of `source` onto `target`; `source` ends as MERGED (not voided: the Z
    report counts voids, and a merge voids nothing). Pending QR charges move with their payments, so a capture
    after the merge lands on the tab that now owes it."""
    if target.pk == source.pk:
        raise ServiceError("order.merge_same", _("Choose two different tabs to merge."))
    locked = _lock_open(target, source, action="merge")
    target, source = locked[target.pk], locked[source.pk]
    if target.outlet_id != source.outlet_id:
        raise ServiceError("order.merge_other_outlet", _("Only tabs of the same outlet can be merged."))
    start = target.lines.aggregate(m=Max("position"))["m"] or 0
    moving = list(source.lines.order_by("position"))
    for offset, line in enumerate(moving, start=1):
        line.order, line.position = target, start + offset
    # Two steps keep (order, position) unique at every moment.
    OrderLine.objects.filter(pk__in=[line.pk for line in moving]).update(position=10_000 + start)
    for line in moving:
        line.save(update_fields=["order", "position"])
    paid = source.paid_minor
    moving_payments = [p.pk for p in payments_lock(source)]
    Payment.objects.filter(pk__in=moving_payments).update(order=target)
    target.paid_minor += paid
    order_retotal(target)
    source.paid_minor = 0
    source.void_reason, source.voided_at, source.voided_by = f"Merged into #{target.number}", timezone.now(), user
    source.subtotal_minor = source.discount_minor = source.service_charge_minor = 0
    source.tax_minor = source.tax_included_minor = source.total_minor = 0
    source.tax_breakdown = []
    source.version += 1
    order_transition(source, "merge", actor=user, data={"into": target.pk, "into_number": target.number},
                     also=("paid_minor", "void_reason", "voided_at", "voided_by", "subtotal_minor", "discount_minor",
                           "service_charge_minor", "tax_minor", "tax_included_minor", "total_minor",
                           "tax_breakdown", "version"))  # fmt: skip
    if source.sent_to_kitchen_at is not None:
        live_changed(source.outlet_id, READY)  # a merged tab leaves the tills' ready strip
    return target


def order_split(*, order: Order, user: User, quantities: dict[int, int], idempotency_key: str) -> Order:
    """Move the chosen quantities of lines to a new bill (its own number, same shift and table). Keyed: a
    double-posted split makes one new bill."""
    return idempotent_write(key=idempotency_key, action="order.split", model=Order,
                            request={"order": order.pk, "quantities": quantities},
                            write=lambda: _split(order=order, user=user, quantities=quantities))  # fmt: skip


def _split(*, order: Order, user: User, quantities: dict[int, int]) -> Order:
    # The shift first (the lock order, docs/adr/0007): a close in flight finishes and this split is refused,
    # or the split commits first and the close then sees its new bill; never a new open bill on a closed shift.
    shift = shift_lock(Order.objects.values_list("shift_id", flat=True).get(pk=order.pk))
    if not shift.is_open:
        raise ServiceError("shift.closed", _("This bill's shift is closed; the bill cannot be split."), status=CONFLICT)
    order = _lock_open(order, action="split")[order.pk]
    lines = {line.pk: line for line in order.lines.all()}
    chosen = {pk: q for pk, q in quantities.items() if q}
    errors = [_("Line %(line)s is not on this bill.") % {"line": pk} for pk in chosen if pk not in lines]
    errors += [
        _("%(item)s: choose 1 to %(quantity)s.") % {"item": lines[pk].name, "quantity": lines[pk].quantity}
        for pk, q in chosen.items()
        if pk in lines and not 1 <= q <= lines[pk].quantity
    ]
    if not chosen:
        errors.append(_("Choose the items that go on the new bill."))
    elif not errors and all(q == lines[pk].quantity for pk, q in chosen.items()) and len(chosen) == len(lines):
        errors.append(_("Leave at least one item on this bill."))
    if errors:
        raise ServiceError("order.split_invalid", " ".join(errors), fields={"lines": errors})
    if order.paid_minor:
        raise ServiceError(
            "order.split_paid", _("This bill already has a payment; split it before paying."), status=CONFLICT
        )
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
    order_transition(order, "split", actor=user, data={"new": new.pk, "new_number": new.number})
    return new


# --- Moving a shift's tabs to another shift -------------------------------------------------------------------


def tabs_move_to_shift(
    *, source: Shift, target: Shift, user: User, order_ids: Collection[int] | None = None
) -> list[Order]:
    """Hand a shift's unpaid tabs (all, or `order_ids`) to another open shift of the same outlet, so closing a
    shift never strands them: from then on they are paid, and their pending QR charges land, on `target`.
    Payments already taken stay with the shift whose drawer took them. `source` may be closed already (tabs a
    supervisor approved leaving are taken up again this way).

    Both shifts are locked (by id) before the orders, as every till write takes them (docs/adr/0007), so a
    payment racing the move waits and is then refused on the closed shift, never paid twice or lost. The
    holder of `source`, or a supervisor (`shift.close_other`), may move them. Audited (`shift.tabs_moved`);
    a second identical move finds nothing left to move."""
    if source.pk == target.pk:
        raise ServiceError("shift.move_same", _("Choose another shift to move the tabs to."), field="target")
    with transaction.atomic():
        locked = {pk: shift_lock(pk) for pk in sorted((source.pk, target.pk))}
        source, target = locked[source.pk], locked[target.pk]
        if source.holder_id != user.pk:
            capability_check(user, "shift.close_other", _("Only the shift's holder or a supervisor can move its tabs."))
        if not target.is_open:
            raise ServiceError(
                "shift.closed",
                _("The shift on %(register)s is closed; choose an open shift.") % {"register": target.register.name},
                field="target",
                status=CONFLICT,
            )
        if target.outlet_id != source.outlet_id:
            raise ServiceError(
                "shift.move_other_outlet", _("Tabs move only to a shift of the same outlet."), field="target"
            )
        candidates = Order.objects.filter(shift=source, status=Order.Status.OPEN)
        if order_ids is not None:
            candidates = candidates.filter(pk__in=list(order_ids))
        orders = orders_lock(candidates.values_list("pk", flat=True))
        moving = [o for _pk, o in sorted(orders.items()) if o.status == Order.Status.OPEN and o.shift_id == source.pk]
        for order in moving:
            order.shift = target
            order.save(update_fields=["shift", "updated_at"])
            pending = payments_lock(order, status=Payment.Status.PENDING)
            Payment.objects.filter(pk__in=[p.pk for p in pending]).update(shift=target)
        if moving:
            audit_record(action=AuditAction.SHIFT_TABS_MOVED, actor=user, target=source, label=f"Shift {source.pk}",
                         data={"from": source.pk, "to": target.pk, "orders": [o.number for o in moving],
                               "order_ids": [o.pk for o in moving]})  # fmt: skip
    return moving
