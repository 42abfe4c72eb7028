import pytest
from django.core.cache import cache, caches
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from conftest import STAFF_PASSWORD, password_sign_in

HOMES = {
    # Without an open shift on this device the till asks to open one first.
    Role.CASHIER: ("/till/", 'data-testid="shift-open"', "layout-cashier"),
    Role.KITCHEN: ("/kitchen/", 'data-testid="kitchen-display"', "layout-kitchen"),
    Role.SUPERVISOR: ("/supervisor/", 'data-testid="supervisor-console"', "layout-supervisor"),
    Role.ADMIN_TENANT: ("/backoffice/", 'data-testid="backoffice-dashboard"', "layout-backoffice"),
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(tenant, other_tenant):
    """Forget sign-in counters of this test process only (cache.clear() would flush every xdist worker's)."""

    def forget():
        caches["global"].delete_pattern("signin:*")
        for fixture in (tenant, other_tenant):
            with tenant_context(fixture.tenant):
                cache.delete_pattern("rl:*")

    forget()
    yield
    forget()


@pytest.mark.parametrize("role", list(HOMES))
def test_login_lands_each_role_in_its_own_layout(tenant, role):
    client = tenant.client()
    username = tenant.users[role].username
    response = password_sign_in(client, username)  # the owner passes the second step too
    path, marker, layout = HOMES[role]
    assert response.status_code == 302
    assert response["Location"] == path
    page = client.get(path, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert marker in html and layout in html
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action="auth.login", actor_username=username).exists()


def test_wrong_password_is_refused_with_a_message_and_audited(tenant):
    response = tenant.client().post("/login/", {"username": "cashier", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action="auth.login_failed", target_label="cashier").exists()


def test_deactivated_staff_cannot_sign_in(tenant):
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=tenant.users[Role.CASHIER].pk).update(is_active=False)
    response = tenant.client().post("/login/", {"username": "cashier", "password": STAFF_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_login_is_rate_limited_per_username(tenant, settings, monkeypatch):
    from accounts import throttle

    settings.LOGIN_FREE_FAILURES, settings.LOGIN_FREE_FAILURES_PER_ADDRESS = 5, 30
    monkeypatch.setattr(throttle, "_now", lambda: 1_800_000_000.0)  # the 1 s wait cannot run out on a slow machine
    client = tenant.client()
    for _ in range(5):
        assert client.post("/login/", {"username": "cashier", "password": "wrong"}).status_code == 200
    response = client.post("/login/", {"username": "cashier", "password": STAFF_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 1 second." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_visitor_is_sent_to_login(tenant):
    response = tenant.client().get("/till/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/till/"


def test_logout_ends_the_session(tenant):
    client = tenant.client(Role.CASHIER)
    assert client.get("/till/shift/open/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/till/shift/open/").status_code == 302


def test_one_time_password_must_be_changed_before_anything_else(tenant):
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=tenant.users[Role.CASHIER].pk).update(must_change_password=True)
    client = tenant.client()
    client.post("/login/", {"username": "cashier", "password": STAFF_PASSWORD})
    assert client.get("/till/")["Location"] == "/password/"
    refused = client.post("/password/", {"current_password": STAFF_PASSWORD, "new_password1": "short",
                                         "new_password2": "short"})  # fmt: skip
    assert refused.status_code == 200
    assert "too short" in refused.content.decode()
    mismatch = client.post("/password/", {"current_password": STAFF_PASSWORD, "new_password1": "a-Long-new-pass-42",
                                          "new_password2": "other-pass-42"})  # fmt: skip
    assert "The two passwords differ" in mismatch.content.decode()
    done = client.post("/password/", {"current_password": STAFF_PASSWORD, "new_password1": "a-Long-new-pass-42",
                                      "new_password2": "a-Long-new-pass-42"})  # fmt: skip
    assert done["Location"] == "/till/"
    assert client.get("/till/shift/open/").status_code == 200
    with tenant_context(tenant.tenant):
        user = User.objects.get(username="cashier")
        assert not user.must_change_password and user.check_password("a-Long-new-pass-42")


def test_changing_the_password_asks_for_the_current_one(tenant):
    """Issue 12, point 4: a session left open on a till must not be enough to take the account over."""
    client = tenant.client(Role.CASHIER)
    new = {"new_password1": "a-Long-new-pass-42", "new_password2": "a-Long-new-pass-42"}
    missing = client.post("/password/", new)
    wrong = client.post("/password/", {**new, "current_password": "not-it"})
    assert missing.status_code == wrong.status_code == 200
    assert "Your current password is not right." in wrong.content.decode()
    with tenant_context(tenant.tenant):
        user = User.objects.get(username="cashier")
        assert user.check_password(STAFF_PASSWORD) and not user.check_password("a-Long-new-pass-42")
        assert not AuditEntry.objects.filter(action="auth.password_change").exists()
    done = client.post("/password/", {**new, "current_password": STAFF_PASSWORD})
    assert done.status_code == 302
    with tenant_context(tenant.tenant):
        assert User.objects.get(username="cashier").check_password("a-Long-new-pass-42")


def test_the_same_username_in_two_tenants_is_two_people(tenant, other_tenant):
    with tenant_context(other_tenant.tenant):
        other = User.objects.get(username="cashier")
        other.set_password("beta-only-password")
        other.save()
    # alpha's password does not open beta's account, and beta's does not open alpha's.
    assert tenant.client().post("/login/", {"username": "cashier", "password": "beta-only-password"}).status_code == 200
    beta = other_tenant.client()
    assert beta.post("/login/", {"username": "cashier", "password": STAFF_PASSWORD}).status_code == 200
    assert beta.post("/login/", {"username": "cashier", "password": "beta-only-password"}).status_code == 302


def test_a_session_cookie_from_one_tenant_grants_nothing_on_another(tenant, other_tenant):
    alpha = tenant.client()
    assert password_sign_in(alpha, "owner")["Location"] == "/backoffice/"
    stolen = alpha.cookies["sessionid"].value

    beta = other_tenant.client()
    beta.cookies["sessionid"] = stolen
    for path in ["/backoffice/", "/till/", "/backoffice/staff/"]:
        response = beta.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/")


def test_a_session_row_copied_into_another_schema_is_still_refused(tenant, other_tenant):
    """Even if a session store were shared, the session is stamped with the schema it was made in."""
    from django.contrib.sessions.models import Session

    alpha = tenant.client()
    assert password_sign_in(alpha, "owner")["Location"] == "/backoffice/"
    key = alpha.cookies["sessionid"].value
    with tenant_context(tenant.tenant):
        row = Session.objects.get(session_key=key)
    with tenant_context(other_tenant.tenant):
        Session.objects.create(session_key=key, session_data=row.session_data, expire_date=row.expire_date)
    beta = other_tenant.client()
    beta.cookies["sessionid"] = key
    assert beta.get("/backoffice/").status_code == 302


def test_unknown_business_address_gets_a_friendly_404(db):
    from django.test import Client

    response = Client(HTTP_HOST="nobody.pos.test").get("/login/")
    assert response.status_code == 404
    assert "No business at this address" in response.content.decode()


def test_deactivated_tenant_is_not_served(tenant):
    from tenants.models import Tenant

    business = Tenant.objects.get(pk=tenant.tenant.pk)
    business.is_active = False
    business.save(update_fields=["is_active"])  # as the admin does: the cached tenant is forgotten at once
    response = tenant.client().get("/login/")
    assert response.status_code == 403
    assert "not available" in response.content.decode()


def test_pages_follow_the_browser_language_and_the_switcher(tenant):
    client = tenant.client()
    indonesian = client.get("/login/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Nama pengguna" in indonesian and "Kata sandi" in indonesian
    assert "Username" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post("/i18n/setlang/", {"language": "id", "next": "/login/"})
    assert "Masuk" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
