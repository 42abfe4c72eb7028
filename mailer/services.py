"""The mail outbox: queue an e-mail with the change it tells about; beat sends it, again and again if it must.

    with transaction.atomic():
        ...the change...
        mail_queue(to=[owner.email], subject=..., text=..., html=..., kind=Message.Kind.SECURITY_ALERT)

The message row commits or rolls back with the change, and nothing else is needed: no broker, no cache, no
network while queuing. Every minute beat runs `mail_send_due` in each tenant's schema (mailer/tasks.py), which
sends the due messages one by one:

1. Claim: in a short transaction, lock the oldest due message with SKIP LOCKED and mark it `sending` (attempts + 1).
   A second sender running at the same time skips the locked row and, after the commit, no longer sees it as due:
   two workers never send the same message in the same round.
2. Send over SMTP with no transaction open (the claim already committed).
3. Record: `sent`; or, on an error, `queued` again after 1, 2, 4... minutes (MAILER_BACKOFF_FIRST_SECONDS, doubled
   each time, at most MAILER_BACKOFF_MAX_SECONDS), or `failed` after MAILER_MAX_ATTEMPTS. A failed message stays in
   the log; the owner can send it again.

At least once, not at most once: a worker that dies after the server accepted a message and before step 3
committed leaves it `sending`; after MAILER_SENDING_LEASE_SECONDS the next run puts it back in the queue and it is
sent a second time. We prefer a rare duplicate receipt or alert to a lost one. The window is one SMTP reply long.
"""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from email.utils import formataddr, parseaddr
from smtplib import SMTPConnectError, SMTPException, SMTPServerDisconnected

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Attachment, Message, Subscription

logger = logging.getLogger(__name__)

SUBSCRIBABLE = (Message.Kind.REPORT_DAILY, Message.Kind.REPORT_WEEKLY)  # what a person may opt in to
ERROR_MAX = 2000  # characters of last_error kept
SEND_BATCH_MAX = 500  # messages one run sends at most; the rest wait a minute
SEND_SECONDS_MAX = 45.0  # a run stops claiming after this long, within beat's minute


def _server_down(error: Exception) -> bool:
    """Whether the server (not this message) is the problem: the run stops there, and the other due messages keep
    their attempts for the next run instead of each burning one on a server that is down. Refused connections,
    timeouts and dropped sessions are; a refused recipient or message (an SMTP reply) is not."""
    if isinstance(error, SMTPServerDisconnected | SMTPConnectError):
        return True
    return isinstance(error, OSError) and not isinstance(error, SMTPException)


def mail_queue(
    *,
    to: Iterable[str],
    subject: str,
    text: str,
    html: str = "",
    attachments: Iterable[tuple[str, bytes, str]] = (),
    kind: str,
    key: str | None = None,
) -> Message | None:
    """Put one e-mail in the outbox, due now; returns the message. Call it inside the transaction of the change
    the e-mail tells about, so both commit together. All addresses of `to` see each other: queue one message per
    person when they must not. `attachments` are (filename, content, mimetype).

    With a `key`, a message is queued once per key (a unique constraint, so two jobs at once queue one): None
    when a message with that key was queued before."""
    addresses = [address.strip() for address in to if address and address.strip()]
    if not addresses:
        raise ValueError("mail_queue needs at least one address")
    for address in addresses:
        validate_email(address)
    if kind not in Message.Kind.values:
        raise ValueError(f"unknown kind of e-mail: {kind!r}")
    # A header is one line: a subject built from a name with a line break in it must not add headers.
    subject = " ".join(subject.split())[:255]
    try:
        with transaction.atomic():
            message = Message.objects.create(kind=kind, to=addresses, subject=subject, text=text, html=html, key=key)
            _attach(message, attachments)
    except IntegrityError:
        if key is None or not Message.objects.filter(key=key).exists():
            raise
        return None
    return message


def _attach(message: Message, attachments: Iterable[tuple[str, bytes, str]]) -> None:
    Attachment.objects.bulk_create(
        Attachment(message=message, filename=filename[:200], content=bytes(content), mimetype=mimetype)
        for filename, content, mimetype in attachments
    )


def mail_subscriptions_set(*, user, kinds: Iterable[str]) -> set[str]:
    """Which optional e-mails (Message.Kind values) `user` gets from now on; returns them."""
    wanted = {kind for kind in kinds if kind in SUBSCRIBABLE}
    with transaction.atomic():
        Subscription.objects.filter(user=user).exclude(kind__in=wanted).delete()
        Subscription.objects.bulk_create([Subscription(user=user, kind=kind) for kind in sorted(wanted)],
                                         ignore_conflicts=True)  # fmt: skip
    return wanted


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a message is tried again: 1, 2, 4, 8... minutes, capped."""
    first, cap = settings.MAILER_BACKOFF_FIRST_SECONDS, settings.MAILER_BACKOFF_MAX_SECONDS
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), cap))


def mail_send_due(*, limit: int = SEND_BATCH_MAX, seconds: float = SEND_SECONDS_MAX) -> dict[str, int]:
    """Send the messages that are due in the current schema; returns counts {"sent", "retry", "failed"}.

    Safe to run twice at once (each message is claimed by one run). Must run outside a transaction: the claim has
    to commit before the SMTP call, so that nothing stays locked while the server takes its time."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    _reclaim_abandoned()
    deadline = time.monotonic() + seconds
    smtp = None
    try:
        while sum(counts.values()) < limit and time.monotonic() < deadline:
            message = _claim()
            if message is None:
                break
            try:
                if smtp is None:
                    smtp = get_connection(fail_silently=False)
                    smtp.open()
                smtp.send_messages([_email(message)])
            except Exception as error:
                outcome = _record_failure(message, error)
                counts[outcome] += 1
                if _server_down(error):
                    logger.warning("Mail server unreachable (%s); the rest waits for the next run.", error)
                    smtp = _close(smtp)
                    break
                smtp = _close(smtp)  # the session may be in any state after an error: start the next one afresh
                continue
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.SENT, sent_at=timezone.now(), next_attempt_at=None
            )
            counts["sent"] += 1
    finally:
        _close(smtp)
    return counts


def mail_send_again(*, message_id: int) -> bool:
    """Put a failed message back in the queue, due now, with a fresh set of attempts; False when it is not a
    failed message (already queued again, sent, or not there)."""
    return bool(
        Message.objects.filter(pk=message_id, status=Message.Status.FAILED).update(
            status=Message.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
    )


def mail_purge(*, days: int | None = None) -> int:
    """Delete sent and failed messages (with their attachments) older than MAILER_RETENTION_DAYS; returns how many
    messages went. Queued ones stay whatever their age."""
    days = settings.MAILER_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=max(days, 1))
    old = Message.objects.filter(status__in=(Message.Status.SENT, Message.Status.FAILED), created_at__lt=cutoff)
    Attachment.objects.filter(message__in=old).delete()
    deleted, _ = old.delete()
    return deleted


# --- The steps -------------------------------------------------------------------------------------------------


def _claim() -> Message | None:
    """Lock the oldest due message (skipping any another sender holds) and mark it sending, in one short
    transaction; returns it with its attachments, or None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if message is None:
            return None
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    message.status, message.attempts, message.last_attempt_at = Message.Status.SENDING, message.attempts + 1, now
    return message


def _sender() -> str:
    """DEFAULT_FROM_EMAIL's address under the business's name: a guest sees "Alpha Café", not "POS"."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    business = getattr(getattr(connection, "tenant", None), "name", "") or name
    return formataddr((" ".join(business.split()), address)) if address else settings.DEFAULT_FROM_EMAIL


def _email(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(subject=message.subject, body=message.text, to=list(message.to),
                                   from_email=_sender())  # fmt: skip
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in Attachment.objects.filter(message=message).order_by("pk"):
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _record_failure(message: Message, error: Exception) -> str:
    """Back in the queue after the backoff, or failed for good after the last attempt; returns which."""
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    if message.attempts >= settings.MAILER_MAX_ATTEMPTS:
        changes = {"status": Message.Status.FAILED, "next_attempt_at": None}
        outcome = "failed"
    else:
        changes = {"status": Message.Status.QUEUED, "next_attempt_at": timezone.now() + backoff(message.attempts)}
        outcome = "retry"
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(last_error=text, **changes)
    logger.info("Mail %s attempt %d: %s (%s)", message.pk, message.attempts, text, outcome)
    return outcome


def _reclaim_abandoned() -> int:
    """Messages left `sending` by a worker that died: back in the queue (at least once), or failed when that
    was their last attempt."""
    stale = Message.objects.filter(
        status=Message.Status.SENDING,
        last_attempt_at__lt=timezone.now() - timedelta(seconds=settings.MAILER_SENDING_LEASE_SECONDS),
    )
    note = "Interrupted: the sender stopped before the server's answer was recorded."
    failed = stale.filter(attempts__gte=settings.MAILER_MAX_ATTEMPTS).update(
        status=Message.Status.FAILED, next_attempt_at=None, last_error=note
    )
    queued = stale.update(status=Message.Status.QUEUED, next_attempt_at=timezone.now(), last_error=note)
    return failed + queued


def _close(smtp):
    if smtp is not None:
        try:
            smtp.close()
        except Exception:  # a dead connection may fail to say goodbye
            logger.debug("Closing the mail connection failed", exc_info=True)
    return None
