"""The shared pieces of the JSON API (`/api/v1/`, docs/api.md): every app's `<app>/api.py` builds on these.

- `api_exception_handler`: every error, whatever raised it, as `{"error": {"code", "message", "fields"}}`
  (`pos_project.errors.error_body`, the till's shape) with its status.
- `ApiView` / `ApiViewSet`: the base of every API view. A view names its scope (`api_resource = "categories"`) and
  the capabilities of accounts/access.py a caller needs to read and to write it (`api_capability_read`,
  `api_capability_write`); `ApiPermission` checks both, and the key's scope, for every request. Every write
  (POST/PUT/PATCH/DELETE) needs an `Idempotency-Key` header and runs once per key through core/idempotency.py.
- `ApiCursorPagination` (`?cursor=`, `?limit=` up to 200), `UpdatedSinceFilter` (`?updated_since=`) and
  `ApiOrderingFilter` (`?ordering=` on the view's `ordering_fields` only).

This module sits below the domain apps, so it knows nothing of API keys or staff tokens: what authenticated the
request (`request.auth`, made by integrations/authentication.py) is asked, duck-typed, for
`allows(resource, write) -> bool` (the key's scope), `can(capability) -> bool` (what the key acts as) and
`idempotency_scope` (whose idempotency keys these are). A credential without them is not narrowed further.
"""

import hashlib
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from pos_project.errors import ServiceError, error_body, error_status

from .idempotency import KEY_MAX, idempotency_claim, idempotent_replay, idempotent_response

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# --- Errors -------------------------------------------------------------------------------------------------------

# DRF's own exceptions, by class, as (stable code, status). The message is DRF's (translated) detail.
_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.NotAuthenticated, "auth.required"),
    (exceptions.AuthenticationFailed, "auth.failed"),
    (exceptions.PermissionDenied, "access.denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "request.method_not_allowed"),
    (exceptions.NotAcceptable, "request.not_acceptable"),
    (exceptions.UnsupportedMediaType, "request.unsupported_media_type"),
    (exceptions.Throttled, "throttle.rate_limited"),
    (exceptions.ParseError, "request.malformed"),
)


def _body(code: str, message: Any, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": dict(fields or {})}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field": [...], "lines.0.quantity": [...]}` (non-field errors under "")."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for name, value in detail.items():
            key = "" if name in ("non_field_errors", "__all__") and not prefix else f"{prefix}{name}"
            for sub, messages in _flatten(value, f"{key}." if key else "").items():
                out.setdefault(sub.rstrip("."), []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            out.setdefault(prefix.rstrip("."), []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for sub, messages in _flatten(item, f"{prefix}{index}.").items():
                        out.setdefault(sub, []).extend(messages)
    else:
        out.setdefault(prefix.rstrip("."), []).append(str(detail))
    return out


def _validation_body(detail: Any) -> dict[str, Any]:
    fields = _flatten(detail)
    general = fields.pop("", [])
    codes = {getattr(d, "code", None) for d in _leaves(detail)} - {None, "invalid"}
    code = codes.pop() if len(codes) == 1 and "." in next(iter(codes)) else "invalid"
    message = " ".join(general) if general else _("Some fields need fixing.")
    return _body(code, message, fields)


def _leaves(detail: Any):
    if isinstance(detail, Mapping):
        for value in detail.values():
            yield from _leaves(value)
    elif isinstance(detail, list | tuple):
        for item in detail:
            yield from _leaves(item)
    else:
        yield detail


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: one body for every refusal. Anything unexpected is left to Django (a
    500, logged with the request): hiding it behind a 4xx would hide a bug."""
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceError | DjangoValidationError):
        if not isinstance(exc, ServiceError) and hasattr(exc, "error_dict"):
            return Response(_validation_body(exc.message_dict), status=400)
        return Response(error_body(exc), status=error_status(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    if isinstance(exc, exceptions.ValidationError):
        return Response(_validation_body(exc.detail), status=exc.status_code)
    code = next((code for cls, code in _CODES if isinstance(exc, cls)), f"request.{exc.default_code}")
    detail = exc.detail
    detail_code = getattr(detail, "code", None)
    if isinstance(detail_code, str) and "." in detail_code:  # raised with a stable code of ours
        code = detail_code
    if getattr(exc, "auth_header", None):  # set by DRF's handle_exception from the first authenticator
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    message = detail
    if isinstance(detail, list | dict):
        message = " ".join(_flatten(detail).get("", [])) or exc.default_detail
    status_code = exc.status_code
    return Response(_body(code, message), status=status_code, headers=headers)


def api_error(code: str, message: Any, *, status_code: int = 400, fields: Mapping[str, list[str]] | None = None):
    """A refusal built by hand (a plain Django view under /api/: the catch-all 404)."""
    return _body(code, message, fields), status_code


# --- Idempotency --------------------------------------------------------------------------------------------------


def _scoped_key(request, key: str) -> str:
    """The stored key: the client's own, under whoever sent it, so two integrations can never meet on a key (and
    the till's keys never meet the API's). Hashed when that would be longer than the table allows."""
    scope = getattr(request.auth, "idempotency_scope", None) or f"u{request.user.pk}"
    scoped = f"api:{scope}:{key}"
    if len(scoped) > KEY_MAX:
        scoped = f"api:{scope}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return scoped


def service_idempotency_key(request) -> str:
    """The key to hand a service that claims one itself (e.g. order_submit): a keyed API write has already claimed
    the request's own key, so the service gets a key of its own derived from it (a retry never reaches it)."""
    return hashlib.sha256(f"{request.idempotency_key}#service".encode()).hexdigest()


class ApiMixin:
    """Shared by `ApiView` and `ApiViewSet`. Subclasses set `api_resource`, `api_capability_read`,
    `api_capability_write` (or override `api_capability` to ask more, e.g. per action)."""

    api_resource: str = ""
    # A GET of this view returns a page of a list (the schema says so, with its paging and filter parameters).
    api_list: bool = False
    api_capability_read: str = ""
    api_capability_write: str = ""
    # Writes of this view need no Idempotency-Key (only the token endpoints: signing in has nothing to repeat).
    idempotency_exempt: bool = False

    def api_capability(self, *, write: bool) -> str:
        return self.api_capability_write if write else self.api_capability_read

    def dispatch(self, request, *args, **kwargs):
        """DRF's dispatch, with every write run through `_keyed` (the handler and the key's claim in one
        transaction)."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            if request.method.lower() in self.http_method_names:
                handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
            else:
                handler = self.http_method_not_allowed
            if (
                request.method in WRITE_METHODS
                and not self.idempotency_exempt
                and handler != self.http_method_not_allowed
            ):
                response = self._keyed(handler, request, *args, **kwargs)
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - DRF's own shape: every exception becomes a response
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _keyed(self, handler, request, *args, **kwargs) -> Response:
        """Once per Idempotency-Key (core/idempotency.py): the same key and request replay the first response, the
        same key with another request is 422, a concurrent duplicate waits for the first and replays it. A refused
        write keeps no key, so a corrected retry runs."""
        raw = request.headers.get(IDEMPOTENCY_HEADER)
        if not (raw or "").strip():
            raise ServiceError(
                "idempotency.key_missing",
                _("Every write needs an Idempotency-Key header (a new UUID for each action)."),
                field=IDEMPOTENCY_HEADER,
            )
        key = raw.strip()
        if len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
            raise ServiceError(
                "idempotency.key_invalid",
                _("The Idempotency-Key must be 1 to %(max)d plain characters.") % {"max": KEY_MAX},
                field=IDEMPOTENCY_HEADER,
            )
        scoped = _scoped_key(request, key)
        request.idempotency_key = scoped
        fingerprint = {"method": request.method, "path": request.get_full_path(), "body": request.data}
        with transaction.atomic():
            claim = idempotency_claim(key=scoped, action=f"api.{self.api_resource or 'auth'}", request=fingerprint)
            if claim.replayed:
                stored = idempotent_replay(key=scoped)
                if stored is None:  # claimed by a write that stored no response: nothing to give back but a 409
                    raise ServiceError(
                        "idempotency.in_progress", _("That request is still being handled; try again."), status=409
                    )
                response = Response(stored[1], status=stored[0])
                response[REPLAYED_HEADER] = "true"
                return response
            response = handler(request, *args, **kwargs)
            if response.status_code >= 400:  # refused without raising: keep nothing, like a raised refusal
                transaction.set_rollback(True)
                return response
            idempotent_response(key=scoped, status=response.status_code, body=response.data)
        return response

    def initial(self, request, *args, **kwargs):
        _refuse_retired(request)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        _deprecation_headers(request, response)
        return response

    # Helpers for list views.
    def paginated(self, queryset, serializer_class=None, **context) -> Response:
        """Filter (updated_since, ordering), paginate and serialize a list with the view's backends."""
        queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        serializer_class = serializer_class or self.get_serializer_class()
        items = page if page is not None else queryset
        data = serializer_class(items, many=True, context={**self.get_serializer_context(), **context}).data
        return self.get_paginated_response(data) if page is not None else Response(data)


PK_MAX = 2**63 - 1  # a bigint's ceiling: a larger id in a URL simply matches nothing


def api_object(get: Callable[..., Any], pk: int, **kwargs):
    """`get(pk=pk, **kwargs)` (an app's selector), or the API's 404 when it finds nothing (or the id could not be
    an id at all)."""
    found = get(pk=pk, **kwargs) if 0 < int(pk) <= PK_MAX else None
    if found is None:
        raise exceptions.NotFound()
    return found


class VersionRetired(exceptions.APIException):
    status_code = 410
    default_detail = _("This version of the API was retired; use its successor.")
    default_code = "api.version_retired"


def _retiring(request):
    path = request.path_info
    for version, when in getattr(settings, "API_DEPRECATIONS", {}).items():
        if path.startswith(f"{settings.API_PATH_PREFIX}{version}/"):
            return when
    return None


def _refuse_retired(request) -> None:
    """After its sunset a version answers 410 `api.version_retired` (with the headers that said it would)."""
    when = _retiring(request)
    if when and when.get("sunset_at") and when["sunset_at"] <= timezone.now():
        raise VersionRetired(code="api.version_retired")


def _deprecation_headers(request, response) -> None:
    """Deprecation (RFC 9745) and Sunset (RFC 8594) on every response of a version being retired
    (settings.API_DEPRECATIONS: {"v1": {"deprecated_at": datetime, "sunset_at": datetime, "successor": "/api/v2/"}},
    docs/api.md "Versioning and deprecation")."""
    when = _retiring(request)
    if not when:
        return
    if when.get("deprecated_at"):
        response["Deprecation"] = f"@{int(when['deprecated_at'].timestamp())}"
    if when.get("sunset_at"):
        response["Sunset"] = http_date(when["sunset_at"].timestamp())
    if when.get("successor"):
        response["Link"] = f'<{when["successor"]}>; rel="successor-version"'


def api_resources() -> list[str]:
    """The scope names the API's views declare (`api_resource`), from the URL conf: what a key can be given."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: set[str] = set()

    def walk(patterns) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None)
                if view is not None and issubclass(view, ApiMixin) and not getattr(view, "api_public_reason", ""):
                    found.add(view.api_resource)

    walk(get_resolver().url_patterns)
    return sorted(r for r in found if r)


class ApiView(ApiMixin, GenericAPIView):
    """The base of an API view written with get/post/put/patch/delete handlers."""


class ApiViewSet(ApiMixin, GenericViewSet):
    """The base of an API view set (routers): list/retrieve/create/update... actions calling services."""


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A new unique value (a UUID) for each write; a retry with the same key and body replays the first "
    "response, the same key with another body is refused (422).",
)


# --- OpenAPI ------------------------------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, dotted code a program may branch on (docs/api.md).")
    message = serializers.CharField(help_text="Translated text for people (Accept-Language).")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field ('lines.0.quantity'); empty when the error is not about one field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_EXAMPLE = OpenApiExample(
    "Refused",
    value={"error": {"code": "invalid", "message": "Some fields need fixing.", "fields": {"name": ["Required."]}}},
    response_only=True,
    status_codes=["400"],
)


_ERROR_HEADERS = {
    "401": ("WWW-Authenticate", {"schema": {"type": "string"}, "description": 'Bearer realm="api"'}),
    "429": ("Retry-After", {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}),
}
_REPLAYED = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present when this is the stored response of an earlier request with the same Idempotency-Key.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema with what every operation of ours has: the Idempotency-Key header on writes, and
    the error responses in the one error format (so a client, and schemathesis, knows their shape)."""

    def _is_list_view(self, serializer=None) -> bool:
        """A GET of a view marked `api_list = True` returns a page of a list (ApiView has no `action` to tell)."""
        if not hasattr(self.view, "action") and self.method == "GET" and getattr(self.view, "api_list", False):
            return True
        return super()._is_list_view(serializer)

    def get_description(self) -> str:
        """The handler's docstring, else the view class's own (never a base class's)."""
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        if handler is not None and handler.__doc__:
            return get_doc(handler)
        return inspect.cleandoc(self.view.__class__.__dict__.get("__doc__") or "")

    def get_tags(self) -> list[str]:
        """An operation's tag is its scope name (`api_resource`): what the docs group by is what a key is given."""
        resource = getattr(self.view, "api_resource", "")
        return [resource] if resource else super().get_tags()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method in WRITE_METHODS and not getattr(self.view, "idempotency_exempt", False):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not getattr(self.view, "api_error_responses", True):
            return responses
        codes = ["400", "401", "403", "404", "405", "406", "415", "429"]
        if self.method in WRITE_METHODS:
            codes += ["409", "422"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        for code, (name, header) in _ERROR_HEADERS.items():
            responses[code].setdefault("headers", {})[name] = header
        if self.method in WRITE_METHODS and not getattr(self.view, "idempotency_exempt", False):
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {})[REPLAYED_HEADER] = _REPLAYED
        return responses
