"""A discount above the limit at the till, approved (issue 11, point 6): by the signed-in supervisor's one tap
(`{"self": true}`), or by a supervisor picked on the till with their PIN (`{"id", "pin"}`); refusals answer with
a code the till's dialog shows (`approval.*`, `pin.*`) and make no order."""

import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role, User
from sales.models import Order


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _half_price(till, key, approver=None):
    body = {"lines": [{"product_id": till["teh"].pk}], "order_discount": {"kind": "percent", "value": "50"},
            "idempotency_key": key}  # fmt: skip
    if approver is not None:
        body["approver"] = approver
    return body


@pytest.fixture
def supervisor_with_pin(tenant):
    from accounts.services import staff_set_pin

    with tenant_context(tenant.tenant):
        supervisor = User.objects.get(pk=tenant.users[Role.SUPERVISOR].pk)
        staff_set_pin(user=supervisor, pin="2580", actor=supervisor)
    return supervisor


def test_a_cashiers_big_discount_is_approved_by_a_supervisor_picked_on_the_till(till, supervisor_with_pin):
    client = till["client"]
    asked = _post(client, "/till/orders/", _half_price(till, "k1"))
    assert asked.status_code == 400 and asked.json()["error"]["code"] == "discount.approval_needed"
    wrong = _post(client, "/till/orders/", _half_price(till, "k1", {"id": supervisor_with_pin.pk, "pin": "0000"}))
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "pin.wrong" and "Wrong PIN" in wrong.json()["error"]["message"]
    done = _post(client, "/till/orders/", _half_price(till, "k1", {"id": supervisor_with_pin.pk, "pin": "2580"}))
    assert done.status_code == 201
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.filter(shift=till["shift"]).count() == 1
        entry = AuditEntry.objects.get(action="order.discount_approved")
        assert entry.actor_username == "supervisor"


def test_a_cashier_cannot_approve_their_own_discount_with_one_tap(till):
    refused = _post(till["client"], "/till/orders/", _half_price(till, "k2", {"self": True}))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval.refused"
    with tenant_context(till["tenant"].tenant):
        assert not Order.objects.filter(shift=till["shift"]).exists()


def test_no_supervisor_with_a_pin_says_where_to_set_one(till):
    with tenant_context(till["tenant"].tenant):
        User.objects.exclude(pin_hash="").update(pin_hash="")
    refused = _post(till["client"], "/till/orders/", _half_price(till, "k3", {"id": 1, "pin": "2580"}))
    message = refused.json()["error"]["message"]
    assert refused.status_code == 403 and message == "No supervisor has a PIN yet: set one in Back office → Staff."


def test_a_signed_in_supervisor_approves_with_one_tap(tenant):
    client = tenant.client(Role.SUPERVISOR)
    response = client.post("/till/shift/open/", {"register": "new", "register_name": "Sup", "opening_float": "0"})
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        from catalog.services import category_create, product_create

        teh = product_create(category=category_create(name="Drinks"), name="Es teh", sku="ET", price_minor=10000)
    body = {"lines": [{"product_id": teh.pk}], "order_discount": {"kind": "percent", "value": "50"},
            "idempotency_key": "k4", "approver": {"self": True}}  # fmt: skip
    done = _post(client, "/till/orders/", body)
    assert done.status_code == 201, done.content
    with tenant_context(tenant.tenant):
        granted = AuditEntry.objects.get(action="approval.granted")
        assert granted.actor_username == "supervisor" and granted.data["self"] is True
