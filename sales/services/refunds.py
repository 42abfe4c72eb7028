"""Voids (an unpaid order cancelled) and refunds (money of a paid order given back), both approved by a
supervisor and audited in the same transaction through the order's transition table (sales/transitions.py).

Locks follow the one order (sales/lock_objects.py, docs/adr/0007): idempotency key, shift, order, the order's
lines, its payments, then stock. Two refunds of one order, or a refund racing the shift's close, queue instead
of deadlocking; a refund waits for a close holding the shift lock and then finds the shift closed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from core.idempotency import idempotent_write
from inventory.models import StockMovement
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import order_lines_lock, order_lock, payments_lock, shift_lock
from ..models import Order, OrderLine, Payment, Refund, RefundLine, Shift
from ..pricing import Discount, LineInput, PricingError, PricingSettings, TaxRule, order_totals_compute
from ..transitions import ORDER, order_transition
from .qr import payments_cancel_pending

StockKind = StockMovement.Kind
REASON_MAX = 200


def _check_reason(reason: str, errors: dict[str, list[str]], why: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [why]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("The reason can be at most %(max)d characters.") % {"max": REASON_MAX}]
    return reason


def _check_approver(approved_by: User | None, errors: dict[str, list[str]], capability: str, message: str) -> None:
    if approved_by is None or not approved_by.pk or not can(approved_by, capability):
        errors["approved_by"] = [message]


def _refuse(errors: dict[str, list[str]], code: str) -> None:
    if errors:
        raise ServiceError(code, _("Some details need fixing."), fields=errors)


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

        tickets_void_lines(outlet_id=order.outlet_id, order_id=order.pk, order_line_ids=line_ids)


def order_line_void(
    *, order: Order, line_id: int, user: User, approved_by: User, reason: str, made: bool = False
) -> Order:
    """Take one item off an open, unpaid-enough tab (the wrong dish, the guest changed their mind). Approved by a
    supervisor; the line stays on the order struck out, its stock goes back (or, when it was already `made`, is
    written off as waste), the stations that have it show it VOID, and the tab's totals are computed again
    without it. Voiding a voided line again changes nothing."""
    from .orders import order_retotal

    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, _("Say why the item is voided."))
    _check_approver(approved_by, errors, "order.void", _("A void needs a supervisor's or owner's approval."))
    _refuse(errors, "order.void_invalid")
    with transaction.atomic():
        order = order_lock(order.pk)
        refused = _("Order #%(number)s is %(status)s: items can only be voided on an open tab. Refund a paid order "
                    "instead.") % {"number": order.number, "status": order.get_status_display().lower()}  # fmt: skip
        if not ORDER.can_start(order, "void_line"):
            raise ServiceError("order.not_open", refused, status=CONFLICT)
        line = next((ln for ln in order_lines_lock(order, include_voided=True) if ln.pk == line_id), None)
        if line is None:
            raise ServiceError(
                "order.line_unknown",
                _("That item is not on order #%(number)s.") % {"number": order.number},
                field="line",
            )
        if line.is_voided:
            return order
        if not order.lines.filter(is_voided=False).exclude(pk=line.pk).exists():
            raise ServiceError(
                "order.last_line",
                _("%(item)s is the only item left: void the whole order instead.") % {"item": line.name},
            )
        line.is_voided = True
        line.gross_minor = line.discount_minor = line.net_minor = 0
        line.save(update_fields=["is_voided", "gross_minor", "discount_minor", "net_minor"])
        order_retotal(order)
        if order.total_minor < order.paid_minor:
            raise ServiceError(
                "order.below_paid",
                _("Order #%(number)s would cost less than the %(paid)s already paid: refund instead.")
                % {"number": order.number, "paid": order.paid_minor},
            )
        _return_stock(order, [(line, line.quantity)], user, StockKind.VOID, wasted=made)
        _void_in_kitchen(order, [line.pk])
        order_transition(order, "void_line", actor=user, approver=approved_by, refused=refused,
                         data={"order": order.pk, "line": line.pk, "item": line.name, "quantity": line.quantity,
                               "reason": reason, "made": made})  # fmt: skip
    return order


def order_void(*, order: Order, user: User, approved_by: User, reason: str) -> Order:
    """Cancel an open order that has taken no money; its pending QR charges are called off with it. Voiding a
    voided order again returns it unchanged, so a retried request is harmless. Money already taken is given
    back with `order_refund`, never by a void."""
    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, _("Say why the order is voided."))
    _check_approver(approved_by, errors, "order.void", _("A void needs a supervisor's or owner's approval."))
    _refuse(errors, "order.void_invalid")
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.status == Order.Status.VOIDED:
            return order
        refused = _("Order #%(number)s is %(status)s: only an open, unpaid order can be voided. Give the money "
                    "back with a refund instead.") % {"number": order.number,
                                                       "status": order.get_status_display().lower()}  # fmt: skip
        if not ORDER.can_start(order, "void"):
            raise ServiceError("order.not_open", refused, status=CONFLICT)
        if order.paid_minor:
            raise ServiceError(
                "order.has_payments",
                _("Order #%(number)s already has %(paid)s paid: an order with payments cannot be voided. Take the "
                  "rest of the payment and refund the order instead.") % {"number": order.number,
                                                                          "paid": order.paid_minor},
                status=CONFLICT,
            )  # fmt: skip
        payments_cancel_pending(order=order, actor=user)
        _return_stock(order, [(line, line.quantity) for line in order.lines.filter(is_voided=False)], user,
                      StockKind.VOID)  # fmt: skip
        _void_in_kitchen(order, None)
        order.voided_at, order.voided_by, order.void_approved_by = timezone.now(), user, approved_by
        order.void_reason = reason
        order_transition(order, "void", actor=user, approver=approved_by, refused=refused,
                         also=("voided_at", "voided_by", "void_approved_by", "void_reason"),
                         data={"order": order.pk, "reason": reason, "total_minor": order.total_minor})  # fmt: skip
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
            errors.setdefault("lines", []).append(_("“%(line)s” is not an order line.") % {"line": line_id})
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            errors.setdefault("lines", []).append(
                _("Line %(line)s: the quantity must be a whole number ≥ 0.") % {"line": line_id}
            )
        elif quantity:
            clean[line_id] = quantity
    if not clean and "lines" not in errors:
        errors["lines"] = [_("Choose at least one item to refund.")]
    return clean


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
    (`{OrderLine id: quantity}`), paid out by `shift`'s till to the tenders the order was paid with. `shift`
    is an open shift of the order's outlet: the till's own, or the one a supervisor names from the console
    (a cash refund comes out of that shift's drawer and its expected cash).

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
    what is still unrefunded on it: one Refund row per payment touched. The first row is returned and carries
    the RefundLines (the item breakdown); the rows' amounts add up to the lines'. Payments stay CAPTURED (the
    takings were real); Refund rows are what reports and the drawer subtract. Cash refunds are paid out exact,
    not re-rounded to the cash unit.

    Idempotent (core/idempotency.py): the same key returns the first refund and gives nothing back twice.
    """
    errors: dict[str, list[str]] = {}
    reason = _check_reason(reason, errors, _("Say why the order is refunded."))
    _check_approver(approved_by, errors, "order.refund", _("A refund needs a supervisor's or owner's approval."))
    wanted = _check_lines(lines, errors)
    _refuse(errors, "order.refund_invalid")
    return idempotent_write(
        key=idempotency_key,
        action="order.refund",
        model=Refund,
        request={"order": order.pk, "lines": wanted, "shift": shift.pk, "return_to_stock": return_to_stock},
        write=lambda: _refund(order=order, user=user, approved_by=approved_by, reason=reason, wanted=wanted,
                              shift=shift, return_to_stock=return_to_stock),
    )  # fmt: skip


def _refund(
    *,
    order: Order,
    user: User,
    approved_by: User,
    reason: str,
    wanted: dict[int, int] | None,
    shift: Shift,
    return_to_stock: bool = True,
) -> Refund:
    shift = shift_lock(shift.pk)
    if not shift.is_open:
        raise ServiceError(
            "shift.closed", _("This shift is closed; open a shift to pay a refund out."), field="shift", status=CONFLICT
        )
    order = order_lock(order.pk)
    if shift.outlet_id != order.outlet_id:
        raise ServiceError(
            "refund.shift_other_outlet",
            _("A refund is paid out of a drawer of the outlet that sold order #%(number)s; choose one of its shifts.")
            % {"number": order.number},
            field="shift",
        )
    if order.status == Order.Status.REFUNDED:
        raise ServiceError(
            "order.fully_refunded",
            _("Order #%(number)s is already fully refunded: nothing is left to refund.") % {"number": order.number},
            status=CONFLICT,
        )
    if not ORDER.can_start(order, "refund"):
        message = _("Order #%(number)s is %(status)s: only a paid order can be refunded.") % {
            "number": order.number,
            "status": order.get_status_display().lower(),
        }
        if order.status == Order.Status.OPEN and not order.paid_minor:
            message += " " + _("Void it instead.")
        raise ServiceError("order.not_paid", message, status=CONFLICT)
    all_lines = order_lines_lock(order)
    by_id = {ln.pk: ln for ln in all_lines}
    if wanted is None:
        wanted = {ln.pk: ln.quantity - ln.refunded_quantity for ln in all_lines if ln.quantity > ln.refunded_quantity}
        if not wanted:
            raise ServiceError(
                "order.fully_refunded",
                _("Order #%(number)s: nothing is left to refund.") % {"number": order.number},
                status=CONFLICT,
            )
    problems = []
    for line_id, quantity in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            problems.append(_("Line %(line)s is not on order #%(number)s.") % {"line": line_id, "number": order.number})
        elif quantity > line.quantity - line.refunded_quantity:
            problems.append(
                _("%(item)s: %(asked)s asked, but only %(left)s of %(quantity)s can still be refunded.")
                % {
                    "item": line.name,
                    "asked": quantity,
                    "left": line.quantity - line.refunded_quantity,
                    "quantity": line.quantity,
                }  # fmt: skip
            )
    if problems:
        raise ServiceError("order.refund_too_much", _("Some items cannot be refunded."), fields={"lines": problems})

    shares = {s.line.pk: s for s in line_shares(order, sorted(all_lines, key=lambda ln: ln.position))}
    amounts = {
        line_id: _units_amount(shares[line_id], by_id[line_id].refunded_quantity, quantity)
        for line_id, quantity in sorted(wanted.items())
    }
    total = sum(amounts.values())
    if total <= 0:
        raise ServiceError(
            "order.refund_nothing", _("Those items come to nothing: there is no money to give back."), field="lines"
        )

    payments = payments_lock(order, status=Payment.Status.CAPTURED)
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
        raise ServiceError(
            "order.refund_uncovered",
            _("Order #%(number)s: the payments taken cannot cover a refund of %(total)s.")
            % {"number": order.number, "total": total},
        )

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
        )
        for payment, amount in plan
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
    in_full = all(ln.refunded_quantity == ln.quantity for ln in all_lines)
    order_transition(order, "refund", actor=user, approver=approved_by,
                     to=Order.Status.REFUNDED if in_full else Order.Status.PAID, also=("refunded_minor",),
                     data={"order": order.pk, "reason": reason, "amount_minor": total,
                           "lines": {str(i): wanted[i] for i in sorted(wanted)},
                           "tenders": [{"tender": r.tender, "payment": r.payment_id, "amount_minor": r.amount_minor}
                                       for r in refunds], "shift": shift.pk})  # fmt: skip
    return refunds[0]
