"""Subscribers that run in a real worker (core/tests/test_outbox_worker.py).

Each writes a test audit entry labelled with its own name and the test's token, so the test can count the
database effects. `blocking` holds the relay until the test sets the go key, for the kill test.
"""

import time

import redis
from django.conf import settings

from accounts.audit import AuditAction
from accounts.services import audit_record
from core.models import OutboxEvent
from core.outbox import subscriber

BLOCK_MAX_SECONDS = 60


def redis_keys(token: str) -> tuple[str, str]:
    """The keys the blocking subscriber counts its starts in and waits for."""
    return f"outbox-test:{token}:running", f"outbox-test:{token}:go"


@subscriber("test.outbox.plain", name="test.outbox.plain")
def plain(event: OutboxEvent) -> None:
    audit_record(action=AuditAction.TEST, label=f"test.outbox.plain:{event.payload['token']}")


@subscriber("test.outbox.blocking", name="test.outbox.before")
def before(event: OutboxEvent) -> None:
    audit_record(action=AuditAction.TEST, label=f"test.outbox.before:{event.payload['token']}")


@subscriber("test.outbox.blocking", name="test.outbox.blocking")
def blocking(event: OutboxEvent) -> None:
    token = event.payload["token"]
    running, go = redis_keys(token)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.incr(running)
    client.expire(running, 600)
    deadline = time.monotonic() + BLOCK_MAX_SECONDS
    while not client.exists(go):
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.02)
    audit_record(action=AuditAction.TEST, label=f"test.outbox.blocking:{token}")


@subscriber("test.outbox.blocking", name="test.outbox.after")
def after(event: OutboxEvent) -> None:
    audit_record(action=AuditAction.TEST, label=f"test.outbox.after:{event.payload['token']}")
