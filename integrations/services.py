"""Writes of the integrations app: API keys (made and revoked by the owner, audited)."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can, capability_check, is_staff_role
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from pos_project.errors import ServiceError

from .models.keys import READ, WRITE, ApiKey, key_new, secret_hash

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
) -> tuple[ApiKey, str]:
    """A new key; returns it and the whole key as the client will send it (shown once: only its hash is kept).

    The key acts as `role`: the maker's own, or any staff role when the maker may give roles to staff
    (`staff.manage`), so a key is never above its maker."""
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
    prefix, secret, whole = key_new()
    key = ApiKey.objects.create(name=name, prefix=prefix, secret_hash=secret_hash(secret), scopes=clean, role=role,
                                created_by=actor, expires_at=expires_at)  # fmt: skip
    audit_record(action=AuditAction.API_KEY_CREATE, actor=actor, target=key, label=prefix,
                 data={"scopes": clean, "role": role, "expires_at": expires_at})  # fmt: skip
    return key, whole


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
