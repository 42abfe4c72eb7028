"""The mail outbox's beat jobs, run in one tenant's schema at a time (pos_project.tasks.run_for_each_tenant)."""

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from . import services

logger = logging.getLogger(__name__)


@shared_task
def mail_send_due() -> dict[str, int]:
    """Send this tenant's due messages (every minute from beat). Safe to run twice at once: each message is
    claimed by one run (mailer/services.py)."""
    if connection.schema_name == get_public_schema_name():
        logger.warning("mail_send_due ran in the public schema; queue it per tenant")
        return {"sent": 0, "retry": 0, "failed": 0}
    return services.mail_send_due()


@shared_task
def mail_purge() -> int:
    """Forget sent and failed messages past MAILER_RETENTION_DAYS (daily)."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return services.mail_purge()
