"""Reads of the integrations app's own rows (API keys)."""

from django.db.models import QuerySet

from .models.keys import ApiKey


def api_key_list() -> QuerySet[ApiKey]:
    """Every key, newest first, with who made and revoked it (one query)."""
    return ApiKey.objects.select_related("created_by", "revoked_by").order_by("-created_at", "-id")


def api_key_get(pk: int) -> ApiKey | None:
    return ApiKey.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
