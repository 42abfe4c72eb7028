from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants (businesses)"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .middleware import tenant_cache_clear
        from .models import Domain, Tenant

        # Cache coherence: a tenant or domain saved in this process is looked up afresh by its next request.
        def forget(sender, **kwargs):
            tenant_cache_clear()

        for model in (Tenant, Domain):
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"tenant_cache_{model.__name__}")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"tenant_cache_del_{model.__name__}")
