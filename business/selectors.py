from django.db.models import QuerySet

from .models import Outlet


def outlet_list(*, active_only: bool = True) -> QuerySet[Outlet]:
    qs = Outlet.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def outlet_default() -> Outlet | None:
    """The outlet a till or display uses until outlet selection per device exists."""
    return outlet_list().order_by("id").first()
