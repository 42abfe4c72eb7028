from django.db.models import QuerySet

from .access import staff_users
from .models import AuditEntry, User


def staff_list() -> QuerySet[User]:
    return staff_users().order_by("-is_active", "role", "username")


def audit_list(*, limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()[:limit]
