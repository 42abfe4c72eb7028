"""Quantities as people write and read them: base units with at most three decimals, never a float.

Shared by the stock services (which parse what was typed) and the selectors and pages (which show it)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from pos_project.errors import ServiceError

QTY_PLACES = Decimal("0.001")
QTY_MAX = Decimal("99999999999")  # 14 digits, 3 of them decimals


def format_quantity(value: Decimal) -> str:
    """12.500 → "12.5", 3.000 → "3": quantities as people write them."""
    text = f"{value.normalize():f}"
    return text


def parse_quantity(text, *, allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """What a person typed (or a form sent) as a quantity, in base units with at most three decimals.

    Refused with a ServiceError (`quantity.*`) whose one message callers fold into their own ("Line 3: …")."""
    raw = str(text if text is not None else "").strip().replace(",", ".")
    if not raw:
        raise ServiceError("quantity.missing", _("Enter a quantity."))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ServiceError("quantity.not_a_number", _("“%(text)s” is not a number.") % {"text": text})
    # Before quantize, which cannot hold 1e400 or 5,000 digits in Decimal's 28 and raises InvalidOperation.
    if abs(value) > QTY_MAX:
        raise ServiceError("quantity.too_large", _("That quantity is too large."))
    if value != value.quantize(QTY_PLACES):
        raise ServiceError("quantity.too_precise", _("Use at most three decimals."))
    if value < 0 and not allow_negative:
        raise ServiceError("quantity.negative", _("The quantity cannot be negative."))
    if value == 0 and not allow_zero:
        raise ServiceError("quantity.zero", _("The quantity cannot be zero."))
    return value.quantize(QTY_PLACES)
