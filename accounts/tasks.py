from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired sessions of the tenant whose schema the task runs in (idempotent)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def current_schema() -> str:
    """Report the schema a task runs in: used by operators (and tests) to check tenant routing of workers."""
    return connection.schema_name
