"""Helpers for the browser tests of approvals, PIN sign-in, the idle lock and the time clock.

The live site (pos_project.testing.browser) is shared by every browser test of a run, so these tests make their
own people with unique names (a lock or a PIN of theirs touches nobody else) and their own registers. Database
work runs on a helper thread: Playwright runs an event loop in the test's thread, where Django refuses the ORM.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from django_tenants.utils import tenant_context

from conftest import STAFF_PASSWORD
from pos_project.testing.browser import TABLET


def in_db(tenant, fn):
    """Run fn() in the tenant's schema on another thread (its own connection, closed after the call)."""

    def work():
        try:
            with tenant_context(tenant):
                return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=60)


def tag() -> str:
    return uuid.uuid4().hex[:6]


def staff_with_pins(site, people: dict[str, tuple[str, str]]) -> None:
    """Create staff `{username: (role, pin)}` in the live site's tenant, each with a password and a PIN."""

    def make():
        from accounts.models import User
        from accounts.services import staff_create, staff_set_pin

        owner = User.objects.get(username="owner")
        for username, (role, pin) in people.items():
            user = staff_create(username=username, role=role, actor=owner, password=STAFF_PASSWORD,
                                must_change_password=False, first_name=username.title())  # fmt: skip
            staff_set_pin(user=user, pin=pin, actor=owner)

    in_db(site["alpha"].tenant, make)


def base_url(site) -> str:
    return f"http://{site['alpha'].host}:{site['port']}"


def password_sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click(".userbar >> text=Sign out")


def open_shift(page, base: str, register: str) -> None:
    """From wherever the till sends a person without a shift: open one on a new register of that name."""
    page.goto(f"{base}/till/")
    page.select_option("#id_register", "new")
    page.fill("#id_register_name", register)
    page.fill("#id_opening_float", "100.000")
    with page.expect_navigation():
        page.click("text=Open shift")
    assert page.url == f"{base}/till/", page.locator("main").inner_text()


def registered_device(browser, site, name: str, **context_options):
    """A new browser context (a till device) that a supervisor registered for PIN sign-in, signed out again."""
    context = browser.new_context(viewport=context_options.pop("viewport", TABLET), **context_options)
    page = context.new_page()
    base = base_url(site)
    password_sign_in(page, base, "supervisor")
    page.goto(f"{base}/device/")
    page.fill("#id_device_name", name)
    with page.expect_navigation():
        page.click("text=Register this device")
    assert page.get_by_text(f"This device is registered as “{name}”").is_visible()
    sign_out(page)
    return context, page, base


def pin_sign_in(page, username: str, pin: str) -> None:
    """On the lock screen: tap the person's tile, type the PIN on the keypad, then Sign in."""
    page.click(f"[data-username='{username}']")
    for digit in pin:
        page.click(f".keypad button[data-digit='{digit}']")
    with page.expect_navigation():
        page.click("#pin-sign-in")
