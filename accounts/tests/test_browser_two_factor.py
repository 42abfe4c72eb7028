"""Real browser: an owner without a second factor is sent to enrol one (scans the QR code, or here reads the key
shown as text and types the code an authenticator would show), gets ten backup codes, then signs in with an
authenticator code and with a backup code; a wrong code is refused.

Screenshots: test-artifacts/screenshots/two-step-*.png.
"""

from base64 import b32decode
from binascii import hexlify

import pytest

from accounts.tests.browser_helpers import base_url, in_db, sign_out, tag
from conftest import STAFF_PASSWORD, totp_code
from pos_project.testing.browser import SCREENSHOTS, TABLET

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _new_owner(site) -> str:
    username = f"owner2fa-{tag()}"

    def make():
        from accounts.models import Role, User
        from accounts.services import staff_create

        staff_create(username=username, role=Role.ADMIN_TENANT, actor=User.objects.get(username="owner"),
                     password=STAFF_PASSWORD, must_change_password=False)  # fmt: skip

    in_db(site["alpha"].tenant, make)
    return username


def _password(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _code(page, code: str) -> None:
    page.fill("#id_token", code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_an_owner_enrols_then_signs_in_with_a_code_and_with_a_backup_code(committed_db, live_site, browser):
    username = _new_owner(live_site)
    base = base_url(live_site)
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The password is right, but an owner must have a second factor: the enrolment page, and nothing else.
    _password(page, base, username)
    assert page.url.startswith(f"{base}/account/two-step/")
    assert page.locator("#totp-qr svg").is_visible()
    page.screenshot(path=SCREENSHOTS / "two-step-enrol.png", full_page=True)
    page.goto(f"{base}/backoffice/")
    assert page.url.startswith(f"{base}/account/two-step/")

    # What the authenticator app does with the key it scanned (shown as text too): the current code.
    key = hexlify(b32decode(page.inner_text("#totp-secret").replace(" ", ""))).decode()
    _code(page, "000000" if totp_code(key) != "000000" else "111111")  # a wrong one first
    assert "not right" in page.get_by_role("alert").inner_text()
    _code(page, totp_code(key))
    codes = [code.strip() for code in page.locator("#backup-codes code").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    page.screenshot(path=SCREENSHOTS / "two-step-backup-codes.png", full_page=True)
    with page.expect_navigation():
        page.get_by_text("I have saved them").click()
    assert page.url == f"{base}/backoffice/"

    # Signing in again: the second step, passed with the authenticator's next code (this one is used).
    sign_out(page)
    _password(page, base, username)
    assert page.url == f"{base}/login/verify/"
    page.screenshot(path=SCREENSHOTS / "two-step-verify.png", full_page=True)
    _code(page, totp_code(key, steps_ahead=1))
    assert page.url == f"{base}/backoffice/"

    # ...with a backup code instead of the phone.
    sign_out(page)
    _password(page, base, username)
    _code(page, codes[0])
    assert page.url == f"{base}/backoffice/"

    # A wrong code (here: the backup code already used) is refused, and the page stays the second step.
    sign_out(page)
    _password(page, base, username)
    _code(page, codes[0])
    assert page.url == f"{base}/login/verify/"
    assert "not right" in page.get_by_role("alert").inner_text()
    page.screenshot(path=SCREENSHOTS / "two-step-wrong-code.png", full_page=True)
    page.goto(f"{base}/backoffice/")
    assert page.url.startswith(f"{base}/login/")  # not signed in
    assert errors == []
    context.close()
