"""Tenant-scoped jobs of the shared mechanisms (beat fans them out per tenant: pos_project/tasks.py)."""

from celery import shared_task

from .idempotency import idempotency_purge


@shared_task
def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their retention in the current tenant's schema."""
    return idempotency_purge()
