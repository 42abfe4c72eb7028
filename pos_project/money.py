"""How money is stored, rounded and shown. The one place that knows about currencies.

Amounts are stored as integers in the currency's minor unit (sen for IDR does not exist: IDR has exponent 0,
so Rp 25.000 is stored as 25000; USD has exponent 2, so $4.50 is stored as 450). Arithmetic that produces
fractions (tax, percentages) is done in Decimal and rounded back to minor units with ROUND_HALF_UP, once, at
the end of each documented step (docs/adr/0002-money-in-integer-minor-units.md). Floats never appear.

`format_money` is the one formatter. The till's JavaScript formats with the same rules, sent to it by the server
(`currency_format()` through `json_script`), so a price reads the same on the screen and on the receipt.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Currency:
    code: str
    exponent: int
    symbol: str
    thousands: str
    decimal: str
    symbol_space: bool = True
    # Notes and coins a drawer is counted in at close, largest first, in minor units.
    denominations: tuple[int, ...] = ()
    # The smallest banknote: the payment screen's quick-cash buttons offer the notes from it up.
    smallest_note: int = 0


_USD_NOTES = (10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1)
CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("IDR", 0, "Rp", ".", ",",
                 denominations=(100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100), smallest_note=1000),
        Currency("USD", 2, "$", ",", ".", symbol_space=False, denominations=_USD_NOTES, smallest_note=100),
        Currency("EUR", 2, "€", ".", ",",
                 denominations=(50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
                 smallest_note=500),
        Currency("SGD", 2, "S$", ",", ".", symbol_space=False,
                 denominations=(10000, 5000, 1000, 500, 200, 100, 50, 20, 10, 5), smallest_note=200),
        Currency("MYR", 2, "RM", ",", ".", denominations=(10000, 5000, 2000, 1000, 500, 100, 50, 20, 10, 5),
                 smallest_note=100),
        Currency("JPY", 0, "¥", ",", ".", symbol_space=False,
                 denominations=(10000, 5000, 1000, 500, 100, 50, 10, 5, 1), smallest_note=1000),
    )
}  # fmt: skip


# The largest amount any one price, payment, tip, tendered cash, float or pay-out may be, in minor units
# (Rp 99.999.999.999, $999,999,999.99). Every amount a request sends is bounded by it (pos_project/parsing.py,
# `parse_amount`, the catalog's price checks), so no total of an order can overflow a bigint (2⁶³−1 ≈ 9.2·10¹⁸):
# 200 lines × 999 units × a price with even 100 modifiers of AMOUNT_MAX each, plus taxes and service charge,
# stays below 10¹⁸.
AMOUNT_MAX = 10**11 - 1


class MoneyError(ValueError):
    pass


def currency(code: str) -> Currency:
    try:
        return CURRENCIES[code.upper()]
    except KeyError:
        raise MoneyError(f"Unsupported currency “{code}”.") from None


def round_minor(value: Decimal | int) -> int:
    """Round an amount already expressed in minor units to a whole minor unit (half away from zero)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal | int | str, currency_code: str) -> int:
    """Major units (Decimal or its exact string form) -> integer minor units, rounding half up."""
    if isinstance(amount, float):
        raise MoneyError("Money must not be a float; pass a Decimal or a string.")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise MoneyError(f"“{amount}” is not an amount.") from None
    if not value.is_finite():
        raise MoneyError(f"“{amount}” is not an amount.")
    return round_minor(value.scaleb(currency(currency_code).exponent))


def from_minor(amount_minor: int, currency_code: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency(currency_code).exponent)


def parse_amount(text: str, currency_code: str) -> int:
    """Read what a person typed ("25.000", "25000", "4.50", "Rp 12.500") into minor units.

    For a currency without decimals the group separator is tolerated; for others the decimal separator of the
    currency (or a plain dot) marks the fraction, and more decimals than the currency has are refused.
    """
    cur = currency(currency_code)
    cleaned = (text or "").strip().replace(cur.symbol, "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        raise MoneyError("Enter an amount.")
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-+")
    if cur.exponent == 0:
        digits = cleaned.replace(cur.thousands, "")
        if cur.decimal in digits or "." in digits:
            raise MoneyError(f"{cur.code} amounts have no decimals.")
    else:
        digits = cleaned.replace(cur.thousands, "") if cur.thousands != "." else cleaned
        digits = digits.replace(cur.decimal, ".")
        if "." in digits and len(digits.rsplit(".", 1)[1]) > cur.exponent:
            raise MoneyError(f"{cur.code} amounts have at most {cur.exponent} decimals.")
    bare = digits.replace(".", "", 1)
    if not bare or not bare.isascii() or not bare.isdigit():  # "²".isdigit() and "٣".isdigit() are true
        raise MoneyError(f"“{text[:40]}” is not an amount.")
    if len(bare.lstrip("0")) > len(str(AMOUNT_MAX)) + cur.exponent:
        raise MoneyError(_("That amount is too large."))
    minor = to_minor(digits, cur.code)
    if minor > AMOUNT_MAX:
        raise MoneyError(_("That amount is too large."))
    return -minor if negative else minor


def format_money(amount_minor: int, currency_code: str, *, symbol: bool = True) -> str:
    """Show minor units the way the currency is written: Rp 25.000, $4.50, -Rp 1.500."""
    cur = currency(currency_code)
    negative = amount_minor < 0
    whole, fraction = divmod(abs(int(amount_minor)), 10**cur.exponent)
    grouped = f"{whole:,}".replace(",", cur.thousands)
    text = grouped + (f"{cur.decimal}{fraction:0{cur.exponent}d}" if cur.exponent else "")
    if symbol:
        text = f"{cur.symbol}{' ' if cur.symbol_space else ''}{text}"
    return f"-{text}" if negative else text


def cash_notes(currency_code: str) -> tuple[int, ...]:
    """The currency's banknotes, smallest first, in minor units (Rp 1.000 … Rp 100.000)."""
    cur = currency(currency_code)
    return tuple(sorted(d for d in cur.denominations if cur.smallest_note and d >= cur.smallest_note))


def quick_cash(due_minor: int, notes: tuple[int, ...], *, limit: int = 3) -> list[int]:
    """What a customer is likely to hand over for `due_minor`: the next round amounts in the larger notes
    (from five of the smallest note up), e.g. Rp 72.270 -> 75.000, 80.000, 100.000. Sent with every order the
    till shows (sales/views/till.py order_json), so the script only draws them."""
    if due_minor <= 0 or not notes:
        return []
    amounts = sorted({-(-due_minor // n) * n for n in notes if n >= 5 * notes[0]} - {due_minor})
    return amounts[:limit]


def currency_format(currency_code: str) -> dict:
    """The formatting rules of a currency for the browser (`json_script`): static/js/money.js applies them
    exactly as `format_money` does."""
    cur = currency(currency_code)
    return {
        "code": cur.code,
        "exponent": cur.exponent,
        "symbol": cur.symbol,
        "thousands": cur.thousands,
        "decimal": cur.decimal,
        "symbol_space": cur.symbol_space,
    }
