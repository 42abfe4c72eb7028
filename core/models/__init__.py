"""The shared mechanisms' tables, one module each (imported by name so Django finds them)."""

from .idempotency import IdempotencyKey
from .outbox import OutboxDelivery, OutboxEvent

__all__ = ["IdempotencyKey", "OutboxDelivery", "OutboxEvent"]
