from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What integrators use: API keys and staff tokens, the DRF API's authentication, and webhooks fed by the
    outbox (docs/api.md). Each app serves its own resources in `<app>/api.py`; this app knows who is asking and
    tells the outside world what happened, never the business rules."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from tenants.services import tenant_webhooks_mark

        from .models.webhooks import WebhookEndpoint

        def mark(sender, instance, raw=False, **kwargs):
            """An endpoint saved on, by whoever saves it: beat's webhook job visits this business from now on."""
            if instance.disabled_at is None and not raw:
                tenant_webhooks_mark()

        post_save.connect(mark, sender=WebhookEndpoint, weak=False, dispatch_uid="integrations.webhooks_on")
