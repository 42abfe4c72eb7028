from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The catalog (what can be sold) and, in later issues, stock and its ledger."""

    name = "inventory"
