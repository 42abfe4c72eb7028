"""Tenant-scoped jobs of the API's credentials (beat fans them out per tenant: pos_project/tasks.py)."""

from celery import shared_task

from .services import tokens_purge


@shared_task
def purge_staff_tokens() -> int:
    """Forget staff tokens expired a day or more ago in the current tenant's schema."""
    return tokens_purge()
