"""QR payments through the provider interface and the built-in simulator."""

import json
import time

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from sales.models import Order, Payment
from sales.providers import SimulatorProvider
from sales.tests.factories import QrProviderSettingsFactory


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def qr_provider(tenant):
    """The business pays QR charges through the simulator, with its own secret (the provider signs with it)."""
    with tenant_context(tenant.tenant):
        row = QrProviderSettingsFactory()
    return SimulatorProvider(secret=row.secret)


@pytest.fixture
def qr_charge(till, qr_provider):
    client, teh = till["client"], till["teh"]
    order = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "q"}).json()
    response = post_json(
        client,
        f"/till/orders/{order['id']}/payments/",
        {"tender": "qr", "amount_minor": order["total_minor"], "idempotency_key": "qp"},
    )
    assert response.status_code == 201
    payment = response.json()["payment"]
    assert payment["status"] == "pending" and payment["qr_svg"].startswith("<svg")
    with tenant_context(till["tenant"].tenant):
        reference = Payment.objects.get(pk=payment["id"]).reference
    return {**till, "order": order, "reference": reference, "provider": qr_provider}


def callback(qr_charge, body: bytes, signature: str):
    return Client(HTTP_HOST=qr_charge["tenant"].host).post(
        "/payments/callback/", body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )


def test_a_pending_qr_payment_leaves_the_order_unpaid(qr_charge):
    status = qr_charge["client"].get(f"/till/orders/{qr_charge['order']['id']}/status/").json()
    assert status["pending_qr"] is True and status["paid_minor"] == 0 and status["status"] == "open"


def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(qr_charge):
    provider = qr_charge["provider"]
    body = provider.callback_body(
        reference=qr_charge["reference"], status="paid", amount_minor=qr_charge["order"]["total_minor"]
    )
    assert callback(qr_charge, body, "0" * 64).status_code == 400
    assert callback(qr_charge, body, SimulatorProvider(secret="someone-else").sign(body)).status_code == 400
    tampered = body.replace(b'"paid"', b'"paid" ')
    assert callback(qr_charge, tampered, provider.sign(body)).status_code == 400
    with tenant_context(qr_charge["tenant"].tenant):
        assert Payment.objects.get(reference=qr_charge["reference"]).status == Payment.Status.PENDING
        assert Order.objects.get(pk=qr_charge["order"]["id"]).paid_minor == 0


def test_a_good_callback_captures_once_and_a_replay_changes_nothing(qr_charge):
    provider = qr_charge["provider"]
    total = qr_charge["order"]["total_minor"]
    body = provider.callback_body(reference=qr_charge["reference"], status="paid", amount_minor=total)
    # The provider retries until it hears 200, signing each try afresh: a retry changes nothing.
    first, retry = (
        callback(qr_charge, body, provider.sign(body)),
        callback(qr_charge, body, provider.sign(body, timestamp=int(time.time()) + 1)),
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    assert first.json()["status"] == retry.json()["status"] == "captured"
    with tenant_context(qr_charge["tenant"].tenant):
        order = Order.objects.get(pk=qr_charge["order"]["id"])
        assert order.status == Order.Status.PAID and order.paid_minor == total  # counted once
    wrong = provider.callback_body(reference="SIM-unknown", status="paid", amount_minor=total)
    assert callback(qr_charge, wrong, provider.sign(wrong)).status_code == 404


def test_the_simulator_page_pays_or_declines(qr_charge):
    phone = qr_charge["client"]  # the cashier opens it from the till (signed in)
    page = phone.get(f"/payments/simulator/{qr_charge['reference']}/")
    assert page.status_code == 200 and "Pending" in page.content.decode()
    declined = phone.post(f"/payments/simulator/{qr_charge['reference']}/", {"decision": "decline"})
    assert "Failed" in declined.content.decode()
    with tenant_context(qr_charge["tenant"].tenant):
        assert Order.objects.get(pk=qr_charge["order"]["id"]).status == Order.Status.OPEN


def test_a_qr_charge_cannot_exceed_what_is_owed(qr_charge):
    again = post_json(
        qr_charge["client"],
        f"/till/orders/{qr_charge['order']['id']}/payments/",
        {"tender": "qr", "amount_minor": 1, "idempotency_key": "qp2"},
    )
    assert again.status_code == 400 and "more than the 0 still owed" in again.json()["error"]["message"]


def test_a_capture_after_the_order_was_voided_is_not_kept_but_flagged_for_refund(qr_charge):
    """The guest walked away, the tab was voided, then their e-wallet paid: the money must not land on a voided
    order (nor vanish): the charge is called off by the void, and its late capture is flagged to give back."""
    from accounts.models import Role
    from sales.services.refunds import order_void

    tenant = qr_charge["tenant"]
    with tenant_context(tenant.tenant):
        order = Order.objects.get(pk=qr_charge["order"]["id"])
        order_void(order=order, user=tenant.users[Role.CASHIER], approved_by=tenant.users[Role.SUPERVISOR],
                   reason="guest left")  # fmt: skip
    provider = qr_charge["provider"]
    body = provider.callback_body(
        reference=qr_charge["reference"], status="paid", amount_minor=qr_charge["order"]["total_minor"]
    )
    response = callback(qr_charge, body, provider.sign(body))
    assert response.status_code == 200  # handled: the provider stops retrying
    with tenant_context(tenant.tenant):
        order = Order.objects.get(pk=qr_charge["order"]["id"])
        payment = Payment.objects.get(reference=qr_charge["reference"])
        assert (order.status, order.paid_minor) == (Order.Status.VOIDED, 0)
        assert payment.status == "refund_due"
    again = provider.sign(body, timestamp=int(time.time()) + 1)
    assert callback(qr_charge, body, again).status_code == 200  # a retry changes nothing more
    with tenant_context(tenant.tenant):
        assert Order.objects.get(pk=order.pk).paid_minor == 0


def test_a_supervisor_sees_the_money_to_give_back_and_records_it(qr_charge):
    from accounts.models import Role
    from sales.services.refunds import order_void

    tenant = qr_charge["tenant"]
    with tenant_context(tenant.tenant):
        order_void(order=Order.objects.get(pk=qr_charge["order"]["id"]), user=tenant.users[Role.CASHIER],
                   approved_by=tenant.users[Role.SUPERVISOR], reason="walked out")  # fmt: skip
    # The customer had scanned the code already: their e-wallet (the simulator here) can still pay it.
    phone = qr_charge["client"]
    simulator = f"/payments/simulator/{qr_charge['reference']}/"
    assert 'value="pay"' in phone.get(simulator).content.decode()
    assert "Refund due" in phone.post(simulator, {"decision": "pay"}).content.decode()
    supervisor = tenant.client(Role.SUPERVISOR)
    console = supervisor.get("/supervisor/").content.decode()
    assert 'data-testid="refund-due"' in console and qr_charge["reference"] in console
    with tenant_context(tenant.tenant):
        payment = Payment.objects.get(reference=qr_charge["reference"])
    url = f"/supervisor/payments/{payment.pk}/refunded/"
    assert qr_charge["client"].post(url, {"note": "x"}).status_code == 403  # a cashier cannot clear it
    assert supervisor.post(url, {"note": ""}).status_code == 302  # refused with a message: nothing changed
    with tenant_context(tenant.tenant):
        assert Payment.objects.get(pk=payment.pk).status == "refund_due"
    assert supervisor.post(url, {"note": "refunded in the provider portal"}).status_code == 302
    with tenant_context(tenant.tenant):
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
        from accounts.models import AuditEntry

        entry = AuditEntry.objects.get(action="payment.refunded")
        assert entry.actor == tenant.users[Role.SUPERVISOR] and entry.data["note"] == "refunded in the provider portal"
    assert 'data-testid="refund-due"' not in supervisor.get("/supervisor/").content.decode()
