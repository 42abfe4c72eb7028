"""Fast staff switching on a registered till, in a real browser (issue 11, point 8).

(c) A supervisor registers the device; a cashier signs in there by PIN, rings up an item and locks the till; a
    supervisor signs in by PIN and finds the same till and cart. Five wrong PINs lock a person's PIN, the lock
    screen says so, and the owner sees the lock in Back office → Staff and lifts it.
(d) With an idle time set by the owner, the till locks itself when nobody touches it (the browser's clock is
    fast-forwarded); the lock screen offers PIN sign-in and the cart is still there after it.
"""

import pytest

from accounts.models import Role
from pos_project.testing.browser import SCREENSHOTS, sign_in

from .browser_helpers import in_db, open_shift, pin_sign_in, registered_device, staff_with_pins, tag

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _cart_names(page) -> str:
    return page.locator("#cart-lines").inner_text()


def _take_alerts(name: str) -> list[list[str]]:
    from mailer.models import Message

    alerts = Message.objects.filter(kind=Message.Kind.SECURITY_ALERT, subject__contains=f"{name}'s PIN is locked")
    recipients = [list(to) for to in alerts.values_list("to", flat=True)]
    alerts.delete()
    return recipients


def test_c_pin_sign_in_switches_cashier_to_supervisor_and_five_wrong_pins_lock(committed_db, live_site, browser):
    t = tag()
    cashier, boss, victim = f"pc-{t}", f"ps-{t}", f"pl-{t}"
    staff_with_pins(live_site, {cashier: (Role.CASHIER, "1357"), boss: (Role.SUPERVISOR, "2468"),
                                victim: (Role.CASHIER, "3690")})  # fmt: skip
    context, page, base = registered_device(browser, live_site, f"Counter {t}")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # A signed-out registered device offers PIN sign-in: the lock screen lists the staff as tiles.
    page.goto(f"{base}/lock/")
    page.locator(f"[data-username='{cashier}']").wait_for()
    page.screenshot(path=SCREENSHOTS / "pin-sign-in.png")
    pin_sign_in(page, cashier, "1357")
    open_shift(page, base, f"PIN till {t}")
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()

    # The cashier locks the till; the supervisor signs in by PIN and lands on the same till with the same cart.
    with page.expect_navigation():
        page.click("#lock-till")
    assert page.url.startswith(f"{base}/lock/")
    pin_sign_in(page, boss, "2468")
    page.locator("[data-testid=till]").wait_for()
    assert boss.title() in page.locator(".userbar").inner_text()
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 1")
    assert "Espresso" in _cart_names(page)

    # Five wrong PINs lock the person's PIN; then even the right one is refused, with a reason.
    with page.expect_navigation():
        page.click("#lock-till")
    for attempt in range(1, 6):
        pin_sign_in(page, victim, "1111")
        alert = page.locator("[data-testid=pin-error]").inner_text()
        if attempt < 5:
            assert "Wrong PIN" in alert, alert
        else:
            assert "locked" in alert, alert
        assert page.locator(f"[data-username='{victim}'] input").is_checked()  # the form is kept
    # The owner's e-mail about the lock waits in the mail outbox; taken out at once, so that no other test's
    # sender in this tenant meets it.
    assert ["owner@alpha.test"] in in_db(live_site["alpha"].tenant, lambda: _take_alerts(victim))
    pin_sign_in(page, victim, "3690")
    assert "locked" in page.locator("[data-testid=pin-error]").inner_text()
    page.screenshot(path=SCREENSHOTS / "pin-locked.png")

    # The owner sees the lock in Back office → Staff and lifts it; the right PIN then works.
    owner_context, owner_page, _ = sign_in(browser, live_site, "owner")
    owner_page.goto(f"{base}/backoffice/staff/")
    row = owner_page.locator("tr", has_text=victim)
    assert "Locked" in row.inner_text()
    owner_page.screenshot(path=SCREENSHOTS / "staff-pin-locked.png", full_page=True)
    with owner_page.expect_navigation():
        row.get_by_role("button", name="Unlock PIN").click()
    assert "Locked" not in owner_page.locator("tr", has_text=victim).inner_text()
    owner_context.close()
    pin_sign_in(page, victim, "3690")
    page.locator("[data-testid=till]").wait_for()
    assert errors == []
    context.close()


def _set_idle_minutes(site, minutes: int) -> int:
    def change():
        from business.models import SalesSettings

        settings, _ = SalesSettings.objects.get_or_create(pk=1)
        before = settings.idle_lock_minutes
        settings.idle_lock_minutes = minutes
        settings.save()
        return before

    return in_db(site["alpha"].tenant, change)


def test_d_the_till_locks_itself_after_the_idle_time_the_owner_set(committed_db, live_site, browser):
    t = tag()
    cashier = f"pi-{t}"
    staff_with_pins(live_site, {cashier: (Role.CASHIER, "2469")})
    # The owner sets the idle time on the Sales settings page.
    owner_context, owner_page, base = sign_in(browser, live_site, "owner")
    owner_page.goto(f"{base}/backoffice/settings/sales/")
    before = owner_page.input_value("#id_idle_lock_minutes")
    owner_page.fill("#id_idle_lock_minutes", "2")
    with owner_page.expect_navigation():
        owner_page.click("form.form >> text=Save")
    assert owner_page.input_value("#id_idle_lock_minutes") == "2"
    owner_context.close()
    try:
        context, page, base = registered_device(browser, live_site, f"Idle {t}")
        page.clock.install()
        page.goto(f"{base}/lock/")
        pin_sign_in(page, cashier, "2469")
        open_shift(page, base, f"Idle till {t}")
        page.click(".product-tile >> text=Espresso")
        page.locator("#cart-lines .cart-line").first.wait_for()
        page.clock.fast_forward("01:30")  # not idle long enough yet
        assert page.locator("[data-testid=till]").is_visible()
        page.mouse.move(10, 10)  # someone touches the till: the idle time starts again
        page.clock.fast_forward("01:30")
        assert page.locator("[data-testid=till]").is_visible()
        with page.expect_navigation():
            page.clock.fast_forward("00:45")
        assert page.url.startswith(f"{base}/lock/")
        assert page.locator(f"[data-username='{cashier}']").is_visible()  # PIN sign-in is offered
        page.screenshot(path=SCREENSHOTS / "till-idle-locked.png")
        assert page.goto(f"{base}/till/").url.startswith(f"{base}/lock/")  # locked: no way round it
        pin_sign_in(page, cashier, "2469")
        page.locator("[data-testid=till]").wait_for()
        page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 1")
        context.close()
    finally:
        _set_idle_minutes(live_site, int(before or 0))
