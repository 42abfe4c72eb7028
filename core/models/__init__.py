"""The shared mechanisms' tables, one module each (imported by name so Django finds them)."""

from .idempotency import IdempotencyKey

__all__ = ["IdempotencyKey"]
