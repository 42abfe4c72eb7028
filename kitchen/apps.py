from django.apps import AppConfig


class KitchenConfig(AppConfig):
    """Stations, routing and the kitchen display (built out in the kitchen issue)."""

    name = "kitchen"
