"""API keys: who may call the API with what (docs/api.md, issue 14 point 2)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role, User
from catalog.models import Category
from integrations.models.keys import ApiKey, secret_hash
from integrations.services import api_key_create, api_key_revoke
from pos_project.errors import ServiceError
from pos_project.testing.api import ApiClient

CATEGORIES = "/api/v1/categories/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def _categories(tenant, name: str) -> int:
    with tenant_context(tenant.tenant):
        return Category.objects.filter(name=name).count()


def test_a_key_reads_and_writes_what_its_scopes_allow(api, tenant):
    client = api()
    created = client.post(CATEGORIES, {"name": "Key Tea", "sort_order": 2})
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Key Tea"
    listed = client.get(CATEGORIES)
    assert listed.status_code == 200
    assert "Key Tea" in [c["name"] for c in listed.json()["results"]]


def test_no_credential_is_a_401_in_the_error_format_with_a_bearer_challenge(tenant):
    response = ApiClient(tenant.host).get(CATEGORIES)
    _error(response, 401, "auth.required")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer pos_live_000000000000_nope", "Bearer pos_live_short", "Bearer a b", "Basic dXNlcjpwYXNz"],
)
def test_a_wrong_or_malformed_credential_is_refused(tenant, header):
    response = ApiClient(tenant.host).get(CATEGORIES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"].startswith("auth.")


def test_a_right_prefix_with_a_wrong_secret_is_refused(api, tenant):
    client = api()
    forged = f"pos_live_{client.key.prefix}_{'x' * 43}"
    _error(ApiClient(tenant.host, forged).get(CATEGORIES), 401, "auth.key_invalid")


def test_a_revoked_key_is_refused_at_once_and_changes_nothing(api, tenant):
    client = api()
    assert client.get(CATEGORIES).status_code == 200
    with tenant_context(tenant.tenant):
        api_key_revoke(actor=tenant.users[Role.ADMIN_TENANT], key=client.key)
    _error(client.get(CATEGORIES), 401, "auth.key_revoked")
    _error(client.post(CATEGORIES, {"name": "After revoke"}), 401, "auth.key_revoked")
    assert _categories(tenant, "After revoke") == 0


def test_an_expired_key_is_refused(api, tenant):
    client = api(expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(CATEGORIES).status_code == 200
    with tenant_context(tenant.tenant):
        ApiKey.objects.filter(pk=client.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _error(client.get(CATEGORIES), 401, "auth.key_expired")


def test_a_key_of_tenant_a_is_refused_on_tenant_b_and_changes_nothing_there(api, tenant, other_tenant):
    client = api()  # alpha's key
    on_beta = ApiClient(other_tenant.host, client.credential)
    _error(on_beta.get(CATEGORIES), 401, "auth.key_invalid")
    _error(on_beta.post(CATEGORIES, {"name": "Cross tenant"}), 401, "auth.key_invalid")
    assert _categories(other_tenant, "Cross tenant") == 0
    beta = api(tenant_=other_tenant)  # and beta's own key works there
    assert ApiClient(other_tenant.host, beta.credential).get(CATEGORIES).status_code == 200
    _error(ApiClient(tenant.host, beta.credential).get(CATEGORIES), 401, "auth.key_invalid")


def test_a_read_only_key_is_refused_on_writes_and_nothing_is_made(api, tenant):
    reader = api(scopes={"catalog": "read"})
    assert reader.get(CATEGORIES).status_code == 200
    error = _error(reader.post(CATEGORIES, {"name": "Read only"}), 403, "auth.scope_missing")
    assert "catalog" in error["message"]
    assert _categories(tenant, "Read only") == 0


def test_a_key_without_the_resource_in_its_scopes_is_refused(api):
    _error(api(scopes={"orders": "write"}).get(CATEGORIES), 403, "auth.scope_missing")


def test_a_key_acts_as_its_role_never_above_it(api, tenant):
    """A cashier-role key (made by the owner) reads the menu but may not edit it; a kitchen one may not read it."""
    cashier = api(role=Role.CASHIER, user=tenant.users[Role.ADMIN_TENANT])
    assert cashier.get(CATEGORIES).status_code == 200
    _error(cashier.post(CATEGORIES, {"name": "By cashier key"}), 403, "access.denied")
    _error(api(role=Role.KITCHEN, user=tenant.users[Role.ADMIN_TENANT]).get(CATEGORIES), 403, "access.denied")
    assert _categories(tenant, "By cashier key") == 0


def test_a_key_is_never_above_its_maker_even_after_the_maker_changes(api, tenant):
    client = api()  # the owner's key, owner role
    with tenant_context(tenant.tenant):
        owner = tenant.users[Role.ADMIN_TENANT]
        User.objects.filter(pk=owner.pk).update(role=Role.CASHIER)
    _error(client.post(CATEGORIES, {"name": "Demoted maker"}), 403, "access.denied")
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=owner.pk).update(role=Role.ADMIN_TENANT, is_active=False)
    _error(client.get(CATEGORIES), 401, "auth.key_invalid")


def test_last_used_is_written_at_most_once_a_minute(api, tenant, django_assert_num_queries):
    client = api()
    client.get(CATEGORIES)
    with tenant_context(tenant.tenant):
        first = ApiKey.objects.get(pk=client.key.pk).last_used_at
    assert first is not None
    client.get(CATEGORIES)
    with tenant_context(tenant.tenant):
        assert ApiKey.objects.get(pk=client.key.pk).last_used_at == first
        ApiKey.objects.filter(pk=client.key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(CATEGORIES)
    with tenant_context(tenant.tenant):
        assert ApiKey.objects.get(pk=client.key.pk).last_used_at > first - timedelta(minutes=2)


def test_the_owner_makes_a_key_shown_once_stored_as_a_hash_and_audited(tenant):
    owner = tenant.users[Role.ADMIN_TENANT]
    with tenant_context(tenant.tenant):
        key, whole = api_key_create(actor=owner, name="Accounting", scopes={"catalog": "read"}, role=Role.CASHIER)
        stored = ApiKey.objects.get(pk=key.pk)
        assert whole.startswith(f"pos_live_{key.prefix}_")
        secret = whole.split("_", 3)[3]
        assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().first())
        assert stored.secret_hash == secret_hash(secret)
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_CREATE, target_id=key.pk).count() == 1
    assert ApiClient(tenant.host, whole).get(CATEGORIES).status_code == 200
    with tenant_context(tenant.tenant):
        api_key_revoke(actor=owner, key=key)
        api_key_revoke(actor=owner, key=key)  # twice: one entry
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_REVOKE, target_id=key.pk).count() == 1


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"name": ""}, "name"),
        ({"scopes": {}}, "scopes"),
        ({"scopes": {"orders": "admin"}}, "scopes"),
        ({"role": "superuser"}, "role"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_a_key_needs_a_name_scopes_a_staff_role_and_a_future_expiry(tenant, fields, wrong):
    options = {"name": "K", "scopes": {"orders": "read"}, "role": Role.CASHIER, **fields}
    if options.get("expires_at") == "past":
        options["expires_at"] = timezone.now() - timedelta(days=1)
    with tenant_context(tenant.tenant), pytest.raises(ServiceError) as refused:
        api_key_create(actor=tenant.users[Role.ADMIN_TENANT], **options)
    assert refused.value.code == "api_key.invalid" and wrong in refused.value.message_dict
    with tenant_context(tenant.tenant):
        assert not ApiKey.objects.filter(name="K").exists()


def test_only_the_owner_makes_keys(tenant):
    with tenant_context(tenant.tenant), pytest.raises(ServiceError) as refused:
        api_key_create(actor=tenant.users[Role.SUPERVISOR], name="Sup", scopes={"*": "read"}, role=Role.SUPERVISOR)
    assert refused.value.code == "access.denied"


def test_the_api_ignores_the_session_and_its_redirecting_guards(tenant):
    """A signed-in browser session is not a credential here, and the page guards (one-time password, second
    factor) never redirect an API request: the API answers JSON."""
    client = tenant.client(Role.SUPERVISOR)
    _error(client.get(CATEGORIES), 401, "auth.required")
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=tenant.users[Role.SUPERVISOR].pk).update(must_change_password=True)
    _error(client.get(CATEGORIES), 401, "auth.required")
    unverified = tenant.client()  # the owner without the second step: pages send them to sign in again
    with tenant_context(tenant.tenant):
        unverified.force_login(tenant.users[Role.ADMIN_TENANT])
    assert unverified.get("/backoffice/").status_code == 302
    _error(unverified.get(CATEGORIES), 401, "auth.required")


def test_a_key_holder_with_a_one_time_password_still_gets_json_not_a_redirect(api, tenant):
    client = api(role=Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=tenant.users[Role.ADMIN_TENANT].pk).update(must_change_password=True)
    assert client.get(CATEGORIES).status_code == 200


def test_a_key_made_as_another_role_acts_as_that_role_in_the_services_too(api, tenant):
    """The request's person is the maker in the key's role: a service asking `can(actor, ...)` sees the key's role,
    and the audit still names the maker."""
    owner = tenant.users[Role.ADMIN_TENANT]
    supervisor_key = api(role=Role.SUPERVISOR, user=owner)
    _error(supervisor_key.post(CATEGORIES, {"name": "As supervisor"}), 403, "access.denied")  # catalog.edit: owners
    with tenant_context(tenant.tenant):
        assert User.objects.get(pk=owner.pk).role == Role.ADMIN_TENANT  # the stand-in was never saved


def test_a_key_above_what_its_maker_may_now_give_is_refused(api, tenant):
    owner = tenant.users[Role.ADMIN_TENANT]
    client = api(role=Role.SUPERVISOR, user=owner)
    with tenant_context(tenant.tenant):
        User.objects.filter(pk=owner.pk).update(role=Role.CASHIER)  # no longer gives roles
    _error(client.get(CATEGORIES), 403, "access.denied")
