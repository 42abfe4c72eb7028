"""The owner's dashboard: the first-run checklist, the activity feed as sentences, who may open it (issue 13)."""

import re

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import Role
from accounts.services import audit_record
from accounts.tests.factories import CashierFactory
from backoffice.selectors import setup_checklist
from business.tests.factories import TaxFactory
from catalog.tests.factories import ProductFactory
from sales.tests.factories import OrderFactory, ShiftFactory

URL = reverse("backoffice:dashboard")


def _checklist_state(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="checklist-(\w+)" data-done="(true|false)"', html))


def test_a_new_business_sees_its_checklist_filled_from_real_data(fresh_business):
    owner = fresh_business.client(Role.ADMIN_TENANT)
    html = owner.get(URL).content.decode()
    assert 'data-testid="setup-checklist"' in html
    assert _checklist_state(html) == {"products": "false", "taxes": "false", "staff": "false", "till": "false"}
    for name in ("catalog:product_create", "business:sales_settings", "accounts:staff_index", "sales:shift_open"):
        assert f'href="{reverse(name)}"' in html
    assert 'data-testid="kpis"' not in html  # no empty figures: the checklist is the page

    with tenant_context(fresh_business.tenant):
        ProductFactory(is_archived=True)  # an archived product is not a menu
    assert _checklist_state(owner.get(URL).content.decode())["products"] == "false"

    with tenant_context(fresh_business.tenant):
        ProductFactory()
        CashierFactory()
    assert _checklist_state(owner.get(URL).content.decode()) == {
        "products": "true", "taxes": "false", "staff": "true", "till": "false"
    }  # fmt: skip

    with tenant_context(fresh_business.tenant):
        TaxFactory()
        ShiftFactory()
    html = owner.get(URL).content.decode()
    assert 'data-testid="setup-checklist"' not in html  # all four done: it goes away
    assert 'data-testid="kpis"' in html


def test_a_business_that_charges_no_tax_ticks_taxes_by_saving_its_sales_settings(fresh_business):
    owner = fresh_business.users[Role.ADMIN_TENANT]
    with tenant_context(fresh_business.tenant):
        assert not setup_checklist(user=owner).items[1].done
        audit_record(action=AuditAction.SETTINGS_SALES_UPDATE, actor=owner, data={})
        assert setup_checklist(user=owner).items[1].done


def test_a_deactivated_second_person_does_not_count_as_staff(fresh_business):
    owner = fresh_business.users[Role.ADMIN_TENANT]
    with tenant_context(fresh_business.tenant):
        CashierFactory(is_active=False)
        assert not setup_checklist(user=owner).items[2].done


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
