"""Tenant-aware tasks and the beat schedule, against the real broker; one test runs a real worker process."""

import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from pos_project.celery import app as celery_app
from pos_project.testing.processes import child_env


def _expired_session(tag: str) -> str:
    key = f"{tag}{uuid.uuid4().hex}"[:40]
    Session.objects.create(session_key=key, session_data="", expire_date=timezone.now() - timedelta(days=1))
    return key


def test_a_task_runs_in_the_schema_of_the_tenant_that_queued_it(tenant, other_tenant, settings):
    """Eager mode goes through the same tenant-stamping path as a real message."""
    from accounts.tasks import current_schema

    celery_app.conf.task_always_eager = True
    try:
        with tenant_context(tenant.tenant):
            assert current_schema.delay().get() == tenant.schema
        with tenant_context(other_tenant.tenant):
            assert current_schema.delay().get() == other_tenant.schema
        assert current_schema.delay().get() == "public"
    finally:
        celery_app.conf.task_always_eager = False


def test_messages_carry_the_schema_they_were_sent_from(tenant):
    from accounts.tasks import clear_expired_sessions

    captured = {}

    def capture(sender=None, headers=None, **kwargs):
        captured.update(headers or {})

    from celery.signals import before_task_publish

    before_task_publish.connect(capture)
    queue = f"never-consumed-{uuid.uuid4().hex}"
    try:
        with tenant_context(tenant.tenant):
            clear_expired_sessions.apply_async(queue=queue)
    finally:
        before_task_publish.disconnect(capture)
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    assert captured.get("_schema_name") == tenant.schema


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_real_beat_keeps_its_schedule_in_the_public_schema_and_sends_the_fan_out(committed_db):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    queue = f"pos-test-beat-{uuid.uuid4().hex[:8]}"
    # Beat writes the schedule from settings into the public schema at start, as this does in-process...
    DatabaseScheduler(app=celery_app)
    job = PeriodicTask.objects.get(name="clear-expired-sessions-daily")
    assert job.task == "pos_project.tasks.run_for_each_tenant"
    # ...and sends a job that is due: make it overdue before the real beat process reads the schedule.
    PeriodicTask.objects.filter(pk=job.pk).update(last_run_at=timezone.now() - timedelta(days=2))
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pos_project", "beat", "-l", "WARNING", "--max-interval", "1",
         "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile="],
        env=_worker_env(queue), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        with celery_app.connection_for_write() as conn:
            client = conn.default_channel.client
            _wait_until(lambda: client.llen(queue) > 0, beat)
            message = client.lindex(queue, 0)
        assert b"pos_project.tasks.run_for_each_tenant" in message
        recent = timezone.now() - timedelta(minutes=5)
        _wait_until(lambda: PeriodicTask.objects.get(pk=job.pk).last_run_at > recent, beat)  # beat records the run
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema FROM information_schema.tables "
                "WHERE table_name = 'django_celery_beat_periodictask'"
            )
            assert {row[0] for row in cursor.fetchall()} == {"public"}
    finally:
        beat.terminate()
        beat.communicate(timeout=20)
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def _worker_env(queue: str) -> dict:
    return child_env(CELERY_QUEUE=queue)


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_real_worker_runs_each_tenants_task_in_that_tenants_schema(committed_db, monkeypatch):
    alpha, beta = committed_db
    queue = f"pos-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    with tenant_context(alpha.tenant):
        alpha_key = _expired_session("a")
    with tenant_context(beta.tenant):
        beta_key = _expired_session("b")

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pos_project", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        env=_worker_env(queue), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        from accounts.tasks import clear_expired_sessions
        from pos_project.tasks import run_for_each_tenant

        # 1. Queued from alpha: only alpha's expired session goes.
        with tenant_context(alpha.tenant):
            clear_expired_sessions.delay()
        _wait_until(lambda: _session_gone(alpha, alpha_key), worker)
        with tenant_context(beta.tenant):
            assert Session.objects.filter(session_key=beta_key).exists()

        # 2. Beat's fan-out, queued from the public schema, reaches beta in beta's schema.
        run_for_each_tenant.delay("accounts.tasks.clear_expired_sessions")
        _wait_until(lambda: _session_gone(beta, beta_key), worker)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        for fixture, key in ((alpha, alpha_key), (beta, beta_key)):
            with tenant_context(fixture.tenant):
                Session.objects.filter(session_key=key).delete()
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    assert "ERROR" not in output, output


def _session_gone(fixture, key) -> bool:
    with tenant_context(fixture.tenant):
        return not Session.objects.filter(session_key=key).exists()


def _wait_until(condition, worker, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"worker exited early:\n{worker.communicate()[0]}")
        time.sleep(0.2)
    worker.terminate()
    pytest.fail(f"the worker did not do the work within {timeout} s:\n{worker.communicate(timeout=10)[0]}")
