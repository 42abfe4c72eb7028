"""Platform-level tasks: the bridge between beat (public schema) and per-tenant work."""

from celery import shared_task
from django_tenants.utils import tenant_context

from tenants.selectors import tenant_list_active


@shared_task
def run_for_each_tenant(task_name: str, expires: float | None = None, flag: str | None = None) -> int:
    """Queue `task_name` once in every live tenant's schema; returns how many were queued.

    Beat runs in the public schema, and a tenant task sent from there would run there. Sending it inside
    tenant_context stamps the tenant's schema on the message, so the worker runs it in that schema. A frequent
    job passes `expires` (seconds): while workers are down its messages expire instead of piling up. A job only
    some tenants need names their `flag` (tenants.selectors.FLAGS), e.g. the webhook job "webhooks_on".
    """
    from pos_project.celery import app

    task = app.tasks[task_name]
    queued = 0
    for tenant in tenant_list_active(flag=flag):
        with tenant_context(tenant):
            task.apply_async(expires=expires)
        queued += 1
    return queued
