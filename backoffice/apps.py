from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The owner's back office pages that draw on several apps (dashboard, later reports). No models."""

    name = "backoffice"
