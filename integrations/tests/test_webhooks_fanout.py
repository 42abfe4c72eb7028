"""Beat's 10-second webhook job visits only businesses with an endpoint on (Tenant.webhooks_on): 50 businesses
without webhooks cost the worker nothing. The mark follows endpoints saved on and events queued; the job itself
unmarks a business once none is on."""

import pytest
from django.conf import settings
from django.db import connection, transaction

from core.outbox import event_emit
from integrations.webhooks import services
from tenants.models import Tenant
from tenants.selectors import tenant_list_active

from . import webhook_receiver
from .webhook_factories import WebhookEndpointFactory

receiver = webhook_receiver.receiver  # the fixture

pytestmark = pytest.mark.django_db


def _marked() -> bool:
    return Tenant.objects.get(schema_name=connection.schema_name).webhooks_on


def _visited() -> set[str]:
    return set(tenant_list_active(flag="webhooks_on").values_list("schema_name", flat=True))


def test_the_mark_follows_endpoints_on_and_the_job_unmarks_when_none_is(in_tenant, other_tenant, receiver):
    owner = in_tenant.users["ADMIN_TENANT"]
    Tenant.objects.update(webhooks_on=False)
    assert _visited() == set()
    endpoint, _secret = services.webhook_endpoint_create(url=receiver.url(), events=["order.paid"],
                                                         actor=owner)  # fmt: skip
    assert _marked() and _visited() == {connection.schema_name}  # the other business is never visited
    services.webhook_endpoint_disable(endpoint_id=endpoint.pk, actor=owner)
    assert _marked()  # still visited until the job has looked
    services.webhook_send_due()
    assert not _marked() and _visited() == set()
    services.webhook_endpoint_enable(endpoint_id=endpoint.pk, actor=owner)
    assert _marked()
    services.webhook_send_due()
    assert _marked()  # an endpoint is on: stays
    services.webhook_endpoint_delete(endpoint_id=endpoint.pk, actor=owner)
    services.webhook_send_due()
    assert not _marked()


def test_an_event_queued_for_an_endpoint_marks_the_business_again(in_tenant):
    """Belt and braces: whatever unmarked it, a delivery made is a delivery the job will visit for."""
    WebhookEndpointFactory(events=["order.paid"])
    Tenant.objects.update(webhooks_on=False)
    with transaction.atomic():
        event = event_emit("order.paid", {"order": 1, "currency": "IDR", "total_minor": 1000})
    assert services.webhook_deliveries_create(event) == 1
    assert _marked()


def test_the_beat_entry_asks_for_marked_businesses_only():
    entry = settings.CELERY_BEAT_SCHEDULE["send-webhooks-every-10-seconds"]
    assert entry["kwargs"]["flag"] == "webhooks_on"
    with pytest.raises(ValueError, match="unknown tenant flag"):
        tenant_list_active(flag="is_active")
