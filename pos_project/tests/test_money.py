from decimal import Decimal

import pytest

from pos_project.money import MoneyError, format_money, from_minor, parse_amount, round_minor, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("25000"), "IDR", 25000),
        (Decimal("24999.5"), "IDR", 25000),  # half rounds up
        (Decimal("24999.49"), "IDR", 24999),
        (Decimal("4.50"), "USD", 450),
        (Decimal("4.505"), "USD", 451),
        (Decimal("4.504"), "USD", 450),
        (Decimal("-4.505"), "USD", -451),  # half away from zero, both signs
        ("0.1", "USD", 10),
        (0, "JPY", 0),
    ],
)
def test_to_minor_rounds_half_up(amount, currency, minor):
    assert to_minor(amount, currency) == minor


def test_floats_are_refused():
    with pytest.raises(MoneyError, match="float"):
        to_minor(0.1, "USD")


def test_round_trip_and_tax_example():
    # 11% PPN on Rp 32.500 inclusive of nothing: 3.575 exactly; on Rp 32.545: 3.579,95 -> 3.580
    assert round_minor(Decimal(32545) * Decimal("0.11")) == 3580
    # 10% tax on $4.55: 0.455 -> 0.46
    assert round_minor(Decimal(455) * Decimal("0.10")) == 46
    assert from_minor(450, "USD") == Decimal("4.50")
    assert from_minor(25000, "IDR") == Decimal("25000")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (25000, "IDR", "Rp 25.000"),
        (1250000, "IDR", "Rp 1.250.000"),
        (-1500, "IDR", "-Rp 1.500"),
        (450, "USD", "$4.50"),
        (123456789, "USD", "$1,234,567.89"),
        (5, "USD", "$0.05"),
        (0, "IDR", "Rp 0"),
    ],
)
def test_format_money(minor, currency, text):
    assert format_money(minor, currency) == text


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("25.000", "IDR", 25000),
        ("Rp 12.500", "IDR", 12500),
        ("25000", "IDR", 25000),
        ("4.50", "USD", 450),
        ("$1,234.5", "USD", 123450),
        ("7", "USD", 700),
    ],
)
def test_parse_amount(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("", "IDR", "Enter an amount"),
        ("abc", "IDR", "is not an amount"),
        ("12,5", "IDR", "no decimals"),
        ("4.505", "USD", "at most 2 decimals"),
        ("1", "XXX", "Unsupported currency"),
    ],
)
def test_parse_amount_refuses_bad_input_clearly(text, currency, message):
    with pytest.raises(MoneyError, match=message):
        parse_amount(text, currency)


@pytest.mark.parametrize(
    ("due", "currency", "offered"),
    [
        (72_270, "IDR", [75_000, 80_000, 100_000]),
        (27_000, "IDR", [30_000, 40_000, 50_000]),
        (3_000, "IDR", [5_000, 10_000, 20_000]),
        (100_000, "IDR", []),  # a Rp 100.000 note is the exact amount
        (727, "USD", [1_000, 2_000, 5_000]),
        (0, "IDR", []),
    ],
)
def test_quick_cash_offers_the_next_round_amounts_in_the_larger_notes(due, currency, offered):
    from pos_project.money import cash_notes, quick_cash

    assert quick_cash(due, cash_notes(currency)) == offered
