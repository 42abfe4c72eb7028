from django.conf import settings
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from .models import Tenant

FLAGS = frozenset({"webhooks_on"})


def tenant_list_active(*, flag: str | None = None) -> QuerySet[Tenant]:
    """Businesses that are live: not the public (platform) tenant, not the template, not deactivated; with `flag`
    (one of FLAGS), only those where it is set."""
    tenants = Tenant.objects.filter(is_active=True, is_template=False).exclude(
        schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA]
    )
    if flag is not None:
        if flag not in FLAGS:
            raise ValueError(f"unknown tenant flag {flag!r}")
        tenants = tenants.filter(**{flag: True})
    return tenants


def tenant_url(tenant: Tenant) -> str:
    domain = tenant.get_primary_domain()
    host = domain.domain if domain else f"{tenant.slug}.{settings.BASE_DOMAIN}"
    port = f":{settings.SITE_PORT}" if getattr(settings, "SITE_PORT", "") else ""
    return f"{settings.SITE_SCHEME}://{host}{port}/"
