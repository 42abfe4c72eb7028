from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxEvent(models.Model):
    """Something that happened, written in the transaction that made it happen (core/outbox.py, docs/adr/0008).

    Because the row commits or rolls back with the business change, subscribers hear of exactly the changes
    that happened; the relay delivers it at least once to each of them, then sets `done_at`.
    """

    name = models.CharField(max_length=60, db_index=True)  # "order.paid", "purchase_order.sent"
    # Plain JSON: ids, amounts in minor units, codes. Never personal data: a handler reads what it needs.
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when every subscriber of `name` has it; a done event is never relayed again.
    done_at = models.DateTimeField(null=True, blank=True)
    # Relays that left a subscriber failing, the last failure, and when to try again (exponential backoff).
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            # The relay's scan: pending events in id order. It holds only what is pending, so it stays small
            # however many events a tenant has had.
            models.Index(fields=["id"], name="core_outbox_pending", condition=Q(done_at__isnull=True)),
            # The daily purge of done events past the retention.
            models.Index(fields=["done_at"], name="core_outbox_done", condition=Q(done_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class OutboxDelivery(models.Model):
    """One subscriber has handled one event. Written in the savepoint of the handler's own database work, so
    the two commit together: a handler's database effect happens once even if the relay runs twice."""

    # The unique constraint's index (event, subscriber) also serves lookups by event: no second index.
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    subscriber = models.CharField(max_length=100)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "outbox delivery"
        verbose_name_plural = "outbox deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="core_outbox_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← event #{self.event_id}"
