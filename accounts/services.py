"""Staff accounts and the audit trail. Everything here runs in the current (tenant or public) schema."""

import ipaddress
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, NamedTuple

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from business.selectors import outlet_list
from pos_project import parsing
from pos_project.caching import cache_forget
from pos_project.errors import FORBIDDEN, ServiceError

from . import sessions
from .access import can, capability_check, is_staff_role, limit_check, staff_users
from .audit import AuditAction, audit_target
from .backends import user_cache_forget
from .emails import security_alert_queue
from .models import AuditEntry, TillDevice, User, UserSession
from .passwords import one_time_password_expired, one_time_password_expiry
from .selectors import approval_needs_second_person, approvers_for, approvers_with_pin
from .session_store import SessionStore
from .usernames import username_validate


def audit_record(
    *,
    action: AuditAction,
    actor: User | None = None,
    target: models.Model | None = None,
    label: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Write one audit entry. Call it inside the transaction of the change it records.

    `action` is an `AuditAction` member (a plain string is refused, so a stale name fails loudly); `target` the
    model instance it is about (stored as its label and primary key); `label` a short non-personal name for
    readers (a SKU, "Order #12"). `data` holds ids, codes and amounts, never e-mails, phone numbers or names."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit_record: {action!r} is not an accounts.audit.AuditAction")
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    target_type, target_id = audit_target(target)
    return AuditEntry.objects.create(
        action=action.value,
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        target_type=target_type,
        target_id=target_id,
        target_label=str(label)[:200],
        data=data or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )


def audit_export_record(*, request: HttpRequest, filters: Mapping[str, Any]) -> AuditEntry:
    """Exporting the log is itself recorded: which actions and days were taken out, and whether a person or a
    target was searched for (not the names searched: they may be personal data)."""
    start, end = filters.get("start"), filters.get("end")
    return audit_record(
        action=AuditAction.AUDIT_EXPORT,
        request=request,
        data={
            "action": filters.get("action") or "",
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "person": bool(filters.get("person")),
            "target": bool(filters.get("target")),
        },
    )


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def one_time_password_expired_error() -> ServiceError:
    return ServiceError(
        "auth.password_expired",
        _("Your one-time password has expired (they work for 24 hours). Ask your manager to reset your password."),
        field="current_password",
        status=FORBIDDEN,
    )


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
    errors: dict[str, list[str]] = {}
    try:
        username = username_validate(username)
    except ValidationError as exc:
        errors["username"] = exc.messages
    else:
        if User.objects.filter(username__iexact=username).exists():
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
        password_expires_at=one_time_password_expiry() if must_change_password else None,
    )
    user.set_password(password or one_time_password())
    user.save()
    audit_record(action=AuditAction.STAFF_CREATE, actor=actor, target=user, label=user.username, data={"role": role})
    return user


@transaction.atomic
def staff_update(*, user: User, actor: User, role: str, is_active: bool, first_name: str = "",
                 last_name: str = "", email: str = "", outlet_ids: list[int] | None = None) -> User:  # fmt: skip
    """Change a staff member's role or access. Owners cannot lock themselves out. `outlet_ids`: the outlets
    they work at (none: every outlet; None leaves them as they are)."""
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
    if outlet_ids is not None:
        outlet_ids = sorted(set(outlet_ids))
        if set(outlet_ids) - set(outlet_list(active_only=False).values_list("pk", flat=True)):
            raise ServiceError("staff.outlet_unknown", _("Choose outlets from the list."), field="outlet_ids")
        if outlet_ids != sorted(user.outlet_ids or []):
            changes["outlet_ids"] = [sorted(user.outlet_ids or []), outlet_ids]
        user.outlet_ids = outlet_ids
    user.role = role
    user.is_active = is_active
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email.strip().lower()
    user.save()
    if changes:
        audit_record(action=AuditAction.STAFF_UPDATE, actor=actor, target=user, label=user.username, data=changes)
    if not is_active:  # someone who may no longer sign in is signed out everywhere now
        sessions_end(user=user, actor=actor, reason="deactivated")
    return user


@transaction.atomic
def staff_reset_password(*, user: User, actor: User) -> str:
    """Give a staff member a new one-time password (shown once to the admin who reset it; it works for 24 h)."""
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_expires_at = one_time_password_expiry()
    user.save(update_fields=["password", "must_change_password", "password_expires_at"])
    audit_record(action=AuditAction.STAFF_RESET_PASSWORD, actor=actor, target=user, label=user.username)
    sessions_end(user=user, actor=actor, reason="password_reset")
    return password


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> User:
    """The person's own change: the current password first, so a session left open on a till is not enough to
    take the account over (a one-time password counts as the current one)."""
    if not user.check_password(current_password):
        raise ServiceError("auth.wrong_password", _("Your current password is not right."), field="current_password")
    if one_time_password_expired(user):
        raise one_time_password_expired_error()
    validate_password(new_password, user)  # including none of the last five (accounts/passwords.py)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    user.save(update_fields=["password", "must_change_password", "password_expires_at"])
    audit_record(action=AuditAction.AUTH_PASSWORD_CHANGE, actor=user, target=user, label=user.username)
    return user


PIN_DIGITS = (4, 6)
PIN_MAX_FAILURES = 5


@transaction.atomic
def staff_set_pin(*, user: User, pin: str, actor: User) -> User:
    """Set a staff member's PIN: 4 to 6 digits, not all the same digit nor a run. A new PIN also lifts a lock."""
    pin = (pin or "").strip()
    if not (pin.isascii() and pin.isdigit()) or not PIN_DIGITS[0] <= len(pin) <= PIN_DIGITS[1]:
        raise ServiceError(
            "staff.pin_invalid",
            _("The PIN must be %(min)d to %(max)d digits.") % {"min": PIN_DIGITS[0], "max": PIN_DIGITS[1]},
            field="pin",
        )
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise ServiceError("staff.pin_too_easy", _("That PIN is too easy to guess; choose another."), field="pin")
    user.pin_hash = make_password(pin)
    user.pin_failures, user.pin_locked_at = 0, None
    user.save(update_fields=["pin_hash", "pin_failures", "pin_locked_at"])
    audit_record(action=AuditAction.STAFF_SET_PIN, actor=actor, target=user, label=user.username)
    return user


@transaction.atomic
def staff_pin_unlock(*, user: User, actor: User) -> User:
    """Lift the lock that five wrong PINs put on a staff member's PIN (the owner, from Back office → Staff)."""
    user.pin_failures, user.pin_locked_at = 0, None
    user.save(update_fields=["pin_failures", "pin_locked_at"])
    audit_record(action=AuditAction.STAFF_PIN_UNLOCK, actor=actor, target=user, label=user.username)
    return user


def _pin_locked_error(user: User) -> ServiceError:
    return ServiceError(
        "pin.locked",
        _("%(name)s's PIN is locked after %(max)d wrong tries: the owner unlocks it in Back office → Staff.")
        % {"name": user, "max": PIN_MAX_FAILURES},
        field="pin",
        status=FORBIDDEN,
    )


def _pin_not_set_error(user: User) -> ServiceError:
    return ServiceError(
        "pin.not_set",
        _("%(name)s has no PIN yet: set one in Back office → Staff.") % {"name": user},
        field="pin",
        status=FORBIDDEN,
    )


def pin_check(*, user: User, pin: str, purpose: str, request: HttpRequest | None = None) -> None:
    """Check `user`'s PIN with one hash (never one per person), counting wrong tries: the fifth in a row locks
    the PIN until the owner unlocks it (`staff_pin_unlock`), and the owner is told; a right PIN resets the count.

    A try is claimed before the hash is checked, with one conditional UPDATE, so guesses sent in parallel
    cannot get past the limit either. Wrong PINs and locks are audited (`purpose` says what the PIN was for).
    """
    refused = _pin_try(user=user, pin=pin, purpose=purpose, request=request)
    if refused is not None:
        raise refused.error


class _PinRefused(NamedTuple):
    error: ServiceError
    checked: bool  # whether a hash was checked (a wrong PIN), or the PIN was refused unseen (locked, none)


def _pin_try(*, user: User, pin: str, purpose: str, request: HttpRequest | None = None) -> _PinRefused | None:
    """`pin_check`'s work: None for the right PIN, else why not."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET pin_failures = pin_failures + 1 "  # noqa: S608 - the table name is ours
            "WHERE id = %s AND pin_hash <> '' AND pin_locked_at IS NULL AND pin_failures < %s "
            "RETURNING pin_failures, pin_hash",
            [user.pk, PIN_MAX_FAILURES],
        )
        row = cursor.fetchone()
    if row is None:  # no PIN, or a locked one (one more query, on refusals only)
        has_pin = User.objects.filter(pk=user.pk).exclude(pin_hash="").exists()
        return _PinRefused(_pin_locked_error(user) if has_pin else _pin_not_set_error(user), checked=False)
    failures, pin_hash = row
    if check_password((pin or "").strip(), pin_hash):
        User.objects.filter(pk=user.pk).update(pin_failures=0)
        user_cache_forget(user.pk)
        return None
    with transaction.atomic():
        locked = failures >= PIN_MAX_FAILURES and bool(
            User.objects.filter(pk=user.pk, pin_locked_at__isnull=True).update(pin_locked_at=timezone.now())
        )
        entry = audit_record(action=AuditAction.AUTH_PIN_LOCKED if locked else AuditAction.AUTH_PIN_FAILED,
                             target=user, label=user.username,
                             data={"for": purpose, "failures": failures}, request=request)  # fmt: skip
        if locked:
            owners_alert(entry=entry)
    user_cache_forget(user.pk)
    if locked:
        return _PinRefused(_pin_locked_error(user), checked=True)
    left = PIN_MAX_FAILURES - failures
    error = ServiceError(
        "pin.wrong",
        ngettext(
            "Wrong PIN. %(left)d try left before it locks.", "Wrong PIN. %(left)d tries left before it locks.", left
        )
        % {"left": left},  # fmt: skip
        field="pin",
        status=FORBIDDEN,
    )
    return _PinRefused(error, checked=True)


def owners_alert(*, entry: AuditEntry) -> None:
    """Tell the owners about a security event (a PIN locked, someone's approvals paused): the e-mail is queued in
    the mail outbox in the transaction that records the event, and beat sends it (mailer/services.py). Neither a
    broker nor a mail server outage loses it; the Staff page shows the lock meanwhile."""
    security_alert_queue(entry)


def pin_person_verify(*, user_id: int | None, pin: str, capability: str, request: HttpRequest | None = None) -> User:
    """The staff member who chose their tile on a registered till and typed their PIN, if they may do
    `capability` that way (sign in: `pin.sign_in`; the time clock: `timeclock.punch`)."""
    user = staff_users().filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise ServiceError("pin.person_unknown", _("Tap your name first."), field="user")
    if not can(user, capability):
        message = (
            _("%(name)s signs in with a password.")
            if capability == "pin.sign_in"
            else _("%(name)s cannot do that with a PIN.")
        )
        raise ServiceError("pin.not_allowed", message % {"name": user}, field="user", status=FORBIDDEN)
    pin_check(user=user, pin=pin, purpose=capability, request=request)
    return user


# --- Registered tills ------------------------------------------------------------------------------------------


@transaction.atomic
def device_register(*, name: str, actor: User) -> TillDevice:
    """Register a browser as one of the business's tills (accounts/devices.py sets its cookie)."""
    capability_check(actor, "device.register")
    name = (name or "").strip()[:60]
    if not name:
        raise ServiceError("device.name_missing", _("Name this till, e.g. “Counter 1”."), field="name")
    device = TillDevice.objects.create(name=name, registered_by=actor)
    audit_record(action=AuditAction.DEVICE_REGISTER, actor=actor, target=device, label=device.name)
    return device


@transaction.atomic
def device_remove(*, device: TillDevice, actor: User) -> TillDevice:
    """Stop a browser being a till: its cookie names a device that no longer signs anyone in by PIN."""
    device.is_active = False
    device.save(update_fields=["is_active"])
    audit_record(action=AuditAction.DEVICE_REMOVE, actor=actor, target=device, label=device.name)
    return device


def device_used(*, device: TillDevice) -> None:
    TillDevice.objects.filter(pk=device.pk).update(last_used_at=timezone.now())


# --- Supervisor approval at a till ------------------------------------------------------------------------------


def _approval_audit(*, granted: bool, user: User | None, approver: User | None, capability: str, request,
                    **data) -> None:  # fmt: skip
    """`approver` is the person whose approval was asked for, when known (a name typed at the till that matches
    nobody is not kept: it may be anything)."""
    audit_record(
        action=AuditAction.APPROVAL_GRANTED if granted else AuditAction.APPROVAL_REFUSED,
        actor=user if granted else None,
        target=approver,
        label=approver.get_username() if approver is not None else "",
        data={"for": capability, **data},
        request=request,
    )


def approver_verify(
    *,
    pin: str,
    capability: str,
    approver_id: int | None = None,
    username: str = "",
    user: User | None = None,
    request: HttpRequest | None = None,
) -> User:
    """The supervisor (or owner) lending `capability` (accounts.access.LENT_WITH_PIN) with their PIN to `user`,
    the person asking (by default the request's); raises a ServiceError that says what is wrong otherwise.

    The approver is identified first (picked from the till's list: `approver_id`; or by `username`; or, when
    only one person can approve, that person), then one hash is checked: never the PIN against every
    supervisor. Every attempt is audited, granted or not, so approvals can be reviewed later.

    Wrong PINs are counted twice: per approver (five in a row lock that PIN, `pin_check`) and per person asking,
    whoever's PIN they try (APPROVAL_MAX_FAILURES in APPROVAL_WINDOW pause their PIN approvals for
    APPROVAL_BLOCK, or until the owner lifts it): guessing across several supervisors gets no further. Both
    tell the owner. With "approvals need a second person" on, nobody approves their own request.
    """
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    approver = None
    try:
        approver = _approver_identify(approver_id=approver_id, username=username, capability=capability, asking=user)
        if not approver.pin_hash:
            raise _no_approver_error() if not approvers_with_pin(capability).exists() else _pin_not_set_error(approver)
        _approval_try_claim(user=user)
        refused = _pin_try(user=approver, pin=pin, purpose=capability, request=request)
        if refused is not None and refused.checked:
            _approval_try_failed(user=user, request=request)
            raise refused.error
        _approval_try_give_back(user=user)
        if refused is not None:
            raise refused.error
    except ServiceError as refused_error:
        _approval_audit(granted=False, user=None, approver=approver, capability=capability, request=request,
                        reason=refused_error.code)  # fmt: skip
        raise
    _approval_audit(granted=True, user=approver, approver=approver, capability=capability, request=request)
    return approver


# Wrong approval PINs one person asking may type, whoever's they are, in a window, and how long a pause lasts.
APPROVAL_MAX_FAILURES = 5
APPROVAL_WINDOW = timedelta(minutes=15)
APPROVAL_BLOCK = timedelta(minutes=15)


def _approval_try_claim(*, user: User | None) -> None:
    """Count one more approval try against the person asking, before any hash is checked (one conditional
    UPDATE, so tries sent in parallel cannot pass the limit either); refuse when their approvals are paused."""
    if user is None or not user.pk:
        return
    now = timezone.now()
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608 - the table name is ours
            "approval_failures = CASE WHEN approval_failed_at IS NULL OR approval_failed_at <= %(since)s "
            "  THEN 1 ELSE approval_failures + 1 END, "
            "approval_failed_at = CASE WHEN approval_failed_at IS NULL OR approval_failed_at <= %(since)s "
            "  THEN %(now)s ELSE approval_failed_at END "
            "WHERE id = %(id)s AND (approval_blocked_until IS NULL OR approval_blocked_until <= %(now)s) "
            "AND (approval_failed_at IS NULL OR approval_failed_at <= %(since)s OR approval_failures < %(max)s) "
            "RETURNING approval_failures",
            {"id": user.pk, "now": now, "since": now - APPROVAL_WINDOW, "max": APPROVAL_MAX_FAILURES},
        )
        claimed = cursor.fetchone()
    if claimed is None:
        raise _approval_blocked_error(user)


def _approval_try_give_back(*, user: User | None) -> None:
    """A try that was no wrong guess (the right PIN, or a PIN refused unseen) does not count."""
    if user is not None and user.pk:
        User.objects.filter(pk=user.pk, approval_failures__gt=0).update(approval_failures=F("approval_failures") - 1)


def _approval_try_failed(*, user: User | None, request: HttpRequest | None) -> None:
    """A wrong PIN: the person asking reached the limit pauses their approvals, audited, and the owner told."""
    if user is None or not user.pk:
        return
    now = timezone.now()
    with transaction.atomic():
        paused = User.objects.filter(
            Q(approval_blocked_until__isnull=True) | Q(approval_blocked_until__lte=now),
            pk=user.pk,
            approval_failures__gte=APPROVAL_MAX_FAILURES,
            approval_failed_at__gt=now - APPROVAL_WINDOW,
        ).update(approval_blocked_until=now + APPROVAL_BLOCK, approval_failures=0, approval_failed_at=None)
        if paused:
            entry = audit_record(action=AuditAction.APPROVAL_REQUESTER_BLOCKED, actor=user, target=user,
                                 label=user.username,
                                 data={"failures": APPROVAL_MAX_FAILURES,
                                       "minutes": int(APPROVAL_BLOCK.total_seconds() // 60)},
                                 request=request)  # fmt: skip
            owners_alert(entry=entry)
    if paused:
        user_cache_forget(user.pk)
        raise _approval_blocked_error(user)


def _approval_blocked_error(user: User) -> ServiceError:
    until = User.objects.filter(pk=user.pk).values_list("approval_blocked_until", flat=True).first()
    until = until or timezone.now() + APPROVAL_BLOCK  # a try sent alongside the one that paused them
    when = timezone.localtime(until).strftime("%H:%M")
    return ServiceError(
        "approval.blocked",
        _(
            "Too many wrong approval PINs were typed for %(name)s: approvals by PIN are paused until %(when)s, "
            "or until the owner lifts the pause in Back office → Staff."
        )
        % {"name": user, "when": when},
        field="pin",
        status=FORBIDDEN,
    )


@transaction.atomic
def staff_approvals_unblock(*, user: User, actor: User) -> User:
    """Lift the pause that too many wrong approval PINs put on a person's requests (the owner, from Staff)."""
    User.objects.filter(pk=user.pk).update(approval_blocked_until=None, approval_failures=0, approval_failed_at=None)
    user.approval_blocked_until, user.approval_failures, user.approval_failed_at = None, 0, None
    audit_record(action=AuditAction.APPROVAL_REQUESTER_UNBLOCKED, actor=actor, target=user, label=user.username)
    return user


def _no_approver_error() -> ServiceError:
    return ServiceError(
        "approval.no_approver", _("No supervisor has a PIN yet: set one in Back office → Staff."), status=FORBIDDEN
    )


def _approver_identify(*, approver_id: int | None, username: str, capability: str, asking: User | None) -> User:
    username = (username or "").strip()
    if approver_id or username:
        people = User.objects.filter(is_active=True)
        chosen = people.filter(pk=approver_id) if approver_id else people.filter(username__iexact=username)
        user = chosen.first()
        if user is None:
            raise ServiceError("approval.refused", _("Approval refused: choose a supervisor from the list."),
                               field="approver", status=FORBIDDEN)  # fmt: skip
        if not (can(user, "approval.give") and can(user, capability)):
            raise ServiceError("approval.refused", _("Approval refused: %(name)s cannot approve this.")
                               % {"name": user}, field="approver", status=FORBIDDEN)  # fmt: skip
        if asking is not None and user.pk == asking.pk and approval_needs_second_person(capability):
            raise _second_person_error()
        return user
    candidates = list(approvers_for(capability, asking=asking)[:2])
    if not candidates:
        raise _no_approver_error()
    if len(candidates) > 1:
        raise ServiceError("approval.choose", _("Choose the supervisor who approves."), field="approver",
                           status=FORBIDDEN)  # fmt: skip
    return candidates[0]


def _second_person_error() -> ServiceError:
    return ServiceError(
        "approval.second_person",
        _("This business needs a second person to approve: ask another supervisor for their PIN."),
        field="approver",
        status=FORBIDDEN,
    )


def approval_self(*, user: User, capability: str, request: HttpRequest | None = None) -> User:
    """A signed-in supervisor approving their own action at the till with one tap (no name, no PIN: they are
    signed in, and the till locks itself when left alone). Audited like any approval. Refused when the business
    wants a second person for it (`approval_needs_second_person`)."""
    if not (can(user, "approval.give") and can(user, capability)):
        _approval_audit(granted=False, user=None, approver=user, capability=capability, request=request,
                        reason="approval.not_yours")  # fmt: skip
        raise ServiceError("approval.refused", _("Your role cannot approve this; ask a supervisor."),
                           status=FORBIDDEN)  # fmt: skip
    if approval_needs_second_person(capability):
        _approval_audit(granted=False, user=None, approver=user, capability=capability, request=request,
                        reason="approval.second_person")  # fmt: skip
        raise _second_person_error()
    _approval_audit(granted=True, user=user, approver=user, capability=capability, request=request,
                    self=True)  # fmt: skip
    return user


def approval_resolve(
    *, user: User, approver: Mapping[str, Any] | None, capability: str, request: HttpRequest | None = None
) -> User | None:
    """The approver a till's request names: `{"self": true}` (the signed-in supervisor's one tap), `{"id": 12,
    "pin": "2580"}` (a supervisor picked on the till, with their PIN) or `{"username": ..., "pin": ...}`; None
    when it names none. Refusals are ServiceErrors with `approval.*` or `pin.*` codes."""
    if not approver:
        return None
    if approver.get("self") is True:
        return approval_self(user=user, capability=capability, request=request)
    raw_id = approver.get("id")
    approver_id = parsing.id_or_none(raw_id)  # a number or its digits; "²" or 10²⁰ is nobody
    return approver_verify(pin=str(approver.get("pin") or ""), capability=capability, approver_id=approver_id,
                           username=str(approver.get("username") or ""), user=user, request=request)  # fmt: skip


# --- Signed-in sessions (accounts/sessions.py) ------------------------------------------------------------------


def _client_address(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def session_record(*, request: HttpRequest, user: User, kind: str) -> int:
    """Index the session `request` has just signed `user` into (or adopt one signed in before the index
    existed): its row, and in the session itself what the per-request check needs without a query."""
    session = request.session
    if session.session_key is None:  # login() flushed the previous person's session: give this one its key
        session.save()
    now = timezone.now()
    fields = {"user": user, "kind": kind, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
              "ip_address": _client_address(request), "created_at": now, "last_seen_at": now}  # fmt: skip
    sid = session.get(sessions.SID_KEY)  # set: the same person signing in again, on a row the new key kept
    if not (sid and UserSession.objects.filter(pk=sid, session_key=session.session_key).update(**fields)):
        sid = UserSession.objects.create(session_key=session.session_key, **fields).pk
    session[sessions.SID_KEY] = sid
    session[sessions.KIND_KEY] = kind
    session[sessions.SEEN_KEY] = int(now.timestamp())
    session.set_expiry(sessions.store_expiry_seconds(kind))
    return sid


def session_touch(*, request: HttpRequest) -> bool:
    """Write `last_seen_at` (and renew the store's expiry of an idle-limited session). False when the session's
    row is gone: it was ended elsewhere, and the caller signs the request out."""
    session = request.session
    now = int(time.time())
    alive = UserSession.objects.filter(pk=session.get(sessions.SID_KEY), session_key=session.session_key).update(
        last_seen_at=timezone.now()
    )
    if alive:
        kind = session.get(sessions.KIND_KEY, sessions.BACKOFFICE)
        session[sessions.SEEN_KEY] = now
        session.set_expiry(sessions.store_expiry_seconds(kind))
    return bool(alive)


def _session_store_delete(keys: list[str]) -> None:
    """End sessions for real: their rows in the session table, and their cached copies in Redis now and again
    when the transaction commits (a request reading the row meanwhile may have cached it again)."""
    SessionStore.get_model_class().objects.filter(session_key__in=keys).delete()
    cache_forget(*(SESSION_CACHE_PREFIX + key for key in keys))


@transaction.atomic
def sessions_end(
    *,
    user: User,
    actor: User | None,
    reason: str,
    only: Iterable[int] | None = None,
    keep_key: str | None = None,
    request: HttpRequest | None = None,
) -> int:
    """End `user`'s sessions (those of `only`, else all but `keep_key`): the store's entries and the index rows
    go, so the next request with one of those cookies is signed out. Audited when any ended. Returns how many."""
    rows = UserSession.objects.filter(user=user)
    if only is not None:
        rows = rows.filter(pk__in=list(only))
    if keep_key:
        rows = rows.exclude(session_key=keep_key)
    keys = list(rows.values_list("session_key", flat=True))
    if not keys:
        return 0
    UserSession.objects.filter(session_key__in=keys).delete()
    _session_store_delete(keys)
    audit_record(action=AuditAction.AUTH_SESSION_END, actor=actor, target=user, label=user.get_username(),
                 data={"sessions": len(keys), "reason": reason}, request=request)  # fmt: skip
    return len(keys)
