"""The main pages of each role in Chromium under the Content-Security-Policy, doing a basic thing on each: zero
violations (issue 12, point 12). The browser reports each refusal as a `securitypolicyviolation` event and a
console error; both are collected from every page of a context, and page errors with them.

Till: ring up and send to the kitchen, the floor plan dialog, the receipt, the Z report. Kitchen: bump the
ticket. Supervisor: console and kitchen metrics. Back office: dashboard, floor plan editor (tiles placed from
data attributes), a transfer's "Add a row", a confirm that is dismissed, recipes. Platform: the Django admin.
"""

import re
import uuid

import pytest
from django.conf import settings

from conftest import STAFF_PASSWORD
from pos_project.testing.browser import (
    CHROMIUM,
    SCREENSHOTS,
    TABLET,
    live_tenant_call,
    predicates_as_functions,
    second_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Injected by Playwright before the page's own scripts (the policy does not apply to it).
WATCH = """document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));"""


@pytest.fixture(scope="module")
def browser():
    """The shared fixture's Chromium, also resolving the platform's own host (pos.test) for the admin."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, predicates_as_functions():
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--host-resolver-rules=MAP *.pos.test 127.0.0.1, MAP pos.test 127.0.0.1"],
        )  # fmt: skip
        yield chromium
        chromium.close()


class Watched:
    """A browser context whose every page reports policy violations and script errors into `problems`."""

    def __init__(self, browser):
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=TABLET)
        self.context.add_init_script(WATCH)
        self.context.on("page", self._watch)
        self.page = self.context.new_page()

    def _watch(self, page):
        def on_console(message):
            text = message.text
            if message.type == "error" and ("Content Security Policy" in text or "CSP violation" in text):
                self.problems.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def visit(self, url):
        response = self.page.goto(url)
        assert response.ok, (url, response.status)
        self.page.wait_for_load_state("networkidle")
        assert "Content-Security-Policy" in response.all_headers() or "content-security-policy" in response.headers
        return response


def signed_in(browser, site, username) -> tuple[Watched, str]:
    watched = Watched(browser)
    base = f"http://{site['alpha'].host}:{site['port']}"
    watched.visit(f"{base}/login/")
    watched.page.fill("#id_username", username)
    watched.page.fill("#id_password", STAFF_PASSWORD)
    with watched.page.expect_navigation():
        watched.page.keyboard.press("Enter")
    second_step(watched.page, site, username)  # the owner's code
    watched.page.wait_for_load_state("networkidle")
    return watched, base


@pytest.fixture
def floor_and_cleanup(live_site, django_db_blocker):
    """A small floor plan on the main outlet (removed afterwards); orders this test leaves open are voided."""
    from business.models import Outlet
    from sales.models import Area, DiningTable, Order

    name = f"CSP floor {uuid.uuid4().hex[:6]}"

    def draw():
        area = Area.objects.create(outlet=Outlet.objects.get(code="MAIN"), name=name, columns=5, rows=2)
        DiningTable.objects.create(area=area, name="C1", seats=2, column=2, row=1)
        return name

    def last_ticket():
        from kitchen.models import Ticket

        return Ticket.objects.order_by("pk").values_list("pk", flat=True).last() or 0

    def erase():
        from django.db.models import F

        from kitchen.models import Ticket

        # A run that failed half-way leaves no ticket on the display for the next test (it expects none).
        Ticket.objects.filter(pk__gt=first_ticket, status=Ticket.Status.NEW).update(
            status=Ticket.Status.BUMPED, bumped_at=F("created_at")
        )
        open_orders = Order.objects.filter(status=Order.Status.OPEN)
        open_orders.update(status=Order.Status.VOIDED, void_reason="browser test clean-up")
        Order.objects.filter(table__area__name=name).update(table=None)
        DiningTable.objects.filter(area__name=name).delete()
        Area.objects.filter(name=name).delete()

    first_ticket = live_tenant_call(live_site, django_db_blocker, last_ticket)
    yield live_tenant_call(live_site, django_db_blocker, draw)
    live_tenant_call(live_site, django_db_blocker, erase)


def test_till_and_kitchen_run_without_a_violation(live_site, browser, floor_and_cleanup, django_db_blocker):
    till, base = signed_in(browser, live_site, "cashier")
    page = till.page
    if page.url.endswith("/till/shift/open/"):
        page.fill("#id_register_name", f"CSP {uuid.uuid4().hex[:6]}")
        page.fill("#id_opening_float", "0")
        with page.expect_navigation():
            page.click("text=Open shift")
    assert page.url == f"{base}/till/"
    page.keyboard.press("1")
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()
    page.click("#cart-send")
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 0")
    # The floor plan dialog: its partial comes by fetch; the tiles are placed from their data attributes.
    page.click("#cart-tables")
    tile = page.locator("#floor-body .floor-table", has_text="C1")
    tile.wait_for()
    assert tile.evaluate("t => [getComputedStyle(t).gridColumnStart, getComputedStyle(t).gridRowStart]") == ["3", "2"]
    page.keyboard.press("Escape")

    kitchen, _ = signed_in(browser, live_site, "kitchen")
    assert kitchen.page.url == f"{base}/kitchen/"
    ticket = kitchen.page.locator("[data-testid=ticket]", has_text="Espresso").last
    ticket.wait_for(timeout=5000)
    before = kitchen.page.locator("[data-testid=ticket]").count()
    ticket.locator("text=Bump").click()  # htmx posts and swaps the tickets
    kitchen.page.wait_for_function(f"document.querySelectorAll('[data-testid=ticket]').length < {before}")
    kitchen.visit(f"{base}/kitchen/expo/")
    kitchen.page.screenshot(path=SCREENSHOTS / "csp-kitchen-expo.png")

    def latest_order_uid():
        from sales.models import Order

        return str(Order.objects.latest("pk").uid)

    till.visit(f"{base}/till/receipts/{live_tenant_call(live_site, django_db_blocker, latest_order_uid)}/")
    assert till.page.locator("[data-testid=receipt] [data-testid=receipt-time]").count() == 1
    assert till.page.locator("button[data-print]").count() == 1
    till.visit(f"{base}/till/history/")

    def void_open_orders():  # the sent order is an open tab, which would keep the shift from closing
        from sales.models import Order

        Order.objects.filter(status=Order.Status.OPEN).update(status=Order.Status.VOIDED, void_reason="csp test")

    live_tenant_call(live_site, django_db_blocker, void_open_orders)
    till.page.goto(f"{base}/till/shift/close/")
    with till.page.expect_navigation():
        till.page.click("text=Close shift and print Z report")
    till.page.wait_for_load_state("networkidle")
    assert till.page.locator("[data-print]").count() == 1  # the Z report's Print button, without onclick
    till.page.screenshot(path=SCREENSHOTS / "csp-z-report.png")
    assert till.problems == [] and kitchen.problems == []
    till.context.close()
    kitchen.context.close()


def test_back_office_and_supervisor_pages_run_without_a_violation(live_site, browser, floor_and_cleanup):
    owner, base = signed_in(browser, live_site, "owner")
    page = owner.page
    owner.visit(f"{base}/backoffice/")
    owner.visit(f"{base}/backoffice/floor/")
    tile = page.locator(".floor-editor .floor-table", has_text="C1")
    assert tile.evaluate("t => getComputedStyle(t).gridColumnStart") == "3"
    grid = page.locator(".floor-grid").filter(has=page.locator(".floor-table", has_text="C1"))
    assert grid.evaluate("g => g.style.getPropertyValue('--floor-columns')") == "5"
    owner.visit(f"{base}/backoffice/stock/transfers/new/")
    rows = page.locator("#line-rows tr")
    count = rows.count()
    page.click("#add-row")
    assert rows.count() == count + 1
    assert page.locator("#line-rows tr:last-child .row-number").inner_text() == str(count + 1)
    owner.visit(f"{base}/backoffice/stations/")
    station = page.locator("a[href^='/backoffice/stations/']:not([href='/backoffice/stations/'])").first
    station.click()
    page.wait_for_load_state("networkidle")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button[name=delete]")
    assert asked == ["Delete this station?"]  # the confirm came from app.js, and saying no kept the station
    assert re.search(r"/backoffice/stations/\d+/$", page.url)
    for path in ("/backoffice/stock/recipes/", "/backoffice/catalog/products/", "/backoffice/staff/",
                 "/backoffice/audit/", "/backoffice/settings/sales/"):  # fmt: skip
        owner.visit(base + path)
    page.screenshot(path=SCREENSHOTS / "csp-backoffice.png")

    supervisor, _ = signed_in(browser, live_site, "supervisor")
    supervisor.visit(f"{base}/supervisor/")
    supervisor.visit(f"{base}/supervisor/kitchen/")
    assert owner.problems == [] and supervisor.problems == []
    owner.context.close()
    supervisor.context.close()


@pytest.fixture
def platform_admin(live_site, django_db_blocker):
    """A platform super admin, committed in the public schema for the live server, switched off afterwards."""
    import threading

    from django.db import connection

    from accounts.models import Role, User

    username, password = f"csp-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex

    def in_public(work):
        def run():
            try:
                work()
            finally:
                connection.close()

        with django_db_blocker.unblock():
            thread = threading.Thread(target=run)
            thread.start()
            thread.join()

    email = f"{username}@example.com"
    code = []

    def make():
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from conftest import OWNER_TOTP_KEY, otp_backup_code

        admin = User.objects.create_superuser(username, email, password, role=Role.SUPER_ADMIN)
        # An authenticator (a super admin without one enrols first) and a backup code for the second step.
        TOTPDevice.objects.create(user=admin, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
        code.append(otp_backup_code(admin))

    in_public(make)
    yield username, password, code[0]
    # Kept (its sign-in is in the append-only audit log), but it can no longer sign in.
    in_public(lambda: User.objects.filter(username=username).update(is_active=False))


def test_the_django_admin_runs_without_a_violation(live_site, browser, platform_admin):
    username, password, code = platform_admin
    admin = Watched(browser)
    base = f"http://{settings.BASE_DOMAIN}:{live_site['port']}"
    admin.visit(f"{base}/admin/login/")  # the platform's sign-in page: the password, then the second step
    admin.page.fill("#id_username", username)
    admin.page.fill("#id_password", password)
    with admin.page.expect_navigation():
        admin.page.click("button[type=submit]")
    assert admin.page.url == f"{base}/login/verify/"
    admin.page.fill("#id_token", code)
    with admin.page.expect_navigation():
        admin.page.click("button[type=submit]")
    admin.page.wait_for_load_state("networkidle")
    assert admin.page.url == f"{base}/admin/"
    admin.visit(f"{base}/admin/tenants/tenant/")
    admin.page.click(f"text={live_site['alpha'].tenant.name}")
    admin.page.wait_for_load_state("networkidle")
    assert "/change/" in admin.page.url
    admin.visit(f"{base}/admin/tenants/tenant/add/")
    admin.page.screenshot(path=SCREENSHOTS / "csp-admin.png")
    assert admin.problems == []
    admin.context.close()
