"""Support access: a platform super admin enters one business's back office, with a reason, for at most an hour.

1. In the platform's Django admin (public schema) the admin gives a reason and a length (at most 60 minutes):
   `support_grant_start` writes a `SupportGrant`, an audit entry in the platform's log and one in the business's,
   and returns a one-use hand-off link to the business's own domain, valid for HANDOFF_SECONDS.
2. On the business's domain `support_handoff_redeem` checks the link (signed; for this business; not used
   before, claimed with one conditional UPDATE, so a replay or a race gets nothing; the grant live) and the view
   signs the browser in as the business's stand-in for that admin: a user of the support role
   (`accounts.access`: the back office to look and set up, no till, approvals, stock or cash movements, staff,
   devices or timesheets), with an unusable password, no PIN, left out of staff lists, and refused by the
   password backend. Only this link signs it in.
3. Every request of such a session (`SupportAccessMiddleware`) reads the grant: expired, ended, or another
   business's, and the session is signed out there and then. The page shows a banner: who, why, until when.
4. The business's owner sees current and past support access in the back office and ends it
   (`support_grant_end`): the grant is closed and the stand-in's sessions are ended at once; the admin can end it
   too. Both logs record the start, the entry and the end.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.access import is_platform_support, support_role
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record, sessions_end
from pos_project.errors import FORBIDDEN, ServiceError

from .models import SupportGrant, Tenant
from .selectors import tenant_url

HANDOFF_SECONDS = 120
_SALT = "tenants.support-handoff"
REASON_MIN_LENGTH = 10
GRANT_SESSION_KEY = "_support_grant"  # a person key (accounts/devices.py): it goes with the sign-in


@dataclass(frozen=True)
class SupportStart:
    grant: SupportGrant
    url: str  # the one-use hand-off link


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _stand_in_username(admin_username: str) -> str:
    # ":" is not allowed in staff usernames, so a stand-in never collides with a member of staff.
    return f"platform-support:{admin_username}"[:150]


def support_user_ensure(*, admin_username: str) -> User:
    """The current business's stand-in for one platform admin (made on first use). Call in its schema."""
    username = _stand_in_username(admin_username)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=_("Platform support"), last_name=f"({admin_username})",
                    role=support_role())  # fmt: skip
        user.set_unusable_password()
        user.save()
    elif not is_platform_support(user):
        raise ServiceError("support.name_taken", _("A member of staff already has the support account's name."))
    return user


def _audit_both(*, tenant: Tenant, action: AuditAction, admin_username: str, data: dict, admin: User | None = None,
                admin_request: HttpRequest | None = None, owner: User | None = None,
                owner_request: HttpRequest | None = None) -> None:  # fmt: skip
    """One entry in the platform's log (by the admin, about the business) and one in the business's (by its owner,
    else the admin's stand-in there). Each side's request only goes with its own side's entry: the user of a
    request in one schema means nothing in the other. The caller holds the transaction."""
    with schema_context(get_public_schema_name()):
        audit_record(action=action, actor=admin, target=tenant, label=tenant.slug, data=data, request=admin_request)
    with schema_context(tenant.schema_name):
        stand_in = support_user_ensure(admin_username=admin_username)
        audit_record(action=action, actor=owner or stand_in, target=stand_in, label=admin_username, data=data,
                     request=owner_request)  # fmt: skip


def support_grant_start(
    *, tenant: Tenant, admin: User, reason: str, minutes: int, request: HttpRequest | None = None
) -> SupportStart:
    """Open support access to `tenant` for `admin` (a platform super admin, in the public schema)."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = [_("Say why you need to enter this business (at least %(min)d characters).")
                            % {"min": REASON_MIN_LENGTH}]  # fmt: skip
    if not isinstance(minutes, int) or not 1 <= minutes <= SupportGrant.MAX_MINUTES:
        errors["minutes"] = [_("Support access lasts 1 to %(max)d minutes.") % {"max": SupportGrant.MAX_MINUTES}]
    if errors:
        raise ServiceError("support.invalid", _("Support access needs fixing."), fields=errors)
    if tenant.is_template or not tenant.is_active or tenant.schema_name == get_public_schema_name():
        raise ServiceError("support.tenant_unavailable", _("This business cannot be entered."), status=FORBIDDEN)
    nonce = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        grant = SupportGrant.objects.create(
            tenant=tenant, admin_id=admin.pk, admin_username=admin.get_username(), reason=reason[:2000],
            started_at=now, expires_at=now + timedelta(minutes=minutes), handoff_digest=_digest(nonce),
        )  # fmt: skip
        data = {"grant": grant.pk, "admin_id": grant.admin_id, "reason": grant.reason,
                "expires_at": grant.expires_at.isoformat()}  # fmt: skip
        _audit_both(tenant=tenant, action=AuditAction.SUPPORT_START, admin_username=grant.admin_username, data=data,
                    admin=admin, admin_request=request)  # fmt: skip
    token = signing.dumps({"g": grant.pk, "s": tenant.schema_name, "n": nonce}, salt=_SALT, compress=True)
    return SupportStart(grant=grant, url=f"{tenant_url(tenant)}support/enter/?t={token}")


def _refused() -> ServiceError:
    return ServiceError(
        "support.link_refused",
        _("This support link is not valid here: it was used, has expired, or belongs to another business."),
        status=FORBIDDEN,
    )


def support_handoff_redeem(*, token: str) -> tuple[SupportGrant, User]:
    """Claim a hand-off link in the current business's schema: its grant and the stand-in to sign in as.

    The link is claimed with one conditional UPDATE (this business, this nonce, never used, grant live), so a
    second use, a race or another business's link changes nothing and is refused."""
    try:
        payload = signing.loads(token or "", salt=_SALT, max_age=HANDOFF_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        raise _refused() from None
    if not isinstance(payload, dict) or payload.get("s") != connection.schema_name:
        raise _refused()
    now = timezone.now()
    with transaction.atomic():
        claimed = SupportGrant.objects.filter(
            pk=payload.get("g"),
            tenant__schema_name=connection.schema_name,
            handoff_digest=_digest(str(payload.get("n", ""))),
            handoff_used_at__isnull=True,
            ended_at__isnull=True,
            expires_at__gt=now,
        ).update(handoff_used_at=now)
        if not claimed:
            raise _refused()
        grant = SupportGrant.objects.select_related("tenant").get(pk=payload["g"])
        user = support_user_ensure(admin_username=grant.admin_username)
    return grant, user


def support_grant_live(*, grant_id) -> SupportGrant | None:
    """The grant a support session names, if it still lets the session in here (live, for this business)."""
    grant = SupportGrant.objects.filter(pk=grant_id, tenant__schema_name=connection.schema_name).first()
    return grant if grant is not None and grant.is_live(timezone.now()) else None


def support_grants_of_this_business():
    return SupportGrant.objects.filter(tenant__schema_name=connection.schema_name).order_by("-started_at", "-id")


def support_grant_end(
    *, grant: SupportGrant, admin: User | None = None, owner: User | None = None, request: HttpRequest | None = None
) -> bool:
    """End a grant now, by the platform `admin` (public schema) or the business's `owner` (its schema): closed
    with one conditional UPDATE, then the admin's stand-in's sessions in the business end at once (the
    middleware would refuse them at their next request anyway). False when it had already ended or expired."""
    now = timezone.now()
    tenant = grant.tenant
    who = owner if owner is not None else admin
    ended_by = f"{'owner' if owner is not None else 'admin'}:{who.get_username() if who is not None else ''}"
    with transaction.atomic():
        ended = SupportGrant.objects.filter(pk=grant.pk, ended_at__isnull=True, expires_at__gt=now).update(
            ended_at=now, ended_by=ended_by[:200]
        )
        if not ended:
            return False
        data = {"grant": grant.pk, "admin_id": grant.admin_id, "ended_by": "owner" if owner is not None else "admin"}
        with schema_context(tenant.schema_name):
            stand_in = support_user_ensure(admin_username=grant.admin_username)
            sessions_end(user=stand_in, actor=owner or stand_in, reason="support_ended")
        _audit_both(tenant=tenant, action=AuditAction.SUPPORT_END, admin_username=grant.admin_username, data=data,
                    admin=admin,
                    admin_request=request if owner is None else None, owner=owner,
                    owner_request=request if owner is not None else None)  # fmt: skip
    grant.refresh_from_db()
    return True
