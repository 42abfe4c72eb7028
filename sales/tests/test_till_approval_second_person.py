"""A tenant setting makes refunds, voids and discounts over the limit need a second person (issue 12, point 8):
with it on, a supervisor's one tap and their own PIN are refused, and another supervisor's PIN approves."""

import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from accounts.services import staff_set_pin
from accounts.tests.factories import SupervisorFactory
from business.models import SalesSettings
from sales.models import Order, Refund, Shift

OWN_PIN, OTHER_PIN = "2580", "1470"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def shop(tenant):
    """The session's supervisor signed in at a till with an open shift, a PIN, and a colleague (Sari) with hers;
    the business wants a second person to approve."""
    from catalog.services import category_create, product_create

    with tenant_context(tenant.tenant):
        SalesSettings.objects.update_or_create(pk=1, defaults={"approvals_need_second_person": True})
        supervisor = User.objects.get(pk=tenant.users[Role.SUPERVISOR].pk)
        staff_set_pin(user=supervisor, pin=OWN_PIN, actor=supervisor)
        sari = SupervisorFactory(username="sari", first_name="Sari")
        staff_set_pin(user=sari, pin=OTHER_PIN, actor=sari)
        teh = product_create(category=category_create(name="Drinks"), name="Es teh", sku="ET", price_minor=10000)
    client = tenant.client(Role.SUPERVISOR)
    opened = client.post("/till/shift/open/", {"register": "new", "register_name": "Sup", "opening_float": "0"})
    assert opened.status_code == 302
    with tenant_context(tenant.tenant):
        shift = Shift.objects.get(register__name="Sup", status="open")
    return {"client": client, "tenant": tenant, "supervisor": supervisor, "sari": sari, "teh": teh, "shift": shift}


def _half_price(shop, key, approver):
    return {"lines": [{"product_id": shop["teh"].pk}], "order_discount": {"kind": "percent", "value": "50"},
            "idempotency_key": key, "approver": approver}  # fmt: skip


def test_a_supervisor_cannot_approve_their_own_big_discount_when_a_second_person_is_required(shop):
    client, supervisor, sari = shop["client"], shop["supervisor"], shop["sari"]
    tap = _post(client, "/till/orders/", _half_price(shop, "d1", {"self": True}))
    assert tap.status_code == 403 and tap.json()["error"]["code"] == "approval.second_person"
    own = _post(client, "/till/orders/", _half_price(shop, "d1", {"id": supervisor.pk, "pin": OWN_PIN}))
    assert own.status_code == 403 and own.json()["error"]["code"] == "approval.second_person"
    with tenant_context(shop["tenant"].tenant):
        assert not Order.objects.exists()
        assert not AuditEntry.objects.filter(action="approval.granted").exists()
        reasons = list(AuditEntry.objects.filter(action="approval.refused").values_list("data__reason", flat=True))
        assert reasons == ["approval.second_person", "approval.second_person"]
        assert User.objects.get(pk=supervisor.pk).pin_failures == 0  # refused before any PIN was checked
    offered = client.get("/approvers/?for=discount.over_limit").json()
    assert offered["self"] is False and supervisor.username not in {p["username"] for p in offered["approvers"]}
    done = _post(client, "/till/orders/", _half_price(shop, "d1", {"id": sari.pk, "pin": OTHER_PIN}))
    assert done.status_code == 201
    with tenant_context(shop["tenant"].tenant):
        assert AuditEntry.objects.get(action="order.discount_approved").actor_username == "sari"


def test_a_supervisors_own_void_and_refund_need_someone_elses_pin(shop):
    client, teh, tenant = shop["client"], shop["teh"], shop["tenant"]
    open_id = _post(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "v"}).json()["id"]
    page = client.get(f"/till/history/{open_id}/").content.decode()
    assert 'name="pin"' in page and 'value="sari"' in page and 'value="supervisor"' not in page
    alone = client.post(f"/till/history/{open_id}/", {"action": "void", "reason": "wrong"})  # Sari's PIN is asked for
    assert alone.status_code == 400 and "Wrong PIN" in alone.content.decode()
    own = client.post(f"/till/history/{open_id}/", {"action": "void", "reason": "wrong", "approver": "supervisor",
                                                    "pin": OWN_PIN})  # fmt: skip
    assert own.status_code == 400 and "second person" in own.content.decode()
    with tenant_context(tenant.tenant):
        assert Order.objects.get(pk=open_id).status == Order.Status.OPEN

    sold = _post(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "r"}).json()
    paid = _post(
        client,
        f"/till/orders/{sold['id']}/payments/",
        {"tender": "card", "amount_minor": sold["total_minor"], "reference": "C", "idempotency_key": "rp"},
    )
    assert paid.status_code == 201  # fmt: skip
    refund = {"action": "refund", "whole": "1", "reason": "cold", "payout_shift": shop["shift"].pk}
    own = client.post(f"/till/history/{sold['id']}/", {**refund, "key": "k1", "approver": "supervisor",
                                                       "pin": OWN_PIN})  # fmt: skip
    assert own.status_code == 400 and "second person" in own.content.decode()
    with tenant_context(tenant.tenant):
        assert not Refund.objects.exists()
    done = client.post(f"/till/history/{sold['id']}/", {**refund, "key": "k2", "approver": "sari", "pin": OTHER_PIN})
    assert done.status_code == 302
    voided = client.post(f"/till/history/{open_id}/", {"action": "void", "reason": "wrong", "approver": "sari",
                                                       "pin": OTHER_PIN})  # fmt: skip
    assert voided.status_code == 302
    with tenant_context(tenant.tenant):
        made = Refund.objects.get()
        assert made.approved_by_id == shop["sari"].pk and made.created_by_id == shop["supervisor"].pk
        assert Order.objects.get(pk=open_id).void_approved_by_id == shop["sari"].pk


def test_with_the_setting_off_a_supervisor_still_approves_their_own(shop):
    with tenant_context(shop["tenant"].tenant):
        SalesSettings.objects.filter(pk=1).update(approvals_need_second_person=False)
    done = _post(shop["client"], "/till/orders/", _half_price(shop, "d9", {"self": True}))
    assert done.status_code == 201


def test_the_owner_turns_the_second_person_on_in_the_sales_settings(tenant):
    from business.selectors import tenant_settings

    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get("/backoffice/settings/sales/").content.decode()
    assert 'name="approvals_need_second_person"' in page
    form = {"service_charge_rate": "0", "cash_rounding_unit": "1", "cash_rounding_mode": "nearest",
            "discount_limit_percent": "10", "receipt_footer": "Kept", "idle_lock_minutes": "0",
            "tip_percentages": "5,10,15", "approvals_need_second_person": "on"}  # fmt: skip
    assert owner.post("/backoffice/settings/sales/", form).status_code == 302
    with tenant_context(tenant.tenant):
        assert tenant_settings().approvals_need_second_person is True
        change = AuditEntry.objects.get(action="settings.sales_update").data["approvals_need_second_person"]
        assert change == ["False", "True"]
    assert tenant.client(Role.SUPERVISOR).post("/backoffice/settings/sales/", form).status_code == 403
