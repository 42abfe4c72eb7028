"""Webhooks: the owner's endpoints, the deliveries the outbox makes for them, and the beat job that sends them.

How a delivery travels (docs/webhooks.md):

1. An outbox event of an offered type (events.EVENTS) reaches `webhook_deliveries_create` in the relay's
   savepoint: one `pending` row per active endpoint subscribed to it, unique per endpoint and event, so a second
   relay of the same event adds nothing. No network, nothing on the till's request path.
2. Every WEBHOOKS_SEND_EVERY_SECONDS beat runs `webhook_send_due` in each tenant's schema. It claims one due
   delivery at a time (SELECT ... FOR UPDATE SKIP LOCKED, then `sending` with a lease, attempts + 1, committed),
   sends it with no transaction open (transport.py: the address rule checked again, short timeouts, no
   redirects), and records the answer with a conditional update on the claim it made.
3. A 2xx answer delivers it. Anything else is tried again after a backoff that doubles with jitter, until
   WEBHOOKS_RETRY_HOURS after the event; then it is failed. An endpoint whose attempts have all failed for
   WEBHOOKS_DISABLE_AFTER_HOURS is turned off and its owners are e-mailed (mailer.services.mail_queue).

At least once: a worker that dies after the receiver answered and before the record commits leaves the delivery
`sending`; when its lease runs out it is sent again. Receivers de-duplicate on the event id (`POS-Event-Id`).
"""

import logging
import random
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import users_with
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from core.idempotency import idempotent_write
from core.models import OutboxEvent
from mailer.models import Message
from mailer.services import mail_queue
from pos_project.errors import CONFLICT, NOT_FOUND, ServiceError
from tenants.services import tenant_webhooks_mark, tenant_webhooks_unmark_unless

from ..models.webhooks import WebhookDelivery, WebhookEndpoint
from . import signing, transport
from .events import EVENTS, TEST_EVENT

logger = logging.getLogger(__name__)

State = WebhookDelivery.State
Reason = WebhookEndpoint.DisabledReason
EVENT_NAMESPACE = uuid.UUID("6f1c2b0e-4f0a-4d8e-9a53-3b7f4f1d9c21")  # event ids: uuid5 of schema, event id, time
ERROR_MAX = 2000
SEND_BATCH_MAX = 200  # deliveries one run sends at most; the rest wait for the next run
SEND_SECONDS_MAX = 30.0  # a run stops claiming after this long
USER_AGENT = "POS-Webhooks/1"


# --- Endpoints (the owner's pages) ------------------------------------------------------------------------------


def _events_clean(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [name for name in chosen if name not in EVENTS]
    if unknown or not chosen:
        raise ServiceError("webhook.events_invalid", _("Pick one or more of the event types offered."),
                           field="events")  # fmt: skip
    return chosen


def _label(endpoint: WebhookEndpoint) -> str:
    return transport.url_parse(endpoint.url).host if endpoint.url else f"webhook {endpoint.pk}"


def _locked(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise ServiceError("webhook.not_found", _("That webhook endpoint does not exist."), status=NOT_FOUND)
    return endpoint


def webhook_endpoint_create(
    *,
    url: str,
    events: Iterable[str],
    description: str = "",
    actor: User | None,
    idempotency_key: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (for the page to show once). The form sent again (a reload
    of the page that showed the secret) registers nothing more: it gets the first endpoint back, with "".

    The URL is checked against the address rule first, outside any transaction (it looks the host up)."""
    url = url.strip()
    transport.url_check(url)
    chosen = _events_clean(events)
    secret = signing.secret_new()
    made = {}

    def write() -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.create(url=url, description=description.strip()[:200], events=chosen,
                                                  secret=secret, created_by=actor)  # fmt: skip
        audit_record(action=AuditAction.WEBHOOK_CREATE, actor=actor, target=endpoint, label=_label(endpoint),
                     data={"events": chosen})  # fmt: skip
        made["secret"] = secret
        return endpoint

    request = {"url": url, "events": chosen, "description": description.strip()[:200],
               "actor": actor.pk if actor else None}  # fmt: skip
    endpoint = idempotent_write(key=idempotency_key, action="webhook.create", request=request,
                                model=WebhookEndpoint, write=write, required=False)  # fmt: skip
    return endpoint, made.get("secret", "")


def webhook_endpoint_update(
    *, endpoint_id: int, url: str, events: Iterable[str], description: str = "", actor: User | None
) -> WebhookEndpoint:
    """Change the address, the event types or the description. Deliveries already made keep going to the
    endpoint's address as it is when they are sent."""
    url = url.strip()
    transport.url_check(url)
    chosen = _events_clean(events)
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        changed = {name for name, new in (("url", url), ("events", chosen), ("description", description.strip()))
                   if getattr(endpoint, name) != new}  # fmt: skip
        if not changed:
            return endpoint
        endpoint.url, endpoint.events, endpoint.description = url, chosen, description.strip()[:200]
        endpoint.save(update_fields=["url", "events", "description", "updated_at"])
        audit_record(action=AuditAction.WEBHOOK_UPDATE, actor=actor, target=endpoint, label=_label(endpoint),
                     data={"changed": sorted(changed), "events": chosen})  # fmt: skip
    return endpoint


def webhook_endpoint_disable(*, endpoint_id: int, actor: User | None) -> WebhookEndpoint:
    """Turn an endpoint off: no new deliveries are made for it and waiting ones are held until it is on again."""
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint.disabled_at is None:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), Reason.OWNER
            endpoint.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
            audit_record(action=AuditAction.WEBHOOK_DISABLE, actor=actor, target=endpoint, label=_label(endpoint),
                         data={"reason": Reason.OWNER.value})  # fmt: skip
    return endpoint


def webhook_endpoint_enable(*, endpoint_id: int, actor: User | None) -> WebhookEndpoint:
    """Turn an endpoint on again: held deliveries go at the next round, and the day of failures starts afresh."""
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint.disabled_at is not None:
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
            endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since", "updated_at"])
            audit_record(action=AuditAction.WEBHOOK_ENABLE, actor=actor, target=endpoint, label=_label(endpoint))
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: int, actor: User | None) -> None:
    """Remove an endpoint with its delivery log. A delivery being sent right now finishes, and its record is
    then dropped (the conditional update finds no row)."""
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        audit_record(action=AuditAction.WEBHOOK_DELETE, actor=actor, target=endpoint, label=_label(endpoint),
                     data={"events": endpoint.events})  # fmt: skip
        endpoint.delete()


def webhook_secret_rotate(*, endpoint_id: int, actor: User | None) -> str:
    """Make a new secret; returns it (to show once). The one it replaces keeps signing, beside it, for
    WEBHOOKS_SECRET_OVERLAP_HOURS, so the receiver can change over without refusing a delivery. Rotating again
    within the overlap drops the oldest: two secrets at most are ever live."""
    secret = signing.secret_new()
    now = timezone.now()
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(hours=settings.WEBHOOKS_SECRET_OVERLAP_HOURS)
        endpoint.secret, endpoint.secret_rotated_at = secret, now
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "secret_rotated_at",
                                     "updated_at"])  # fmt: skip
        audit_record(action=AuditAction.WEBHOOK_SECRET_ROTATE, actor=actor, target=endpoint, label=_label(endpoint),
                     data={"overlap_until": endpoint.previous_secret_until.isoformat()})  # fmt: skip
    return secret


def secrets_live(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during its overlap."""
    now = now or timezone.now()
    live = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        live.append(endpoint.previous_secret)
    return live


# --- Deliveries: made by the outbox, by the test button, by a replay -------------------------------------------


def _body(event_id: uuid.UUID, event_type: str, created_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(event_id), "type": event_type, "created_at": created_at.isoformat(), "data": data}


def _retry_window(now: datetime) -> datetime:
    return now + timedelta(hours=settings.WEBHOOKS_RETRY_HOURS)


def event_id_for(event: OutboxEvent) -> uuid.UUID:
    """The event's id as receivers see it: the same for every relay of one outbox event, and different across
    tenants (outbox ids are per schema)."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{connection.schema_name}:{event.pk}:{event.created_at.isoformat()}")


def webhook_deliveries_create(event: OutboxEvent) -> int:
    """The outbox subscriber's work: one pending delivery per active endpoint subscribed to the event's type;
    returns how many were new. Runs in the relay's savepoint; a second relay of the event adds none (unique
    endpoint and event id, conflicts ignored)."""
    if event.name not in EVENTS:
        return 0
    endpoints = list(
        WebhookEndpoint.objects.filter(disabled_at__isnull=True, events__contains=[event.name]).values_list(
            "pk", flat=True
        )
    )
    if not endpoints:
        return 0
    event_id, now = event_id_for(event), timezone.now()
    body = _body(event_id, event.name, event.created_at, dict(event.payload))
    made = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=pk,
                event_id=event_id,
                event_type=event.name,
                payload=body,
                created_at=now,
                next_attempt_at=now,
                give_up_at=_retry_window(now),
            )
            for pk in endpoints
        ],  # fmt: skip
        ignore_conflicts=True,
    )
    tenant_webhooks_mark()  # the webhook job must visit (it may have unmarked the business a moment ago)
    return len(made)


def webhook_test_send(*, endpoint_id: int, actor: User | None) -> WebhookDelivery:
    """Queue a `webhook.test` event for one endpoint, due now (beat sends it within seconds); it shows in the
    delivery log like any other."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint.disabled_at is not None:
            raise ServiceError("webhook.disabled", _("Turn the endpoint on before sending it a test event."),
                               status=CONFLICT)  # fmt: skip
        event_id = uuid.uuid4()
        data = {"endpoint": endpoint.pk, "message": "A test event sent from the back office."}
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event_type=TEST_EVENT, payload=_body(event_id, TEST_EVENT, now, data),
            created_at=now, next_attempt_at=now, give_up_at=_retry_window(now),
        )  # fmt: skip


def webhook_delivery_replay(*, delivery_id: int, actor: User | None) -> WebhookDelivery:
    """Send a delivery again now (the same body and event id), whatever became of it; if that attempt fails it is
    retried as a new event would be. Refused while it is being sent, or while its endpoint is off."""
    now = timezone.now()
    with transaction.atomic():
        endpoint_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
        endpoint = _locked(endpoint_id) if endpoint_id is not None else None  # lock order: endpoint, then delivery
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if endpoint is None or delivery is None:
            raise ServiceError("webhook.delivery_not_found", _("That delivery does not exist."), status=NOT_FOUND)
        if endpoint.disabled_at is not None:
            raise ServiceError("webhook.disabled", _("Turn the endpoint on before sending a delivery again."),
                               status=CONFLICT)  # fmt: skip
        if delivery.state == State.SENDING:
            raise ServiceError("webhook.delivery_sending", _("This delivery is being sent right now."),
                               status=CONFLICT)  # fmt: skip
        delivery.state, delivery.next_attempt_at, delivery.give_up_at = State.PENDING, now, _retry_window(now)
        delivery.save(update_fields=["state", "next_attempt_at", "give_up_at"])
    return delivery


# --- Sending (beat) ---------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again: WEBHOOKS_BACKOFF_FIRST_SECONDS
    doubling each time, at most WEBHOOKS_BACKOFF_MAX_SECONDS, each between half and all of that at random
    (jitter: receivers coming back from an outage are not hit by every tenant's retries in the same second)."""
    first, cap = settings.WEBHOOKS_BACKOFF_FIRST_SECONDS, settings.WEBHOOKS_BACKOFF_MAX_SECONDS
    full = min(first * 2 ** min(max(attempts - 1, 0), 30), cap)
    return timedelta(seconds=full / 2 + random.uniform(0, full / 2))  # noqa: S311 - jitter, not a secret


def webhook_send_due(*, limit: int = SEND_BATCH_MAX, seconds: float = SEND_SECONDS_MAX) -> dict[str, int]:
    """Send the current schema's due deliveries; returns counts {"delivered", "retry", "failed"}.

    Safe to run twice at once (each delivery is claimed by one run). Must run outside a transaction: the claim
    commits before the HTTP call, so nothing stays locked while a receiver takes its time. An endpoint that fails
    is left alone for the rest of the run (its other deliveries keep their attempts for the next one)."""
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("webhook_send_due makes HTTP calls: run it outside a transaction")
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    _reclaim_abandoned()
    deadline = time.monotonic() + seconds
    failing: set[int] = set()
    while sum(counts.values()) < limit and time.monotonic() < deadline:
        delivery = _claim(skip=failing)
        if delivery is None:
            break
        outcome = _send(delivery)
        counts[outcome] += 1
        if outcome != "delivered":
            failing.add(delivery.endpoint_id)
    # No endpoint on any more (turned off, removed, or off after failing for a day): stop visiting this business.
    tenant_webhooks_unmark_unless(WebhookEndpoint.objects.filter(disabled_at__isnull=True))
    return counts


def _claim(*, skip: set[int]) -> WebhookDelivery | None:
    """Lock the oldest due delivery of an active endpoint (skipping any another sender holds) and mark it
    sending under a lease, in one short transaction; returns it with its endpoint, or None."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(state=State.PENDING, next_attempt_at__lte=now, endpoint__disabled_at__isnull=True)
            .exclude(endpoint_id__in=skip)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return None
        lease = now + timedelta(seconds=settings.WEBHOOKS_SENDING_LEASE_SECONDS)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=State.SENDING, attempts=F("attempts") + 1, lease_until=lease, last_attempt_at=now
        )
    delivery.state, delivery.attempts, delivery.lease_until, delivery.last_attempt_at = (
        State.SENDING, delivery.attempts + 1, lease, now)  # fmt: skip
    return delivery


def request_headers(delivery: WebhookDelivery, secrets: list[str], timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt (docs/webhooks.md, "Headers")."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "POS-Event-Id": str(delivery.event_id),
        "POS-Event-Type": delivery.event_type,
        "POS-Delivery-Attempt": str(delivery.attempts),
        "POS-Timestamp": str(timestamp),
        "POS-Signature": signing.signature_header(secrets, timestamp, body),
    }


def _send(delivery: WebhookDelivery) -> str:
    """One attempt at a claimed delivery, then its record; returns "delivered", "retry" or "failed"."""
    endpoint = delivery.endpoint
    body = signing.body_encode(delivery.payload)
    timestamp = int(time.time())
    headers = request_headers(delivery, secrets_live(endpoint), timestamp, body)
    status, text, error, duration = None, "", "", None
    started = time.monotonic()
    try:
        target = transport.url_parse(endpoint.url)
        address = transport.resolve(target)
        response = transport.post(target, address, body, headers)
        status, duration = response.status, response.duration_ms
        text = response.body.decode("utf-8", errors="replace")
        if not 200 <= status < 300:
            error = _("The receiver answered %(status)s.") % {"status": status}
            if 300 <= status < 400:
                error += " " + _("Redirects are not followed: register the final address.")
    except ServiceError as refused:
        error = str(refused.summary)
    except Exception as failure:  # refused, reset, timed out, TLS, not HTTP: all a failed attempt
        error = f"{type(failure).__name__}: {failure}"
    if duration is None:
        duration = int((time.monotonic() - started) * 1000)
    return _record(delivery, status=status, body=text.replace("\x00", ""), error=error[:ERROR_MAX], duration=duration)


def _record(delivery: WebhookDelivery, *, status: int | None, body: str, error: str, duration: int) -> str:
    """Write the attempt's outcome on the claim it made (a claim reclaimed or deleted meanwhile is left alone), and
    the endpoint's failing state: cleared by a success; started by a failure; a day of it turns the endpoint off."""
    now = timezone.now()
    ours = WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts)
    answer = {"response_status": status, "response_body": body, "error": error, "duration_ms": duration,
              "lease_until": None}  # fmt: skip
    with transaction.atomic():
        if not error:
            ours.update(state=State.DELIVERED, delivered_at=now, next_attempt_at=None, **answer)
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(
                failing_since=None
            )
            return "delivered"
        if now >= delivery.give_up_at:
            outcome = "failed"
            ours.update(state=State.FAILED, next_attempt_at=None, **answer)
        else:
            outcome = "retry"
            ours.update(state=State.PENDING, next_attempt_at=now + backoff(delivery.attempts), **answer)
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=True).update(failing_since=now)
        _disable_if_failing_too_long(delivery.endpoint_id, now)
    logger.info("Webhook delivery %s attempt %d: %s (%s)", delivery.pk, delivery.attempts, error, outcome)
    return outcome


def _disable_if_failing_too_long(endpoint_id: int, now: datetime) -> bool:
    """Turn the endpoint off when it has failed every attempt for WEBHOOKS_DISABLE_AFTER_HOURS, and e-mail its
    owners, once (the conditional update lets only one sender do it)."""
    cutoff = now - timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)
    turned_off = WebhookEndpoint.objects.filter(
        pk=endpoint_id, disabled_at__isnull=True, failing_since__lte=cutoff
    ).update(disabled_at=now, disabled_reason=Reason.FAILING)
    if not turned_off:
        return False
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    data = {"reason": Reason.FAILING.value, "failing_since": endpoint.failing_since.isoformat()}
    audit_record(action=AuditAction.WEBHOOK_DISABLE, actor=None, target=endpoint, label=_label(endpoint), data=data)
    _owners_tell(endpoint)
    return True


def _owners_tell(endpoint: WebhookEndpoint) -> None:
    owners = sorted(set(users_with("integrations.manage").exclude(email="").values_list("email", flat=True)))
    if not owners:
        logger.warning("Webhook endpoint %s was turned off and no owner has an e-mail address.", endpoint.pk)
        return
    try:
        path = reverse("webhooks:detail", args=[endpoint.pk])
    except NoReverseMatch:  # pragma: no cover - the URLs are always there
        path = ""
    tenant = getattr(connection, "tenant", None)
    page = ""
    if path and tenant is not None and hasattr(tenant, "get_primary_domain"):
        domain = tenant.get_primary_domain()
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        page = f"{settings.SITE_SCHEME}://{domain.domain}{port}{path}" if domain else path
    hours = f"{settings.WEBHOOKS_DISABLE_AFTER_HOURS:g}"
    lines = [
        _("Every attempt to deliver events to this webhook endpoint has failed for %(hours)s hours, so it has "
          "been turned off:") % {"hours": hours},
        "",
        endpoint.url,
        "",
        _("Events that happen while it is off are not kept for it. Fix the receiver, then turn the endpoint on "
          "again in the back office; deliveries still waiting are sent then, and failed ones can be sent again "
          "from its delivery log."),
    ]  # fmt: skip
    if page:
        lines += ["", page]
    mail_queue(to=owners, subject=_("A webhook endpoint was turned off after failing for a day"),
               text="\n".join(lines), kind=Message.Kind.WEBHOOK_DISABLED)  # fmt: skip


def _reclaim_abandoned() -> int:
    """Deliveries left `sending` by a worker that died: due again now (at least once), or failed when their
    retry window has passed."""
    now = timezone.now()
    stale = WebhookDelivery.objects.filter(state=State.SENDING, lease_until__lt=now)
    note = "Interrupted: the sender stopped before the receiver's answer was recorded."
    failed = stale.filter(give_up_at__lte=now).update(state=State.FAILED, next_attempt_at=None, lease_until=None,
                                                      error=note)  # fmt: skip
    again = stale.update(state=State.PENDING, next_attempt_at=now, lease_until=None, error=note)
    return failed + again


def webhook_purge(*, days: float | None = None, batch: int = 1000) -> int:
    """Forget delivered and failed deliveries older than WEBHOOKS_RETENTION_DAYS (daily from beat); returns how
    many went. In batches, each its own statement, so a large log never holds long locks; waiting ones stay."""
    days = settings.WEBHOOKS_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=max(days, 1))
    deleted = 0
    while True:
        old = WebhookDelivery.objects.filter(state__in=(State.DELIVERED, State.FAILED), created_at__lt=cutoff)
        pks = list(old.order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return deleted
        deleted += WebhookDelivery.objects.filter(pk__in=pks).delete()[0]
