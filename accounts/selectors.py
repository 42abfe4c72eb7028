import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from business.selectors import tenant_settings

from . import sessions
from .access import can, staff_users, users_with
from .models import AuditEntry, TillDevice, User, UserSession


def staff_list() -> QuerySet[User]:
    return staff_users().order_by("-is_active", "role", "username")


def audit_list(*, limit: int = 50) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()[:limit]


_TYPED_TARGET = re.compile(r"^([a-z_]+\.[a-z_]+)#(\S+)$")


def audit_search(
    *,
    action: str = "",
    person: str = "",
    target: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The entries matching every filter given, newest first. `target` is `type#id` (sales.order#12) for one
    object, else part of the entries' target label; `end` is exclusive."""
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    if person:
        entries = entries.filter(actor_username__iexact=person.strip())
    target = target.strip()
    if typed := _TYPED_TARGET.match(target):
        entries = entries.filter(target_type=typed[1], target_id=typed[2])
    elif target:
        entries = entries.filter(target_label__icontains=target)
    if start is not None:
        entries = entries.filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    return entries.order_by("-created_at", "-id")


def approvers_with_pin(capability: str) -> QuerySet[User]:
    """The active people who can lend `capability` at a till and have a PIN to do it with, by name."""
    return users_with("approval.give", capability).exclude(pin_hash="").order_by("first_name", "username")


# What a business may ask a second person to approve (SalesSettings.approvals_need_second_person).
SECOND_PERSON_CAPABILITIES = frozenset({"order.void", "order.refund", "discount.over_limit"})


def approval_needs_second_person(capability: str) -> bool:
    """Whether nobody may approve their own request for `capability` here (a tenant setting, off by default)."""
    return capability in SECOND_PERSON_CAPABILITIES and tenant_settings().approvals_need_second_person


def approval_self_allowed(user: User | None, capability: str) -> bool:
    """Whether `user` approves their own `capability` with one tap, instead of asking someone for a PIN."""
    return can(user, "approval.give") and can(user, capability) and not approval_needs_second_person(capability)


def approvers_for(capability: str, *, asking: User | None = None) -> QuerySet[User]:
    """Who a till offers to approve `capability` for `asking`: everyone with a PIN who can, but not the person
    asking when the business wants a second person."""
    people = approvers_with_pin(capability)
    could_approve = asking is not None and can(asking, "approval.give") and can(asking, capability)
    if could_approve and approval_needs_second_person(capability):
        people = people.exclude(pk=asking.pk)
    return people


def approvals_paused() -> QuerySet[User]:
    """Staff whose PIN approvals are paused now after too many wrong PINs (the owner's Staff page lifts it)."""
    return staff_users().filter(approval_blocked_until__gt=timezone.now())


def pin_people() -> QuerySet[User]:
    """Who a registered till's lock screen shows as tiles: active staff with a PIN, by name."""
    return staff_users().filter(is_active=True).exclude(pin_hash="").order_by("first_name", "username")


def device_list() -> QuerySet[TillDevice]:
    return TillDevice.objects.filter(is_active=True).select_related("registered_by")


def session_list(*, user: User) -> QuerySet[UserSession]:
    """`user`'s signed-in sessions, last seen first; those past their lifetime (an idle back-office session,
    a till's after a day's shift) are left out even before the nightly clean-up removes them."""
    now = timezone.now()
    alive = Q(kind=sessions.TILL, last_seen_at__gte=now - timedelta(seconds=settings.SESSION_COOKIE_AGE))
    for kind in (sessions.BACKOFFICE, sessions.SUPPORT):
        alive |= Q(kind=kind, last_seen_at__gte=now - timedelta(seconds=sessions.store_expiry_seconds(kind)))
    return UserSession.objects.filter(alive, user=user).order_by("-last_seen_at", "-id")
