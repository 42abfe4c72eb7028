"""The status tables of the till's stateful models: orders, payments and shifts (core/transitions.py).

Each service that changes a status calls the model's transition function, which checks the move against the
table, writes the status, the audit entry and the outbox event in the service's transaction. Pages ask
`order_actions(order, user)` which buttons to show.
"""

from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from core.transitions import Move, StateMachine

from .models import Order, Payment, Shift

OS, PS, SS = Order.Status, Payment.Status, Shift.Status


def _order_payload(order: Order) -> dict:
    return {"order": order.pk, "number": order.number, "business_date": str(order.business_date),
            "outlet": order.outlet_id, "currency": order.currency, "total_minor": order.total_minor,
            "paid_minor": order.paid_minor, "refunded_minor": order.refunded_minor}  # fmt: skip


ORDER = StateMachine(
    Order,
    describe=lambda order: _("Order #%(number)s") % {"number": order.number},
    payload=_order_payload,
    moves=[
        Move("pay", frozenset({OS.OPEN}), OS.PAID, event="order.paid"),
        Move(
            "void",
            frozenset({OS.OPEN}),
            OS.VOIDED,
            capability="order.void",
            event="order.voided",
            audit=AuditAction.ORDER_VOID,
        ),  # fmt: skip
        Move("merge", frozenset({OS.OPEN}), OS.MERGED, event="order.merged", audit=AuditAction.ORDER_MERGE),
        # A refund leaves the order paid until every item is refunded.
        Move(
            "refund",
            frozenset({OS.PAID}),
            (OS.PAID, OS.REFUNDED),
            capability="order.refund",
            event="order.refunded",
            audit=AuditAction.ORDER_REFUND,
        ),  # fmt: skip
        # Moves that keep the status: asked by pages, and checked by their services.
        Move("add_items", frozenset({OS.OPEN}), None),
        Move("split", frozenset({OS.OPEN}), None, audit=AuditAction.ORDER_SPLIT),
        Move("void_line", frozenset({OS.OPEN}), None, capability="order.void", audit=AuditAction.ORDER_LINE_VOID),
    ],
)


def order_transition(order: Order, action: str, *, actor: User | None, **kwargs) -> Order:
    """Make `action` on a locked order (core.transitions.StateMachine.apply)."""
    return ORDER.apply(order, action, actor=actor, **kwargs)


def order_actions(order: Order, user: User | None) -> dict[str, bool]:
    """What a page may offer on this order to this user: `{% if actions.refund %}`."""
    return ORDER.allowed(order, user)


PAYMENT = StateMachine(
    Payment,
    describe=lambda p: _("Payment %(ref)s") % {"ref": p.reference or p.pk},
    payload=lambda p: {
        "payment": p.pk,
        "order": p.order_id,
        "tender": p.tender,
        "amount_minor": p.amount_minor,
        "reference": p.reference,
    },  # fmt: skip
    moves=[
        Move(
            "capture",
            frozenset({PS.PENDING}),
            PS.CAPTURED,
            event="payment.captured",
            audit=AuditAction.PAYMENT_QR_CAPTURED,
        ),
        Move("fail", frozenset({PS.PENDING}), PS.FAILED, event="payment.failed"),
        # The order was voided (or merged) while the customer had not paid yet: the charge is called off.
        Move(
            "cancel",
            frozenset({PS.PENDING}),
            PS.CANCELLED,
            event="payment.cancelled",
            audit=AuditAction.PAYMENT_CANCELLED,
        ),
        # The provider took the money after the order stopped taking payments: give it back, never keep it.
        Move(
            "refund_due",
            frozenset({PS.PENDING, PS.CANCELLED}),
            PS.REFUND_DUE,
            event="payment.refund_due",
            audit=AuditAction.PAYMENT_REFUND_DUE,
        ),  # fmt: skip
        Move(
            "refunded",
            frozenset({PS.REFUND_DUE}),
            PS.REFUNDED,
            capability="order.refund",
            event="payment.refunded",
            audit=AuditAction.PAYMENT_REFUNDED,
        ),  # fmt: skip
    ],
)


def payment_transition(payment: Payment, action: str, *, actor: User | None, **kwargs) -> Payment:
    return PAYMENT.apply(payment, action, actor=actor, **kwargs)


def _own_or(capability: str):
    """Anyone at the till works their own shift (the one they hold); someone else's needs `capability`."""

    def rule(shift: Shift, actor: User | None) -> str:
        return "till.use" if actor is not None and shift.holder_id == actor.pk else capability

    return rule


SHIFT = StateMachine(
    Shift,
    describe=lambda shift: _("Shift %(pk)s") % {"pk": shift.pk},
    payload=lambda shift: {
        "shift": shift.pk,
        "register": shift.register_id,
        "outlet": shift.outlet_id,
        "expected_cash_minor": shift.expected_cash_minor,
        "counted_cash_minor": shift.counted_cash_minor,
        "variance_minor": shift.variance_minor,
    },  # fmt: skip
    moves=[
        Move(
            "close",
            frozenset({SS.OPEN}),
            SS.CLOSED,
            capability=_own_or("shift.close_other"),
            event="shift.closed",
            audit=AuditAction.SHIFT_CLOSE,
        ),
        # The holder picks their open shift up on another device (after signing in again, another browser).
        Move(
            "resume", frozenset({SS.OPEN}), None, capability=_own_or("shift.take_over"), audit=AuditAction.SHIFT_RESUME
        ),
        # A supervisor becomes the holder of someone else's open shift (the cashier went home, the device broke).
        Move("take_over", frozenset({SS.OPEN}), None, capability="shift.take_over", audit=AuditAction.SHIFT_TAKE_OVER),
    ],  # fmt: skip
)


def shift_transition(shift: Shift, action: str, *, actor: User | None, **kwargs) -> Shift:
    return SHIFT.apply(shift, action, actor=actor, **kwargs)
