from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants (businesses)"

    def ready(self):
        from pos_project.caching import forget_on_write

        from .middleware import tenant_cache_clear
        from .models import Domain, Tenant

        # Cache coherence: a tenant or domain saved in this process is looked up afresh by its next request.
        forget_on_write("tenant_by_host", (Tenant, Domain), lambda instance: tenant_cache_clear())
