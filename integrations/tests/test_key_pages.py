"""The owner's API key pages: list with today's use against the quota, make (the whole key shown once), revoke;
both audited; owners only."""

import re

import pytest
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from integrations.models.keys import ApiKey
from pos_project.testing.api import ApiClient, api_key_make

PAGE = "/backoffice/api-keys/"


def test_the_owner_makes_a_key_sees_it_once_and_it_works(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    form = client.get(PAGE)
    assert form.status_code == 200 and 'name="scope_catalog"' in form.content.decode()
    response = client.post(f"{PAGE}new/", {"name": "Accounting", "role": Role.SUPERVISOR, "scope_catalog": "read"})
    assert response.status_code == 201
    whole = re.search(r'data-testid="api-key-whole">(pos_live_[^<]+)<', response.content.decode()).group(1)
    assert ApiClient(tenant.host, whole).get("/api/v1/categories/").status_code == 200
    assert whole not in client.get(PAGE).content.decode()  # never again
    with tenant_context(tenant.tenant):
        key = ApiKey.objects.get(name="Accounting")
        assert (key.scopes, key.role) == ({"catalog": "read"}, Role.SUPERVISOR)
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_CREATE, target_id=key.pk).exists()


def test_the_form_sent_again_makes_no_second_key_and_says_so(tenant):
    """A reload of the page that showed the key sends the form again (its hidden key): one key, and the owner is
    told it was made then; its role reads as people say it."""
    client = tenant.client(Role.ADMIN_TENANT)
    key = re.search(r'name="key" value="([0-9a-f]{32})"', client.get(PAGE).content.decode()).group(1)
    form = {"name": "Delivery app", "role": Role.CASHIER, "scope_orders": "write", "key": key}
    first = client.post(f"{PAGE}new/", form)
    assert first.status_code == 201 and "Authorization: Bearer pos_live_" in first.content.decode()
    again = client.post(f"{PAGE}new/", form, follow=True)
    assert again.redirect_chain == [(PAGE, 302)]
    page = again.content.decode()
    assert "That form was already sent" in page and 'data-testid="api-key-whole"' not in page
    assert "<td>Cashier</td>" in page
    with tenant_context(tenant.tenant):
        assert ApiKey.objects.filter(name="Delivery app").count() == 1
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_CREATE).count() == 1


def test_a_key_without_scopes_is_refused_with_the_form_again(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    response = client.post(f"{PAGE}new/", {"name": "Nothing", "role": Role.CASHIER})
    assert response.status_code == 400 and "at least one scope" in response.content.decode()
    with tenant_context(tenant.tenant):
        assert not ApiKey.objects.filter(name="Nothing").exists()


def test_revoking_refuses_the_key_at_once_and_is_audited(tenant):
    key, whole = api_key_make(tenant)
    client = tenant.client(Role.ADMIN_TENANT)
    assert client.post(f"{PAGE}{key.pk}/revoke/").status_code == 302
    assert ApiClient(tenant.host, whole).get("/api/v1/categories/").status_code == 401
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action=AuditAction.API_KEY_REVOKE, target_id=key.pk).exists()
    assert "Revoked" in client.get(PAGE).content.decode()


def test_the_list_shows_todays_use_against_the_quota(tenant, settings):
    settings.API_DAILY_QUOTA = 1000
    key, whole = api_key_make(tenant, name="Counted")
    for _ in range(3):
        ApiClient(tenant.host, whole).get("/api/v1/categories/")
    html = tenant.client(Role.ADMIN_TENANT).get(PAGE).content.decode()
    row = re.search(rf'data-prefix="{key.prefix}".*?</tr>', html, re.S).group(0)
    assert "3 / 1000" in row and "Counted" in row


@pytest.mark.parametrize("keys", [2, 12])
def test_the_list_costs_the_same_queries_whatever_the_number_of_keys(tenant, keys, django_assert_max_num_queries):
    for _ in range(keys):
        api_key_make(tenant)
    client = tenant.client(Role.ADMIN_TENANT)
    client.get(PAGE)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER])
def test_only_the_owner_manages_keys(tenant, role):
    key, _whole = api_key_make(tenant)
    client = tenant.client(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}{key.pk}/revoke/").status_code == 403
    with tenant_context(tenant.tenant):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is None
