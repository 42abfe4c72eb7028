"""Voids (an unpaid order cancelled) and refunds (money of a paid order given back), both approved by a
supervisor and audited in the same transaction.

Locks are taken in one order everywhere here: shift, then order, then the order's lines and payments, each
by primary key, so two refunds of one order, or a refund racing the shift's close, queue instead of
deadlocking. A refund waits for a close holding the shift lock and then finds the shift closed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import APPROVER_ROLES, audit_record
from inventory.models import StockMovement

from ..models import Order, OrderLine, Payment, Refund, RefundLine, Shift
from ..pricing import Discount, LineInput, PricingError, PricingSettings, TaxRule, order_totals_compute

StockKind = StockMovement.Kind
REASON_MAX = 200
# Several refund rows are keyed "<key>", "<key>:2", "<key>:3"...; the column holds 64 characters.
REFUND_KEY_MAX = 60


def _check_reason(reason: str, errors: dict[str, list[str]], what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [f"Say why the order is {what}."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"The reason can be at most {REASON_MAX} characters."]
    return reason


def _check_approver(approved_by: User | None, errors: dict[str, list[str]], what: str) -> None:
    if approved_by is None or not approved_by.pk or approved_by.role not in APPROVER_ROLES:
        errors["approved_by"] = [f"A {what} needs a supervisor's or owner's approval."]


def _return_stock(
    order: Order, lines: Sequence[tuple[OrderLine, int]], user: User, kind: str, *, wasted: bool = False
) -> None:
    """Give back to the outlet's stock what these units took when they were sold (as waste if they were made)."""
    from inventory.services.stock import ReturnedLine, stock_return_for_order

    stock_return_for_order(
        outlet_id=order.outlet_id,
        order_id=order.pk,
        lines=[ReturnedLine(line.pk, line.stock_usage, quantity) for line, quantity in lines if line.stock_usage],
        user=user,
        kind=kind,
        wasted=wasted,
    )


def _void_in_kitchen(order: Order, line_ids: list[int] | None) -> None:
    """Strike the lines out on the stations that have them (all of the order's when `line_ids` is None)."""
    if order.sent_to_kitchen_at is not None:
        from kitchen.services import tickets_void_lines

        tickets_void_lines(order_id=order.pk, order_line_ids=line_ids)


def order_line_void(
    *, order: Order, line_id: int, user: User, approved_by: User, reason: str, made: bool = False
) -> Order:
    """Take one item off an open, unpaid-enough tab (the wrong dish, the guest changed their mind). Approved by a
    supervisor; the line stays on the order struck out, its stock goes back (or, when it was already `made`, is
    written off as waste), the stations that have it show it VOID, and the tab's totals are computed again
    without it. Voiding a voided line again changes nothing."""
    from .orders import order_retotal

    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, "voided")
    _check_approver(approved_by, errors, "void")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status != Order.Status.OPEN:
            raise ValidationError(
                f"Order #{order.number} is {order.get_status_display().lower()}: items can only be voided on an "
                "open tab. Refund a paid order instead."
            )
        line = OrderLine.objects.select_for_update(of=("self",)).filter(order=order, pk=line_id).first()
        if line is None:
            raise ValidationError({"line": [f"That item is not on order #{order.number}."]})
        if line.is_voided:
            return order
        if not order.lines.filter(is_voided=False).exclude(pk=line.pk).exists():
            raise ValidationError(f"{line.name} is the only item left: void the whole order instead.")
        line.is_voided = True
        line.gross_minor = line.discount_minor = line.net_minor = 0
        line.save(update_fields=["is_voided", "gross_minor", "discount_minor", "net_minor"])
        order_retotal(order)
        if order.total_minor < order.paid_minor:
            raise ValidationError(
                f"Order #{order.number} would cost less than the {order.paid_minor} already paid: refund instead."
            )
        _return_stock(order, [(line, line.quantity)], user, StockKind.VOID, wasted=made)
        _void_in_kitchen(order, [line.pk])
        audit_record(action="order.line_void", actor=user, target=f"order {order.number} ({order.business_date})",
                     data={"order": order.pk, "line": line.pk, "item": line.name, "quantity": line.quantity,
                           "approved_by": approved_by.username, "reason": reason, "made": made})  # fmt: skip
    return order


def order_void(*, order: Order, user: User, approved_by: User, reason: str) -> Order:
    """Cancel an open order that has taken no money. Voiding a voided order again returns it unchanged, so a
    retried request is harmless. Money already taken is given back with `order_refund`, never by a void."""
    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, "voided")
    _check_approver(approved_by, errors, "void")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status == Order.Status.VOIDED:
            return order
        if order.status != Order.Status.OPEN:
            raise ValidationError(
                f"Order #{order.number} is {order.get_status_display().lower()}: only an open, unpaid order can "
                "be voided. Give the money back with a refund instead."
            )
        taken = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).aggregate(
            total=Sum("amount_minor", default=0)
        )["total"]
        if taken or order.paid_minor:
            raise ValidationError(
                f"Order #{order.number} already has {taken or order.paid_minor} paid: an order with payments "
                "cannot be voided. Take the rest of the payment and refund the order instead."
            )
        order.status = Order.Status.VOIDED
        _return_stock(order, [(line, line.quantity) for line in order.lines.filter(is_voided=False)], user,
                      StockKind.VOID)  # fmt: skip
        _void_in_kitchen(order, None)
        order.voided_at = timezone.now()
        order.voided_by = user
        order.void_approved_by = approved_by
        order.void_reason = reason
        order.save(update_fields=["status", "voided_at", "voided_by", "void_approved_by", "void_reason",
                                  "updated_at"])  # fmt: skip
        audit_record(action="order.void", actor=user, target=f"order {order.number} ({order.business_date})",
                     data={"order": order.pk, "approved_by": approved_by.username, "reason": reason,
                           "total_minor": order.total_minor})  # fmt: skip
    return order


# --- Refund amounts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LineShare:
    line: OrderLine
    total_minor: int  # the whole line's share of order.total_minor


def _discount(kind: str, value: Decimal | None) -> Discount | None:
    if not kind or value is None:
        return None
    return Discount("percent", Decimal(value)) if kind == "percent" else Discount("amount", int(value))


def _rerun_totals(order: Order, lines: Sequence[OrderLine]) -> list[int] | None:
    """Each line's share of the total, by re-running the pricing engine on the stored snapshot; None when the
    re-run does not reproduce the stored totals exactly (so the caller falls back to a proportional split).

    The order does not store its service charge rate, only the amount. The engine computes
    round(Σ pre-tax × rate / 100) and splits that amount by largest remainder over the pre-tax amounts, so a
    rate of service × 100 / Σ pre-tax (to 60 digits) gives back exactly the stored amount and the same split.
    """
    rules: dict[str, TaxRule] = {}
    try:
        for tax in order.tax_breakdown:
            applies = any(
                t.get("applies_to_service_charge") for ln in lines for t in ln.taxes if t["code"] == tax["code"]
            )
            rules[tax["code"]] = TaxRule(tax["code"], tax["name"], Decimal(tax["rate"]), bool(tax["inclusive"]),
                                         applies)  # fmt: skip
        pretax_sum = order.subtotal_minor - order.discount_minor - order.tax_included_minor
        rate = Decimal(0)
        if order.service_charge_minor:
            if pretax_sum <= 0:
                return None
            with localcontext(prec=60):
                rate = Decimal(order.service_charge_minor * 100) / Decimal(pretax_sum)
        settings = PricingSettings(currency=order.currency, taxes=tuple(rules.values()), service_charge_rate=rate)
        totals = order_totals_compute(
            lines=[
                LineInput(
                    key=str(ln.pk),
                    quantity=ln.quantity,
                    unit_price_minor=ln.unit_price_minor,
                    # A tax the order did not charge (inactive, or zero on every carrier) changes nothing.
                    tax_codes=tuple(t["code"] for t in ln.taxes if t["code"] in rules),
                    discount=_discount(ln.discount_kind, ln.discount_value),
                )
                for ln in lines
            ],
            settings=settings,
            order_discount=_discount(order.order_discount_kind, order.order_discount_value),
        )
    except (PricingError, KeyError, TypeError, ArithmeticError):
        return None
    stored_taxes = {t["code"]: t["amount_minor"] for t in order.tax_breakdown}
    exact = (
        totals.total_minor == order.total_minor
        and totals.service_charge_minor == order.service_charge_minor
        and {t.code: t.amount_minor for t in totals.taxes} == stored_taxes
        and [t.net_minor for t in totals.lines] == [ln.net_minor for ln in lines]
    )
    return [t.total_minor for t in totals.lines] if exact else None


def _largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over integer `weights` so the parts sum exactly to it (ties to the earlier line)."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        return [total] + [0] * (len(weights) - 1) if weights else []
    parts = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[: total - sum(parts)]:
        parts[i] += 1
    return parts


def line_shares(order: Order, lines: Sequence[OrderLine]) -> list[_LineShare]:
    """Each line's share of the order total (its net plus its service charge and exclusive tax shares),
    summing exactly to order.total_minor. `lines` are all the order's lines, by position."""
    totals = _rerun_totals(order, lines)
    if totals is None:
        totals = _largest_remainder(order.total_minor, [ln.net_minor for ln in lines])
    return [_LineShare(line=ln, total_minor=t) for ln, t in zip(lines, totals, strict=True)]


def _units_amount(share: _LineShare, already: int, quantity: int) -> int:
    """The amount for units already+1 .. already+quantity of a line: F(already+quantity) − F(already), where
    F(k) = round_half_up(line total × k / line quantity). The differences telescope, so however a line is
    refunded (one unit at a time or all at once) its refunds add up to exactly the line's share."""

    def cumulative(k: int) -> int:
        q = share.line.quantity
        return (2 * share.total_minor * k + q) // (2 * q)

    return cumulative(already + quantity) - cumulative(already)


# --- Refund -------------------------------------------------------------------------------------------------


def _check_lines(lines: Mapping[int, int] | None, errors: dict[str, list[str]]) -> dict[int, int] | None:
    if lines is None:
        return None
    clean: dict[int, int] = {}
    for line_id, quantity in lines.items():
        if not isinstance(line_id, int) or isinstance(line_id, bool):
            errors.setdefault("lines", []).append(f"“{line_id}” is not an order line.")
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            errors.setdefault("lines", []).append(f"Line {line_id}: the quantity must be a whole number ≥ 0.")
        elif quantity:
            clean[line_id] = quantity
    if not clean and "lines" not in errors:
        errors["lines"] = ["Choose at least one item to refund."]
    return clean


def _existing_refund(key: str, order: Order) -> Refund | None:
    refund = Refund.objects.filter(idempotency_key=key).first()
    if refund is not None and refund.order_id != order.pk:
        raise ValidationError({"idempotency_key": ["This key was already used for a refund of another order."]})
    return refund


def order_refund(
    *,
    order: Order,
    user: User,
    approved_by: User,
    reason: str,
    idempotency_key: str,
    lines: dict[int, int] | None,
    shift: Shift,
    return_to_stock: bool = True,
) -> Refund:
    """Give money back on a paid order: all that is left (`lines=None`) or some quantities of some lines
    (`{OrderLine id: quantity}`), paid out by `shift`'s till to the tenders the order was paid with.

    Stock. What the refunded units took goes back on the shelf; with `return_to_stock=False` (the dish was
    eaten, spilled or spoiled) it is written off as waste instead, so the stock figure does not move.

    Amounts. A line's share of the order total is its net plus its shares of the service charge and the
    exclusive taxes, exactly as the pricing engine split them at the sale: the engine is re-run on the stored
    snapshot (stored unit prices, quantities, discounts, the taxes and rates the order recorded, and the
    service charge rate implied by the stored amount) and its per-line totals are used only if the re-run
    reproduces every stored figure (total, service charge, each tax, each line's net). That keeps an untaxed
    line free of tax shares. Should it ever not match (a snapshot the engine no longer reproduces), the order
    total is split over the lines in proportion to their net by largest remainder instead. Either way the
    shares sum to order.total_minor, and a part of a line is priced by telescoping differences of its share
    (`_units_amount`), so refunding every line, in any pieces, returns exactly the order total.

    Tenders. The amount is taken from the order's captured payments in the order they were taken, each up to
    what is still unrefunded on it: one Refund row per payment touched, keyed `key`, `key:2`, ... The first
    row is returned and carries the RefundLines (the item breakdown); the rows' amounts add up to the lines'.
    Payments stay CAPTURED (the takings were real); Refund rows are what reports and the drawer subtract.
    Cash refunds are paid out exact, not re-rounded to the cash unit.

    Idempotent: the same key returns the first refund and gives nothing back twice.
    """
    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, "refunded")
    _check_approver(approved_by, errors, "refund")
    key = (idempotency_key or "").strip()
    if not key or len(key) > REFUND_KEY_MAX or not key.isascii() or ":" in key:
        # ":" is reserved for the keys of a refund's further rows, so a client key never names one of them.
        errors["idempotency_key"] = [f"Every refund needs a key of 1 to {REFUND_KEY_MAX} plain characters, "
                                     "without “:”."]  # fmt: skip
    wanted = _check_lines(lines, errors)
    if errors:
        raise ValidationError(errors)
    existing = _existing_refund(key, order)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _refund(order=order, user=user, approved_by=approved_by, reason=reason, key=key,
                           wanted=wanted, shift=shift, return_to_stock=return_to_stock)  # fmt: skip
    except IntegrityError:
        # A double tap raced us with the same key: the other request refunded; return its result.
        existing = _existing_refund(key, order)
        if existing is None:
            raise
        return existing


def _refund(
    *,
    order: Order,
    user: User,
    approved_by: User,
    reason: str,
    key: str,
    wanted: dict[int, int] | None,
    shift: Shift,
    return_to_stock: bool = True,
) -> Refund:
    shift = Shift.objects.select_for_update(of=("self",)).get(pk=shift.pk)
    if shift.status != Shift.Status.OPEN:
        raise ValidationError({"shift": ["This shift is closed; open a shift to pay a refund out."]})
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status == Order.Status.REFUNDED:
        raise ValidationError(f"Order #{order.number} is already fully refunded: nothing is left to refund.")
    if order.status != Order.Status.PAID:
        raise ValidationError(
            f"Order #{order.number} is {order.get_status_display().lower()}: only a paid order can be refunded."
            + (" Void it instead." if order.status == Order.Status.OPEN and not order.paid_minor else "")
        )
    all_lines = list(
        OrderLine.objects.select_for_update(of=("self",)).filter(order=order, is_voided=False).order_by("pk")
    )
    by_id = {ln.pk: ln for ln in all_lines}
    if wanted is None:
        wanted = {ln.pk: ln.quantity - ln.refunded_quantity for ln in all_lines if ln.quantity > ln.refunded_quantity}
        if not wanted:
            raise ValidationError(f"Order #{order.number}: nothing is left to refund.")
    problems = []
    for line_id, quantity in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            problems.append(f"Line {line_id} is not on order #{order.number}.")
        elif quantity > line.quantity - line.refunded_quantity:
            left = line.quantity - line.refunded_quantity
            problems.append(f"{line.name}: {quantity} asked, but only {left} of {line.quantity} can still be "
                            "refunded.")  # fmt: skip
    if problems:
        raise ValidationError({"lines": problems})

    shares = {s.line.pk: s for s in line_shares(order, sorted(all_lines, key=lambda ln: ln.position))}
    amounts = {
        line_id: _units_amount(shares[line_id], by_id[line_id].refunded_quantity, quantity)
        for line_id, quantity in sorted(wanted.items())
    }
    total = sum(amounts.values())
    if total <= 0:
        raise ValidationError({"lines": ["Those items come to nothing: there is no money to give back."]})

    payments = list(
        Payment.objects.select_for_update(of=("self",))
        .filter(order=order, status=Payment.Status.CAPTURED)
        .order_by("pk")
    )
    refunded_by_payment = dict(
        Refund.objects.filter(payment__in=payments)
        .values_list("payment")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment", "total")
    )
    plan: list[tuple[Payment, int]] = []
    left = total
    for payment in payments:
        room = payment.amount_minor - refunded_by_payment.get(payment.pk, 0)
        if left and room > 0:
            plan.append((payment, min(room, left)))
            left -= min(room, left)
    if left:
        raise ValidationError(f"Order #{order.number}: the payments taken cannot cover a refund of {total}.")

    refunds = [
        Refund.objects.create(
            order=order,
            shift=shift,
            payment=payment,
            tender=payment.tender,
            amount_minor=amount,
            reason=reason,
            created_by=user,
            approved_by=approved_by,
            idempotency_key=key if n == 1 else f"{key}:{n}",
        )  # fmt: skip
        for n, (payment, amount) in enumerate(plan, start=1)
    ]
    RefundLine.objects.bulk_create(
        RefundLine(refund=refunds[0], order_line_id=line_id, quantity=wanted[line_id], amount_minor=amount)
        for line_id, amount in amounts.items()
    )
    for line_id, quantity in wanted.items():
        by_id[line_id].refunded_quantity += quantity
    OrderLine.objects.bulk_update([by_id[i] for i in sorted(wanted)], ["refunded_quantity"])
    _return_stock(order, [(by_id[i], wanted[i]) for i in sorted(wanted)], user, StockKind.REFUND,
                  wasted=not return_to_stock)  # fmt: skip
    order.refunded_minor += total
    if all(ln.refunded_quantity == ln.quantity for ln in all_lines):
        order.status = Order.Status.REFUNDED
    order.save(update_fields=["refunded_minor", "status", "updated_at"])
    audit_record(action="order.refund", actor=user, target=f"order {order.number} ({order.business_date})",
                 data={"order": order.pk, "approved_by": approved_by.username, "reason": reason,
                       "amount_minor": total, "lines": {str(i): wanted[i] for i in sorted(wanted)},
                       "tenders": [{"tender": r.tender, "payment": r.payment_id, "amount_minor": r.amount_minor}
                                   for r in refunds], "shift": shift.pk})  # fmt: skip
    return refunds[0]
