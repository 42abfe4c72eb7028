from django.apps import AppConfig


class KitchenConfig(AppConfig):
    """Stations, routing and the kitchen display (built out in the kitchen issue)."""

    name = "kitchen"

    def ready(self):
        from . import screens  # noqa: F401 - registers the display and the expo as live screens (kitchen/live.py)
