from django.apps import AppConfig


class BusinessConfig(AppConfig):
    """A business's own set-up, in its schema: outlets (shops, branches), taxes and sales settings, read through
    the cached `business.selectors.tenant_settings()`. Other tenant apps build on it; it imports none of them."""

    name = "business"

    def ready(self):
        from pos_project.caching import forget_on_write

        from .models import SalesSettings, Tax
        from .selectors import tenant_settings_forget

        # Cache coherence, not business logic: any write to the rows behind tenant_settings() forgets the copy.
        forget_on_write("tenant_settings", (SalesSettings, Tax), lambda instance: tenant_settings_forget())
