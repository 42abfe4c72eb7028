from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What integrators use: API keys and staff tokens, the DRF API's authentication, and webhooks fed by the
    outbox (docs/api.md). Each app serves its own resources in `<app>/api.py`; this app knows who is asking and
    tells the outside world what happened, never the business rules."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"
