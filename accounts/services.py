"""Staff accounts and the audit trail. Everything here runs in the current (tenant or public) schema."""

import secrets
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from pos_project.errors import FORBIDDEN, ServiceError

from .access import can, is_staff_role, limit_check, staff_users
from .models import AuditEntry, User


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    target: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Write one audit entry. Call it inside the transaction of the change it records."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        target=target[:200],
        data=data or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def _not_a_role(role: str) -> str:
    return _("“%(role)s” is not a staff role.") % {"role": role}


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: str,
    actor: User | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a staff member of the current tenant. Without a password, a one-time one is generated. The plan
    may limit how many active staff a business has (`plan.limit_reached`)."""
    limit_check("staff", staff_users().filter(is_active=True).count())
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("A username is required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [
            _("The username “%(username)s” is already in use in this business.") % {"username": username}
        ]
    if not is_staff_role(role):
        errors["role"] = [_not_a_role(role)]
    if errors:
        raise ServiceError("staff.invalid", _("The staff member needs fixing."), fields=errors)
    user = User(
        username=username,
        email=(email or "").strip().lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        must_change_password=must_change_password,
    )
    user.set_password(password or one_time_password())
    user.save()
    audit_record(action="staff.create", actor=actor, target=username, data={"role": role})
    return user


@transaction.atomic
def staff_update(*, user: User, actor: User, role: str, is_active: bool, first_name: str = "",
                 last_name: str = "", email: str = "") -> User:  # fmt: skip
    """Change a staff member's role or access. Owners cannot lock themselves out."""
    if not is_staff_role(role):
        raise ServiceError("staff.role_unknown", _not_a_role(role), field="role")
    if user.pk == actor.pk and (role != user.role or not is_active):
        raise ServiceError(
            "staff.self_change",
            _("You cannot change your own role or deactivate yourself; ask another owner."),
            status=FORBIDDEN,
        )
    changes = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if is_active != user.is_active:
        changes["is_active"] = [user.is_active, is_active]
    user.role = role
    user.is_active = is_active
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email.strip().lower()
    user.save()
    if changes:
        audit_record(action="staff.update", actor=actor, target=user.username, data=changes)
    return user


@transaction.atomic
def staff_reset_password(*, user: User, actor: User) -> str:
    """Give a staff member a new one-time password (shown once to the admin who reset it)."""
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(action="staff.reset_password", actor=actor, target=user.username)
    return password


@transaction.atomic
def password_change(*, user: User, new_password: str) -> User:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(action="auth.password_change", actor=user, target=user.username)
    return user


@transaction.atomic
def staff_set_pin(*, user: User, pin: str, actor: User) -> User:
    """Set the approval PIN: 4 to 8 digits, not all the same digit."""
    pin = (pin or "").strip()
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ServiceError("staff.pin_invalid", _("The PIN must be 4 to 8 digits."), field="pin")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ServiceError("staff.pin_too_easy", _("That PIN is too easy to guess; choose another."), field="pin")
    user.pin_hash = make_password(pin)
    user.save(update_fields=["pin_hash"])
    audit_record(action="staff.set_pin", actor=actor, target=user.username)
    return user


def approver_verify(*, username: str, pin: str, capability: str, request: HttpRequest | None = None) -> User:
    """The supervisor (or owner) lending `capability` (accounts.access.LENT_WITH_PIN) with their PIN; raises a
    ServiceError (`approval.refused`) otherwise.

    Every attempt is audited, granted or not, so approvals can be reviewed later.
    """
    user = User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    granted = (
        user is not None
        and can(user, "approval.give")
        and can(user, capability)
        and bool(user.pin_hash)
        and check_password((pin or "").strip(), user.pin_hash)
    )
    audit_record(
        action="approval.granted" if granted else "approval.refused",
        actor=user if granted else None,
        target=(username or "")[:150],
        data={"for": capability},
        request=request,
    )
    if not granted:
        raise ServiceError(
            "approval.refused", _("Approval refused: a supervisor's username and PIN are needed."), status=FORBIDDEN
        )
    return user
