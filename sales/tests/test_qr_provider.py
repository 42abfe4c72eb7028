"""The QR provider per business (issue 12, point 16): chosen and configured by the owner with a secret of its own,
never the simulator where the deployment does not allow it, callbacks signed with a timestamp and taken once, and
the simulator's phone page only for signed-in till staff."""

import hashlib
import hmac
import json
import logging
import re
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.access import can
from accounts.models import AuditEntry, Role, User
from pos_project.tests.test_settings import PROD, _run_django
from sales.models import Order, Payment, QrProviderSettings
from sales.providers import QrPaymentsOff, SimulatorProvider, get_provider, signature_header
from sales.tests.factories import QrProviderSettingsFactory

SETTINGS_URL = "/backoffice/settings/qr-payments/"


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _start_qr(till, key: str = "qp"):
    client, teh = till["client"], till["teh"]
    order = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": f"o-{key}"})
    order = order.json()
    response = post_json(client, f"/till/orders/{order['id']}/payments/",
                         {"tender": "qr", "amount_minor": order["total_minor"], "idempotency_key": key})  # fmt: skip
    return order, response


@pytest.fixture
def provider(tenant):
    with tenant_context(tenant.tenant):
        return SimulatorProvider(secret=QrProviderSettingsFactory().secret)


@pytest.fixture
def charge(till, provider):
    order, response = _start_qr(till)
    assert response.status_code == 201, response.content
    with tenant_context(till["tenant"].tenant):
        reference = Payment.objects.get(pk=response.json()["payment"]["id"]).reference
    body = provider.callback_body(reference=reference, status="paid", amount_minor=order["total_minor"])
    return {**till, "order": order, "reference": reference, "body": body, "provider": provider}


def _callback(charge, signature: str, body: bytes | None = None):
    return Client(HTTP_HOST=charge["tenant"].host).post(
        "/payments/callback/", charge["body"] if body is None else body, content_type="application/json",
        HTTP_X_SIGNATURE=signature,
    )  # fmt: skip


def _still_pending(charge) -> None:
    with tenant_context(charge["tenant"].tenant):
        assert Payment.objects.get(reference=charge["reference"]).status == Payment.Status.PENDING
        assert Order.objects.get(pk=charge["order"]["id"]).paid_minor == 0


# --- Which provider -----------------------------------------------------------------------------------------------


def test_with_no_provider_chosen_qr_payment_is_off_with_a_clear_message_and_records_nothing(till):
    order, response = _start_qr(till)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "payment.qr_off" and "QR payments are off for this business" in error["message"]
    with tenant_context(till["tenant"].tenant):
        assert not Payment.objects.filter(order_id=order["id"]).exists()
        with pytest.raises(QrPaymentsOff):
            get_provider()


def test_where_the_simulator_may_not_run_no_business_gets_it(till, provider, settings):
    """Production: QR_SIMULATOR_ENABLED is off. A business that chose the simulator (in a demo, say) gets QR
    payment off with the reason, never the simulator; its phone page is not there either."""
    settings.QR_SIMULATOR_ENABLED = False
    with tenant_context(till["tenant"].tenant), pytest.raises(QrPaymentsOff, match="only runs in development"):
        get_provider()
    order, response = _start_qr(till)
    assert response.status_code == 409 and "only runs in development and demos" in response.json()["error"]["message"]
    with tenant_context(till["tenant"].tenant):
        assert not Payment.objects.filter(order_id=order["id"]).exists()
    assert till["client"].get("/payments/simulator/SIM-0000/").status_code == 404


def test_a_secret_copied_from_another_schema_is_not_used(in_tenant):
    """Tenants are cloned from a template schema: a row copied from there carries no usable secret."""
    QrProviderSettingsFactory(secret_schema="t_template")
    with pytest.raises(QrPaymentsOff):
        get_provider()


def test_production_refuses_to_start_with_the_simulator_unless_it_is_a_demo():
    result = _run_django("pass", DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY="x" * 60, QR_SIMULATOR_ENABLED="true")
    assert result.returncode != 0 and "QR_SIMULATOR_ENABLED is for development and demos only" in result.stderr
    code = "from django.conf import settings as s; print(s.QR_SIMULATOR_ENABLED)"
    assert _run_django(code, DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY="x" * 60).stdout.split() == ["False"]
    demo = _run_django(code, DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY="x" * 60, QR_SIMULATOR_ENABLED="true", DEMO="true")
    assert demo.stdout.split() == ["True"], demo.stderr


# --- Signed callbacks ---------------------------------------------------------------------------------------------


def test_a_callback_signed_with_the_servers_secret_key_or_another_businesss_secret_is_refused(charge, other_tenant):
    body = charge["body"]
    server_key = django_settings.SECRET_KEY.encode()
    assert _callback(charge, hmac.new(server_key, body, hashlib.sha256).hexdigest()).status_code == 400
    assert _callback(charge, signature_header(server_key, body, timestamp=int(time.time()))).status_code == 400
    with tenant_context(other_tenant.tenant):
        theirs = SimulatorProvider(secret=QrProviderSettingsFactory().secret)
    assert theirs.secret != charge["provider"].secret
    assert _callback(charge, theirs.sign(body)).status_code == 400
    _still_pending(charge)
    assert _callback(charge, charge["provider"].sign(body)).status_code == 200


def test_a_signature_without_a_timestamp_or_too_old_is_refused(charge):
    provider, body, now = charge["provider"], charge["body"], int(time.time())
    untimed = hmac.new(provider.secret, body, hashlib.sha256).hexdigest()  # the old format: no timestamp
    refused = _callback(charge, untimed)
    assert refused.status_code == 400 and "no timestamp" in refused.json()["error"]["message"]
    for stamp in (now - 310, now + 310, now - 3600):  # 5 minutes and a few seconds of slack for a slow run
        response = _callback(charge, provider.sign(body, timestamp=stamp))
        assert response.status_code == 400 and "too old" in response.json()["error"]["message"], stamp
    moved = provider.sign(body, timestamp=now).replace(f"t={now}", f"t={now + 1}")  # the time is signed too
    assert _callback(charge, moved).status_code == 400
    for junk in ("", "t=,v1=", "t=１２３,v1=00", f"t={'9' * 5000},v1=00", "v1=" + "0" * 64):
        assert _callback(charge, junk).status_code == 400
    _still_pending(charge)
    assert _callback(charge, provider.sign(body, timestamp=now - 280)).status_code == 200  # late but in time


def test_a_replayed_callback_is_refused_and_changes_nothing(charge):
    signature = charge["provider"].sign(charge["body"])
    assert _callback(charge, signature).json()["status"] == "captured"
    replay = _callback(charge, signature)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "payment.callback_replayed"
    with tenant_context(charge["tenant"].tenant):
        order = Order.objects.get(pk=charge["order"]["id"])
        assert (order.status, order.paid_minor) == (Order.Status.PAID, charge["order"]["total_minor"])


def test_with_redis_down_a_fresh_callback_is_still_applied_once(charge, settings):
    """The replay guard lives in Redis; with Redis down the callback is still applied (the payment's own state
    makes a second delivery change nothing), never refused or a 500 that leaves the customer's money unseen."""
    signature = charge["provider"].sign(charge["body"])
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    first = _callback(charge, signature)
    assert first.status_code == 200 and first.json()["status"] == "captured", first.content
    again = _callback(charge, signature)
    assert again.status_code == 200
    with tenant_context(charge["tenant"].tenant):
        order = Order.objects.get(pk=charge["order"]["id"])
        assert (order.status, order.paid_minor) == (Order.Status.PAID, charge["order"]["total_minor"])
        assert Payment.objects.filter(reference=charge["reference"], status=Payment.Status.CAPTURED).count() == 1


def test_a_replayed_decline_cannot_undo_nor_a_paid_be_replayed_after_a_decline(charge):
    """A declined charge's signed callback, replayed, is refused like any replay."""
    provider = charge["provider"]
    declined = provider.callback_body(reference=charge["reference"], status="failed",
                                      amount_minor=charge["order"]["total_minor"])  # fmt: skip
    signature = provider.sign(declined)
    assert _callback(charge, signature, declined).status_code == 200
    assert _callback(charge, signature, declined).status_code == 409
    with tenant_context(charge["tenant"].tenant):
        assert Payment.objects.get(reference=charge["reference"]).status == Payment.Status.FAILED


# --- The simulator's page -----------------------------------------------------------------------------------------


def test_the_simulator_page_needs_a_signed_in_till_person(charge):
    url = f"/payments/simulator/{charge['reference']}/"
    stranger = Client(HTTP_HOST=charge["tenant"].host)
    for response in (stranger.get(url), stranger.post(url, {"decision": "pay"})):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert charge["tenant"].client(Role.KITCHEN).post(url, {"decision": "pay"}).status_code == 403
    _still_pending(charge)
    assert charge["client"].post(url, {"decision": "pay"}).status_code == 200  # the cashier, from the till
    with tenant_context(charge["tenant"].tenant):
        assert Payment.objects.get(reference=charge["reference"]).status == Payment.Status.CAPTURED


def test_the_till_links_the_simulator_only_when_it_is_the_provider(till, provider):
    _order, response = _start_qr(till)
    assert response.json()["payment"]["simulator_url"].startswith("/payments/simulator/SIM-")


# --- The owner's settings -----------------------------------------------------------------------------------------


def _shown_secret(response) -> str:
    found = re.search(r'data-testid="qr-new-secret">([^<]+)<', response.content.decode())
    return found.group(1) if found else ""


def test_the_owner_chooses_the_simulator_and_sees_its_new_secret_once(tenant, other_tenant, caplog):
    caplog.set_level(logging.DEBUG)
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get(SETTINGS_URL)
    assert page.status_code == 200 and "No secret yet" in page.content.decode() and not _shown_secret(page)
    chosen = owner.post(SETTINGS_URL, {"provider": "simulator"})
    secret = _shown_secret(chosen)
    assert chosen.status_code == 200 and len(secret) >= 40
    assert "no-store" in chosen["Cache-Control"]
    assert "/payments/callback/" in chosen.content.decode()
    with tenant_context(tenant.tenant):
        row = QrProviderSettings.objects.get()
        assert (row.provider, row.secret, row.secret_schema) == ("simulator", secret, tenant.schema)
        assert isinstance(get_provider(), SimulatorProvider)
        entry = AuditEntry.objects.get(action="payment.qr_settings_update")
        assert entry.data == {"provider": ["off", "simulator"], "secret": "made"}
    again = owner.get(SETTINGS_URL)
    assert secret not in again.content.decode() and "A secret is set" in again.content.decode()
    rotated = _shown_secret(owner.post(SETTINGS_URL, {"action": "rotate"}))
    assert rotated and rotated != secret
    with tenant_context(tenant.tenant):
        assert QrProviderSettings.objects.get().secret == rotated
        assert AuditEntry.objects.filter(action="payment.qr_secret_rotate").count() == 1
        assert not AuditEntry.objects.filter(data__icontains=secret).exists()
        assert not AuditEntry.objects.filter(data__icontains=rotated).exists()
    # Every business gets its own.
    theirs = _shown_secret(other_tenant.client(Role.ADMIN_TENANT).post(SETTINGS_URL, {"provider": "simulator"}))
    assert theirs and theirs not in (secret, rotated)
    assert secret not in caplog.text and rotated not in caplog.text and theirs not in caplog.text


def test_a_rotated_secret_stops_the_old_one_at_once(charge):
    owner = charge["tenant"].client(Role.ADMIN_TENANT)
    new = _shown_secret(owner.post(SETTINGS_URL, {"action": "rotate"}))
    assert _callback(charge, charge["provider"].sign(charge["body"])).status_code == 400
    _still_pending(charge)
    assert _callback(charge, SimulatorProvider(secret=new).sign(charge["body"])).status_code == 200


def test_only_the_owner_configures_and_the_simulator_is_not_offered_where_it_may_not_run(tenant, settings):
    # Support access (a platform admin standing in) edits settings, but never sees nor makes the payment secret.
    assert can(User(role=Role.SUPPORT, is_active=True), "settings.edit")
    assert not can(User(role=Role.SUPPORT, is_active=True), "payments.configure")
    for role in (Role.SUPERVISOR, Role.CASHIER):
        assert tenant.client(role).post(SETTINGS_URL, {"provider": "simulator"}).status_code == 403
        assert tenant.client(role).post(SETTINGS_URL, {"action": "rotate"}).status_code == 403
    with tenant_context(tenant.tenant):
        assert not QrProviderSettings.objects.exists()
    settings.QR_SIMULATOR_ENABLED = False
    owner = tenant.client(Role.ADMIN_TENANT)
    page = owner.get(SETTINGS_URL).content.decode()
    assert 'value="simulator"' not in page and "not available here" in page
    assert owner.post(SETTINGS_URL, {"provider": "simulator"}).status_code == 400
    with tenant_context(tenant.tenant):
        assert QrProviderSettings.objects.get().provider == "off" and QrProviderSettings.objects.get().secret == ""


def test_the_settings_page_has_a_query_budget(tenant, django_assert_max_num_queries):
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(SETTINGS_URL)
    with django_assert_max_num_queries(8):
        assert owner.get(SETTINGS_URL).status_code == 200
