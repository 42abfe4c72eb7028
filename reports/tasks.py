"""Reports' Celery tasks, each run in one tenant's schema (beat fans them out: pos_project.tasks)."""

from celery import shared_task

from sales.services.shifts import business_date_now

from .services import rollups_refresh_recent


@shared_task
def rollups_refresh() -> int:
    """Rebuild the kitchen and stock roll-ups of yesterday and today (idempotent: it replaces those days)."""
    return rollups_refresh_recent(today=business_date_now())
