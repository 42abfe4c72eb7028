import hashlib

from django.db.models import Count, Max, QuerySet

from .models import Ticket


def tickets_open(*, outlet_id: int) -> QuerySet[Ticket]:
    """Tickets still to prepare at an outlet, in arrival order, with their lines and station (3 queries)."""
    return (
        Ticket.objects.filter(station__outlet_id=outlet_id, status=Ticket.Status.NEW)
        .select_related("station")
        .prefetch_related("lines")
        .order_by("created_at", "pk")
    )


def tickets_recently_bumped(*, outlet_id: int, limit: int = 5) -> QuerySet[Ticket]:
    return Ticket.objects.filter(station__outlet_id=outlet_id, status=Ticket.Status.BUMPED).order_by("-bumped_at")[
        :limit
    ]


def display_version(*, outlet_id: int) -> str:
    """A fingerprint of the outlet's tickets in one small query: unchanged fingerprint, unchanged display."""
    row = Ticket.objects.filter(station__outlet_id=outlet_id).aggregate(
        last=Max("pk"), bumped=Max("bumped_at"), open=Count("pk", filter=None)
    )
    new_count = Ticket.objects.filter(station__outlet_id=outlet_id, status=Ticket.Status.NEW).count()
    raw = f"{row['last']}|{row['bumped']}|{row['open']}|{new_count}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
