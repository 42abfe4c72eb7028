"""The outbox with real worker processes: the on-commit kick, and a worker killed in the middle of a relay.

The workers load the test subscribers of core/tests/outbox_app (OUTBOX_TEST_SUBSCRIBERS in their environment);
each writes an audit entry named after itself, so the tests count database effects, not calls.
"""

import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from core.models import OutboxDelivery, OutboxEvent
from core.outbox import event_emit
from core.tests.conftest import queue_drop
from core.tests.outbox_app.subscribers import redis_keys
from pos_project.celery import app as celery_app
from pos_project.tasks import run_for_each_tenant
from pos_project.testing.processes import child_env

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]


def _start_worker(queue: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pos_project", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        env=child_env(CELERY_QUEUE=queue, OUTBOX_TEST_SUBSCRIBERS="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _stop(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.terminate()
    return worker.communicate(timeout=20)[0] or ""


def _wait_until(condition, what: str, worker: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail at the deadline or as soon as the worker (if any) has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.communicate()[0]}")
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout} s:\n{_stop(worker) if worker is not None else ''}")


def _effects(lab, token: str) -> dict[str, int]:
    """How many audit entries each test subscriber wrote for this token."""
    with tenant_context(lab):
        labels = AuditEntry.objects.filter(action=AuditAction.TEST, target_label__endswith=f":{token}")
        return dict(Counter(label.rsplit(":", 1)[0] for label in labels.values_list("target_label", flat=True)))


def _done(lab, pk: int) -> bool:
    with tenant_context(lab):
        return OutboxEvent.objects.filter(pk=pk, done_at__isnull=False).exists()


@pytest.fixture
def queue(monkeypatch):
    """The test's own queue: its workers consume only it, and this process's messages (the kicks) go to it."""
    name = f"pos-test-outbox-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", name)
    yield name
    queue_drop(name)
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        # A killed worker leaves its message in kombu's "unacked" hash, to be restored to this queue in an hour.
        for tag, raw in client.hgetall("unacked").items():
            if name in json.loads(raw)[1:]:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def test_a_committed_event_reaches_its_subscriber_through_the_worker(lab, queue):
    """Nobody calls the relay: the commit's kick queues it and the worker runs it in the tenant's schema."""
    worker = _start_worker(queue)
    token = uuid.uuid4().hex
    try:
        with tenant_context(lab), transaction.atomic():
            event = event_emit("test.outbox.plain", {"token": token})
        _wait_until(lambda: _done(lab, event.pk), "relayed event", worker)
        assert _effects(lab, token) == {"test.outbox.plain": 1}
    finally:
        output = _stop(worker)
    assert "ERROR" not in output, output


def test_a_worker_killed_mid_relay_leaves_the_event_to_the_next_and_each_effect_happens_once(lab, queue):
    """Subscribers `before`, `blocking`, `after` in that order. The first worker delivers `before` and is
    SIGKILLed while `blocking` waits, so its transaction (the event's lock, `before`'s effect and delivery row)
    dies with it. A second worker, woken the way beat's safety net does it, delivers all three, once each."""
    redis = celery_app.connection_for_write()
    client = redis.default_channel.client
    token = uuid.uuid4().hex
    running, go = redis_keys(token)
    first = _start_worker(queue)
    second = None
    try:
        with tenant_context(lab), transaction.atomic():
            event = event_emit("test.outbox.blocking", {"token": token})
        _wait_until(lambda: client.get(running) == b"1", "blocking subscriber running", first)
        with tenant_context(lab):
            assert not _lock_free(event.pk)  # the first worker holds the event while its subscribers run
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        # PostgreSQL ends the dead worker's session when it reads the closed socket: wait for the row lock to go.
        with tenant_context(lab):
            _wait_until(lambda: _lock_free(event.pk), "lock of the killed worker released", timeout=10)
            assert OutboxEvent.objects.get(pk=event.pk).done_at is None
            assert not OutboxDelivery.objects.filter(event_id=event.pk).exists()
        assert _effects(lab, token) == {}  # `before` ran, and rolled back with the killed transaction

        client.set(go, 1, ex=600)
        second = _start_worker(queue)
        run_for_each_tenant.delay("core.tasks.relay_outbox")  # what beat sends every minute
        _wait_until(lambda: _done(lab, event.pk), "event relayed by the second worker", second)

        assert _effects(lab, token) == {"test.outbox.before": 1, "test.outbox.blocking": 1, "test.outbox.after": 1}
        with tenant_context(lab):
            deliveries = OutboxDelivery.objects.filter(event_id=event.pk).values_list("subscriber", flat=True)
            assert sorted(deliveries) == ["test.outbox.after", "test.outbox.before", "test.outbox.blocking"]
            assert OutboxEvent.objects.get(pk=event.pk).attempts == 0  # a killed relay is not a failed one
        assert client.get(running) == b"2"  # the blocking subscriber started twice: killed once, then done
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=20)
        output = _stop(second) if second is not None else ""
        client.delete(running, go)
        redis.release()
    assert "ERROR" not in output, output


def _lock_free(pk: int) -> bool:
    """Whether this connection could lock the event now (the killed worker's transaction is gone)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {OutboxEvent._meta.db_table} WHERE id = %s FOR UPDATE SKIP LOCKED", [pk])  # noqa: S608
        return cursor.fetchone() is not None
