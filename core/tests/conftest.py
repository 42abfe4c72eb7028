"""Fixtures for the outbox tests.

Tests that commit events use their own tenant (`lab`), not alpha or beta: a relay takes every pending event of
its schema, so committed events in a shared tenant would be picked up (and locked, or marked done with nobody
subscribed) by other tests relaying there at the same time in another xdist process. All tests using `lab` are
in the xdist group "worker", so they also never meet each other.
"""

import uuid

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from kombu import Exchange, Queue

from core import outbox
from core.models import OutboxDelivery, OutboxEvent
from pos_project.celery import app as celery_app

LAB_SLUG = "outbox-lab"


@pytest.fixture(scope="session")
def _lab_tenant(_session_tenants, django_db_blocker):
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    with django_db_blocker.unblock():
        tenant = Tenant.objects.filter(slug=LAB_SLUG).first()
        if tenant is None:
            tenant = tenant_provision(slug=LAB_SLUG, name="Outbox Lab", owner_email="owner@outbox-lab.test").tenant
    return tenant


@pytest.fixture
def lab(committed_db, _lab_tenant):
    """A tenant for committed outbox data; every event and delivery in it goes afterwards (audit entries stay:
    the log is append-only, so tests tell theirs apart by token or event id)."""
    yield _lab_tenant
    with tenant_context(_lab_tenant):
        OutboxDelivery.objects.all().delete()
        OutboxEvent.objects.all().delete()
    connection.set_schema_to_public()


@pytest.fixture
def registry(monkeypatch):
    """Subscribers a test registers are forgotten after it (the registry is process-wide)."""
    monkeypatch.setattr(outbox, "_subscribers", dict(outbox._subscribers))
    return outbox._subscribers


@pytest.fixture
def kick_queue(monkeypatch):
    """Route messages (the relay kicks) to a queue of this test's own, nobody consumes it, and delete it after."""
    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    yield queue
    queue_drop(queue)


def queue_drop(name: str) -> None:
    """Delete a test queue with its messages and its binding.

    kombu's queue_delete on Redis removes only what the deleting channel itself declared (and a fresh channel
    declared nothing), so the queue is declared here first: otherwise the list and its binding stay behind."""
    with celery_app.connection_for_write() as conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)(conn.default_channel)
        queue.declare()
        queue.delete()
