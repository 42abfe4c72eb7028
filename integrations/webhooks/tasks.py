"""The webhooks' beat job, run in one tenant's schema at a time (pos_project.tasks.run_for_each_tenant)."""

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from . import services

logger = logging.getLogger(__name__)


@shared_task
def webhook_send_due() -> dict[str, int]:
    """Send this tenant's due webhook deliveries (every 10 s from beat). Safe to run twice at once: each delivery
    is claimed by one run under a lease (integrations/webhooks/services.py)."""
    if connection.schema_name == get_public_schema_name():
        logger.warning("webhook_send_due ran in the public schema; queue it per tenant")
        return {"delivered": 0, "retry": 0, "failed": 0}
    return services.webhook_send_due()


@shared_task
def webhook_purge() -> int:
    """Forget delivered and failed deliveries past WEBHOOKS_RETENTION_DAYS (daily)."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return services.webhook_purge()
