"""Browser-test fixtures: gunicorn serving the test database, Debian's Chromium driven by Playwright.

Loaded for every test by the root conftest (`pytest_plugins`). Screenshots go to test-artifacts/screenshots/.
"""

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from conftest import STAFF_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
TABLET = {"width": 1280, "height": 800}  # a 10" tablet in landscape


@pytest.fixture(scope="session")
def live_site(_session_tenants, django_db_blocker):
    """gunicorn serving the test database, with a small committed menu in the first tenant."""
    from catalog.models import Category, ModifierGroup, Product
    from catalog.services import (
        ModifierSpec,
        category_create,
        modifier_group_create,
        product_create,
        product_set_modifier_groups,
    )
    from pos_project.testing.processes import child_env, free_port, start_stream_service, stop

    alpha, _ = _session_tenants
    with django_db_blocker.unblock(), tenant_context(alpha.tenant):
        if not Category.objects.filter(name="Coffee").exists():
            coffee, pastry = category_create(name="Coffee"), category_create(name="Pastry", sort_order=1)
            for i, (name, price) in enumerate([("Espresso", 22000), ("Cappuccino", 32000), ("Caffè latte", 35000)]):
                product_create(category=coffee, name=name, sku=f"BRW-{i}", price_minor=price, barcode=f"89912345{i}")
            product_create(category=pastry, name="Butter croissant", sku="BRW-P1", price_minor=25000)
        from business.models import Outlet
        from kitchen.models import Station

        if not Station.objects.exists():
            station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Kitchen")
            station.categories.set(Category.objects.all())
        if not ModifierGroup.objects.filter(name="Milk").exists():
            milk = modifier_group_create(
                name="Milk", min_choices=0, max_choices=1, modifiers=[ModifierSpec("Oat milk", 6000)]
            )
            product_set_modifier_groups(product=Product.objects.get(sku="BRW-2"), groups=[milk])

        from accounts.models import Role

        owner_codes = _backup_codes(alpha.users[Role.ADMIN_TENANT], 200)

    # The live screens listen to the stream service, as in production (docs/adr/0018); changes made by the tests
    # themselves are published to it too.
    stream, stream_port = start_stream_service()
    publishing = settings.LIVE_STREAM_PORT
    settings.LIVE_STREAM_PORT = str(stream_port)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pos_project.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],
        # The webhook pages' browser test registers a receiver on this machine (integrations/tests).
        env=child_env(WEBHOOKS_ALLOWED_NETWORKS="127.0.0.1/32", LIVE_STREAM_PORT=str(stream_port)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310 - our own loopback server
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"gunicorn did not start:\n{server.communicate()[0]}")
            time.sleep(0.2)
    site = {"port": port, "alpha": alpha, "codes": {"owner": owner_codes}, "stream": stream, "stream_port": stream_port}
    yield site
    server.terminate()
    server.communicate(timeout=20)
    stop(site["stream"])  # a test may have stopped and restarted it (sales/tests/test_browser_kitchen.py)
    settings.LIVE_STREAM_PORT = publishing


_FUNCTION = re.compile(r"^\s*(async\s+)?(function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


@contextlib.contextmanager
def predicates_as_functions():
    """`wait_for_function("document...")` runs its expression through eval() inside the page, which our
    Content-Security-Policy refuses (no 'unsafe-eval'); an arrow function is compiled by the DevTools protocol,
    which the policy does not govern. So a bare expression is sent as `() => (expression)`, and every browser test
    runs under the real policy."""
    from playwright.sync_api import Frame, Page

    def wrap(original):
        def wait_for_function(self, expression, *args, **kwargs):
            if not _FUNCTION.match(expression):
                expression = f"() => ({expression})"
            return original(self, expression, *args, **kwargs)

        return wait_for_function

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Page, "wait_for_function", wrap(Page.wait_for_function))
        patch.setattr(Frame, "wait_for_function", wrap(Frame.wait_for_function))
        yield


@pytest.fixture(scope="module")
def browser():
    """Per test module: Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    while one runs, so the browser is closed before other modules' tests."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it when run as root)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, predicates_as_functions():
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP *.pos.test 127.0.0.1",
            ],  # fmt: skip
        )
        yield browser
        browser.close()


def _backup_codes(user, count: int) -> list[str]:
    """Fresh backup codes for `user` (committed; the old ones go): a browser test passes the owner's second step
    with one each time, since an authenticator's code of a step already used is refused."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _created = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_step(page, site, username) -> None:
    """Pass the second step of signing in, when the page asks for it, with one of the person's backup codes."""
    if "/login/verify/" not in page.url:
        return
    page.fill("#id_token", site["codes"][username].pop())
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_in(browser, site, username):
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    base = f"http://{site['alpha'].host}:{site['port']}"
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # keyboard-friendly: Enter submits
    second_step(page, site, username)
    page.wait_for_load_state("networkidle")
    return context, page, base


def live_tenant_call(live_site, django_db_blocker, work):
    """Run `work()` in the live site's first tenant, committed, on a thread of its own, and return what it
    returned (or raise what it raised): Playwright's event loop makes the test's thread look async to Django,
    which then refuses ORM calls there. The one helper for every browser test that reads or writes the site."""
    from django.db import connection

    outcome = {}

    def run():
        try:
            with tenant_context(live_site["alpha"].tenant):
                outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    with django_db_blocker.unblock():
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
