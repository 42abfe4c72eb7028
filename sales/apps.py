from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The till: registers, shifts, orders, payments, receipts (built out in the till issue)."""

    name = "sales"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from business.models import Outlet

        from .models import Register, Shift
        from .selectors import shift_cache_forget

        # Cache coherence, not business logic: the till's cached open shift (sales.selectors) carries its register
        # and outlet, so a write to any of them forgets it.
        def forget_shift(sender, instance, **kwargs):
            shift_cache_forget(register_ids=[instance.register_id])

        def forget_register(sender, instance, **kwargs):
            shift_cache_forget(register_ids=[instance.pk])

        def forget_outlet(sender, instance, **kwargs):
            shift_cache_forget(register_ids=list(Register.objects.filter(outlet=instance).values_list("pk", flat=True)))

        for model, forget in ((Shift, forget_shift), (Register, forget_register), (Outlet, forget_outlet)):
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"shift_cache_{model.__name__}")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"shift_cache_del_{model.__name__}")
