"""Writes of the till. Split by subject; import from here."""

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
    "business_date_now",
    "cash_movement_record",
    "order_number_next",
    "register_create",
    "shift_close",
    "shift_expected_cash",
    "shift_open",
]
