"""Supervisor approval at the till, in a real browser (issue 11, point 6).

(a) A supervisor signed in at the till gives a 50% discount and approves it with one tap: no username, no PIN.
(b) A cashier's 50% discount is approved on the till by a supervisor picked from a short list and their PIN;
    a wrong PIN says "Wrong PIN" and leaves the dialog open with the supervisor still chosen.
"""

import pytest

from accounts.models import Role
from pos_project.testing.browser import SCREENSHOTS, sign_in

from .browser_helpers import open_shift, staff_with_pins, tag

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _espresso_at_half_price(page):
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()
    page.click("#cart-discount")
    page.fill("#discount-form input[name=value]", "50")
    page.click("#discount-form >> text=Apply")
    page.wait_for_function("document.getElementById('cart-totals').innerText.includes('11.000')")


def _pay_by_card(page):
    page.check("#pay-form input[value=card]")
    page.fill("#pay-form input[name=reference]", "APPR 1")
    page.click("#pay-submit")
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('Rp 0')")
    page.click("#pay-new")


def test_a_signed_in_supervisor_approves_a_big_discount_with_one_tap(live_site, browser):
    context, page, base = sign_in(browser, live_site, "supervisor")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_shift(page, base, f"Approve {tag()}")
    _espresso_at_half_price(page)
    page.click("#cart-pay")
    dialog = page.locator("#approval-dialog")
    dialog.wait_for()
    assert dialog.locator("input[name=username]").count() == 0  # nobody retypes their own name
    page.screenshot(path=SCREENSHOTS / "approval-self.png")
    page.click("#approval-self")  # the one tap
    page.locator("#pay-dialog").wait_for()
    assert not dialog.is_visible()
    _pay_by_card(page)
    assert errors == []
    context.close()


def test_b_a_cashiers_discount_approved_by_a_supervisors_pin_on_the_till(committed_db, live_site, browser):
    boss = f"sup-{tag()}"
    staff_with_pins(live_site, {boss: (Role.SUPERVISOR, "2580")})
    context, page, base = sign_in(browser, live_site, "cashier")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_shift(page, base, f"Approve {tag()}")
    _espresso_at_half_price(page)
    page.click("#cart-pay")
    dialog = page.locator("#approval-dialog")
    dialog.wait_for()
    assert page.locator("#approval-self").is_hidden()  # a cashier cannot approve their own discount
    assert dialog.locator("input[name=username]").count() == 0  # no free-text username
    dialog.locator(f"[data-username='{boss}']").click()  # pick the supervisor from the list
    page.fill("#approval-form input[name=pin]", "0000")
    page.click("#approval-form >> text=Approve")
    error = page.locator("#approval-error")
    error.wait_for()
    assert "Wrong PIN" in error.inner_text()
    assert dialog.is_visible()  # the dialog stays, with the supervisor still chosen and the PIN cleared
    assert dialog.locator(f"[data-username='{boss}'] input").is_checked()
    assert page.input_value("#approval-form input[name=pin]") == ""
    page.screenshot(path=SCREENSHOTS / "approval-wrong-pin.png")
    page.fill("#approval-form input[name=pin]", "2580")
    page.click("#approval-form >> text=Approve")
    page.locator("#pay-dialog").wait_for()
    assert not dialog.is_visible()
    _pay_by_card(page)
    assert errors == []
    context.close()
