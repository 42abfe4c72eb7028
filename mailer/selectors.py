"""Reads of the mail outbox: the owner's e-mail log."""

from django.db.models import Count, Prefetch, QuerySet

from .models import Attachment, Message, Subscription

LOG_FIELDS = ("kind", "to", "subject", "status", "attempts", "next_attempt_at", "last_attempt_at", "last_error",
              "created_at", "sent_at")  # fmt: skip


def message_log(*, status: str | None = None) -> QuerySet[Message]:
    """Messages newest first, without their bodies, with their attachments' names (one query more)."""
    messages = Message.objects.only(*LOG_FIELDS).order_by("-created_at", "-pk")
    if status:
        messages = messages.filter(status=status)
    return messages.prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.only("message_id", "filename").order_by("pk"))
    )


def message_counts() -> dict[str, int]:
    """How many messages there are in each status (for the filter's tabs)."""
    rows = Message.objects.values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


def subscribed_kinds(*, user) -> set[str]:
    return set(Subscription.objects.filter(user=user).values_list("kind", flat=True))


def subscriber_ids(*, kind: str) -> set[int]:
    """The ids of the people who asked for e-mails of `kind` (the caller checks who may still get them)."""
    return set(Subscription.objects.filter(kind=kind).values_list("user_id", flat=True))


def keys_taken(keys: list[str]) -> set[str]:
    """Which of `keys` a queued (or sent, or failed) message already has."""
    return set(Message.objects.filter(key__in=keys).values_list("key", flat=True))
