from django.apps import AppConfig


class BusinessConfig(AppConfig):
    """A business's own set-up, in its schema: outlets (shops, branches), taxes and sales settings, read through
    the cached `business.selectors.tenant_settings()`. Other tenant apps build on it; it imports none of them."""

    name = "business"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import SalesSettings, Tax
        from .selectors import tenant_settings_forget

        # Cache coherence, not business logic: any write to the rows behind tenant_settings() forgets the copy.
        def forget(sender, **kwargs):
            tenant_settings_forget()

        for model in (SalesSettings, Tax):
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"tenant_settings_forget_{model.__name__}")
            post_delete.connect(
                forget, sender=model, weak=False, dispatch_uid=f"tenant_settings_forget_del_{model.__name__}"
            )
