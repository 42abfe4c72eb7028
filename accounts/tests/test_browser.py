"""Real browser: Debian's Chromium driven by Playwright signs in as each role and sees that role's layout.

Screenshots land in test-artifacts/screenshots/ (git-ignored). The site is served by gunicorn, the production
server, in a separate process against the test database.
"""

import pytest

from pos_project.testing.browser import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_cashier_signs_in_and_sees_the_till(live_site, browser):
    context, page, base = sign_in(browser, live_site, "cashier")
    # No shift open on this device yet: the till asks for the opening cash first.
    assert page.url == f"{base}/till/shift/open/"
    page.screenshot(path=SCREENSHOTS / "cashier-shift-open.png")
    page.fill("#id_register_name", "Browser till")
    page.fill("#id_opening_float", "100.000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/till/"
    assert page.locator("body.layout-cashier [data-testid=till]").is_visible()
    assert page.locator(".product-tile", has_text="Cappuccino").is_visible()
    assert page.locator(".product-tile", has_text="Rp 32.000").is_visible()
    # Keyboard: "2" opens the second category, "/" jumps to search, typing searches on the server.
    page.keyboard.press("2")
    page.locator(".product-tile", has_text="Butter croissant").wait_for()
    page.keyboard.press("/")
    page.keyboard.type("latte")
    page.locator(".product-tile", has_text="Caffè latte").wait_for()
    assert page.locator(".product-tile").count() == 1
    page.fill("#till-search", "")
    page.keyboard.press("Escape")  # leave the search box, so digits pick tabs again
    page.keyboard.press("1")
    page.locator(".product-tile", has_text="Espresso").wait_for()
    page.screenshot(path=SCREENSHOTS / "cashier-till.png")
    # The shift is closed again so the next run finds the device as it was.
    page.goto(f"{base}/till/shift/close/")
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    # A cashier who wanders into the back office gets the friendly refusal, not the page.
    response = page.goto(f"{base}/backoffice/")
    assert response.status == 403
    assert page.get_by_text("This page is not for your role").is_visible()
    page.screenshot(path=SCREENSHOTS / "cashier-forbidden.png")
    with page.expect_navigation():
        page.get_by_text("Back to my screen").click()
    assert page.url.startswith(f"{base}/till/")
    context.close()


def test_kitchen_signs_in_and_sees_the_display(live_site, browser):
    context, page, base = sign_in(browser, live_site, "kitchen")
    assert page.url == f"{base}/kitchen/"
    assert page.locator("body.layout-kitchen [data-testid=kitchen-display]").is_visible()
    assert page.get_by_text("No tickets").is_visible()
    page.screenshot(path=SCREENSHOTS / "kitchen-display.png")
    context.close()


@pytest.mark.parametrize(
    ("username", "path", "marker", "shot"),
    [
        ("supervisor", "/supervisor/", "body.layout-supervisor [data-testid=supervisor-console]", "supervisor-console"),
        ("owner", "/backoffice/", "body.layout-backoffice [data-testid=backoffice-dashboard]", "backoffice-dashboard"),
    ],
)
def test_supervisor_and_owner_land_in_their_layouts(live_site, browser, username, path, marker, shot):
    context, page, base = sign_in(browser, live_site, username)
    assert page.url == f"{base}{path}"
    assert page.locator(marker).is_visible()
    page.screenshot(path=SCREENSHOTS / f"{shot}.png", full_page=True)
    context.close()


def test_wrong_password_shows_a_clear_message(live_site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # and a phone-sized screen
    page = context.new_page()
    page.goto(f"http://{live_site['alpha'].host}:{live_site['port']}/login/")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("That username and password do not match")
    assert page.input_value("#id_username") == "cashier"  # what was typed is kept
    page.screenshot(path=SCREENSHOTS / "login-error.png")
    context.close()
