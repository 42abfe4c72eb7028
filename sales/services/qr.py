"""QR payments: a pending payment waits for the provider's signed callback, which captures it exactly once.

The provider is called over the network, so never inside a transaction (docs/adr/0007): the pending payment is
recorded and committed first, the charge is asked for outside any lock, and its reference stored after. The
provider gets the payment's own key, so a retried request never makes a second charge. A callback that finds
the order no longer open (voided, merged, paid another way) does not keep the money: the payment is flagged
`refund_due` for a supervisor to give back.

The provider is the tenant's own (`get_provider()`); with none it may use, QR payment is refused with a clear
message before anything is recorded. A callback is verified with the tenant's secret and timestamp
(sales/providers), and a signed callback is taken once: the same signature again within the tolerance is refused
as a replay (a provider retrying signs afresh, and that retry changes nothing once the payment is handled).
"""

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core.idempotency import idempotent_write
from pos_project.errors import CONFLICT, NOT_FOUND, ServiceError

from ..lock_objects import order_lock, payment_lock, payments_lock
from ..models import Order, Payment
from ..providers import SIGNATURE_TOLERANCE_SECONDS, PaymentProvider, ProviderError, QrPaymentsOff, get_provider
from ..transitions import payment_transition
from .orders import order_payment_apply


def qr_payment_start(*, order: Order, user: User, amount_minor: int, idempotency_key: str) -> Payment:
    """Ask the provider for a charge and record it as pending; the order is not paid until the callback."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ServiceError("payment.amount_invalid", _("The amount must be more than zero."), field="amount_minor")
    try:
        provider = get_provider()
    except QrPaymentsOff as off:
        raise ServiceError("payment.qr_off", str(off), status=CONFLICT) from None
    payment = idempotent_write(
        key=idempotency_key,
        action="payment.qr_start",
        model=Payment,
        request={"order": order.pk, "amount": amount_minor},
        write=lambda: _pending_payment(order=order, user=user, amount_minor=amount_minor),
    )
    if payment.status == Payment.Status.PENDING and not payment.reference:
        _ask_provider(payment, provider)
    return payment


def _pending_payment(*, order: Order, user: User, amount_minor: int) -> Payment:
    """The charge as we record it before asking the provider: pending, for what is still owed."""
    order = order_lock(order.pk)
    if order.status != Order.Status.OPEN:
        raise ServiceError(
            "order.not_open", _("Order #%(number)s takes no more payments.") % {"number": order.number}, status=CONFLICT
        )
    pending = Payment.objects.filter(order=order, status=Payment.Status.PENDING).aggregate(
        total=Sum("amount_minor", default=0)
    )["total"]
    balance = order.total_minor - order.paid_minor - pending
    if amount_minor > balance:
        raise ServiceError(
            "payment.over_balance",
            _("That is more than the %(balance)s still owed.") % {"balance": balance},
            field="amount_minor",
        )
    return Payment.objects.create(
        order=order,
        shift_id=order.shift_id,
        tender=Payment.Tender.QR,
        status=Payment.Status.PENDING,
        amount_minor=amount_minor,
        created_by=user,
    )


def _ask_provider(payment: Payment, provider: PaymentProvider) -> None:
    """The network call, outside any transaction; then the charge's reference is stored on the payment."""
    try:
        charge = provider.create_charge(
            amount_minor=payment.amount_minor,
            currency=payment.order.currency,
            description=f"Order {payment.order.number}",
            idempotency_key=f"payment-{payment.pk}",
        )
    except ProviderError as exc:
        with transaction.atomic():
            locked = payment_lock(payment.pk)
            if locked.status == Payment.Status.PENDING:
                payment_transition(locked, "fail", actor=None, data={"error": str(exc)[:200]})
        raise ServiceError(
            "payment.provider_unavailable",
            _("The QR payment could not be started (%(reason)s). Try again or take another tender.") % {"reason": exc},
            status=CONFLICT,
        ) from None
    Payment.objects.filter(pk=payment.pk, reference="").update(
        reference=charge.reference, provider_payload=charge.qr_payload
    )
    payment.reference, payment.provider_payload = charge.reference, charge.qr_payload


def qr_payment_callback(*, body: bytes, signature: str) -> Payment:
    """Apply the provider's verdict. A bad signature is refused; a replay of a handled callback changes nothing.

    Locks the order before the payment (the lock order): a tab being merged or voided at the same moment
    queues instead of deadlocking, and whichever comes second sees what the first did."""
    try:
        event = get_provider().parse_callback(body=body, signature=signature)
    except ProviderError as exc:
        raise ServiceError("payment.callback_refused", _("Callback refused: %(reason)s.") % {"reason": exc}) from None
    _callback_once(body=body, signature=signature)
    found = Payment.objects.filter(tender=Payment.Tender.QR, reference=event.reference).values("pk", "order_id")
    found = found.first()
    if found is None:
        raise ServiceError("payment.unknown_charge", _("Callback refused: unknown charge."), status=NOT_FOUND)
    with transaction.atomic():
        order = order_lock(found["order_id"])
        payment = payment_lock(found["pk"])
        if event.amount_minor != payment.amount_minor:
            raise ServiceError("payment.callback_refused", _("Callback refused: the amount differs from the charge."))
        if payment.status not in (Payment.Status.PENDING, Payment.Status.CANCELLED):
            return payment  # already handled: the provider retries until it hears 200
        if event.status == "failed":
            if payment.status == Payment.Status.PENDING:
                payment_transition(payment, "fail", actor=None)
            return payment
        balance = order.total_minor - order.paid_minor
        too_late = order.status != Order.Status.OPEN or payment.amount_minor > balance
        if payment.status == Payment.Status.CANCELLED or too_late:
            # The money was taken, but the order no longer takes it: flag it to be given back.
            return payment_transition(payment, "refund_due", actor=None, data={"order_status": order.status})
        payment_transition(payment, "capture", actor=None)
        order_payment_apply(order, amount_minor=payment.amount_minor, actor=None)
    return payment


def _callback_once(*, body: bytes, signature: str) -> None:
    """Refuse a verified callback seen before: the first claims its signature in the tenant's cache (an atomic
    add) for longer than a signature stays fresh, so an exact replay is refused until it is too old anyway.

    With Redis down the add answers None (the cache ignores the error) and the callback goes on: the payment's
    own state makes a second delivery change nothing, and refusing every callback would leave paid charges
    pending while the provider retries."""
    seen = hashlib.sha256(signature.strip().encode() + b"\n" + body).hexdigest()
    if cache.add(f"qr:callback-seen:{seen}", 1, timeout=2 * SIGNATURE_TOLERANCE_SECONDS) is False:
        raise ServiceError(
            "payment.callback_replayed", _("Callback refused: this signed callback was already received."),
            status=CONFLICT,
        )  # fmt: skip


def payments_cancel_pending(*, order: Order, actor: User | None) -> int:
    """Call off an order's pending QR charges (it is being voided or merged); a late capture of one of them is
    then flagged for refund by the callback. Runs in the caller's transaction, after it locked the order."""
    pending = payments_lock(order, status=Payment.Status.PENDING)
    for payment in pending:
        payment_transition(payment, "cancel", actor=actor)
    return len(pending)


def payment_refund_given(*, payment: Payment, actor: User, note: str) -> Payment:
    """A supervisor gave back a QR payment flagged `refund_due` (through the provider's portal, or in cash) and
    records it: the flag clears, the audit says who and how."""
    note = (note or "").strip()
    if not note:
        raise ServiceError("payment.note_missing", _("Say how the money was given back."), field="note")
    with transaction.atomic():
        order_lock(payment.order_id)
        payment = payment_lock(payment.pk)
        return payment_transition(
            payment, "refunded", actor=actor, data={"note": note[:200]},
            refused=_("This payment is not waiting to be given back."),
        )  # fmt: skip
