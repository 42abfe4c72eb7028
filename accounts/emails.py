"""The owners' security e-mails (a PIN locked, someone's approvals paused): their words, queued through the mail
outbox (mailer) in the transaction that records the event."""

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mailer.models import Message
from mailer.services import mail_queue
from tenants.selectors import tenant_url

from .access import users_with
from .audit import AuditAction
from .models import AuditEntry

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


def security_alert_queue(entry: AuditEntry) -> int:
    """Queue one e-mail per active owner with an address (owners do not see each other's addresses), in the
    current transaction: it commits with the entry, or neither does. Returns how many were queued. Written in the
    site's language and the business's time zone, as the worker that used to send it did."""
    if entry.action not in ALERTED_ACTIONS:
        return 0
    owners = list(users_with("security.alerts").exclude(email="").values_list("email", flat=True))
    if not owners:
        return 0
    tenant = connection.tenant
    url = tenant_url(tenant).rstrip("/") + reverse("accounts:staff_index")
    with timezone.override(tenant.timezone), translation.override(settings.LANGUAGE_CODE):
        subject, body = security_alert_text(entry, tenant=tenant, url=url)
    for address in owners:
        mail_queue(to=[address], subject=subject, text=body, kind=Message.Kind.SECURITY_ALERT)
    return len(owners)
