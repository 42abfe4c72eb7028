"""Writes of the till. Split by subject; import from here."""

from .orders import LineRequest, order_submit, payment_add
from .refunds import order_refund, order_void
from .shifts import (
    business_date_now,
    cash_movement_record,
    order_number_next,
    register_create,
    shift_close,
    shift_expected_cash,
    shift_open,
)

__all__ = [
    "LineRequest",
    "order_refund",
    "order_submit",
    "order_void",
    "payment_add",
    "business_date_now",
    "cash_movement_record",
    "order_number_next",
    "register_create",
    "shift_close",
    "shift_expected_cash",
    "shift_open",
]
