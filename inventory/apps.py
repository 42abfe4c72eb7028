from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """Stock: items, recipes, the movement ledger, adjustments, transfers, purchasing and counts."""

    name = "inventory"
