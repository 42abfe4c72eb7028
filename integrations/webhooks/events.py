"""The event types an endpoint may subscribe to: the one list the subscriber, the form and the docs read.

Each is an outbox event (core/outbox.py) whose payload goes out as the body's `data` unchanged: ids, amounts in
minor units with the currency, codes; never personal data. docs/webhooks.md describes each one's fields."""

from django.utils.translation import gettext_lazy as _

# name -> what it means, for the owner picking event types
EVENTS: dict[str, str] = {
    "order.paid": _("An order is paid in full"),
    "order.refunded": _("Money is given back on an order (in part or in full)"),
    "order.voided": _("An open order is voided"),
    "shift.closed": _("A shift is closed, with its cash count"),
    "stock.low": _("A stock item falls to or below its reorder point"),
    "transfer.received": _("A stock transfer between outlets is received"),
    "product.updated": _("A product is created or changed in the catalog"),
}

# Sent only by the owner's "Send a test event" button, never by the outbox.
TEST_EVENT = "webhook.test"


def event_choices() -> list[tuple[str, str]]:
    return [(name, f"{name}: {description}") for name, description in EVENTS.items()]
