"""Reports' Celery tasks, each run in one tenant's schema (beat fans them out: pos_project.tasks)."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from sales.services.shifts import business_date_now

from .emails import summaries_queue
from .services import rollups_refresh_recent


@shared_task
def rollups_refresh() -> int:
    """Rebuild the kitchen and stock roll-ups of yesterday and today (idempotent: it replaces those days)."""
    return rollups_refresh_recent(today=business_date_now())


@shared_task
def summaries_send() -> int:
    """Queue the owners' daily and weekly summary e-mails that are due (hourly from beat; once per person and
    period, reports/emails.py)."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return summaries_queue()
