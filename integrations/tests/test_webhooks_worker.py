"""Webhooks with committed data: two senders racing on one tenant's deliveries, and the whole path with a real
Celery worker and beat: an order.paid committed, relayed by the worker (the on-commit kick), turned into a delivery
by the subscriber, and sent by beat's job to a real local HTTP receiver, once, signed.

The deliveries live in a tenant of their own (`hook-lab`), so a sender running in alpha or beta for another test
never claims them; all such tests are in the xdist group "worker" and never meet each other."""

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import get_tenant_model, tenant_context

from core.models import OutboxDelivery, OutboxEvent
from core.tests.conftest import queue_drop
from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint
from integrations.webhooks import services
from integrations.webhooks.signing import signature
from pos_project.celery import app as celery_app
from pos_project.testing.processes import child_env
from sales.services.orders import payment_add
from sales.tests.factories import OrderFactory

from . import webhook_receiver
from .webhook_factories import WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture
pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]
LAB_SLUG = "hook-lab"
JOB = "send-webhooks-every-10-seconds"


@pytest.fixture(scope="session")
def _hook_lab_tenant(_session_tenants, django_db_blocker):
    from tenants.services import tenant_provision

    with django_db_blocker.unblock():
        tenant = get_tenant_model().objects.filter(slug=LAB_SLUG).first()
        if tenant is None:
            tenant = tenant_provision(slug=LAB_SLUG, name="Hook Lab", owner_email="owner@hook-lab.test").tenant
    return tenant


@pytest.fixture
def hook_lab(committed_db, _hook_lab_tenant):
    """A tenant for committed webhook data; its endpoints, deliveries and events all go afterwards."""
    yield _hook_lab_tenant
    with tenant_context(_hook_lab_tenant):
        WebhookEndpoint.objects.all().delete()
        OutboxDelivery.objects.all().delete()
        OutboxEvent.objects.all().delete()
    connection.set_schema_to_public()


def test_two_senders_at_once_never_send_one_delivery_twice(hook_lab, receiver):
    """Two threads, two database connections, each running the beat job over the same twelve due deliveries."""
    receiver.delay = 0.05  # each answer takes a moment, so the two runs overlap
    with tenant_context(hook_lab):
        endpoint = WebhookEndpointFactory(url=receiver.url(), events=["order.paid"])
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=uuid.uuid4(),
                    event_type="order.paid",
                    payload={"n": n},
                    next_attempt_at=now,
                    give_up_at=now + timedelta(days=1),
                )
                for n in range(12)
            ]  # fmt: skip
        )
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            with tenant_context(hook_lab):
                start.wait(timeout=10)
                results.append(services.webhook_send_due())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(r["delivered"] for r in results) == 12, results
    assert all(r["delivered"] > 0 for r in results), results  # both really sent some
    assert sorted(json.loads(body)["n"] for body in receiver.bodies()) == list(range(12))
    with tenant_context(hook_lab):
        states = set(WebhookDelivery.objects.values_list("state", "attempts"))
    assert states == {("delivered", 1)}


# --- A real worker and beat -------------------------------------------------------------------------------------


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "pos_project", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=20)[0] or ""


def _wait_until(condition, what: str, processes: list[subprocess.Popen], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args} exited while waiting for {what}:\n{_stop(process)}")
        time.sleep(0.1)
    pytest.fail(f"no {what} within {timeout} s:\n" + "\n".join(_stop(p) for p in processes))


@pytest.fixture
def queue(monkeypatch):
    """The test's own queue: its worker consumes only it, and this process's relay kick goes to it."""
    name = f"pos-test-webhooks-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", name)
    yield name
    queue_drop(name)


def test_an_order_paid_reaches_a_real_receiver_through_the_worker_and_beat(hook_lab, receiver, queue):
    from django_celery_beat.models import PeriodicTask

    receiver.answers = [503, 200]  # the first attempt fails: beat's retry delivers it
    with tenant_context(hook_lab):
        endpoint = WebhookEndpointFactory(url=receiver.url(), events=["order.paid", "order.voided"])
    # Only the webhook job is due while the test runs: the others ran "just now" as far as beat knows.
    PeriodicTask.objects.exclude(name=JOB).update(last_run_at=timezone.now())
    env = child_env(CELERY_QUEUE=queue, WEBHOOKS_SEND_EVERY_SECONDS="1", WEBHOOKS_BACKOFF_FIRST_SECONDS="1",
                    WEBHOOKS_ALLOWED_NETWORKS="127.0.0.1/32")  # fmt: skip
    worker = _start(["worker", "-Q", queue, "--pool", "solo", "--without-gossip", "--without-mingle",
                     "--without-heartbeat", "-l", "WARNING"], env)  # fmt: skip
    beat = _start(["beat", "-l", "WARNING", "--max-interval", "1", "--pidfile=",
                   "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"], env)  # fmt: skip
    processes = [worker, beat]

    def delivery() -> WebhookDelivery | None:
        with tenant_context(hook_lab):
            return WebhookDelivery.objects.filter(endpoint=endpoint).first()

    try:
        with tenant_context(hook_lab):
            # The till's own path: a card payment settles the order, whose transition emits order.paid.
            order = OrderFactory(lines=[{"unit_price_minor": 125000, "net_minor": 125000, "gross_minor": 125000}])
            payment_add(order=order, user=order.created_by, tender="card", amount_minor=order.total_minor,
                        reference="APPROVAL-1", idempotency_key=str(uuid.uuid4()))  # fmt: skip
            event = OutboxEvent.objects.get(name="order.paid", payload__order=order.pk)
        # The kick makes the worker relay it at once; the subscriber writes the delivery row.
        _wait_until(lambda: delivery() is not None, "the delivery row made by the relay", processes)
        _wait_until(lambda: delivery().state == "delivered", "delivery by beat's job", processes)
        sent = delivery()
        # More beat rounds run; nothing is sent again.
        rounds_before = len(receiver.received)
        time.sleep(3)
    finally:
        outputs = {"worker": _stop(worker), "beat": _stop(beat)}
    assert rounds_before == len(receiver.received) == 2
    assert sent.attempts == 2 and sent.response_status == 200
    with tenant_context(hook_lab):
        assert sent.event_id == services.event_id_for(OutboxEvent.objects.get(pk=event.pk))
    last = receiver.received[-1]
    body = json.loads(last.body)
    assert body["type"] == "order.paid" and body["id"] == str(sent.event_id) == last.headers["POS-Event-Id"]
    assert body["data"]["order"] == order.pk and body["data"]["number"] == order.number
    assert body["data"]["total_minor"] == body["data"]["paid_minor"] == order.total_minor
    assert body["data"]["currency"] == "IDR" and body["data"]["to"] == "paid"
    timestamp = int(last.headers["POS-Timestamp"])
    assert last.headers["POS-Signature"] == f"v1={signature(endpoint.secret, timestamp, last.body)}"
    for name, output in outputs.items():
        assert "Traceback" not in output, f"{name}:\n{output}"
