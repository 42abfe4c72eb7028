"""What the webhook pages read: endpoints with a summary of their deliveries, and one endpoint's log."""

from django.db.models import Count, Q, QuerySet

from ..models.webhooks import WebhookDelivery, WebhookEndpoint

State = WebhookDelivery.State


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint, oldest first, each with how many deliveries wait and how many failed (one query)."""
    return WebhookEndpoint.objects.annotate(
        waiting=Count("deliveries", filter=Q(deliveries__state__in=(State.PENDING, State.SENDING))),
        failed=Count("deliveries", filter=Q(deliveries__state=State.FAILED)),
    ).order_by("pk")


def webhook_endpoint_get(pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.select_related("created_by").filter(pk=pk).first()


def webhook_delivery_log(*, endpoint: WebhookEndpoint, state: str | None = None) -> QuerySet[WebhookDelivery]:
    """One endpoint's deliveries, newest first (the log index), optionally of one state."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if state:
        deliveries = deliveries.filter(state=state)
    return deliveries.order_by("-created_at", "-id")


def webhook_delivery_counts(*, endpoint: WebhookEndpoint) -> dict[str, int]:
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).values_list("state").annotate(n=Count("id"))
    return dict(rows.order_by())
