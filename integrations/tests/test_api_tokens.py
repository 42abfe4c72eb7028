"""Staff apps' tokens (issue 14 point 2, docs/adr/0017): sign in, refresh with rotation and reuse detection,
revoke, refused after a password change, the sign-in limits of the login page, one tenant's token refused on
another."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from accounts.services import password_change
from accounts.tests.factories import CashierFactory, KitchenUserFactory
from conftest import STAFF_PASSWORD, otp_backup_code
from integrations.models.keys import StaffToken
from pos_project.testing.api import ApiClient

CATEGORIES = "/api/v1/categories/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


@pytest.fixture
def cashier(tenant):
    with tenant_context(tenant.tenant):
        return CashierFactory(username=f"till-{uuid.uuid4().hex[:8]}")


def _sign_in(tenant, username: str, password: str = STAFF_PASSWORD, **extra):
    return ApiClient(tenant.host).post("/api/v1/auth/token", {"username": username, "password": password, **extra},
                                       idempotency_key="")  # fmt: skip


def _tokens(tenant, username: str, **extra) -> dict:
    response = _sign_in(tenant, username, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_person_signs_in_and_acts_with_their_own_role(tenant, cashier):
    tokens = _tokens(tenant, cashier.username)
    assert tokens["token_type"] == "Bearer" and tokens["access_token"].startswith("pos_at_")
    lifetime = timezone.datetime.fromisoformat(tokens["access_expires_at"]) - timezone.now()
    assert timedelta(minutes=14) < lifetime <= timedelta(minutes=15)
    client = ApiClient(tenant.host, tokens["access_token"])
    assert client.get(CATEGORIES).status_code == 200  # a cashier reads the menu
    _error(client.post(CATEGORIES, {"name": "By cashier"}), 403, "access.denied")  # and may not edit it
    with tenant_context(tenant.tenant):
        entry = AuditEntry.objects.filter(action=AuditAction.AUTH_LOGIN, actor=cashier).get()
        assert entry.data["by"] == "api_token"
        assert StaffToken.objects.filter(user=cashier).count() == 2  # hashes only
        assert not StaffToken.objects.filter(token_hash=tokens["access_token"]).exists()


def test_a_role_without_the_capability_is_refused(tenant):
    with tenant_context(tenant.tenant):
        cook = KitchenUserFactory()
    client = ApiClient(tenant.host, _tokens(tenant, cook.username)["access_token"])
    _error(client.get(CATEGORIES), 403, "access.denied")


def test_a_wrong_password_is_refused_and_audited(tenant, cashier):
    _error(_sign_in(tenant, cashier.username, "wrong-password"), 401, "auth.credentials_invalid")
    _error(_sign_in(tenant, "nobody-here", "wrong-password"), 401, "auth.credentials_invalid")
    _error(_sign_in(tenant, "", ""), 400, "auth.credentials_missing")
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action=AuditAction.AUTH_LOGIN_FAILED, target_id=cashier.pk).count() == 1
        assert not StaffToken.objects.filter(user=cashier).exists()


def test_failed_sign_ins_slow_down_as_on_the_login_page(tenant, cashier, settings):
    settings.LOGIN_FREE_FAILURES = 2
    for _ in range(2):
        _error(_sign_in(tenant, cashier.username, "wrong-password"), 401, "auth.credentials_invalid")
    response = _sign_in(tenant, cashier.username, STAFF_PASSWORD)  # even the right one waits now
    _error(response, 429, "auth.throttled")
    assert int(response["Retry-After"]) >= 1


def test_who_has_a_second_factor_must_give_its_code(tenant):
    owner = tenant.users[Role.ADMIN_TENANT]
    _error(_sign_in(tenant, owner.username), 401, "auth.otp_required")
    _error(_sign_in(tenant, owner.username, otp="000000"), 400, "auth.otp_wrong")
    with tenant_context(tenant.tenant):
        code = otp_backup_code(owner)
    tokens = _tokens(tenant, owner.username, otp=code)
    client = ApiClient(tenant.host, tokens["access_token"])
    assert client.post(CATEGORIES, {"name": "By owner token"}).status_code == 201


def test_who_must_have_a_second_factor_and_has_none_enrols_on_the_web_first(tenant):
    with tenant_context(tenant.tenant):
        from accounts.tests.factories import OwnerFactory

        owner = OwnerFactory()
    _error(_sign_in(tenant, owner.username), 403, "auth.two_factor_setup_required")


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_whole_sign_in(tenant, cashier):
    first = _tokens(tenant, cashier.username)
    anonymous = ApiClient(tenant.host)
    refreshed = anonymous.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, idempotency_key="")
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert ApiClient(tenant.host, second["access_token"]).get(CATEGORIES).status_code == 200
    reused = anonymous.post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, idempotency_key="")
    _error(reused, 401, "auth.token_reused")
    # Someone kept a copy: every token of that sign-in is revoked, the legitimate holder's too.
    _error(ApiClient(tenant.host, second["access_token"]).get(CATEGORIES), 401, "auth.token_revoked")
    again = anonymous.post("/api/v1/auth/refresh", {"refresh_token": second["refresh_token"]}, idempotency_key="")
    _error(again, 401, "auth.token_reused")
    _error(anonymous.post("/api/v1/auth/refresh", {"refresh_token": "pos_rt_nope"}, idempotency_key=""), 401,
           "auth.token_invalid")  # fmt: skip


def test_an_expired_access_token_is_refused(tenant, cashier):
    tokens = _tokens(tenant, cashier.username)
    with tenant_context(tenant.tenant):
        StaffToken.objects.filter(user=cashier, kind="access").update(expires_at=timezone.now())
    _error(ApiClient(tenant.host, tokens["access_token"]).get(CATEGORIES), 401, "auth.token_expired")


def test_revoke_signs_the_app_out(tenant, cashier):
    tokens = _tokens(tenant, cashier.username)
    revoked = ApiClient(tenant.host).post("/api/v1/auth/revoke", {"token": tokens["refresh_token"]}, idempotency_key="")
    assert revoked.status_code == 204
    _error(ApiClient(tenant.host, tokens["access_token"]).get(CATEGORIES), 401, "auth.token_revoked")
    unknown = ApiClient(tenant.host).post("/api/v1/auth/revoke", {"token": "pos_at_unknown"}, idempotency_key="")
    assert unknown.status_code == 204


def test_a_password_change_revokes_every_token_of_the_person(tenant, cashier):
    one, two = _tokens(tenant, cashier.username), _tokens(tenant, cashier.username)
    with tenant_context(tenant.tenant):
        password_change(user=cashier, current_password=STAFF_PASSWORD, new_password="a-whole-new-phrase-42")
    for tokens in (one, two):
        _error(ApiClient(tenant.host, tokens["access_token"]).get(CATEGORIES), 401, "auth.token_revoked")
        refresh = ApiClient(tenant.host).post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                                              idempotency_key="")  # fmt: skip
        _error(refresh, 401, "auth.token_revoked")


def test_a_token_of_one_tenant_is_refused_on_another(tenant, other_tenant, cashier):
    tokens = _tokens(tenant, cashier.username)
    _error(ApiClient(other_tenant.host, tokens["access_token"]).get(CATEGORIES), 401, "auth.token_invalid")
    refresh = ApiClient(other_tenant.host).post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                                                idempotency_key="")  # fmt: skip
    _error(refresh, 401, "auth.token_invalid")


def test_a_token_request_costs_a_fixed_number_of_queries(tenant, cashier, django_assert_max_num_queries):
    client = ApiClient(tenant.host, _tokens(tenant, cashier.username)["access_token"])
    with django_assert_max_num_queries(5):  # routing (3), the token with its person, the page
        assert client.get(CATEGORIES).status_code == 200
    with django_assert_max_num_queries(12):
        tokens = _sign_in(tenant, cashier.username).json()
    anonymous = ApiClient(tenant.host)
    with django_assert_max_num_queries(9):  # routing, the refresh row locked with its person, used, the new pair
        refreshed = anonymous.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                                   idempotency_key="")  # fmt: skip
    assert refreshed.status_code == 200
    with django_assert_max_num_queries(5):  # routing, the token's family, the family revoked
        assert anonymous.post("/api/v1/auth/revoke", {"token": refreshed.json()["access_token"]},
                              idempotency_key="").status_code == 204  # fmt: skip


def test_writes_with_a_token_are_idempotent_per_person(tenant):
    owner = tenant.users[Role.ADMIN_TENANT]
    with tenant_context(tenant.tenant):
        code = otp_backup_code(owner)
    client = ApiClient(tenant.host, _tokens(tenant, owner.username, otp=code)["access_token"])
    first = client.post(CATEGORIES, {"name": "Token replay"}, idempotency_key="k-token")
    again = client.post(CATEGORIES, {"name": "Token replay"}, idempotency_key="k-token")
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
