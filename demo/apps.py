from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`: tenants, a staff member of every role, a small menu. No models."""

    name = "demo"
