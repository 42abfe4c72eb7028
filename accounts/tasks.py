from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.selectors import tenant_url

from .access import users_with
from .audit import AuditAction
from .models import AuditEntry, UserSession


@shared_task
def clear_expired_sessions() -> int:
    """Delete expired sessions of the tenant whose schema the task runs in, and their entries in the list of
    signed-in devices (idempotent)."""
    deleted, _count = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
    return deleted


@shared_task
def current_schema() -> str:
    """Report the schema a task runs in: used by operators (and tests) to check tenant routing of workers."""
    return connection.schema_name


ALERT_KEY = "accounts:security-alert:{entry}:{at}"
# What the owner is e-mailed about (accounts.services.owners_alert), besides seeing it on the Staff page.
ALERTED_ACTIONS = (AuditAction.AUTH_PIN_LOCKED, AuditAction.APPROVAL_REQUESTER_BLOCKED)


def security_alert_text(entry: AuditEntry, *, tenant, url: str) -> tuple[str, str]:
    """The subject and plain-text body of an owner's e-mail about `entry` (a PIN locked, approvals paused)."""
    when = timezone.localtime(entry.created_at, timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")
    if entry.action == AuditAction.AUTH_PIN_LOCKED:
        subject = _("%(business)s: %(name)s's PIN is locked") % {"business": tenant.name, "name": entry.target_label}
        what = _(
            "%(name)s's PIN was locked at %(when)s after %(max)d wrong tries in a row. Until you unlock it (or set "
            "a new one), it signs nobody in and approves nothing."
        ) % {"name": entry.target_label, "when": when, "max": entry.data.get("failures", 5)}
    else:
        subject = _("%(business)s: PIN approvals paused for %(name)s") % {
            "business": tenant.name, "name": entry.target_label}  # fmt: skip
        what = _(
            "At %(when)s, %(max)d wrong supervisor PINs were typed while %(name)s was asking for approvals: their "
            "approvals by PIN are paused for %(minutes)d minutes. If nobody at the till was trying a PIN, someone "
            "may be guessing."
        ) % {"name": entry.target_label, "when": when, "max": entry.data.get("failures", 5),
             "minutes": entry.data.get("minutes", 15)}  # fmt: skip
    body = "\n\n".join(
        [
            what,
            _("See and lift it on the Staff page: %(url)s") % {"url": url},
            _("You get this e-mail because you are an owner of %(business)s.") % {"business": tenant.name},
        ]
    )
    return subject, body + "\n"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def security_alert_send(entry_id: int) -> int:
    """E-mail every active owner about a security event (accounts.services.owners_alert queues it after the
    commit); returns how many e-mails were sent. Safe to run twice: one e-mail per entry (a cache key; with
    the cache down, better twice than never)."""
    entry = AuditEntry.objects.filter(pk=entry_id, action__in=ALERTED_ACTIONS).first()
    owners = list(users_with("security.alerts").exclude(email="").values_list("email", flat=True))
    if entry is None or not owners:
        return 0
    key = ALERT_KEY.format(entry=entry.pk, at=entry.created_at.timestamp())
    if cache.add(key, 1, timeout=7 * 24 * 3600) is False:
        return 0
    tenant = connection.tenant
    url = tenant_url(tenant).rstrip("/") + reverse("accounts:staff_index")
    with timezone.override(tenant.timezone):
        subject, body = security_alert_text(entry, tenant=tenant, url=url)
    try:
        with get_connection() as mail:
            for address in owners:  # one e-mail each: owners do not see each other's addresses
                EmailMessage(subject=subject, body=body, to=[address], connection=mail).send()
    except Exception:
        cache.delete(key)  # let the retry send it
        raise
    return len(owners)
