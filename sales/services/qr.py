"""QR payments: a pending payment waits for the provider's signed callback, which captures it exactly once."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import User
from accounts.services import audit_record

from ..models import Order, Payment
from ..providers import ProviderError, get_provider
from .orders import _check_key


def qr_payment_start(*, order: Order, user: User, amount_minor: int, idempotency_key: str) -> Payment:
    """Ask the provider for a charge and record it as pending; the order is not paid until the callback."""
    key = _check_key(idempotency_key)
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValidationError({"amount_minor": ["The amount must be more than zero."]})
    provider = get_provider()
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update(of=("self",)).select_related("shift").get(pk=order.pk)
            twin = Payment.objects.filter(idempotency_key=key).first()
            if twin is not None:  # a double tap that waited for the lock
                return twin
            if order.status != Order.Status.OPEN:
                raise ValidationError(f"Order #{order.number} takes no more payments.")
            pending = order.payments.filter(status=Payment.Status.PENDING).aggregate(s=Sum("amount_minor"))["s"] or 0
            balance = order.total_minor - order.paid_minor - pending
            if amount_minor > balance:
                raise ValidationError({"amount_minor": [f"That is more than the {balance} still owed."]})
            charge = provider.create_charge(
                amount_minor=amount_minor, currency=order.currency, description=f"Order {order.number}"
            )
            return Payment.objects.create(
                order=order,
                shift=order.shift,
                tender=Payment.Tender.QR,
                status=Payment.Status.PENDING,
                amount_minor=amount_minor,
                reference=charge.reference,
                provider_payload=charge.qr_payload,
                idempotency_key=key,
                created_by=user,
            )
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def qr_payment_callback(*, body: bytes, signature: str) -> Payment:
    """Apply the provider's verdict. A bad signature is refused; a replay of a handled callback changes nothing."""
    try:
        event = get_provider().parse_callback(body=body, signature=signature)
    except ProviderError as exc:
        raise ValidationError(f"Callback refused: {exc}.", code="bad_callback") from None
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .filter(tender=Payment.Tender.QR, reference=event.reference)
        .first()
    )
    if payment is None:
        raise ValidationError("Callback refused: unknown charge.", code="unknown")
    if payment.status != Payment.Status.PENDING:
        return payment  # already handled: the provider retries until it hears 200
    if event.amount_minor != payment.amount_minor:
        raise ValidationError("Callback refused: the amount differs from the charge.", code="bad_callback")
    if event.status == "failed":
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])
        return payment
    order = Order.objects.select_for_update(of=("self",)).get(pk=payment.order_id)
    payment.status = Payment.Status.CAPTURED
    payment.save(update_fields=["status"])
    order.paid_minor += payment.amount_minor
    if order.paid_minor >= order.total_minor and order.status == Order.Status.OPEN:
        order.status = Order.Status.PAID
    order.save(update_fields=["paid_minor", "status", "updated_at"])
    audit_record(
        action="payment.qr_captured",
        target=f"order {order.number}",
        data={"reference": payment.reference, "amount": payment.amount_minor},
    )
    return payment
