"""Retries: the one helper behind every keyed write (docs/adr/0006-idempotency.md).

A till on café Wi-Fi retries: a timeout, a double tap, a reload. Each state-changing request carries a key the
client made for that one action, and the write claims it in its own transaction:

    with transaction.atomic():
        once = idempotency_claim(key=key, action="order.submit", request={...the parameters...})
        if once.replayed:
            return once.recall(Order)          # the first call's order, not a second one
        order = ...                            # the write
        once.remember(order)

Semantics are Stripe's. The same key with the same request gets the first result (and, from an HTTP endpoint,
the first response: `idempotent_response`). The same key with a different request (another action, other
parameters, another person) is refused with 422, code `idempotency.key_reused`. A concurrent duplicate waits
for the first on the key's unique index and then gets its result: never a second effect. The claim is the first
statement of the write's transaction (the lock order, docs/adr/0007), and a write that fails rolls its key back
with it, so a retry of a refused request runs again. Keys are kept `IDEMPOTENCY_KEY_TTL_HOURS` (at least 24)
and purged daily by `core.tasks.purge_idempotency_keys`.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pos_project.errors import CONFLICT, UNPROCESSABLE, ServiceError

from .models import IdempotencyKey

KEY_MAX = 255
_TABLE = IdempotencyKey._meta.db_table
M = TypeVar("M", bound=models.Model)


def key_check(key: str | None) -> str:
    """A key as clients send it: 1 to 255 printable ASCII characters (a UUID is what the till makes)."""
    key = (key or "").strip()
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise ServiceError(
            "idempotency.key_invalid",
            _("Every submission needs a key of 1 to %(max)d plain characters.") % {"max": KEY_MAX},
            field="idempotency_key",
        )
    return key


def fingerprint(action: str, request: Mapping[str, Any]) -> str:
    """The request as a hash: the same action and parameters give the same fingerprint, in any key order."""
    canonical = json.dumps([action, request], cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Claim:
    """A key held by the current transaction (`replayed` False) or found done by an earlier one (True)."""

    pk: int
    key: str
    action: str
    replayed: bool
    result_model: str = ""
    result_pk: int | None = None

    def recall(self, model: type[M]) -> M | None:
        """The object the first call remembered (None if it remembered nothing)."""
        if self.result_pk is None:
            return None
        return model._default_manager.filter(pk=self.result_pk).first()

    def remember(self, obj: models.Model) -> None:
        """Name the object this call made, for a retry to get back (one UPDATE, in the write's transaction).
        Plain SQL: it runs on every keyed write of the till, and the ORM's query building cost more than it."""
        self.result_model, self.result_pk = obj._meta.label_lower, obj.pk
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {_TABLE} SET result_model = %s, result_pk = %s WHERE id = %s",  # noqa: S608
                           [self.result_model, obj.pk, self.pk])  # fmt: skip


def idempotency_claim(*, key: str, action: str, request: Mapping[str, Any]) -> Claim:
    """Claim `key` for this write, inside the write's transaction (its first statement). See the module doc."""
    if not connection.in_atomic_block:
        raise RuntimeError("idempotency_claim must run inside the write's transaction.atomic()")
    key = key_check(key)
    digest = fingerprint(action, request)
    with connection.cursor() as cursor:
        # Waits for a concurrent transaction holding the same key, then inserts nothing if it committed.
        cursor.execute(
            f"INSERT INTO {_TABLE} (key, action, fingerprint, result_model, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, '', %s) ON CONFLICT (key) DO NOTHING RETURNING id",
            [key, action, digest, timezone.now()],
        )
        row = cursor.fetchone()
    if row is not None:
        return Claim(pk=row[0], key=key, action=action, replayed=False)
    first = IdempotencyKey.objects.filter(key=key).values("pk", "action", "fingerprint", "result_model", "result_pk")
    first = first.first()
    if first is None:  # purged between the two statements: the client may simply retry
        raise ServiceError(
            "idempotency.in_progress", _("That request is still being handled; try again."), status=CONFLICT
        )
    if first["fingerprint"] != digest:
        raise ServiceError(
            "idempotency.key_reused",
            _(
                "This request's key was already used for a different request, so nothing was done. "
                "Reload and try again."
            ),
            status=UNPROCESSABLE,
        )
    return Claim(
        pk=first["pk"],
        key=key,
        action=action,
        replayed=True,
        result_model=first["result_model"],
        result_pk=first["result_pk"],
    )


def idempotent_write(
    *,
    key: str | None,
    action: str,
    request: Mapping[str, Any],
    model: type[M],
    write: Callable[[], M],
    required: bool = True,
) -> M:
    """Run `write` once per key: in one transaction that starts with the claim, remembering what it made; a retry
    gets that back (`model`). The usual shape of a keyed service:

        return idempotent_write(key=idempotency_key, action="order.merge", request={...}, model=Order,
                                write=lambda: _merge(target=target, source=source, user=user))

    With `required=False` a call without a key (a script, a form from before keys) simply runs unprotected."""
    with transaction.atomic():
        if not required and not (key or "").strip():
            return write()
        once = idempotency_claim(key=key or "", action=action, request=request)
        if once.replayed:
            return once.recall(model)
        result = write()
        once.remember(result)
        return result


def idempotent_response(*, key: str, status: int, body: Any) -> tuple[int, Any]:
    """The response an HTTP endpoint gives for a keyed write: the first one it gave for this key.

    The first call stores `status` and `body` (one UPDATE); a retry gets the stored pair back, even when the
    object has changed since, exactly as Stripe replays a response."""
    key = (key or "").strip()
    with connection.cursor() as cursor:  # plain SQL for the same reason as Claim.remember
        cursor.execute(
            f"UPDATE {_TABLE} SET response_status = %s, response_body = %s "  # noqa: S608
            "WHERE key = %s AND response_status IS NULL",
            [status, json.dumps(body, cls=DjangoJSONEncoder), key],
        )
        if cursor.rowcount:
            return status, body
    stored = IdempotencyKey.objects.filter(key=key).values_list("response_status", "response_body").first()
    if stored is None or stored[0] is None:
        return status, body
    return stored[0], stored[1]


def idempotency_purge(*, now=None) -> int:
    """Forget keys older than the retention (IDEMPOTENCY_KEY_TTL_HOURS, at least 24 h); returns how many."""
    hours = max(24, int(getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 48)))
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def idempotent_replay(*, key: str) -> tuple[int, Any] | None:
    """The response stored for `key` by `idempotent_response` (status, body), or None if it stored none: what
    an HTTP endpoint answers a retry whose claim came back replayed."""
    stored = IdempotencyKey.objects.filter(key=(key or "").strip()).values_list("response_status", "response_body")
    stored = stored.first()
    if stored is None or stored[0] is None:
        return None
    return stored[0], stored[1]
