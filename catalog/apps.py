from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """What can be sold: categories, products, variants, modifiers, per-outlet price and availability."""

    name = "catalog"
