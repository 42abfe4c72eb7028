import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from integrations.models.webhooks import WebhookDelivery, WebhookEndpoint
from integrations.webhooks.signing import secret_new


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint on order.paid (its URL is not checked: tests point it at their receiver)."""

    class Meta:
        model = WebhookEndpoint

    url = "http://127.0.0.1:9/hooks"
    events = factory.LazyFunction(lambda: ["order.paid"])
    secret = factory.LazyFunction(secret_new)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """A pending order.paid delivery, due now."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "order.paid"
    payload = factory.LazyAttribute(lambda d: {"id": str(d.event_id), "type": d.event_type, "data": {}})
    next_attempt_at = factory.LazyFunction(timezone.now)
    give_up_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))
