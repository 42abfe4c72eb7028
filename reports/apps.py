from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Sales, kitchen and stock reporting: roll-up tables kept from the outbox, and the pages that read them.

    Read-only towards every other app: it learns of sales through outbox events (reports/subscribers.py) and reads
    other apps through their selectors or its own SQL over their tables, never by calling their services."""

    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
