"""The till in a real browser: a 3-item order with a modifier and a discount, paid half by card and half in cash,
its receipt, and the shift closed with a variance. Screenshots in test-artifacts/screenshots/."""

import pytest

from pos_project.testing.browser import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_ring_up_pay_split_print_and_close_with_a_variance(live_site, browser):
    context, page, base = sign_in(browser, live_site, "cashier")
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    assert page.url == f"{base}/till/shift/open/"
    page.fill("#id_register_name", "Counter")
    page.fill("#id_opening_float", "200.000")
    with page.expect_navigation():
        page.click("text=Open shift")

    # 1. Caffè latte with oat milk (a modifier: the option picker opens), an espresso and a croissant.
    page.click(".product-tile >> text=Caffè latte")
    page.locator("#options-dialog").wait_for()
    page.check("text=Oat milk")
    page.click("#options-dialog >> text=Add to order")
    page.click(".product-tile >> text=Espresso")
    page.keyboard.press("2")  # the Pastry tab, from the keyboard
    page.click(".product-tile >> text=Butter croissant")
    page.locator("#cart-lines .cart-line").nth(2).wait_for()
    # 2. 10% off the whole order (within the limit: no supervisor needed).
    page.click("#cart-discount")
    page.fill("#discount-form input[name=value]", "10")
    page.click("#discount-form >> text=Apply")
    # 35.000 + 6.000 + 22.000 + 25.000 = 88.000; −10% = 8.800; total 79.200
    totals = page.locator("#cart-totals")
    page.wait_for_function("document.getElementById('cart-totals').innerText.includes('79.200')")
    assert "Rp 88.000" in totals.inner_text() and "Oat milk" in page.locator("#cart-lines").inner_text()
    page.screenshot(path=SCREENSHOTS / "till-order.png")

    # 3. Pay: half by card, the rest in cash with 50.000 handed over.
    page.click("#cart-pay")
    page.locator("#pay-dialog").wait_for()
    page.click("#pay-quick >> text=Half")
    page.check("#pay-form input[value=card]")
    page.fill("#pay-form input[name=reference]", "APPR 778899")
    page.screenshot(path=SCREENSHOTS / "till-payment-dialog.png")
    page.click("#pay-submit")
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('39.600')")
    page.check("#pay-form input[value=cash]")
    page.fill("#pay-form input[name=tendered]", "50.000")
    page.click("#pay-submit")
    page.locator("#pay-change").wait_for()
    assert page.locator("#pay-change").inner_text() == "Change: Rp 10.400"
    page.screenshot(path=SCREENSHOTS / "till-paid.png")

    # 4. The receipt, as the "Print receipt" button opens it (without the print dialog here).
    receipt_url = page.get_attribute("#pay-receipt", "href").replace("?print=1", "?paper=80")
    receipt = context.new_page()
    receipt.goto(base + receipt_url if receipt_url.startswith("/") else receipt_url)
    text = receipt.locator("[data-testid=receipt]").inner_text()
    for expected in ("Caffè latte", "+ Oat milk", "Rp 79.200", "APPR 778899", "Rp 10.400"):
        assert expected in text, expected
    receipt.screenshot(path=SCREENSHOTS / "receipt-80mm.png", full_page=True)
    receipt.close()
    page.click("#pay-new")

    # An open tab: sent without paying, recalled from Tabs, more items added, then paid by card.
    page.keyboard.press("Escape")  # "New order" put the cursor in the search box
    page.keyboard.press("1")
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()
    page.click("#cart-pay")
    page.locator("#pay-dialog").wait_for()
    page.click("#pay-later")
    page.click("#cart-tabs")
    page.locator("#tabs-list >> text=Add items").click()
    page.click(".product-tile >> text=Espresso")
    page.click("#cart-send")  # adds the item to the tab (Pay would add it and open the payment at once)
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 0")
    page.click("#cart-tabs")
    page.locator("#tabs-list >> text=Pay").first.click()
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('44.000')")
    page.check("#pay-form input[value=card]")
    page.fill("#pay-form input[name=reference]", "APPR 2")
    page.click("#pay-submit")
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('Rp 0')")
    page.click("#pay-new")

    # 5. Close the shift: expected 200.000 + 39.600 cash = 239.600; counted 239.000 → variance −600.
    page.goto(f"{base}/till/shift/close/")
    for value, count in (("100000", "2"), ("20000", "1"), ("10000", "1"), ("5000", "1"), ("2000", "2")):
        page.fill(f"#d{value}", count)
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    report = page.locator("[data-testid=shift-report]")
    assert "Z report" in report.inner_text()
    assert "-Rp 600" in page.locator("[data-testid=variance]").inner_text()
    assert "Rp 239.600" in page.locator("[data-testid=expected-cash]").inner_text()
    page.screenshot(path=SCREENSHOTS / "z-report.png", full_page=True)
    assert script_errors == []
    context.close()
