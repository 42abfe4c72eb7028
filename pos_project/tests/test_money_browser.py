"""The till's JavaScript formats and reads amounts exactly as the server does (one set of rules, sent by the
server with json_script): the same amounts, run through static/js/money.js in Chromium and through
pos_project.money, give the same text."""

from pathlib import Path

import pytest
from django.conf import settings

from pos_project.money import MoneyError, currency_format, format_money, parse_amount

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AMOUNTS = [0, 1, 5, 99, 100, 999, 1000, 1050, 12_345, 100_000, 1_234_567, 25_000_000, 123_456_789_012, -1, -1500,
           -1_234_567]  # fmt: skip
TYPED = ["25.000", "25000", "Rp 12.500", "4.50", "4,50", "4.5", ".5", "1,234.56", "1234,5", "12", "-3", "abc", "",
         "4.505", "1.234,50", "€ 7", "$ 1,000", "0"]  # fmt: skip
CODES = ["IDR", "USD", "EUR"]


@pytest.fixture(scope="module")
def money_page(browser):
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=(Path(settings.BASE_DIR) / "static" / "js" / "money.js").read_text())
    yield page
    page.close()


def _python_parse(text: str, code: str):
    try:
        return parse_amount(text, code)
    except MoneyError:
        return None


@pytest.mark.parametrize("code", CODES)
def test_the_browser_formats_every_amount_as_the_server_does(money_page, code):
    fmt = currency_format(code)
    in_js = money_page.evaluate(
        "([amounts, fmt]) => amounts.map((a) => [PosMoney.format(a, fmt), PosMoney.format(a, fmt, {symbol: false})])",
        [AMOUNTS, fmt],
    )
    in_python = [[format_money(a, code), format_money(a, code, symbol=False)] for a in AMOUNTS]
    assert in_js == in_python


@pytest.mark.parametrize("code", CODES)
def test_the_browser_reads_typed_amounts_as_the_server_does(money_page, code):
    fmt = currency_format(code)
    in_js = money_page.evaluate("([texts, fmt]) => texts.map((t) => PosMoney.parse(t, fmt))", [TYPED, fmt])
    assert in_js == [_python_parse(text, code) for text in TYPED]
    # What the till puts into an input (no symbol, no grouping) reads back to the same amount.
    script = "([amounts, fmt]) => amounts.map((a) => PosMoney.parse(PosMoney.format(a, fmt, INPUT), fmt))"
    round_trip = money_page.evaluate(script.replace("INPUT", "{symbol: false, group: false}"), [AMOUNTS, fmt])
    assert round_trip == AMOUNTS
