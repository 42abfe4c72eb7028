from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A client's key for one write, kept at least a day (core/idempotency.py, docs/adr/0006).

    The row is inserted in the same transaction as the write it names, so a key exists exactly when its effect
    does: a write that rolls back leaves no key, and a retry of it runs again.
    """

    key = models.CharField(max_length=255, unique=True)
    action = models.CharField(max_length=60)
    # SHA-256 of the action and the request's parameters: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    # What the first call made (e.g. "sales.order" 42), returned again to a retry.
    result_model = models.CharField(max_length=60, blank=True)
    result_pk = models.BigIntegerField(null=True, blank=True)
    # What an HTTP endpoint answered the first time, replayed to a retry.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "idempotency key"

    def __str__(self) -> str:
        return f"{self.action} {self.key}"
