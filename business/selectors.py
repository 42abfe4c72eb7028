from django.db.models import QuerySet

from .models import Outlet, SalesSettings, Tax


def outlet_list(*, active_only: bool = True) -> QuerySet[Outlet]:
    qs = Outlet.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def outlet_default() -> Outlet | None:
    """The outlet a till or display uses until outlet selection per device exists."""
    return outlet_list().order_by("id").first()


def sales_settings_get() -> "SalesSettings":
    """The tenant's till rules; made on first use so tenants cloned before this model existed get one too."""
    settings, _ = SalesSettings.objects.get_or_create(pk=1)
    return settings


def tax_list(*, active_only: bool = True) -> QuerySet[Tax]:
    qs = Tax.objects.all()
    return qs.filter(is_active=True) if active_only else qs
