from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One e-mail waiting to go, gone, or given up on: the outbox row and the log line in one.

    Queued in the transaction of the change it tells about (it commits or rolls back with it); sent by
    `mailer.services.mail_send_due` from beat; kept after sending (MAILER_RETENTION_DAYS) so the owner sees it."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SECURITY_ALERT = "security_alert", _("Security alert")
        PURCHASE_ORDER = "purchase_order", _("Purchase order")
        LOW_STOCK_DIGEST = "low_stock_digest", _("Low-stock digest")
        REPORT_DAILY = "report_daily", _("Daily summary")
        REPORT_WEEKLY = "report_weekly", _("Weekly summary")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook turned off")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    to = ArrayField(models.CharField(max_length=254))
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a queued message is due; empty once sent or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # When the last attempt claimed it: a message `sending` for longer than MAILER_SENDING_LEASE_SECONDS was
    # abandoned by a worker that died, and goes back to the queue.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # "Only once" for e-mails that a job could queue twice (a scheduled report per person and period): a second
    # message with the same key is not queued. Empty for the rest.
    key = models.CharField(max_length=150, null=True, blank=True, unique=True)

    class Meta:
        indexes = [
            # The sender's question, every minute: which queued messages are due?
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="queued"), name="mailer_message_due"),
            models.Index(fields=["status", "-created_at"], name="mailer_message_status"),
            models.Index(fields=["-created_at", "-id"], name="mailer_message_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(to=[]), name="mailer_message_has_recipient"),
            models.CheckConstraint(
                condition=Q(status="queued", next_attempt_at__isnull=False) | ~Q(status="queued"),
                name="mailer_message_queued_is_due_sometime",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)}: {self.subject}"


class Attachment(models.Model):
    """A file sent with a message (a report's PDF): kept in the database, in the tenant's schema, with its message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename


class Subscription(models.Model):
    """A person asked for an optional e-mail of `kind` (the daily or weekly summary). No row: they did not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, choices=Message.Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="mailer_subscription_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
