from django.db.models import QuerySet

from .models import TENANT_ROLES, AuditEntry, User


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=TENANT_ROLES).order_by("-is_active", "role", "username")


def audit_list(*, limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()[:limit]
