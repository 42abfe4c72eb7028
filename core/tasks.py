"""Tenant-scoped jobs of the shared mechanisms (beat fans them out per tenant: pos_project/tasks.py)."""

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from .idempotency import idempotency_purge
from .outbox import outbox_purge, outbox_relay

logger = logging.getLogger(__name__)
RELAY_BATCH = 200


@shared_task
def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their retention in the current tenant's schema."""
    return idempotency_purge()


@shared_task
def relay_outbox() -> int:
    """Relay the current tenant's pending outbox events; returns how many got done.

    Queued after every commit that emitted an event (the kick) and by beat every minute (the safety net), so
    several may run at once: the relay's row locks keep them off each other's events. A full batch queues one
    more run rather than looping, so one tenant's backlog never holds a worker for long.
    """
    if connection.schema_name == get_public_schema_name():
        logger.warning("relay_outbox ran in the public schema; queue it per tenant")
        return 0
    done = outbox_relay(limit=RELAY_BATCH)
    if done == RELAY_BATCH:
        relay_outbox.apply_async()
    return done


@shared_task
def purge_outbox_events() -> int:
    """Delete done outbox events past OUTBOX_RETENTION_DAYS in the current tenant's schema."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return outbox_purge()
