"""Webhook endpoints the owner registers and the deliveries made to them (integrations/webhooks/, docs/webhooks.md).

A delivery row is written by the outbox subscriber in the relay's savepoint, one per subscribed endpoint and event,
and sent later by beat with no transaction open: the row is both the retry queue and the log the owner reads."""

import json

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    """A URL that hears of the event types the owner picked.

    Signed with `secret`; after a rotation `previous_secret` also signs until `previous_secret_until`, so the
    receiver can switch without losing a delivery. `failing_since` is the first failed attempt since the last
    success: an endpoint failing for WEBHOOKS_DISABLE_AFTER_HOURS is disabled and the owner told."""

    class DisabledReason(models.TextChoices):
        OWNER = "owner", _("Turned off by the owner")
        FAILING = "failing", _("Turned off after failing for a day")

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=60))
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=20, choices=DisabledReason.choices, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(events=[]), name="integrations_webhook_endpoint_has_events"),
            models.CheckConstraint(
                condition=Q(disabled_at__isnull=True, disabled_reason="") | Q(disabled_at__isnull=False),
                name="integrations_webhook_endpoint_reason_when_disabled",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class WebhookDelivery(models.Model):
    """One event for one endpoint: the body to send, where it stands, and what the receiver last answered."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    # The body sent, as JSON ({"id", "type", "created_at", "data"}): fixed when the delivery is made, so every
    # attempt and a replay send the same thing.
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due from then while pending; empty once delivered or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # While sending: the claim's lease. A row still `sending` after it was abandoned by a worker that died.
    lease_until = models.DateTimeField(null=True, blank=True)
    # No more automatic attempts after this (WEBHOOKS_RETRY_HOURS after it was made or replayed).
    give_up_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first WEBHOOKS_RESPONSE_MAX_BYTES, as text
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # One delivery per endpoint and event, however often the outbox relays the event.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="integrations_webhook_delivery_once"),
            models.CheckConstraint(
                condition=~Q(state="pending") | Q(next_attempt_at__isnull=False),
                name="integrations_webhook_delivery_pending_is_due",
            ),
        ]
        indexes = [
            # Beat's question every 10 s: which pending deliveries are due?
            models.Index(
                fields=["next_attempt_at", "id"], condition=Q(state="pending"), name="integrations_webhook_due"
            ),  # fmt: skip
            # ... and which claims were abandoned?
            models.Index(fields=["lease_until"], condition=Q(state="sending"), name="integrations_webhook_sending"),
            # The owner's delivery log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="integrations_webhook_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to {self.endpoint_id}"

    @property
    def payload_text(self) -> str:
        """The body as the log shows it: the JSON sent, indented."""
        return json.dumps(self.payload, indent=2, sort_keys=True, ensure_ascii=False)
