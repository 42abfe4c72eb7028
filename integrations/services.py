"""Writes of the integrations app: API keys (made and revoked by the owner, audited) and staff apps' tokens."""

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts.access import can, capability_check, is_staff_role
from accounts.audit import AuditAction
from accounts.middleware import two_factor_required_now
from accounts.models import User
from accounts.services import audit_record
from accounts.throttle import password_try
from accounts.two_factor import two_factor_enabled, two_factor_verify
from accounts.usernames import username_normalize
from core.idempotency import idempotent_write
from pos_project.errors import ServiceError

from .models.keys import ACCESS_PREFIX, READ, REFRESH_PREFIX, WRITE, ApiKey, StaffToken, key_new, secret_hash

Errors = dict[str, list[str]]


def _scopes_clean(scopes: Mapping[str, str], errors: Errors) -> dict[str, str]:
    clean = {}
    for resource, level in (scopes or {}).items():
        resource = str(resource).strip()
        if not resource or len(resource) > 40 or level not in (READ, WRITE):
            errors.setdefault("scopes", []).append(_("Each scope is a resource name and 'read' or 'write'."))
            break
        clean[resource] = level
    if not clean and "scopes" not in errors:
        errors.setdefault("scopes", []).append(_("Give the key at least one scope."))
    return clean


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    name: str,
    scopes: Mapping[str, str],
    role: str,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key; returns it and the whole key as the client will send it (shown once: only its hash is kept).

    The key acts as `role`: the maker's own, or any staff role when the maker may give roles to staff
    (`staff.manage`), so a key is never above its maker. The form sent again (a reload of the page that showed
    the key) makes no second key: it gets the first one back with "" for the whole key, which is gone."""
    capability_check(actor, "integrations.manage")
    name = (name or "").strip()
    errors: Errors = {}
    if not name:
        errors["name"] = [_("Give the key a name (what uses it).")]
    elif len(name) > ApiKey._meta.get_field("name").max_length:
        errors["name"] = [_("The name is too long.")]
    clean = _scopes_clean(scopes, errors)
    if not is_staff_role(role) or (role != actor.role and not can(actor, "staff.manage")):
        errors["role"] = [_("Choose a role you could give a member of staff.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ServiceError("api_key.invalid", _("The key needs fixing."), fields=errors)
    made = {}

    def write() -> ApiKey:
        prefix, secret, made["whole"] = key_new()
        key = ApiKey.objects.create(name=name, prefix=prefix, secret_hash=secret_hash(secret), scopes=clean,
                                    role=role, created_by=actor, expires_at=expires_at)  # fmt: skip
        audit_record(action=AuditAction.API_KEY_CREATE, actor=actor, target=key, label=prefix,
                     data={"scopes": clean, "role": role, "expires_at": expires_at})  # fmt: skip
        return key

    request = {"name": name, "scopes": clean, "role": role, "expires_at": expires_at, "actor": actor.pk}
    key = idempotent_write(key=idempotency_key, action="api_key.create", request=request, model=ApiKey,
                           write=write, required=False)  # fmt: skip
    return key, made.get("whole", "")


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    """Refused from its next request on (keys are never cached). Revoking twice changes nothing."""
    capability_check(actor, "integrations.manage")
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = timezone.now(), actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(action=AuditAction.API_KEY_REVOKE, actor=actor, target=key, label=key.prefix)
    return key


# --- Staff tokens (docs/adr/0017) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime


def token_hash(token: str) -> str:
    """SHA-256, as for API keys: a token is 32 random bytes, so a fast hash is safe and a lookup is one index probe."""
    return secret_hash(token)


def _tokens_issue(*, user: User, family: uuid.UUID) -> TokenPair:
    now = timezone.now()
    access, refresh = f"{ACCESS_PREFIX}{secrets.token_urlsafe(32)}", f"{REFRESH_PREFIX}{secrets.token_urlsafe(32)}"
    access_expires = now + timedelta(seconds=settings.API_ACCESS_TOKEN_SECONDS)
    refresh_expires = now + timedelta(days=settings.API_REFRESH_TOKEN_DAYS)
    auth_hash = user.get_session_auth_hash()
    StaffToken.objects.bulk_create(
        [
            StaffToken(kind=StaffToken.Kind.ACCESS, token_hash=token_hash(access), user=user, family=family,
                       auth_hash=auth_hash, expires_at=access_expires),
            StaffToken(kind=StaffToken.Kind.REFRESH, token_hash=token_hash(refresh), user=user, family=family,
                       auth_hash=auth_hash, expires_at=refresh_expires),
        ]
    )  # fmt: skip
    return TokenPair(access, access_expires, refresh, refresh_expires)


def _token_refused(code: str, message) -> ServiceError:
    return ServiceError(code, message, status=401)


def token_sign_in(*, request: HttpRequest, username: str, password: str, otp: str = "") -> TokenPair:
    """A staff app signs a person in: the password (under the same sign-in limits as the login page:
    accounts/throttle.py, whose `Throttled` the caller answers with 429), then the second factor when the
    person has one. Who must have one and has none enrols on the web first. Audited like a sign-in."""
    username = username_normalize(username)
    if not username or not password:
        fields = {name: [_("This field is required.")] for name, v in (("username", username), ("password", password))
                  if not v}  # fmt: skip
        raise ServiceError("auth.credentials_missing", _("Give a username and a password."), fields=fields)
    claim = password_try(request, username)
    user = authenticate(request, username=username, password=password)  # a failure is audited by accounts
    if user is None or not is_staff_role(getattr(user, "role", "")):
        raise _token_refused("auth.credentials_invalid", _("That username and password do not match."))
    claim.succeeded()
    if user.must_change_password:
        raise ServiceError("auth.password_change_required",
                           _("Change your one-time password on the sign-in page first."), status=403)  # fmt: skip
    second_factor = ""
    if two_factor_enabled(user=user):
        if not (otp or "").strip():
            raise ServiceError("auth.otp_required", _("Type the code of your authenticator app."), field="otp",
                               status=401)  # fmt: skip
        second_factor = type(two_factor_verify(user=user, token=otp, request=request)).__name__
    elif two_factor_required_now(user):
        raise ServiceError("auth.two_factor_setup_required",
                           _("Turn on two-step sign-in on the web first; then sign in here."), status=403)  # fmt: skip
    with transaction.atomic():
        pair = _tokens_issue(user=user, family=uuid.uuid4())
        data = {"by": "api_token", **({"second_factor": second_factor} if second_factor else {})}
        audit_record(action=AuditAction.AUTH_LOGIN, actor=user, target=user, label=user.get_username(), data=data,
                     request=request)  # fmt: skip
    return pair


def _family_revoke(family: uuid.UUID) -> int:
    return StaffToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_refresh(*, refresh: str) -> TokenPair:
    """A new pair for a refresh token, which is used up. A refresh token sent a second time means two holders:
    its whole family (every token of that sign-in) is revoked, and the caller signs in again."""
    refused = None
    with transaction.atomic():
        row = (
            StaffToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=token_hash(refresh or ""), kind=StaffToken.Kind.REFRESH)
            .first()
        )
        now = timezone.now()
        if row is None:
            refused = ("auth.token_invalid", _("That refresh token is not valid here."))
        elif row.used_at is not None or row.revoked_at is not None:
            _family_revoke(row.family)  # committed: the refusal is raised after the transaction
            refused = ("auth.token_reused", _("That refresh token was already used; sign in again."))
        elif row.expires_at <= now:
            refused = ("auth.token_expired", _("That refresh token has expired; sign in again."))
        elif not row.user.is_active or not constant_time_compare(row.auth_hash, row.user.get_session_auth_hash()):
            _family_revoke(row.family)
            refused = ("auth.token_revoked", _("The password was changed; sign in again."))
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return _tokens_issue(user=row.user, family=row.family)
    raise _token_refused(*refused)


def token_revoke(*, token: str) -> None:
    """Sign a staff app out: the token's whole family (its sign-in). An unknown token changes nothing, and is no
    error (RFC 7009): the caller wanted it gone."""
    family = StaffToken.objects.filter(token_hash=token_hash(token or "")).values_list("family", flat=True).first()
    if family is not None:
        _family_revoke(family)


def tokens_purge(*, now: datetime | None = None) -> int:
    """Forget tokens expired a day or more ago (a used refresh token is kept until then, to catch its reuse)."""
    deleted, _ = StaffToken.objects.filter(expires_at__lt=(now or timezone.now()) - timedelta(days=1)).delete()
    return deleted
