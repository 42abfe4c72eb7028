"""Quantities as people write and read them: base units with at most three decimals, never a float.

Shared by the stock services (which parse what was typed) and the selectors and pages (which show it)."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

QTY_PLACES = Decimal("0.001")
QTY_MAX = Decimal("99999999999")  # 14 digits, 3 of them decimals


def format_quantity(value: Decimal) -> str:
    """12.500 → "12.5", 3.000 → "3": quantities as people write them."""
    text = f"{value.normalize():f}"
    return text


def parse_quantity(text, *, allow_negative: bool = False, allow_zero: bool = False) -> Decimal:
    """What a person typed (or a form sent) as a quantity, in base units with at most three decimals."""
    raw = str(text if text is not None else "").strip().replace(",", ".")
    if not raw:
        raise ValidationError("Enter a quantity.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"“{text}” is not a number.") from None
    if not value.is_finite():
        raise ValidationError(f"“{text}” is not a number.")
    if value != value.quantize(QTY_PLACES):
        raise ValidationError("Use at most three decimals.")
    if abs(value) > QTY_MAX:
        raise ValidationError("That quantity is too large.")
    if value < 0 and not allow_negative:
        raise ValidationError("The quantity cannot be negative.")
    if value == 0 and not allow_zero:
        raise ValidationError("The quantity cannot be zero.")
    return value.quantize(QTY_PLACES)
