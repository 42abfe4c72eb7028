"""Sign-in limits (issue 12, point 3): one counter per normalised username, waits that grow, an address counted
across every business, and known devices (registered tills, browsers where the person signed in before) that
strangers' failures from the same address cannot lock out. The lock screen's PIN sign-in likewise."""

import uuid

import pytest
from django.core.cache import caches
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.tests.test_pins import _register, _set_pin
from conftest import STAFF_PASSWORD, totp_code

GUEST = "198.51.100.23"  # the café's public address: its tills, its staff's phones and its guests'


@pytest.fixture(autouse=True)
def production_limits(settings, tenant, other_tenant):
    """The production figures, and no counters left from another test. (LOGIN_RATE_LIMIT* are what the limiter
    before this change read: with them these tests measure the same thing on the old code.)"""
    settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_LIMIT_PER_IP = "10/m", "60/m"
    settings.LOGIN_FREE_FAILURES, settings.LOGIN_FREE_FAILURES_PER_ADDRESS = 5, 30
    settings.PIN_FREE_FAILURES_PER_DEVICE = 10

    def forget():
        if "global" in settings.CACHES:  # (the code before this change had no such alias)
            caches["global"].delete_pattern("signin:*")
        for fixture in (tenant, other_tenant):
            with tenant_context(fixture.tenant):
                caches["default"].delete_pattern("rl:*")

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The limiter's clock stands still unless a test moves it: waits are checked without sleeping, and a slow
    machine cannot let a wait run out in the middle of a test. (A no-op on the code before the limiter had one.)"""
    now = [1_800_000_000.0]
    try:
        from accounts import throttle
    except ImportError:
        return now
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def _client(tenant, address=GUEST) -> Client:
    return Client(HTTP_HOST=tenant.host, REMOTE_ADDR=address)


def _sign_in(client, username, password=STAFF_PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def _fail(client, username, times):
    for _ in range(times):
        assert _sign_in(client, username, "wrong-password").status_code == 200


def _logins(tenant, username) -> int:
    with tenant_context(tenant.tenant):
        return AuditEntry.objects.filter(action="auth.login", target_label=username).count()


@pytest.mark.parametrize("variant", ["kitchen ", "ｋｉｔｃｈｅｎ", "KITCHEN", " Kitchen"])
def test_spellings_of_a_username_share_its_limit(tenant, variant):
    client, before = _client(tenant), _logins(tenant, "kitchen")
    _fail(client, "kitchen", 5)
    refused = _sign_in(client, variant)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert "Try again in 1 second." in refused.content.decode()
    assert "_auth_user_id" not in client.session and _logins(tenant, "kitchen") == before


def test_each_further_failure_waits_longer_and_is_refused_at_once(tenant, clock):
    client = _client(tenant)
    _fail(client, "cashier", 5)
    with tenant_context(tenant.tenant):
        failures = AuditEntry.objects.filter(action="auth.login_failed").count()
    for wait in (1, 2, 4, 8):
        refused = _sign_in(client, "cashier", "another-guess")
        assert refused.status_code == 429
        assert f"Try again in {wait} second" in refused.content.decode()
        clock[0] += wait  # the wait is over: one more try is let through
        assert _sign_in(client, "cashier", "wrong-password").status_code == 200
        failures += 1
    with tenant_context(tenant.tenant):  # refused tries never reached the password check
        assert AuditEntry.objects.filter(action="auth.login_failed").count() == failures
    assert "Try again in 16 seconds." in _sign_in(client, "cashier").content.decode()
    clock[0] += 16
    assert _sign_in(client, "cashier").status_code == 302  # the right password clears the count
    _fail(_client(tenant), "cashier", 4)


def test_strangers_failures_never_refuse_the_owner_on_a_browser_they_signed_in_on(tenant):
    owners_browser = _client(tenant)
    assert _sign_in(owners_browser, "owner").status_code == 302
    owners_browser.post("/logout/")
    guest = _client(tenant)
    for _ in range(10):  # the owner's own name, guessed from the guest's phone
        assert _sign_in(guest, "owner", "wrong-password").status_code in (200, 429)
    for _ in range(50):
        assert _sign_in(guest, uuid.uuid4().hex[:10], "wrong-password").status_code in (200, 429)
    assert _sign_in(guest, "owner").status_code == 429  # a browser nobody signed in on waits
    assert _sign_in(owners_browser, "owner")["Location"] == "/login/verify/"  # the password taken; then the code
    assert owners_browser.post("/login/verify/", {"token": totp_code()})["Location"] == "/backoffice/"
    assert owners_browser.session["_auth_user_id"] == str(tenant.users[Role.ADMIN_TENANT].pk)


def test_a_registered_till_signs_in_by_password_whatever_the_guests_did(tenant):
    till = _register(tenant)
    till.defaults["REMOTE_ADDR"] = GUEST
    guest = _client(tenant)
    for _ in range(60):
        assert _sign_in(guest, uuid.uuid4().hex[:10], "wrong-password").status_code in (200, 429)
    for _ in range(6):
        assert _sign_in(guest, "cashier", "wrong-password").status_code in (200, 429)
    assert _sign_in(till, "cashier").status_code == 302


def test_a_known_device_is_still_slowed_down_on_its_own(tenant, clock):
    browser = _client(tenant)
    assert _sign_in(browser, "supervisor").status_code == 302
    browser.post("/logout/")
    _fail(browser, "supervisor", 5)
    assert _sign_in(browser, "supervisor").status_code == 429
    assert _sign_in(_client(tenant, "192.0.2.9"), "supervisor").status_code == 302  # elsewhere: not counted


def test_one_address_is_counted_across_every_business(tenant, other_tenant):
    alpha, before = _client(tenant), _logins(other_tenant, "cashier")
    for _ in range(30):
        assert _sign_in(alpha, uuid.uuid4().hex[:10], "wrong-password").status_code == 200
    beta = _client(other_tenant)
    refused = _sign_in(beta, "cashier")
    assert refused.status_code == 429 and "_auth_user_id" not in beta.session
    assert _logins(other_tenant, "cashier") == before
    assert _sign_in(_client(other_tenant, "192.0.2.10"), "cashier").status_code == 302


def test_a_right_password_gives_the_address_back_only_its_own_try(tenant):
    client = _client(tenant)
    for _ in range(29):
        _sign_in(client, uuid.uuid4().hex[:10], "wrong-password")
    for _ in range(3):  # correct sign-ins neither count nor reset the address
        assert _sign_in(_client(tenant), "kitchen").status_code == 302
    assert _sign_in(client, uuid.uuid4().hex[:10], "wrong-password").status_code == 200
    assert _sign_in(_client(tenant), "kitchen").status_code == 429


# --- the lock screen: PINs on a registered till -----------------------------------------------------------------


@pytest.fixture
def till(tenant):
    with tenant_context(tenant.tenant):
        _set_pin(tenant.users[Role.CASHIER], "1357")
    client = _register(tenant)
    client.defaults["REMOTE_ADDR"] = GUEST
    return client


def test_guests_posting_to_the_lock_screen_never_stop_the_tills(tenant, till):
    guest = _client(tenant)
    cashier = tenant.users[Role.CASHIER].pk
    for _ in range(70):
        assert guest.post("/lock/", {"action": "sign_in", "user": cashier, "pin": "0000"}).status_code == 403
        guest.post("/timeclock/punch/", {"action": "clock_in", "user": cashier, "pin": "0000"})
    signed_in = till.post("/lock/", {"action": "sign_in", "user": cashier, "pin": "1357"})
    assert signed_in.status_code == 302 and till.session["_auth_user_id"] == str(cashier)
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=cashier).pin_failures == 0  # the guests' PINs were never checked


def test_wrong_pins_on_one_till_slow_that_till_down(tenant, till, clock):
    cashier = tenant.users[Role.CASHIER].pk
    for _ in range(10):  # no tile chosen: nobody's PIN locks, the till's count still grows
        assert till.post("/lock/", {"action": "sign_in", "pin": "1357"}).status_code == 400
    refused = till.post("/lock/", {"action": "sign_in", "user": cashier, "pin": "1357"})
    assert refused.status_code == 429 and "Try again in 1 second." in refused.content.decode()
    assert "_auth_user_id" not in till.session
    punched = till.post("/timeclock/punch/", {"action": "clock_in", "user": cashier, "pin": "1357"}, follow=True)
    assert "Try again in 1 second." in punched.content.decode()
    clock[0] += 1
    assert till.post("/lock/", {"action": "sign_in", "user": cashier, "pin": "1357"}).status_code == 302


def test_with_redis_down_the_limits_fail_open(tenant, monkeypatch):
    """As django-ratelimit does (RATELIMIT_FAIL_OPEN): cashiers still sign in while Redis is away."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from accounts import throttle

    def unreachable(alias):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(throttle, "get_redis_connection", unreachable)
    client = _client(tenant)
    _fail(client, "cashier", 8)
    assert _sign_in(client, "cashier").status_code == 302
