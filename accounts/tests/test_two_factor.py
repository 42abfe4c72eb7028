"""Two-step sign-in (issue 12, point 2 and "two-factor sign-in with django-otp"): enrolment, the second step,
backup codes, who must have it, and the platform admin."""

import re

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.factories import CashierFactory, OwnerFactory, SupervisorFactory
from accounts.two_factor import ENROL_KEY
from business.models import SalesSettings
from conftest import OWNER_TOTP_KEY, STAFF_PASSWORD, totp_code

PLATFORM_HOST = "pos.test"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(tenant):
    """Sign-in counters live in Redis, which a test's rollback does not reach."""

    def forget():
        caches["global"].delete_pattern("signin:*")
        with tenant_context(tenant.tenant):
            cache.delete_pattern("rl:*")
        with schema_context("public"):
            cache.delete_pattern("rl:*")

    forget()
    yield
    forget()


def _person(tenant, factory=OwnerFactory, *, totp_key: str | None = None, codes: tuple[str, ...] = ()) -> User:
    with tenant_context(tenant.tenant):
        user = factory()
        if totp_key:
            TOTPDevice.objects.create(user=user, name="authenticator", key=totp_key, confirmed=True)
        if codes:
            device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
            StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return user


def _unthrottle(tenant, user) -> None:
    """django-otp makes a device wait 1, 2, 4... seconds after each wrong code; a test does not wait."""
    with tenant_context(tenant.tenant):
        for model in (TOTPDevice, StaticDevice):
            model.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def _till_opens(client) -> bool:
    page = client.get("/till/", follow=True)
    return page.status_code == 200 and page.redirect_chain[-1][0].startswith("/till/")


def _audits(tenant, action: str, username: str) -> int:
    with tenant_context(tenant.tenant):
        return AuditEntry.objects.filter(action=action, target_label=username).count()


def _enrolment_key(client) -> str:
    return client.session[ENROL_KEY]


# --- Enforcement: owners must have it ----------------------------------------------------------------------------


def test_an_owner_without_a_second_factor_is_sent_to_enrol_and_can_open_nothing_else(tenant):
    owner = _person(tenant)
    client = tenant.client()
    response = client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    assert response.status_code == 302
    for path in ("/backoffice/", "/backoffice/staff/", "/till/", "/password/"):
        refused = client.get(path)
        assert refused.status_code == 302 and refused["Location"].startswith("/account/two-step/"), path
    page = client.get("/account/two-step/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "otpauth" not in html  # the QR code is drawn in the page, not fetched elsewhere
    assert 'id="totp-secret"' in html
    assert page["Cache-Control"].count("no-store") == 1
    with tenant_context(tenant.tenant):
        assert not TOTPDevice.objects.filter(user=owner).exists()  # nothing is stored until a code confirms it


def test_enrolment_needs_a_right_code_then_shows_ten_backup_codes_once_and_the_owner_is_in(tenant):
    owner = _person(tenant)
    client = tenant.client()
    client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    client.get("/account/two-step/")
    key = _enrolment_key(client)

    wrong = client.post("/account/two-step/", {"action": "enrol", "token": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    with tenant_context(tenant.tenant):
        assert not TOTPDevice.objects.filter(user=owner).exists()
    assert _audits(tenant, "auth.otp_failed", owner.username) == 1
    assert _enrolment_key(client) == key  # the same QR code still works

    done = client.post("/account/two-step/", {"action": "enrol", "token": totp_code(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and "no-store" in done["Cache-Control"]
    with tenant_context(tenant.tenant):
        device = TOTPDevice.objects.get(user=owner)
        assert device.confirmed and device.key == key
        assert sorted(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == sorted(codes)
    assert _audits(tenant, "auth.2fa_enrol", owner.username) == 1
    assert client.get("/backoffice/").status_code == 200  # this session showed a code: it is verified
    assert "backup-codes" not in client.get("/account/two-step/").content.decode()  # shown once


def test_a_session_from_before_the_second_step_is_signed_out(tenant):
    """An owner who has an authenticator but whose session never passed the second step (force_login here, a
    session older than the enrolment in life) signs in again."""
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY)
    client = Client(HTTP_HOST=tenant.host)
    with tenant_context(tenant.tenant):
        client.force_login(owner)
    response = client.get("/backoffice/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


# --- The second step ------------------------------------------------------------------------------------------------


def test_the_second_step_signs_in_only_after_a_right_code_and_wrong_codes_are_audited(tenant):
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY)
    client = tenant.client()
    first = client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    assert first["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    assert client.get("/backoffice/")["Location"].startswith("/login/")

    wrong = client.post("/login/verify/", {"token": "123456" if totp_code() != "123456" else "654321"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    assert _audits(tenant, "auth.otp_failed", owner.username) == 1
    assert _audits(tenant, "auth.login", owner.username) == 0

    _unthrottle(tenant, owner)  # django-otp's own throttle waits a second after a wrong code
    right = client.post("/login/verify/", {"token": totp_code()})
    assert right.status_code == 302 and right["Location"] == "/backoffice/"
    assert client.get("/backoffice/").status_code == 200
    with tenant_context(tenant.tenant):
        login = AuditEntry.objects.get(action="auth.login", target_label=owner.username)
        assert login.data == {"second_factor": "totp"}
    assert client.session["otp_device_id"].startswith("otp_totp.totpdevice/")


def test_a_backup_code_signs_in_once(tenant):
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY, codes=("abcdefgh", "ijklmnop"))
    client = tenant.client()
    client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    assert client.post("/login/verify/", {"token": " ABCD EFGH "})["Location"] == "/backoffice/"
    with tenant_context(tenant.tenant):
        assert list(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == ["ijklmnop"]
        assert AuditEntry.objects.get(action="auth.login", target_label=owner.username).data == {
            "second_factor": "backup_code"
        }
    again = tenant.client()
    again.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    refused = again.post("/login/verify/", {"token": "abcdefgh"})
    assert refused.status_code == 400 and "_auth_user_id" not in again.session


def test_the_second_step_is_rate_limited_per_person(tenant, settings):
    settings.TWO_FACTOR_RATE_LIMIT = "3/m"
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY, codes=("abcdefgh",))
    for _ in range(3):  # each attempt from a new browser: the limit follows the person, not the session
        client = tenant.client()
        client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
        assert client.post("/login/verify/", {"token": "zzzzzzzz"}).status_code == 400
        _unthrottle(tenant, owner)
    client = tenant.client()
    client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    limited = client.post("/login/verify/", {"token": "abcdefgh"})
    assert limited.status_code == 429 and "_auth_user_id" not in client.session
    with tenant_context(tenant.tenant):
        assert StaticToken.objects.filter(device__user=owner, token="abcdefgh").exists()  # not used up


def test_a_stale_pending_sign_in_starts_again(tenant):
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY)
    client = tenant.client()
    client.post("/login/", {"username": owner.username, "password": STAFF_PASSWORD})
    session = client.session
    session["otp_pending"]["at"] -= 10 * 60
    session.save()
    response = client.post("/login/verify/", {"token": totp_code()})
    assert response["Location"] == "/login/" and "_auth_user_id" not in client.session


# --- Managing it: new backup codes, turning it off ----------------------------------------------------------------


def _signed_in(tenant, user) -> Client:
    client = tenant.client()
    client.post("/login/", {"username": user.username, "password": STAFF_PASSWORD})
    assert client.post("/login/verify/", {"token": "abcdefgh"})["Location"] == "/backoffice/"
    return client


def test_new_backup_codes_need_a_code_and_replace_the_old(tenant):
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY, codes=("abcdefgh", "ijklmnop"))
    client = _signed_in(tenant, owner)
    refused = client.post("/account/two-step/", {"action": "backup_regenerate", "token": "zzzzzzzz"})
    assert refused.status_code == 400
    with tenant_context(tenant.tenant):
        assert list(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == ["ijklmnop"]
    _unthrottle(tenant, owner)
    made = client.post("/account/two-step/", {"action": "backup_regenerate", "token": totp_code()})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", made.content.decode())
    assert len(codes) == 10 and "ijklmnop" not in codes
    with tenant_context(tenant.tenant):
        assert StaticToken.objects.filter(device__user=owner).count() == 10
    assert _audits(tenant, "auth.2fa_backup_regenerate", owner.username) == 1
    assert _audits(tenant, "auth.otp_failed", owner.username) == 1


def test_turning_it_off_needs_the_password_and_a_code_and_an_owner_must_enrol_again(tenant):
    owner = _person(tenant, totp_key=OWNER_TOTP_KEY, codes=("abcdefgh", "ijklmnop"))
    client = _signed_in(tenant, owner)
    no_password = client.post("/account/two-step/", {"action": "disable", "password": "wrong", "token": totp_code()})
    assert no_password.status_code == 400
    no_code = client.post("/account/two-step/", {"action": "disable", "password": STAFF_PASSWORD, "token": "zzzzzzzz"})
    assert no_code.status_code == 400
    with tenant_context(tenant.tenant):
        assert TOTPDevice.objects.filter(user=owner).exists()
    assert _audits(tenant, "auth.2fa_disable", owner.username) == 0

    _unthrottle(tenant, owner)
    done = client.post("/account/two-step/", {"action": "disable", "password": STAFF_PASSWORD, "token": "ijklmnop"})
    assert done.status_code == 302
    with tenant_context(tenant.tenant):
        assert not TOTPDevice.objects.filter(user=owner).exists()
        assert not StaticDevice.objects.filter(user=owner).exists()
    assert _audits(tenant, "auth.2fa_disable", owner.username) == 1
    assert client.get("/backoffice/")["Location"].startswith("/account/two-step/")


# --- Supervisors and cashiers: by the business's settings; PIN sign-in stays ----------------------------------------


def _require(tenant, **fields):
    with tenant_context(tenant.tenant):
        SalesSettings.objects.update_or_create(pk=1, defaults=fields)


def test_cashiers_and_supervisors_need_it_only_when_the_business_says_so(tenant):
    cashier, supervisor = _person(tenant, CashierFactory), _person(tenant, SupervisorFactory)
    client = tenant.client()
    assert client.post("/login/", {"username": cashier.username, "password": STAFF_PASSWORD})["Location"] == "/till/"
    assert _till_opens(client)

    _require(tenant, two_factor_cashiers=True)
    client = tenant.client()
    client.post("/login/", {"username": cashier.username, "password": STAFF_PASSWORD})
    assert client.get("/till/")["Location"].startswith("/account/two-step/")
    client = tenant.client()  # supervisors are not named by that setting
    client.post("/login/", {"username": supervisor.username, "password": STAFF_PASSWORD})
    assert client.get("/supervisor/").status_code == 200

    _require(tenant, two_factor_supervisors=True)
    client = tenant.client()
    client.post("/login/", {"username": supervisor.username, "password": STAFF_PASSWORD})
    assert client.get("/supervisor/")["Location"].startswith("/account/two-step/")


def test_pin_sign_in_on_a_registered_till_needs_no_second_factor(tenant):
    from accounts.services import staff_set_pin

    cashier = _person(tenant, CashierFactory)
    with tenant_context(tenant.tenant):
        staff_set_pin(user=cashier, pin="1357", actor=None)
    till = Client(HTTP_HOST=tenant.host)
    with tenant_context(tenant.tenant):
        till.force_login(tenant.users[Role.SUPERVISOR])
    assert till.post("/device/", {"action": "register", "name": "Front"}).status_code == 302
    till.post("/logout/")
    _require(tenant, two_factor_cashiers=True, two_factor_supervisors=True)

    signed_in = till.post("/lock/", {"action": "sign_in", "user": cashier.pk, "pin": "1357"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/till/"
    assert _till_opens(till)
    password = tenant.client()  # the same cashier with a password, elsewhere: enrol first
    password.post("/login/", {"username": cashier.username, "password": STAFF_PASSWORD})
    assert password.get("/till/")["Location"].startswith("/account/two-step/")


# --- The platform admin ---------------------------------------------------------------------------------------------


def _super_admin(**devices) -> User:
    with schema_context("public"):
        admin = User.objects.create_user("platform-admin", "pa@example.com", STAFF_PASSWORD, is_staff=True,
                                         is_superuser=True, role=Role.SUPER_ADMIN)  # fmt: skip
        if devices.get("totp_key"):
            TOTPDevice.objects.create(user=admin, name="authenticator", key=devices["totp_key"], confirmed=True)
    return admin


def test_the_admin_refuses_a_super_admin_session_without_a_second_factor(db, _session_tenants):
    admin = _super_admin()
    client = Client(HTTP_HOST=PLATFORM_HOST)
    with schema_context("public"):
        client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-step/")
    assert client.get("/admin/tenants/tenant/").status_code == 302


def test_the_admin_refuses_an_unverified_session_and_lets_in_after_the_second_step(db, _session_tenants):
    admin = _super_admin(totp_key=OWNER_TOTP_KEY)
    stale = Client(HTTP_HOST=PLATFORM_HOST)
    with schema_context("public"):
        stale.force_login(admin)
    assert stale.get("/admin/")["Location"].startswith("/login/")

    client = Client(HTTP_HOST=PLATFORM_HOST)
    login_page = client.get("/admin/", follow=True)
    assert login_page.redirect_chain[-1][0].startswith("/login/?next=/admin/")
    step = client.post("/login/?next=/admin/", {"username": "platform-admin", "password": STAFF_PASSWORD})
    assert step["Location"] == "/login/verify/"
    assert client.get("/admin/").status_code == 302
    assert client.post("/login/verify/", {"token": totp_code()})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def _platform_sign_in_form(client) -> str:
    """Where the platform admin's sign-in form posts: followed from the admin itself."""
    page = client.get("/admin/", follow=True)
    return page.redirect_chain[-1][0]


def test_the_platform_sign_in_is_throttled_per_normalised_username(db, _session_tenants, settings):
    settings.LOGIN_RATE_LIMIT, settings.LOGIN_FREE_FAILURES = "5/m", 5
    _super_admin(totp_key=OWNER_TOTP_KEY)
    for _ in range(5):
        client = Client(HTTP_HOST=PLATFORM_HOST, REMOTE_ADDR="203.0.113.9")
        form = _platform_sign_in_form(client)
        client.post(form, {"username": "platform-admin", "password": "guess", "this_is_the_login_form": "1"})
    client = Client(HTTP_HOST=PLATFORM_HOST, REMOTE_ADDR="198.51.100.7")
    form = _platform_sign_in_form(client)
    response = client.post(form, {"username": " PLATFORM-ADMIN ", "password": STAFF_PASSWORD,
                                  "this_is_the_login_form": "1"})  # fmt: skip
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session and "otp_pending" not in client.session


def test_the_platform_sign_in_is_throttled_per_address(db, _session_tenants, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP, settings.LOGIN_FREE_FAILURES_PER_ADDRESS = "5/m", 5
    _super_admin(totp_key=OWNER_TOTP_KEY)
    client = Client(HTTP_HOST=PLATFORM_HOST, REMOTE_ADDR="203.0.113.10")
    form = _platform_sign_in_form(client)
    for n in range(5):
        client.post(form, {"username": f"someone-{n}", "password": "guess", "this_is_the_login_form": "1"})
    response = client.post(form, {"username": "platform-admin", "password": STAFF_PASSWORD,
                                  "this_is_the_login_form": "1"})  # fmt: skip
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session and "otp_pending" not in client.session
