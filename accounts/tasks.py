from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from .models import UserSession


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired sessions of the tenant whose schema the task runs in, and their entries in the list of
    signed-in devices (idempotent)."""
    deleted, _count = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
    return deleted


@shared_task
def current_schema() -> str:
    """Report the schema a task runs in: used by operators (and tests) to check tenant routing of workers."""
    return connection.schema_name
