"""Webhook deliveries: made by the outbox subscriber, sent by the beat job to a real local receiver, retried with
backoff as time moves, given up after 3 days, endpoints turned off after a day with the owner e-mailed, secrets
rotated with an overlap, replayed; and two senders never sending one delivery twice."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from core.models import OutboxEvent
from core.outbox import event_emit, outbox_relay
from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint
from integrations.webhooks import services
from integrations.webhooks.signing import signature
from mailer.models import Message
from pos_project.errors import ServiceError

from . import webhook_receiver
from .webhook_factories import WebhookDeliveryFactory, WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture
pytestmark = pytest.mark.django_db
State = WebhookDelivery.State


def _emit(name: str = "order.paid", payload: dict | None = None) -> OutboxEvent:
    with transaction.atomic():
        event = event_emit(name, payload or {"order": 42, "currency": "IDR", "total_minor": 125000})
    return OutboxEvent.objects.get(pk=event.pk)


def _send_due() -> dict[str, int]:
    return services.webhook_send_due()


# --- The subscriber ---------------------------------------------------------------------------------------------


def test_the_subscriber_makes_one_delivery_per_subscribed_active_endpoint_and_none_twice(in_tenant):
    paid = WebhookEndpointFactory(events=["order.paid", "shift.closed"])
    also_paid = WebhookEndpointFactory(events=["order.paid"])
    WebhookEndpointFactory(events=["shift.closed"])  # not subscribed
    WebhookEndpointFactory(events=["order.paid"], disabled_at=timezone.now(), disabled_reason="owner")  # off
    event = _emit()

    assert services.webhook_deliveries_create(event) == 2
    # The relay runs it again (a redelivery of the same outbox event): nothing new.
    services.webhook_deliveries_create(event)
    outbox_relay()
    deliveries = WebhookDelivery.objects.order_by("endpoint_id")
    assert [d.endpoint_id for d in deliveries] == [paid.pk, also_paid.pk]
    first = deliveries[0]
    assert first.state == State.PENDING and first.attempts == 0 and first.next_attempt_at <= timezone.now()
    assert first.event_id == deliveries[1].event_id == services.event_id_for(event)
    data = {"order": 42, "currency": "IDR", "total_minor": 125000}
    created = event.created_at.isoformat()
    assert first.payload == {"id": str(first.event_id), "type": "order.paid", "created_at": created, "data": data}
    assert first.give_up_at == first.created_at + timedelta(hours=72)


def test_the_relay_feeds_the_subscriber_and_other_events_make_nothing(in_tenant):
    WebhookEndpointFactory(events=["order.paid"])
    _emit("order.paid")
    _emit("purchase_order.sent", {"purchase_order": 1})  # not offered to webhooks
    outbox_relay()
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["order.paid"]


def test_event_ids_differ_between_events_and_tenants(in_tenant, other_tenant):
    a, b = _emit(), _emit()
    assert services.event_id_for(a) != services.event_id_for(b)
    in_alpha = services.event_id_for(a)
    connection.set_schema(other_tenant.schema)
    assert services.event_id_for(a) != in_alpha  # same outbox id and time, another tenant


# --- Sending, retrying, giving up -------------------------------------------------------------------------------


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try_exactly_once(in_tenant, receiver):
    receiver.answers = [500, 503, 200]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    delivery = WebhookDelivery.objects.get()
    start = timezone.now()

    assert _send_due() == {"delivered": 0, "retry": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.state == State.PENDING and delivery.attempts == 1 and delivery.response_status == 500
    assert delivery.error == "The receiver answered 500."
    # 10 s doubling with jitter: the first retry waits between 5 and 10 s.
    assert timedelta(seconds=5) <= delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=10)
    assert _send_due() == {"delivered": 0, "retry": 0, "failed": 0}  # not due yet: nothing sent
    assert len(receiver.received) == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None

    with time_machine.travel(start + timedelta(seconds=11), tick=True):
        assert _send_due()["retry"] == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_status == 503
    assert timedelta(seconds=10) <= delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=20)

    with time_machine.travel(start + timedelta(seconds=40), tick=True):
        assert _send_due() == {"delivered": 1, "retry": 0, "failed": 0}
        assert _send_due() == {"delivered": 0, "retry": 0, "failed": 0}
    with time_machine.travel(start + timedelta(days=4), tick=True):
        assert _send_due() == {"delivered": 0, "retry": 0, "failed": 0}

    delivery.refresh_from_db()
    assert delivery.state == State.DELIVERED and delivery.attempts == 3 and delivery.response_status == 200
    assert delivery.response_body == '{"ok": true}' and delivery.error == "" and delivery.next_attempt_at is None
    assert [r.headers["POS-Delivery-Attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert len({r.headers["POS-Event-Id"] for r in receiver.received}) == 1
    assert [json.loads(b) for b in receiver.bodies()] == [delivery.payload] * 3
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # the success ends the failing spell


def test_backoff_doubles_with_jitter_up_to_an_hour():
    for attempts, full in [(1, 10), (2, 20), (3, 40), (6, 320), (9, 2560), (10, 3600), (40, 3600)]:
        waits = {services.backoff(attempts).total_seconds() for _ in range(20)}
        assert all(full / 2 <= wait <= full for wait in waits), (attempts, waits)
        assert len(waits) > 1  # jitter


def test_a_delivery_is_failed_after_three_days(in_tenant, receiver):
    receiver.answers = [500]
    WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    delivery = WebhookDelivery.objects.get()
    # Keep the endpoint from being turned off meanwhile, to see the delivery's own limit.
    with time_machine.travel(delivery.created_at + timedelta(hours=72, seconds=1), tick=True):
        WebhookEndpoint.objects.update(failing_since=None)
        assert _send_due() == {"delivered": 0, "retry": 0, "failed": 1}
    delivery.refresh_from_db()
    assert delivery.state == State.FAILED and delivery.next_attempt_at is None and delivery.attempts == 1


def test_redirects_are_not_followed_and_long_answers_are_cut(in_tenant, receiver, settings):
    settings.WEBHOOKS_RESPONSE_MAX_BYTES = 100
    receiver.answers = [302]
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    receiver.reply = b"x" * 5000
    WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    assert _send_due()["retry"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status == 302 and delivery.response_body == "x" * 100
    assert "Redirects are not followed" in delivery.error
    assert len(receiver.received) == 1


def test_a_slow_receiver_times_out_quickly(in_tenant, receiver, settings):
    settings.WEBHOOKS_TOTAL_TIMEOUT = 0.5
    receiver.delay = 2
    WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    assert _send_due()["retry"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_status is None and "TimeoutError" in delivery.error
    assert delivery.duration_ms < 1500


def test_an_endpoint_that_refuses_connections_is_skipped_for_the_rest_of_the_run(in_tenant, receiver):
    dead = WebhookEndpointFactory(url="http://127.0.0.1:9/hooks")  # discard port: nothing listens
    alive = WebhookEndpointFactory(url=receiver.url())
    for _ in range(3):
        services.webhook_deliveries_create(_emit())
    counts = _send_due()
    assert counts == {"delivered": 3, "retry": 1, "failed": 0}
    assert WebhookDelivery.objects.filter(endpoint=dead, attempts=0).count() == 2  # kept for the next run
    assert "ConnectionRefusedError" in WebhookDelivery.objects.get(endpoint=dead, attempts=1).error
    assert WebhookDelivery.objects.filter(endpoint=alive, state=State.DELIVERED).count() == 3


def test_an_abandoned_claim_is_sent_again_after_its_lease(in_tenant, receiver):
    WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    claimed = services._claim(skip=set())  # a worker claims it and dies before sending
    assert claimed.state == State.SENDING
    assert _send_due()["delivered"] == 0  # the lease holds
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        assert _send_due()["delivered"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.DELIVERED and delivery.attempts == 2 and len(receiver.received) == 1


def test_the_sender_refuses_to_run_inside_a_transaction(in_tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.webhook_send_due()


# --- Turned off after a day -------------------------------------------------------------------------------------


def test_an_endpoint_failing_for_a_day_is_turned_off_and_the_owner_e_mailed(in_tenant, receiver):
    receiver.answers = [500]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    start = timezone.now()
    _send_due()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.is_active

    with time_machine.travel(start + timedelta(hours=23), tick=True):
        _send_due()
    endpoint.refresh_from_db()
    assert endpoint.is_active and not Message.objects.filter(kind=Message.Kind.WEBHOOK_DISABLED).exists()

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=True):
        _send_due()
        services.webhook_deliveries_create(_emit())  # an event while it is off: nothing made for it
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "failing"
    mail = Message.objects.get(kind=Message.Kind.WEBHOOK_DISABLED)
    assert mail.to == ["owner@alpha.test"] and endpoint.url in mail.text
    assert f"/backoffice/webhooks/{endpoint.pk}/" in mail.text
    entry = AuditEntry.objects.get(action=AuditAction.WEBHOOK_DISABLE.value, target_id=str(endpoint.pk))
    assert entry.actor_id is None and entry.data["reason"] == "failing"
    assert WebhookDelivery.objects.count() == 1

    # Held while off: later runs send nothing.
    sent = len(receiver.received)
    with time_machine.travel(start + timedelta(hours=30), tick=True):
        assert _send_due() == {"delivered": 0, "retry": 0, "failed": 0}
    assert len(receiver.received) == sent

    # Turned on again: the waiting delivery goes, and the failing spell starts afresh.
    receiver.answers = [200]
    services.webhook_endpoint_enable(endpoint_id=endpoint.pk, actor=in_tenant.users["ADMIN_TENANT"])
    with time_machine.travel(start + timedelta(hours=31), tick=True):
        assert _send_due()["delivered"] == 1
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is None
    assert Message.objects.filter(kind=Message.Kind.WEBHOOK_DISABLED).count() == 1


def test_a_success_within_the_day_keeps_the_endpoint_on(in_tenant, receiver):
    receiver.answers = [500, 200, 500]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    start = timezone.now()
    services.webhook_deliveries_create(_emit())
    _send_due()
    with time_machine.travel(start + timedelta(hours=12), tick=True):
        _send_due()  # delivered: the spell ends
        services.webhook_deliveries_create(_emit())
        _send_due()  # fails: a new spell starts now
    with time_machine.travel(start + timedelta(hours=25), tick=True):
        _send_due()
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since >= start + timedelta(hours=12)


# --- Signing and rotation ---------------------------------------------------------------------------------------


def _signatures(headers: dict[str, str]) -> list[str]:
    return [part.strip()[3:] for part in headers["POS-Signature"].split(",")]


def test_each_attempt_is_signed_over_the_timestamp_and_the_raw_body(in_tenant, receiver):
    endpoint = WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    _send_due()
    got = receiver.received[0]
    timestamp = int(got.headers["POS-Timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 5
    assert _signatures(got.headers) == [signature(endpoint.secret, timestamp, got.body)]
    assert got.headers["Content-Type"] == "application/json" and got.headers["POS-Event-Type"] == "order.paid"
    assert got.path == "/hooks"


def test_after_a_rotation_both_secrets_sign_for_a_day_then_only_the_new_one(in_tenant, receiver):
    owner = in_tenant.users["ADMIN_TENANT"]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    old = endpoint.secret
    new = services.webhook_secret_rotate(endpoint_id=endpoint.pk, actor=owner)
    assert new != old and new.startswith("whsec_")
    rotated_at = timezone.now()
    services.webhook_deliveries_create(_emit())
    _send_due()
    with time_machine.travel(rotated_at + timedelta(hours=24, seconds=1), tick=True):
        services.webhook_deliveries_create(_emit())
        _send_due()

    during, after = receiver.received
    ts = int(during.headers["POS-Timestamp"])
    assert _signatures(during.headers) == [signature(new, ts, during.body), signature(old, ts, during.body)]
    ts = int(after.headers["POS-Timestamp"])
    assert _signatures(after.headers) == [signature(new, ts, after.body)]
    entry = AuditEntry.objects.get(action=AuditAction.WEBHOOK_SECRET_ROTATE.value, target_id=str(endpoint.pk))
    assert old not in json.dumps(entry.data) and new not in json.dumps(entry.data)


def test_rotating_twice_in_the_overlap_keeps_two_secrets_at_most(in_tenant):
    owner = in_tenant.users["ADMIN_TENANT"]
    endpoint = WebhookEndpointFactory()
    first = endpoint.secret
    second = services.webhook_secret_rotate(endpoint_id=endpoint.pk, actor=owner)
    third = services.webhook_secret_rotate(endpoint_id=endpoint.pk, actor=owner)
    endpoint.refresh_from_db()
    assert services.secrets_live(endpoint) == [third, second] and first not in services.secrets_live(endpoint)


# --- Endpoints, test events, replays ----------------------------------------------------------------------------


def test_creating_checks_the_address_and_the_events_and_is_audited(in_tenant, receiver):
    owner = in_tenant.users["ADMIN_TENANT"]
    endpoint, secret = services.webhook_endpoint_create(url=receiver.url(), events=["order.paid", "stock.low"],
                                                        description="Books", actor=owner)  # fmt: skip
    assert endpoint.secret == secret and endpoint.events == ["order.paid", "stock.low"]
    assert endpoint.created_by == owner
    entry = AuditEntry.objects.get(action=AuditAction.WEBHOOK_CREATE.value)
    assert entry.target_id == str(endpoint.pk) and secret not in json.dumps(entry.data)
    for events in ([], ["order.nope"]):
        with pytest.raises(ServiceError) as refused:
            services.webhook_endpoint_create(url=receiver.url(), events=events, actor=owner)
        assert refused.value.code == "webhook.events_invalid"
    assert WebhookEndpoint.objects.count() == 1


def test_deleting_is_audited_and_takes_the_log_with_it(in_tenant):
    owner = in_tenant.users["ADMIN_TENANT"]
    endpoint = WebhookEndpointFactory()
    services.webhook_deliveries_create(_emit())
    services.webhook_endpoint_delete(endpoint_id=endpoint.pk, actor=owner)
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.WEBHOOK_DELETE.value, target_id=str(endpoint.pk)).exists()


def test_a_test_event_goes_out_like_any_other(in_tenant, receiver):
    owner = in_tenant.users["ADMIN_TENANT"]
    endpoint = WebhookEndpointFactory(url=receiver.url())
    delivery = services.webhook_test_send(endpoint_id=endpoint.pk, actor=owner)
    assert _send_due()["delivered"] == 1
    body = json.loads(receiver.received[0].body)
    assert body["type"] == "webhook.test" and body["id"] == str(delivery.event_id)
    assert body["data"]["endpoint"] == endpoint.pk
    services.webhook_endpoint_disable(endpoint_id=endpoint.pk, actor=owner)
    with pytest.raises(ServiceError) as refused:
        services.webhook_test_send(endpoint_id=endpoint.pk, actor=owner)
    assert refused.value.code == "webhook.disabled"


def test_a_replay_sends_the_same_event_again_now(in_tenant, receiver):
    owner = in_tenant.users["ADMIN_TENANT"]
    receiver.answers = [500]
    WebhookEndpointFactory(url=receiver.url())
    services.webhook_deliveries_create(_emit())
    delivery = WebhookDelivery.objects.get()
    with time_machine.travel(delivery.created_at + timedelta(hours=73), tick=True):
        WebhookEndpoint.objects.update(failing_since=None)
        _send_due()
        delivery.refresh_from_db()
        assert delivery.state == State.FAILED
        receiver.answers = [500, 200]
        services.webhook_delivery_replay(delivery_id=delivery.pk, actor=owner)
        assert _send_due()["delivered"] == 1
    delivery.refresh_from_db()
    assert delivery.state == State.DELIVERED and delivery.attempts == 2
    first, again = receiver.received
    assert first.body == again.body and first.headers["POS-Event-Id"] == again.headers["POS-Event-Id"]
    with pytest.raises(ServiceError) as refused:
        services.webhook_delivery_replay(delivery_id=delivery.pk + 1000, actor=owner)
    assert refused.value.code == "webhook.delivery_not_found"


def test_the_purge_forgets_old_delivered_and_failed_deliveries_only(in_tenant):
    endpoint = WebhookEndpointFactory()
    old = timezone.now() - timedelta(days=31)
    keep = [
        WebhookDeliveryFactory(endpoint=endpoint, created_at=old),  # still waiting: kept whatever its age
        WebhookDeliveryFactory(endpoint=endpoint, state=State.DELIVERED, next_attempt_at=None),  # recent
    ]
    WebhookDeliveryFactory(endpoint=endpoint, state=State.DELIVERED, next_attempt_at=None, created_at=old)
    WebhookDeliveryFactory(endpoint=endpoint, state=State.FAILED, next_attempt_at=None, created_at=old)
    assert services.webhook_purge(batch=1) == 2
    assert sorted(WebhookDelivery.objects.values_list("pk", flat=True)) == sorted(d.pk for d in keep)


def test_a_catalog_change_reaches_subscribed_endpoints_through_the_relay(in_tenant):
    """product.updated as the catalog emits it: the relay hands it to the subscriber, which makes the delivery."""
    from catalog.services import category_create, product_create, product_update

    endpoint = WebhookEndpointFactory(events=["product.updated"])
    WebhookEndpointFactory(events=["order.paid"])  # not subscribed
    product = product_create(category=category_create(name="Hooks"), name="Kopi susu", sku="HOOK-1",
                             price_minor=18000)  # fmt: skip
    product_update(product=product, actor=in_tenant.users["ADMIN_TENANT"], category=product.category, sku="HOOK-1",
                   name="Kopi susu gula aren", price_minor=20000)  # fmt: skip
    outbox_relay()
    outbox_relay()  # a second relay makes nothing new
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.endpoint_id for d in deliveries] == [endpoint.pk, endpoint.pk]
    created, changed = (d.payload["data"] for d in deliveries)
    assert created == {"product": product.pk, "changed": ["created"]}
    assert changed["product"] == product.pk and {"name", "price_minor"} <= set(changed["changed"])
