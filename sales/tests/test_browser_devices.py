"""The till on any device: a phone (390×844), a small tablet (768×1024) and counter screens (1280×800, 1920×1080).

At each size a cashier opens a shift, rings up an order (one item through the options dialog), and takes the
payment. Asserted on the way: nothing is wider than the viewport that was SET (on a phone Chrome widens
`innerWidth` to fit an overflowing page, so it is no yardstick), the top bar is one row, cart lines are not
clipped, and *Add to order*, *Pay* and *Take payment* lie inside the viewport and are really tapped (touch
contexts) or clicked, with their effect checked. Screenshots: till-<w>x<h>.png, till-pay-390x844.png.
"""

import uuid

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import STAFF_PASSWORD
from pos_project.testing.browser import SCREENSHOTS, second_step

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
REGISTER_PREFIX = f"Device {uuid.uuid4().hex[:6]} "


@pytest.fixture
def no_tickets_left(live_site, django_db_blocker):
    """Paying sends the order to the kitchen: take this module's tickets off the shared display afterwards, so
    other browser tests meet the display as they left it."""
    yield
    import threading

    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from kitchen.models import Ticket
    from sales.models import Order

    def clear():  # in a thread: Playwright's event loop makes this one look async to Django
        try:
            with tenant_context(live_site["alpha"].tenant):
                ids = Order.objects.filter(shift__register__name__startswith=REGISTER_PREFIX).values("pk")
                now = timezone.now()
                Ticket.objects.filter(order_id__in=ids).update(
                    status=Ticket.Status.BUMPED, bumped_at=now, handed_over_at=now
                )
        finally:
            connection.close()

    with django_db_blocker.unblock():
        worker = threading.Thread(target=clear)
        worker.start()
        worker.join()


PHONE = {"width": 390, "height": 844}
SIZES = [
    pytest.param(PHONE, True, id="phone-390x844"),
    pytest.param({"width": 768, "height": 1024}, True, id="tablet-768x1024"),
    pytest.param({"width": 1280, "height": 800}, False, id="counter-1280x800"),
    pytest.param({"width": 1920, "height": 1080}, False, id="counter-1920x1080"),
]
TOPBAR_ONE_ROW = 72  # px: the bar is 56 px high; a second row of links or buttons makes it at least ~96
LONG_NOTE = "extra hot, no foam, in a takeaway cup, name on the lid: Maximiliana-Alexandrovna"


def _open(browser, site, username, viewport, touch):
    context = browser.new_context(viewport=viewport, is_mobile=touch, has_touch=touch)
    page = context.new_page()
    base = f"http://{site['alpha'].host}:{site['port']}"
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    second_step(page, site, username)
    page.wait_for_load_state("networkidle")
    return context, page, base


def _press(locator, touch):
    locator.tap() if touch else locator.click()


def _no_horizontal_overflow(page, viewport, where):
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
                 .slice(0, 8).map((el) => `${el.tagName.toLowerCase()}.${el.className}`)""",
            viewport["width"],
        )
        pytest.fail(f"{where}: the page is {width} px wide in a {viewport['width']} px viewport; too wide: {wide}")


def _in_viewport_and_on_top(page, selector, viewport, where):
    """The element's box lies inside the viewport that was set, and a tap at its centre reaches it."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{where}: {selector} is not displayed"
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
    )
    assert inside, f"{where}: {selector} at {box} is outside the {viewport['width']}×{viewport['height']} viewport"
    on_top = page.evaluate(
        """([selector, x, y]) => { const hit = document.elementFromPoint(x, y);
             return !!hit && document.querySelector(selector).contains(hit); }""",
        [selector, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top, f"{where}: something covers {selector}"


def _scroll_into_reach(page, selector, viewport, where):
    """Scroll as a person would (the wheel, over the middle of the screen) until the element is inside the
    viewport: on a page whose overflow is hidden it never gets there (Playwright's own tap would scroll anyway)."""
    page.mouse.move(viewport["width"] / 2, viewport["height"] / 2)
    page.mouse.wheel(0, 5000)
    try:
        page.wait_for_function(
            """([selector, width, height]) => { const box = document.querySelector(selector).getBoundingClientRect();
                 return box.top >= 0 && box.left >= 0 && box.bottom <= height && box.right <= width; }""",
            arg=[selector, viewport["width"], viewport["height"]],
            timeout=3000,
        )
    except PlaywrightTimeout:
        pytest.fail(
            f"{where}: {selector} cannot be scrolled into the {viewport['width']}×{viewport['height']} viewport"
        )


def _topbar_is_one_row(page, where):
    height = page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")
    assert height <= TOPBAR_ONE_ROW, f"{where}: the top bar is {height} px high (wrapped onto a second row)"
    overflow = page.evaluate(
        """(() => { const bar = document.querySelector('header.topbar').getBoundingClientRect();
             return [...document.querySelectorAll('header.topbar > *')].filter((el) => {
               const box = el.getBoundingClientRect();
               return box.width > 0 && (box.left < bar.left - 0.5 || box.right > bar.right + 0.5);
             }).map((el) => el.className); })()"""
    )
    assert overflow == [], f"{where}: top-bar items stick out of it: {overflow}"


def _cart_lines_not_clipped(page, where):
    clipped = page.evaluate(
        """[...document.querySelectorAll('#cart-lines .cart-line')].flatMap((li) =>
             [li, ...li.children].filter((el) => el.scrollWidth > el.clientWidth + 1)
               .map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`))"""
    )
    assert clipped == [], f"{where}: cart lines are clipped: {clipped}"


def _show_cart(page, touch):
    """On a phone the cart is a pane of its own, reached from the bar at the bottom; elsewhere it is always shown."""
    switch = page.locator("[data-pane-show=cart]")
    if switch.is_visible():
        _press(switch, touch)
    page.locator("#cart-pay").wait_for(state="visible")


@pytest.mark.usefixtures("no_tickets_left")
@pytest.mark.parametrize(("viewport", "touch"), SIZES)
def test_the_till_works_on_every_device(live_site, browser, viewport, touch):
    size = f"{viewport['width']}x{viewport['height']}"
    context, page, _base = _open(browser, live_site, "cashier", viewport, touch)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.url.endswith("/till/shift/open/")
    _no_horizontal_overflow(page, viewport, f"{size} open shift")
    page.select_option("#id_register", "new")
    page.fill("#id_register_name", REGISTER_PREFIX + size)
    page.fill("#id_opening_float", "0")
    with page.expect_navigation():
        _press(page.locator("button[type=submit]", has_text="Open shift"), touch)
    page.locator("#till").wait_for()
    _no_horizontal_overflow(page, viewport, f"{size} till")
    _topbar_is_one_row(page, f"{size} till")

    # An espresso, then a caffè latte through the options dialog (oat milk and a long note), then a croissant.
    _press(page.locator(".product-tile", has_text="Espresso"), touch)
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 1")
    _press(page.locator(".product-tile", has_text="Caffè latte"), touch)
    page.locator("#options-dialog[open]").wait_for()
    _press(page.locator("#options-dialog label", has_text="Oat milk"), touch)
    page.fill("#options-form input[name=note]", LONG_NOTE)
    _no_horizontal_overflow(page, viewport, f"{size} options dialog")
    add = "#options-dialog button[value=add]"
    _in_viewport_and_on_top(page, add, viewport, f"{size} options dialog")
    _press(page.locator(add), touch)
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 2")
    _press(page.locator("#till [role=tab]", has_text="Pastry"), touch)
    _press(page.locator(".product-tile", has_text="Butter croissant"), touch)
    # 22.000 + 35.000 + 6.000 + 25.000 = 88.000
    page.wait_for_function("document.getElementById('cart-totals').innerText.includes('88.000')")
    _no_horizontal_overflow(page, viewport, f"{size} till with a cart")
    _topbar_is_one_row(page, f"{size} till with a cart")
    page.screenshot(path=SCREENSHOTS / f"till-{size}.png")

    _show_cart(page, touch)
    assert "Oat milk" in page.locator("#cart-lines").inner_text()
    _cart_lines_not_clipped(page, size)
    _no_horizontal_overflow(page, viewport, f"{size} cart")
    _in_viewport_and_on_top(page, "#cart-pay", viewport, f"{size} cart")
    if viewport == PHONE:
        page.screenshot(path=SCREENSHOTS / f"till-cart-{size}.png")
    _press(page.locator("#cart-pay"), touch)

    page.locator("#pay-dialog[open]").wait_for()
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('88.000')")
    _no_horizontal_overflow(page, viewport, f"{size} pay dialog")
    _in_viewport_and_on_top(page, "#pay-submit", viewport, f"{size} pay dialog")
    if viewport == PHONE:
        page.screenshot(path=SCREENSHOTS / f"till-pay-{size}.png")
    _press(page.locator("#pay-submit"), touch)  # cash, the whole balance
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('Rp 0')")
    _in_viewport_and_on_top(page, "#pay-new", viewport, f"{size} paid")
    _press(page.locator("#pay-new"), touch)
    page.wait_for_function("!document.querySelector('#pay-dialog[open]')")
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 0")
    _no_horizontal_overflow(page, viewport, f"{size} after the sale")

    # Close the shift (so no other test meets it): the drawer holds exactly the 88.000 taken.
    page.goto(page.url.split("/till/")[0] + "/till/shift/close/")
    _no_horizontal_overflow(page, viewport, f"{size} close shift")
    for note in ("50000", "20000", "10000", "5000", "2000", "1000"):
        page.fill(f"#d{note}", "1")
    close = page.locator("main button[type=submit]", has_text="Close shift")
    close.evaluate("(button) => button.setAttribute('data-close-shift', '')")
    _scroll_into_reach(page, "[data-close-shift]", viewport, f"{size} close shift")
    with page.expect_navigation():
        _press(close, touch)
    assert "Rp 88.000" in page.locator("[data-testid=expected-cash]").inner_text()
    assert REGISTER_PREFIX + size in page.locator("main").inner_text()
    assert errors == []
    context.close()


# The other screens on a phone: each page fits the width (wide tables scroll inside their own box).
OTHER_SCREENS = {
    "kitchen": ["/kitchen/", "/kitchen/expo/"],
    "supervisor": ["/supervisor/", "/till/history/"],
    "owner": [
        "/backoffice/",
        "/backoffice/catalog/products/",
        "/backoffice/catalog/import/",
        "/backoffice/stock/movements/",
    ],
}


@pytest.mark.parametrize("username", list(OTHER_SCREENS))
def test_the_other_screens_fit_a_phone(live_site, browser, username):
    context, page, base = _open(browser, live_site, username, PHONE, True)
    for path in OTHER_SCREENS[username]:
        page.goto(base + path)
        page.locator("header.topbar").wait_for()
        _no_horizontal_overflow(page, PHONE, f"{username} {path}")
        _topbar_is_one_row(page, f"{username} {path}")
    context.close()
