"""The integrations app's outbox subscribers (core/outbox.py): each offered event becomes webhook deliveries."""

from core.models import OutboxEvent
from core.outbox import subscriber

from .webhooks.events import EVENTS
from .webhooks.services import webhook_deliveries_create


@subscriber(*EVENTS, name="integrations.webhooks")
def webhooks_deliver(event: OutboxEvent) -> None:
    """One pending delivery row per subscribed endpoint, in the relay's savepoint; beat sends them."""
    webhook_deliveries_create(event)
