"""Signed-in sessions (accounts/sessions.py): each person's list of devices, ending one or all others, the owner
ending a staff member's, the idle end of back-office sessions, and sign-out and password changes."""

import time

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from accounts import sessions
from accounts.models import AuditEntry, Role, UserSession
from accounts.tests.factories import CashierFactory
from conftest import STAFF_PASSWORD

CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"


def _sign_in(tenant, username, *, agent=FIREFOX_WINDOWS, address="203.0.113.7") -> Client:
    client = Client(HTTP_HOST=tenant.host, HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = tenant.password_sign_in(client, username)  # the owner passes the second step too
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _key(client) -> str:
    return client.cookies["sessionid"].value


def _stored(tenant, key) -> tuple[bool, bool]:
    """Whether the session store still has `key`: in the table, in Redis."""
    with tenant_context(tenant.tenant):
        return Session.objects.filter(session_key=key).exists(), cache.get(KEY_PREFIX + key) is not None


def _signed_in(client) -> bool:
    """The next request with this cookie: still the person's page, or sent to sign in."""
    response = client.get("/account/sessions/")
    return response.status_code == 200


@pytest.fixture
def cashier(tenant):
    with tenant_context(tenant.tenant):
        return CashierFactory(username="sessions-cashier")


def test_each_person_sees_their_devices_with_this_one_marked(tenant, cashier, django_assert_max_num_queries):
    phone = _sign_in(tenant, cashier.username, agent=CHROME_ANDROID, address="198.51.100.4")
    laptop = _sign_in(tenant, cashier.username)
    _sign_in(tenant, "supervisor")  # someone else's session is not in the list
    laptop.get("/account/sessions/")  # the first page of a test makes the business's settings row
    # the tenant (3), the user, the settings (2, cached in production), the list
    with django_assert_max_num_queries(7):
        page = laptop.get("/account/sessions/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="session-row"') == 2
    assert "Chrome · Android" in html and "198.51.100.4" in html
    assert "Firefox · Windows" in html and "203.0.113.7" in html
    assert html.count('data-testid="this-device"') == 1
    with tenant_context(tenant.tenant):
        mine = UserSession.objects.get(session_key=_key(laptop))
    this_row = next(row for row in html.split("<tr")[1:] if 'data-testid="this-device"' in row)
    assert "Firefox · Windows" in this_row and f'data-session="{mine.pk}"' in this_row
    assert _signed_in(phone)


def test_the_name_in_the_top_bar_opens_ones_account_with_password_and_two_step_links(tenant, cashier):
    """No extra button in the top bar (it must fit a phone): the person's name is the way in."""
    client = _sign_in(tenant, "sessions-cashier")
    page = client.get("/till/history/").content.decode()
    assert 'data-testid="my-account" title=' in page and 'href="/account/sessions/"' in page
    till = client.get("/till/shift/open/").content.decode()  # on a phone the till names the person under the brand
    assert 'data-testid="my-account-short"' in till
    account = client.get("/account/sessions/").content.decode()
    assert 'href="/password/"' in account and 'href="/account/two-step/"' in account


def test_ending_another_session_really_ends_it(tenant, cashier):
    phone = _sign_in(tenant, cashier.username, agent=CHROME_ANDROID)
    laptop = _sign_in(tenant, cashier.username)
    assert _signed_in(phone)  # its session is in Redis and the table
    phone_key = _key(phone)
    assert _stored(tenant, phone_key) == (True, True)
    with tenant_context(tenant.tenant):
        row = UserSession.objects.get(session_key=phone_key)
    response = laptop.post(f"/account/sessions/{row.pk}/end/")
    assert response.status_code == 302
    assert _stored(tenant, phone_key) == (False, False)
    assert not _signed_in(phone)
    assert phone.get("/till/")["Location"].startswith("/login/")
    assert _signed_in(laptop)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(pk=row.pk).exists()
        entry = AuditEntry.objects.filter(action="auth.session_end", target_label=cashier.username).latest("id")
        assert entry.data == {"sessions": 1, "reason": "one"} and entry.actor_username == cashier.username


def test_signing_out_of_all_other_devices_keeps_this_one(tenant, cashier):
    others = [_sign_in(tenant, cashier.username) for _ in range(2)]
    this = _sign_in(tenant, cashier.username)
    this.post("/account/sessions/end-others/")
    assert _signed_in(this)
    assert not any(_signed_in(other) for other in others)
    assert all(_stored(tenant, _key(other)) == (False, False) for other in others)
    with tenant_context(tenant.tenant):
        assert list(UserSession.objects.filter(user=cashier).values_list("session_key", flat=True)) == [_key(this)]


def test_nobody_ends_someone_elses_session_from_their_own_list(tenant, cashier):
    victim = _sign_in(tenant, "supervisor")
    with tenant_context(tenant.tenant):
        row = UserSession.objects.get(session_key=_key(victim))
        before = AuditEntry.objects.count()
    attacker = _sign_in(tenant, cashier.username)
    assert attacker.post(f"/account/sessions/{row.pk}/end/").status_code == 404
    assert _signed_in(victim) and _stored(tenant, _key(victim)) == (True, True)
    with tenant_context(tenant.tenant):
        assert UserSession.objects.filter(pk=row.pk).exists()
        assert AuditEntry.objects.count() == before + 1  # the attacker's own sign-in, nothing more


def test_the_owner_signs_a_staff_member_out_everywhere_from_the_staff_page(tenant, cashier):
    tills = [_sign_in(tenant, cashier.username) for _ in range(2)]
    owner = _sign_in(tenant, "owner")
    page = owner.get(f"/backoffice/staff/{cashier.pk}/").content.decode()
    assert 'data-testid="staff-sessions-end"' in page and "Firefox · Windows" in page
    response = owner.post(f"/backoffice/staff/{cashier.pk}/sessions/end/")
    assert response.status_code == 302
    assert not any(_signed_in(till) for till in tills)
    assert _signed_in(owner)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(user=cashier).exists()
        entry = AuditEntry.objects.filter(action="auth.session_end", target_label=cashier.username).latest("id")
        assert entry.actor_username == "owner" and entry.data == {"sessions": 2, "reason": "owner"}


def test_a_supervisor_cannot_sign_staff_out(tenant, cashier):
    till = _sign_in(tenant, cashier.username)
    supervisor = _sign_in(tenant, "supervisor")
    assert supervisor.post(f"/backoffice/staff/{cashier.pk}/sessions/end/").status_code == 403
    assert _signed_in(till)


def _age(tenant, client, seconds: int) -> None:
    """Make the session's record of its last write `seconds` old (as if nobody had used it since)."""
    with tenant_context(tenant.tenant):
        session = client.session
        session[sessions.SEEN_KEY] = int(time.time()) - seconds
        session.save()


def test_a_back_office_session_ends_after_30_idle_minutes(tenant):
    owner = _sign_in(tenant, "owner")
    _age(tenant, owner, 29 * 60)
    assert owner.get("/backoffice/").status_code == 200  # 29 minutes: still there (and seen again now)
    _age(tenant, owner, 31 * 60 + sessions.BACKOFFICE_TOUCH_SECONDS)
    key = _key(owner)
    response = owner.get("/backoffice/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert _stored(tenant, key) == (False, False)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(session_key=key).exists()


def test_a_back_office_session_expires_in_the_store_too(tenant):
    """Abandoned, it does not wait 12 hours in Redis and the table: its expiry follows the idle limit."""
    owner = _sign_in(tenant, "owner")
    with tenant_context(tenant.tenant):
        age = owner.session.get_expiry_age()
    assert 30 * 60 < age <= 33 * 60


def test_a_till_signed_in_by_pin_keeps_the_idle_lock_not_the_30_minutes(tenant):
    from accounts.tests.test_pins import _register, _set_pin

    with tenant_context(tenant.tenant):
        _set_pin(tenant.users[Role.CASHIER], "1357")
    till = _register(tenant)
    till.post("/lock/", {"action": "sign_in", "user": tenant.users[Role.CASHIER].pk, "pin": "1357"})
    with tenant_context(tenant.tenant):
        assert till.session[sessions.KIND_KEY] == sessions.TILL
        assert till.session.get_expiry_age() == 12 * 60 * 60
    _age(tenant, till, 3 * 60 * 60)
    response = till.get("/account/sessions/")
    assert response.status_code == 200 and 'data-testid="this-device"' in response.content.decode()


def test_a_kitchen_display_is_not_signed_out_after_a_quiet_half_hour(tenant):
    """A kitchen screen signed in by password on a tablet that is not a registered till polls all day; unchanged
    polls are answered before sessions are read (kitchen/live.py), so a quiet afternoon looked idle and the next
    ticket found the display signed out. Kitchen staff's sessions are screens, like a till's."""
    display = _sign_in(tenant, "kitchen")
    with tenant_context(tenant.tenant):
        assert display.session[sessions.KIND_KEY] == sessions.TILL
    _age(tenant, display, 3 * 60 * 60)
    assert display.get("/kitchen/").status_code == 200


def test_the_owner_on_a_registered_till_is_still_a_back_office_session(tenant):
    from accounts.tests.test_pins import _register

    till = _register(tenant)
    assert tenant.password_sign_in(till, "owner")["Location"] == "/backoffice/"
    with tenant_context(tenant.tenant):
        assert till.session[sessions.KIND_KEY] == sessions.BACKOFFICE


def test_last_seen_is_written_every_few_minutes_not_on_every_request(tenant, cashier, django_assert_num_queries):
    client = _sign_in(tenant, cashier.username)
    client.get("/account/sessions/")
    with tenant_context(tenant.tenant):
        row = UserSession.objects.get(session_key=_key(client))
    # the tenant (3), the user, the settings (2, cached in production), the list: no write of the session or its row
    with django_assert_num_queries(7):
        client.get("/account/sessions/")
    with tenant_context(tenant.tenant):
        assert UserSession.objects.get(pk=row.pk).last_seen_at == row.last_seen_at
    _age(tenant, client, 2 * 60)
    client.get("/account/sessions/")
    with tenant_context(tenant.tenant):
        assert UserSession.objects.get(pk=row.pk).last_seen_at > row.last_seen_at


def test_signing_out_ends_the_session_and_its_row(tenant, cashier):
    client = _sign_in(tenant, cashier.username)
    key = _key(client)
    client.post("/logout/")
    assert _stored(tenant, key) == (False, False)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(user=cashier).exists()


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(tenant, cashier):
    other = _sign_in(tenant, cashier.username)
    this = _sign_in(tenant, cashier.username)
    other_key = _key(other)
    response = this.post("/password/", {"current_password": STAFF_PASSWORD, "new_password1": "a-new-long-secret-9",
                                        "new_password2": "a-new-long-secret-9"})  # fmt: skip
    assert response.status_code == 302
    assert _stored(tenant, other_key) == (False, False)
    assert not _signed_in(other)
    assert _signed_in(this)
    with tenant_context(tenant.tenant):
        # This session went on under a new key, and its row followed it.
        assert list(UserSession.objects.filter(user=cashier).values_list("session_key", flat=True)) == [_key(this)]


def test_a_password_reset_or_deactivation_by_the_owner_signs_the_person_out(tenant, cashier):
    till = _sign_in(tenant, cashier.username)
    owner = _sign_in(tenant, "owner")
    owner.post(f"/backoffice/staff/{cashier.pk}/reset-password/")
    assert not _signed_in(till)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(user=cashier).exists()
        cashier.set_password(STAFF_PASSWORD)
        cashier.must_change_password = False
        cashier.save()
    till = _sign_in(tenant, cashier.username)
    form = {"first_name": "C", "last_name": "", "email": "", "role": Role.CASHIER}  # is_active left unticked
    assert owner.post(f"/backoffice/staff/{cashier.pk}/", form).status_code == 302
    assert not _signed_in(till)
    with tenant_context(tenant.tenant):
        assert not UserSession.objects.filter(user=cashier).exists()


def test_a_session_signed_in_before_the_list_existed_is_adopted_at_its_next_request(tenant, cashier):
    client = _sign_in(tenant, cashier.username)
    with tenant_context(tenant.tenant):
        UserSession.objects.filter(user=cashier).delete()
        session = client.session
        for key in (sessions.SID_KEY, sessions.SEEN_KEY, sessions.KIND_KEY):
            del session[key]
        session.save()
    assert _signed_in(client)
    with tenant_context(tenant.tenant):
        assert UserSession.objects.filter(user=cashier, session_key=_key(client)).exists()


def test_the_nightly_clean_up_forgets_the_rows_of_sessions_that_are_gone(tenant, cashier):
    from accounts.tasks import clear_expired_sessions

    kept = _sign_in(tenant, cashier.username)
    gone = _sign_in(tenant, cashier.username)
    with tenant_context(tenant.tenant):
        Session.objects.filter(session_key=_key(gone)).update(expire_date="2020-01-01T00:00Z")
        clear_expired_sessions()
        assert list(UserSession.objects.filter(user=cashier).values_list("session_key", flat=True)) == [_key(kept)]
