"""The mail outbox's services against real PostgreSQL and a real SMTP server (aiosmtpd), no mocks."""

import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from mailer.models import Attachment, Message
from mailer.services import backoff, mail_purge, mail_queue, mail_send_again, mail_send_due
from mailer.tests.conftest import Inbox, SmtpServer, free_port

RECEIPT = Message.Kind.RECEIPT


def _queue(n: int = 1, **extra) -> list[Message]:
    return [
        mail_queue(to=[f"guest{i}@example.com"], subject=f"Receipt {i}", text=f"Thanks {i}", kind=RECEIPT, **extra)
        for i in range(n)
    ]


def _refresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


# --- Queuing -----------------------------------------------------------------------------------------------------


def test_a_queued_message_keeps_its_parts_and_is_due_now(in_tenant):
    before = timezone.now()
    message = mail_queue(to=["a@example.com", " b@example.com "], subject="Your\r\nreceipt\nBcc: x@evil.test",
                         text="plain", html="<p>html</p>", kind=RECEIPT,
                         attachments=[("report.pdf", b"%PDF-1.4 data", "application/pdf")])  # fmt: skip
    stored = _refresh(message)
    assert stored.to == ["a@example.com", "b@example.com"]
    assert stored.subject == "Your receipt Bcc: x@evil.test"  # one line: no header can be smuggled in
    assert (stored.status, stored.attempts, stored.text, stored.html) == ("queued", 0, "plain", "<p>html</p>")
    assert before <= stored.next_attempt_at <= timezone.now()
    [attachment] = Attachment.objects.filter(message=message)
    assert (attachment.filename, bytes(attachment.content), attachment.mimetype) == (
        "report.pdf", b"%PDF-1.4 data", "application/pdf")  # fmt: skip


def test_the_message_commits_and_rolls_back_with_the_callers_change(in_tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the business change failed")
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("to", "kind"), [([], RECEIPT), (["  "], RECEIPT), (["not-an-address"], RECEIPT), (["a@example.com"], "spam")]
)
def test_a_message_without_a_valid_recipient_or_kind_is_refused(in_tenant, to, kind):
    with pytest.raises((ValueError, ValidationError)):
        mail_queue(to=to, subject="s", text="t", kind=kind)
    assert not Message.objects.exists()


def test_queuing_needs_neither_redis_nor_the_broker(in_tenant, settings, monkeypatch):
    """Cache and broker both point at a closed port: the message is queued all the same (it is one row)."""
    from pos_project.celery import app as celery_app

    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": dead},
        "global": {**settings.CACHES["global"], "LOCATION": dead},
    }
    monkeypatch.setattr(celery_app.conf, "broker_url", dead)
    with transaction.atomic():
        [message] = _queue()
    assert _refresh(message).status == "queued"


# --- Backoff -----------------------------------------------------------------------------------------------------


def test_backoff_doubles_from_a_minute_up_to_an_hour(settings):
    settings.MAILER_BACKOFF_FIRST_SECONDS, settings.MAILER_BACKOFF_MAX_SECONDS = 60, 3600
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


# --- Sending -----------------------------------------------------------------------------------------------------


def test_due_messages_are_sent_with_text_html_and_attachments_and_marked_sent(in_tenant, smtp):
    message = mail_queue(to=["owner@example.com"], subject="Daily summary", text="plain body", html="<b>html</b>",
                         attachments=[("day.pdf", b"%PDF-1.4 x", "application/pdf")],
                         kind=Message.Kind.REPORT_DAILY)  # fmt: skip
    assert mail_send_due() == {"sent": 1, "retry": 0, "failed": 0}
    [(rcpt, raw)] = smtp.inbox.received
    assert rcpt == ["owner@example.com"]
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Daily summary"
    assert parsed["From"].addresses[0].display_name == "Alpha Café"  # the business, at DEFAULT_FROM_EMAIL's address
    assert parsed.get_body(("plain",)).get_content().strip() == "plain body"
    assert parsed.get_body(("html",)).get_content().strip() == "<b>html</b>"
    [pdf] = list(parsed.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content()) == ("day.pdf", b"%PDF-1.4 x")
    stored = _refresh(message)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("sent", 1, None)
    assert stored.sent_at is not None
    assert mail_send_due() == {"sent": 0, "retry": 0, "failed": 0}  # run again: nothing more
    assert len(smtp.inbox.received) == 1


def test_a_message_not_due_yet_waits(in_tenant, smtp):
    [message] = _queue()
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    assert mail_send_due()["sent"] == 0 and smtp.inbox.received == []


def test_a_closed_mail_server_schedules_the_next_try_and_stops_the_run(in_tenant, smtp_settings):
    """Nothing listens on the port: the first message's attempt fails and backs off a minute; the second is not
    tried (the server is down for it too) and keeps all its attempts."""
    first, second = _queue(2)
    before = timezone.now()
    assert mail_send_due() == {"sent": 0, "retry": 1, "failed": 0}
    first, second = _refresh(first), _refresh(second)
    assert (first.status, first.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in first.last_error
    assert before + timedelta(seconds=59) < first.next_attempt_at < timezone.now() + timedelta(seconds=61)
    assert (second.status, second.attempts, second.last_error) == ("queued", 0, "")


def test_the_backoff_grows_with_each_failed_attempt(in_tenant, smtp_settings):
    [message] = _queue()
    for attempt, minutes in ((1, 1), (2, 2), (3, 4), (4, 8)):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())  # due again
        before = timezone.now()
        mail_send_due()
        stored = _refresh(message)
        assert stored.attempts == attempt and stored.status == "queued"
        wait = stored.next_attempt_at - before
        assert timedelta(minutes=minutes) <= wait < timedelta(minutes=minutes, seconds=2)


def test_after_the_last_attempt_a_message_is_failed_kept_and_can_be_sent_again(in_tenant, settings, smtp_settings,
                                                                               smtp_port):  # fmt: skip
    [message] = _queue()
    Message.objects.filter(pk=message.pk).update(attempts=settings.MAILER_MAX_ATTEMPTS - 1)
    assert mail_send_due() == {"sent": 0, "retry": 0, "failed": 1}
    stored = _refresh(message)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("failed", settings.MAILER_MAX_ATTEMPTS, None)
    assert mail_send_due() == {"sent": 0, "retry": 0, "failed": 0}  # failed is not due

    server = SmtpServer(smtp_port, Inbox())
    server.start()
    try:
        assert mail_send_again(message_id=message.pk) is True
        assert mail_send_again(message_id=message.pk) is False  # already queued again
        assert _refresh(message).attempts == 0
        assert mail_send_due()["sent"] == 1
        assert len(server.inbox.received) == 1
    finally:
        server.stop()
    assert mail_send_again(message_id=message.pk) is False  # sent: nothing to do
    assert _refresh(message).status == "sent"


def test_a_refused_recipient_fails_that_message_only(in_tenant, smtp):
    smtp.inbox.refuse = {"nobody@example.com"}
    bad = mail_queue(to=["nobody@example.com"], subject="Bad", text="t", kind=RECEIPT)
    [good] = _queue()
    assert mail_send_due() == {"sent": 1, "retry": 1, "failed": 0}
    bad, good = _refresh(bad), _refresh(good)
    assert bad.status == "queued" and "SMTPRecipientsRefused" in bad.last_error and bad.attempts == 1
    assert good.status == "sent"
    assert smtp.inbox.subjects() == ["Receipt 0"]


def test_a_sender_that_died_mid_send_leaves_the_message_to_the_next_run(in_tenant, smtp, settings):
    """At least once: a message claimed longer ago than the lease goes back to the queue and is sent."""
    [message] = _queue()
    claimed = timezone.now() - timedelta(seconds=settings.MAILER_SENDING_LEASE_SECONDS + 1)
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1, last_attempt_at=claimed)
    [recent] = _queue()
    Message.objects.filter(pk=recent.pk).update(status="sending", attempts=1, last_attempt_at=timezone.now())
    assert mail_send_due()["sent"] == 1
    assert _refresh(message).status == "sent" and _refresh(message).attempts == 2
    assert _refresh(recent).status == "sending"  # still within its lease: somebody may be sending it right now
    assert smtp.inbox.subjects() == ["Receipt 0"]


def test_tenant_a_sends_only_its_own_messages(tenant, other_tenant, smtp):
    with tenant_context(other_tenant.tenant):
        [theirs] = _queue()
    with tenant_context(tenant.tenant):
        assert mail_send_due()["sent"] == 0
    assert smtp.inbox.received == [] and mail.outbox == []
    with tenant_context(other_tenant.tenant):
        assert _refresh(theirs).status == "queued"
        assert mail_send_due()["sent"] == 1
    assert len(smtp.inbox.received) == 1


def test_purge_forgets_old_sent_and_failed_messages_but_never_queued_ones(in_tenant, settings):
    old = timezone.now() - timedelta(days=settings.MAILER_RETENTION_DAYS + 1)
    sent, failed, queued, fresh = _queue(4, attachments=[("a.pdf", b"x", "application/pdf")])
    Message.objects.filter(pk=sent.pk).update(status="sent", next_attempt_at=None, created_at=old)
    Message.objects.filter(pk=failed.pk).update(status="failed", next_attempt_at=None, created_at=old)
    Message.objects.filter(pk__in=[queued.pk]).update(created_at=old)
    Message.objects.filter(pk=fresh.pk).update(status="sent", next_attempt_at=None)
    assert mail_purge() == 2
    assert set(Message.objects.values_list("pk", flat=True)) == {queued.pk, fresh.pk}
    assert Attachment.objects.count() == 2


# --- Concurrency (committed rows, real connections) ----------------------------------------------------------------


@pytest.mark.xdist_group("worker")
def test_two_concurrent_senders_send_each_message_once(mail_lab, smtp):
    """Two threads, each with its own database connection, send the same 20 due messages against a slow server:
    every message reaches the server once, and both senders took part."""
    smtp.inbox.delay = 0.1
    with tenant_context(mail_lab):
        queued = _queue(20)
    start = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with tenant_context(mail_lab):
                start.wait(timeout=10)
                results.append(mail_send_due())
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    subjects = smtp.inbox.subjects()
    assert sorted(subjects) == sorted(f"Receipt {i}" for i in range(20))  # each once
    assert sorted(r["sent"] for r in results) != [0, 20] and sum(r["sent"] for r in results) == 20
    with tenant_context(mail_lab):
        assert set(Message.objects.filter(pk__in=[m.pk for m in queued]).values_list("status", "attempts")) == {
            ("sent", 1)}  # fmt: skip


@pytest.mark.xdist_group("worker")
def test_a_sender_skips_a_message_another_sender_holds_instead_of_waiting(mail_lab, smtp):
    """Another connection holds the oldest message's row lock (a sender mid-claim): this run sends the next one
    at once, and leaves the held one alone."""
    with tenant_context(mail_lab):
        held, free = _queue(2)
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with tenant_context(mail_lab), transaction.atomic():
                Message.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        with tenant_context(mail_lab):
            assert mail_send_due()["sent"] == 1
            assert Message.objects.get(pk=held.pk).status == "queued"
            assert Message.objects.get(pk=free.pk).status == "sent"
    finally:
        release.set()
        thread.join(timeout=30)
    assert smtp.inbox.subjects() == ["Receipt 1"]


def test_a_keyed_message_is_queued_once(in_tenant):
    first = mail_queue(to=["a@example.com"], subject="s", text="t", kind=RECEIPT, key="receipt:1")
    assert first is not None
    with transaction.atomic():  # the caller's transaction goes on after the refused duplicate
        assert mail_queue(to=["a@example.com"], subject="s", text="t", kind=RECEIPT, key="receipt:1") is None
        assert mail_queue(to=["a@example.com"], subject="s", text="t", kind=RECEIPT, key="receipt:2") is not None
    assert sorted(Message.objects.values_list("key", flat=True)) == ["receipt:1", "receipt:2"]
