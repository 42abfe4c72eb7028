"""The owner's dashboard: the first-run checklist, the activity feed as sentences, who may open it (issue 13)."""

import re

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import Role, User
from accounts.services import audit_record
from backoffice.selectors import setup_checklist
from business.tests.factories import TaxFactory
from catalog.tests.factories import ProductFactory
from sales.tests.factories import OrderFactory, ShiftFactory

URL = reverse("backoffice:dashboard")


def _checklist_state(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="checklist-(\w+)" data-done="(true|false)"', html))


def test_a_new_business_sees_its_checklist_filled_from_real_data(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        # Only the owner on the staff: nothing of the four is done.
        User.objects.exclude(role=Role.ADMIN_TENANT).update(is_active=False)
        items = setup_checklist(user=tenant.users[Role.ADMIN_TENANT]).items
        assert [item.done for item in items] == [False, False, False, False]
    html = owner.get(URL).content.decode()
    assert 'data-testid="setup-checklist"' in html
    assert _checklist_state(html) == {"products": "false", "taxes": "false", "staff": "false", "till": "false"}
    for name in ("catalog:product_create", "business:sales_settings", "accounts:staff_index", "sales:shift_open"):
        assert f'href="{reverse(name)}"' in html

    with tenant_context(tenant.tenant):
        ProductFactory()
        User.objects.update(is_active=True)
    assert _checklist_state(owner.get(URL).content.decode()) == {
        "products": "true", "taxes": "false", "staff": "true", "till": "false"
    }  # fmt: skip

    with tenant_context(tenant.tenant):
        TaxFactory()
        ShiftFactory()
    html = owner.get(URL).content.decode()
    assert 'data-testid="setup-checklist"' not in html  # all four done: it goes away


def test_a_business_that_charges_no_tax_ticks_taxes_by_saving_its_sales_settings(in_tenant):
    assert not setup_checklist(user=in_tenant.users[Role.ADMIN_TENANT]).items[1].done
    audit_record(action=AuditAction.SETTINGS_SALES_UPDATE, actor=in_tenant.users[Role.ADMIN_TENANT], data={})
    assert setup_checklist(user=in_tenant.users[Role.ADMIN_TENANT]).items[1].done


def test_archived_products_do_not_count(in_tenant):
    ProductFactory(is_archived=True)
    assert not setup_checklist(user=in_tenant.users[Role.ADMIN_TENANT]).items[0].done


def test_the_feed_reads_sentences_with_the_approver(tenant):
    with tenant_context(tenant.tenant):
        cashier, supervisor = tenant.users[Role.CASHIER], tenant.users[Role.SUPERVISOR]
        order = OrderFactory(number=12)
        audit_record(action=AuditAction.ORDER_VOID, actor=cashier, target=order, label="Order #12",
                     data={"approved_by": supervisor.pk, "reason": "wrong table"})  # fmt: skip
        audit_record(action=AuditAction.AUTH_LOGIN, actor=cashier, target=cashier, label=cashier.username)
    html = tenant.client(Role.ADMIN_TENANT).get(URL).content.decode()
    assert f"{cashier.username} voided order #12 (approved by {supervisor.username})" in html
    assert f"{cashier.username} signed in" in html
    assert "order.void" not in html and "auth.login" not in html
    assert f'href="{reverse("accounts:audit_index")}"' in html


def test_the_feed_stays_in_its_tenant(tenant, other_tenant):
    with tenant_context(other_tenant.tenant):
        audit_record(action=AuditAction.TEST, actor=other_tenant.users[Role.CASHIER], label="beta-secret")
    html = tenant.client(Role.ADMIN_TENANT).get(URL).content.decode()
    assert "beta-secret" not in html


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_only_the_owner_opens_the_dashboard(tenant, role):
    assert tenant.client(role).get(URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(tenant):
    response = tenant.client().get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
