"""Who is calling the API (REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]): an API key, or a staff app's access
token (docs/adr/0017). Both are bearer credentials, looked up in the tenant's own schema: a key or token of one
business does not exist on another's host, so it is refused there like any unknown one.

A key or token is read from the database on every request (one indexed query, its person joined): nothing is
cached, so a revoked one is refused on the very next request, by every process."""

import copy
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.access import can

from .models.keys import ACCESS_PREFIX, ApiKey, StaffToken, key_parse, secret_hash

# `last_used_at` is written at most this often per key: a busy integration costs no write per request.
LAST_USED_EVERY = timedelta(minutes=1)
REALM = 'Bearer realm="api"'


def _refused(code: str, message) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(detail=exceptions.ErrorDetail(message, code=code))


def bearer(request) -> str | None:
    """The credential of `Authorization: Bearer <credential>`, or None when the request sends none."""
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise _refused("auth.malformed", _("Send the header as: Authorization: Bearer <key or token>."))
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError:
        raise _refused("auth.malformed", _("Send the header as: Authorization: Bearer <key or token>.")) from None


def _never_saved(*args, **kwargs):
    raise RuntimeError("A key's acting person is a stand-in for one request: it is never saved.")


def acting_as(maker, role: str):
    """Who a key's request is (request.user): its maker, in the key's role. So every check by role (the API's
    permission, a service's `capability_check`, its own rules by role, `outlets_of`) sees what the key may do,
    while audit entries and `created_by` name the real person. A role other than the maker's needs a maker who
    may still give staff roles (`staff.manage`): a key is never above its maker, even after the maker changes."""
    if role == maker.role:
        return maker
    if not can(maker, "staff.manage"):
        raise exceptions.PermissionDenied(
            detail=exceptions.ErrorDetail(
                _("This key's role is more than its maker may give now; make a new key."), code="access.denied"
            )
        )
    acting = copy.copy(maker)
    acting.role = role
    acting.save = _never_saved  # the same row: a save would change the maker's role
    return acting


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer pos_live_<prefix>_<secret>`: the request acts as the key's maker in the key's role
    (request.user, `acting_as`), on the key's scopes only (request.auth, asked by core.api_rules.ApiPermission)."""

    def authenticate(self, request):
        credential = bearer(request)
        if credential is None:
            return None
        parsed = key_parse(credential)
        if parsed is None:
            return None  # not shaped like a key: a staff token, for the next authenticator
        prefix, secret = parsed
        key = ApiKey.objects.select_related("created_by").filter(prefix=prefix).first()
        if key is None or not key.secret_matches(secret):
            raise _refused("auth.key_invalid", _("This API key is not valid here."))
        now = timezone.now()
        if key.revoked_at is not None:
            raise _refused("auth.key_revoked", _("This API key was revoked."))
        if key.expires_at is not None and key.expires_at <= now:
            raise _refused("auth.key_expired", _("This API key has expired."))
        if not key.created_by.is_active:
            raise _refused("auth.key_invalid", _("This API key is not valid here."))
        acting = acting_as(key.created_by, key.role)
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
            # Conditional: of many requests in the same minute, across processes, one writes.
            ApiKey.objects.filter(pk=key.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
            ).update(last_used_at=now)
            key.last_used_at = now
        return acting, key

    def authenticate_header(self, request) -> str:
        return REALM


class StaffTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer pos_at_...`: a staff app's access token (POST /api/v1/auth/token). The request acts
    as the person, with their role and outlets; a token older than their last password change is refused."""

    def authenticate(self, request):
        credential = bearer(request)
        if credential is None or not credential.startswith(ACCESS_PREFIX):
            return None
        token = (
            StaffToken.objects.select_related("user")
            .filter(token_hash=secret_hash(credential), kind=StaffToken.Kind.ACCESS)
            .first()
        )
        if token is None:
            raise _refused("auth.token_invalid", _("This access token is not valid here."))
        if token.revoked_at is not None:
            raise _refused("auth.token_revoked", _("This access token was revoked; sign in again."))
        if token.expires_at <= timezone.now():
            raise _refused("auth.token_expired", _("This access token has expired; refresh it."))
        user = token.user
        if not user.is_active or not constant_time_compare(token.auth_hash, user.get_session_auth_hash()):
            raise _refused("auth.token_revoked", _("This access token was revoked; sign in again."))
        return user, token

    def authenticate_header(self, request) -> str:
        return REALM
