"""The parts of the API's shape that settings name (REST_FRAMEWORK): the one permission, the pagination, the
filters and the throttle. DRF's view classes read these settings as they load, so this module never imports
DRF's views (or core/api.py, which does): the rest of the shared API pieces are in core/api.py."""

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import BaseThrottle

from accounts.access import can
from pos_project.errors import ServiceError

# --- Permission ---------------------------------------------------------------------------------------------------


class ApiPermission(BasePermission):
    """The one permission of the API: the caller holds the capability the view names for this method (reading or
    writing), and the credential (an API key) is scoped for the view's resource and method. Staff tokens act as
    their person (`accounts.access.can`); an API key as its role, never above the person who made it (both are
    asked: `request.user` is that person, `request.auth.can` the key's role)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated(
                detail=exceptions.ErrorDetail(_("Send an API key or an access token."), code="auth.required")
            )
        write = request.method not in SAFE_METHODS
        resource = getattr(view, "api_resource", None)
        capability = view.api_capability(write=write) if hasattr(view, "api_capability") else None
        if not resource or not capability:  # a view without them is a bug, not an open door
            raise exceptions.PermissionDenied()
        allows: Callable[[str, bool], bool] | None = getattr(request.auth, "allows", None)
        if allows is not None and not allows(resource, write):
            what = _("write") if write else _("read")
            raise exceptions.PermissionDenied(
                detail=exceptions.ErrorDetail(
                    _("This key may not %(what)s %(resource)s.") % {"what": what, "resource": resource},
                    code="auth.scope_missing",
                )
            )
        key_can: Callable[[str], bool] | None = getattr(request.auth, "can", None)
        if not can(user, capability) or (key_can is not None and not key_can(capability)):
            raise exceptions.PermissionDenied(
                detail=exceptions.ErrorDetail(_("Your role cannot do that."), code="access.denied")
            )
        return True


# --- Pagination, filters, ordering --------------------------------------------------------------------------------


class ApiCursorPagination(CursorPagination):
    """Cursor pagination (stable under inserts, unlike pages): `?limit=` 1-200, default 50. The ordering is the
    view's `ordering` (or `?ordering=` from its whitelist); the cursor is opaque."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("id",)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise ServiceError(
                "pagination.cursor_invalid", _("That cursor is not one this API gave."), field="cursor"
            ) from None

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["next"]["example"] = "https://cafe.example.com/api/v1/categories/?cursor=cD0xMg%3D%3D"
        response["properties"]["previous"]["example"] = None
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
        return parameters


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=2026-12-01T08:00:00Z`: only what changed at or after that moment (the view's
    `updated_since_field`, default `updated_at`), for a client keeping a copy in sync. A moment without an offset
    is read as UTC."""

    param = "updated_since"

    def filter_queryset(self, request, queryset, view):
        field = getattr(view, "updated_since_field", "updated_at")
        value = request.query_params.get(self.param)
        if not field or value is None or getattr(view, "action", "list") not in (None, "list"):
            return queryset
        moment = None
        with contextlib.suppress(ValueError, OverflowError):  # an impossible date (2026-02-30), or one that
            # cannot be told in UTC (0001-01-01T00:00+05:00); PostgreSQL refuses offsets past 15:59, so UTC it is
            moment = parse_datetime(value.strip())
            moment = moment and (moment if moment.tzinfo is None else moment.astimezone(UTC))
        if moment is None:
            raise ServiceError(
                "request.invalid",
                _("Give a date and time in ISO 8601, e.g. 2026-12-01T08:00:00Z."),
                field=self.param,
            )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            # In UTC: PostgreSQL refuses an offset beyond ±15:59 that Python reads (…+22:09), a 500 otherwise.
            moment = moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the first moment there is
            raise ServiceError("request.invalid", _("That moment is out of range."), field=self.param) from None
        return queryset.filter(**{f"{field}__gte": moment})

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "updated_since_field", "updated_at"):
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": str(_("Only what changed at or after this moment (ISO 8601; UTC without offset).")),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


class ApiOrderingFilter(OrderingFilter):
    """`?ordering=name,-updated_at` on the view's `ordering_fields` only (a name outside it is a 400, not silently
    ignored); the primary key is always the last tie-breaker, so the order is total."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            allowed = set(getattr(view, "ordering_fields", None) or ())
            wrong = [term for term in fields if term.lstrip("-") not in allowed]
            if wrong or not fields:
                raise ServiceError(
                    "request.invalid",
                    _("Order by one of: %(fields)s.") % {"fields": ", ".join(sorted(allowed)) or "-"},
                    field=self.ordering_param,
                )
            return tuple(fields)
        return self.get_default_ordering(view)

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            ordering = (*ordering, "pk") if not any(t.lstrip("-") in ("pk", "id") for t in ordering) else ordering
            return queryset.order_by(*ordering)
        return queryset

    def get_schema_operation_parameters(self, view):
        fields = sorted(getattr(view, "ordering_fields", None) or ())
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(_("Sort by these fields, comma-separated; a leading '-' for descending: "))
                + ", ".join(fields),
                "schema": {"type": "string"},
            }
        ]


# --- Throttling ---------------------------------------------------------------------------------------------------


def _count(key: str, timeout: int) -> int | None:
    """Add one to a counter in the tenant-prefixed cache and return it (None when Redis cannot answer: the API
    keeps answering without limits rather than failing). `add` then `incr` are each atomic in Redis."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls: this is the first of a new window
        cache.add(key, 1, timeout)
        return 1


def quota_key(scope: str, day: date) -> str:
    return f"api-quota:{scope}:{day.isoformat()}"


def requests_today(*scopes: str) -> dict[str, int]:
    """How many requests each credential (`throttle_scope`, e.g. "key:1a2b...") made today (UTC), for the owner's
    page: one round trip to Redis for all of them; 0 when Redis cannot answer."""
    day = timezone.now().astimezone(UTC).date()
    keys = {quota_key(scope, day): scope for scope in scopes}
    found = cache.get_many(list(keys)) if keys else {}
    return {scope: int(found.get(key) or 0) for key, scope in keys.items()}


class ApiThrottle(BaseThrottle):
    """Per credential (`request.auth.throttle_scope`: an API key, or a person's staff tokens): at most
    API_RATE_PER_MINUTE requests a minute and API_DAILY_QUOTA a day (UTC), counted in the tenant's Redis cache.
    Over either: 429 with Retry-After (to the next minute, or to midnight UTC). With Redis down nothing is
    counted and every request is let through."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(request.auth, "throttle_scope", None)
        if not scope:
            return True
        now = timezone.now().astimezone(UTC)
        minute = int(now.timestamp()) // 60
        per_minute = _count(f"api-rate:{scope}:{minute}", 90)
        if per_minute is not None and per_minute > settings.API_RATE_PER_MINUTE:
            raise exceptions.Throttled(
                wait=60 - now.second,
                detail=_("Too many requests; slow down (%(rate)d a minute).") % {"rate": settings.API_RATE_PER_MINUTE},
                code="throttle.rate_limited",
            )
        today = _count(quota_key(scope, now.date()), 26 * 3600)
        if today is not None and today > settings.API_DAILY_QUOTA:
            midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
            raise exceptions.Throttled(
                wait=(midnight - now).total_seconds(),
                detail=_("This key has used today's %(quota)d requests; the count starts again at midnight UTC.")
                % {"quota": settings.API_DAILY_QUOTA},
                code="throttle.quota_exceeded",
            )
        return True
