from django.apps import AppConfig


class OutletsConfig(AppConfig):
    """A business's shops or branches. Stock, shifts, registers and kitchen stations hang off an outlet."""

    name = "outlets"
