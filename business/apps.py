from django.apps import AppConfig


class BusinessConfig(AppConfig):
    """A business's own set-up, in its schema: outlets (shops, branches), and in the till issue its taxes and
    sales settings. Other tenant apps build on it; it imports none of them."""

    name = "business"
