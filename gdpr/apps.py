from django.apps import AppConfig


class GdprConfig(AppConfig):
    """Export, erasure and retention of personal data (built out in a later issue)."""

    name = "gdpr"
    verbose_name = "Personal data"
