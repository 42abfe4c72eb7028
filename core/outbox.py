"""Events: the one way the rest of the system learns that something happened (docs/adr/0008-outbox.md).

A service whose change other apps react to (an order paid, a shift closed, a purchase order sent) writes an
event in its own transaction, next to the change:

    with transaction.atomic():
        ...the change...
        event_emit("order.paid", {"order": order.pk, "amount_minor": 12500, "currency": "IDR"})

The event commits or rolls back with the change, so subscribers hear of exactly what happened. After the
commit, one kick per transaction asks the worker to relay the tenant's events; beat also relays every tenant
every minute, so a kick lost to a broker outage only delays. The relay gives each event to every subscriber
registered for its name, at least once, oldest first, with no ordering promise beyond that:

    # <app>/subscribers.py, imported at start by CoreConfig.ready()
    @subscriber("purchase_order.sent", name="inventory.purchase_order_email")
    def purchase_order_email(event: OutboxEvent) -> None:
        ...

What a handler may do, and may not:
- Database work only, in the current tenant's schema. It runs in a savepoint together with the row that records
  its delivery, so its database effect commits exactly once. If it raises, both roll back, the other
  subscribers still get the event, and it alone is tried again later (exponential backoff, at most an hour).
- Nothing over the network (e-mail, webhooks, payment providers, other HTTP): the event row is locked while
  handlers run, and a network call cannot be rolled back. Queue a Celery task with `transaction.on_commit(...)`
  instead; it runs only if the delivery commits. The task must be idempotent by its own state (the purchase
  order's `emailed_at`, a webhook delivery row), because a relay, a task, or both can run twice.
- Be idempotent anyway and quick; read what it needs from the database by the payload's ids. Payloads are plain
  JSON (ids, amounts in minor units, codes), never personal data: events are kept OUTBOX_RETENTION_DAYS.
- A subscriber registered after an event was done never gets it; one registered while an event is still
  pending does.
"""

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from kombu.connection import ConnectionPool

from pos_project.celery import app as celery_app

from .models import OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

RELAY_TASK = "core.tasks.relay_outbox"
NAME_MAX = 60
SUBSCRIBER_MAX = 100
BACKOFF_FIRST = timedelta(seconds=15)  # then 30 s, 1 min, 2 min, ... up to BACKOFF_MAX
BACKOFF_MAX = timedelta(hours=1)
ERROR_MAX = 2000  # characters of last_error kept per failed relay

Handler = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    events: frozenset[str]
    handler: Handler


_subscribers: dict[str, Subscriber] = {}  # by subscriber name, in registration order


def subscriber(*event_names: str, name: str) -> Callable[[Handler], Handler]:
    """Register `handler(event)` for `event_names` under `name`.

    The name is what delivery rows record, so it must stay the same for as long as events may be pending:
    renaming a subscriber makes it a new one, which gets every still-pending event again.
    """
    if not event_names or not all(isinstance(e, str) and 0 < len(e) <= NAME_MAX for e in event_names):
        raise ImproperlyConfigured(f"Outbox subscriber {name!r} needs one or more event names.")
    if not name or len(name) > SUBSCRIBER_MAX:
        raise ImproperlyConfigured(f"An outbox subscriber's name must be 1 to {SUBSCRIBER_MAX} characters.")

    def register(handler: Handler) -> Handler:
        if name in _subscribers:
            raise ImproperlyConfigured(f"Two outbox subscribers are named {name!r}; each needs its own name.")
        _subscribers[name] = Subscriber(name=name, events=frozenset(event_names), handler=handler)
        return handler

    return register


def subscribers_for(event_name: str) -> list[Subscriber]:
    """The subscribers of one event name, in registration order."""
    return [s for s in _subscribers.values() if event_name in s.events]


# --- Emitting ---------------------------------------------------------------------------------------------------


def event_emit(name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record that `name` happened, in the caller's transaction; the relay is kicked once after it commits.

    Called outside a transaction it refuses: the event must live or die with the change it announces.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the business transaction (transaction.atomic()).")
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"An event name must be 1 to {NAME_MAX} characters.")
    now = timezone.now()
    with connection.cursor() as cursor:  # plain SQL: every payment that settles an order writes one
        cursor.execute(
            f"INSERT INTO {OutboxEvent._meta.db_table} (name, payload, created_at, attempts, last_error, "  # noqa: S608
            "next_attempt_at) VALUES (%s, %s, %s, 0, '', %s) RETURNING id",
            [name, json.dumps(payload, cls=DjangoJSONEncoder), now, now],
        )
        pk = cursor.fetchone()[0]
    _kick_on_commit(connection.schema_name)
    return OutboxEvent(pk=pk, name=name, payload=payload, created_at=now, next_attempt_at=now)


class _Kick:
    """The on-commit callback that asks the worker to relay one schema's events.

    One per transaction and schema: event_emit looks for a pending one in the connection's on-commit list
    before adding another. A kick registered in a savepoint that rolls back goes with it (Django drops it),
    so a later event in the same transaction adds a new one."""

    __slots__ = ("schema", "sent")

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        _kick_send(self.schema)


def _kick_on_commit(schema: str) -> None:
    for _sids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Kick) and callback.schema == schema and not callback.sent:
            return
    transaction.on_commit(_Kick(schema), robust=True)


def _kick_send(schema: str) -> None:
    """Queue relay_outbox in `schema`; a broker that is down costs a log line, never the request.

    The message carries the schema explicitly (the header tenant-schemas-celery would stamp from the
    connection), so it is right whatever schema the connection is on when the commit runs the callback. It
    goes through a connection pool of its own that fails fast: no retries and OUTBOX_KICK_TIMEOUT on connect
    and on each socket operation, where Celery's own pool would retry the broker for seconds
    (broker_connection_timeout) before giving up. Losing a kick is cheap: beat relays every minute.
    """
    started = time.monotonic()
    try:
        task = celery_app.tasks[RELAY_TASK]
        headers = {"_schema_name": schema}
        if celery_app.conf.task_always_eager:
            task.apply_async(retry=False, headers=headers)
            return
        window = _kick_coalesce_seconds()
        if window and cache.add(f"outbox-kick:{schema}", 1, timeout=window) is False:
            return  # a relay of this schema is already due after this commit (see _kick_coalesce_seconds)
        with _kick_connections().acquire(block=True, timeout=_kick_timeout()) as broker:
            task.apply_async(retry=False, headers=headers, connection=broker, countdown=window or None)
    except Exception:  # kombu's OperationalError, a pool timeout, a broken connection: all the same here
        logger.warning(
            "Outbox: the relay kick for %s was not sent (%.0f ms); beat will relay its events within a minute.",
            schema,
            (time.monotonic() - started) * 1000,
            exc_info=True,
        )


_kick_lock = threading.Lock()
_kick_pool: tuple[tuple[int, str], ConnectionPool] | None = None


def _kick_coalesce_seconds() -> int:
    """Kicks of one schema within this many seconds share one relay, sent that long after the first.

    A busy till commits events several times a second; one relay per window serves them all, and each commit
    pays a Redis SET NX instead of a broker publish. No event waits longer than the window: the key lives as
    long as the delay of the relay it stands for, so an event committed while the key exists is committed
    before that relay starts, and the relay finds it. 0 kicks at every commit (the tests' setting)."""
    return int(getattr(settings, "OUTBOX_KICK_COALESCE_SECONDS", 1))


def _kick_timeout() -> float:
    return float(getattr(settings, "OUTBOX_KICK_TIMEOUT", 0.05))


def _kick_connections() -> ConnectionPool:
    """The fail-fast broker connections for kicks, one pool per process (a forked child makes its own) and
    broker URL."""
    global _kick_pool
    url = celery_app.conf.broker_write_url or celery_app.conf.broker_url
    key = (os.getpid(), url)
    with _kick_lock:
        if _kick_pool is None or _kick_pool[0] != key:
            if _kick_pool is not None and _kick_pool[0][0] == key[0]:
                _kick_pool[1].force_close_all()
            timeout = _kick_timeout()
            broker = celery_app.connection_for_write(
                url,
                connect_timeout=timeout,
                transport_options={"max_retries": 0, "socket_connect_timeout": timeout, "socket_timeout": timeout},
            )
            _kick_pool = (key, broker.Pool(limit=celery_app.conf.broker_pool_limit or 10))
        return _kick_pool[1]


# --- Relaying ---------------------------------------------------------------------------------------------------


def outbox_relay(*, limit: int = 200) -> int:
    """Relay up to `limit` pending events of the current tenant's schema, oldest first; returns how many got
    done. Safe to run in several workers at once: each event is relayed under its row lock, and an event
    another relay holds is skipped, not waited for."""
    now = timezone.now()
    pending = (
        OutboxEvent.objects.filter(done_at__isnull=True, next_attempt_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_relay_one(pk) for pk in list(pending))


def _relay_one(pk: int) -> bool:
    """One event in one transaction: each subscriber that lacks it gets it in a savepoint with its delivery
    row; True when every subscriber has it now."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, done_at__isnull=True, next_attempt_at__lte=timezone.now())
            .first()
        )
        if event is None:  # another relay holds it, finished it, or put it off since our scan
            return False
        wanted = subscribers_for(event.name)
        have = set(OutboxDelivery.objects.filter(event=event).values_list("subscriber", flat=True)) if wanted else ()
        errors = []
        for sub in wanted:
            if sub.name in have:
                continue
            try:
                with transaction.atomic():
                    sub.handler(event)
                    OutboxDelivery.objects.create(event=event, subscriber=sub.name)
            except Exception as exc:
                logger.error("Outbox: subscriber %s failed on %s.", sub.name, event, exc_info=True)
                errors.append(f"{sub.name}: {type(exc).__name__}: {exc}")
        now = timezone.now()
        if errors:
            event.attempts += 1
            event.last_error = "\n".join(errors)[:ERROR_MAX]
            event.next_attempt_at = now + outbox_backoff(event.attempts)
            event.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return False
        event.done_at = now
        event.save(update_fields=["done_at"])
        return True


def outbox_backoff(attempts: int) -> timedelta:
    """How long an event waits after its `attempts`-th failed relay: 15 s doubling, at most an hour."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(max(attempts, 1) - 1, 20))


# --- Reading and housekeeping -----------------------------------------------------------------------------------


def outbox_pending_count() -> int:
    """Events of the current schema not yet done (backing off or waiting): for metrics and readiness."""
    return OutboxEvent.objects.filter(done_at__isnull=True).count()


def outbox_purge(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete done events older than OUTBOX_RETENTION_DAYS (at least 1) with their deliveries; returns how many
    events. In batches, each its own transaction, so a large backlog never holds long locks. Pending events
    are kept whatever their age: they still owe someone a delivery."""
    days = max(1, int(getattr(settings, "OUTBOX_RETENTION_DAYS", 30)))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        pks = list(OutboxEvent.objects.filter(done_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return deleted
        with transaction.atomic():
            OutboxDelivery.objects.filter(event_id__in=pks).delete()
            deleted += OutboxEvent.objects.filter(pk__in=pks).delete()[1].get(OutboxEvent._meta.label, 0)
