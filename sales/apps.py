from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The till: registers, shifts, orders, payments, receipts (built out in the till issue)."""

    name = "sales"
