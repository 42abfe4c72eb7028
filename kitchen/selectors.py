import hashlib

from django.db import models
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


def orders_ready(*, outlet_id: int, order_ids: list[int] | None = None) -> list[int]:
    """Orders whose every ticket is bumped (all stations done): ready to hand over. One query."""
    rows = Ticket.objects.filter(station__outlet_id=outlet_id)
    if order_ids is not None:
        rows = rows.filter(order_id__in=order_ids)
    rows = rows.values("order_id").annotate(
        open=Count("pk", filter=models.Q(status=Ticket.Status.NEW)), total=Count("pk")
    )
    return [row["order_id"] for row in rows if row["open"] == 0 and row["total"] > 0]


def station_list(*, outlet_id: int) -> QuerySet:
    from .models import Station

    return Station.objects.filter(outlet_id=outlet_id).prefetch_related("categories").order_by("sort_order", "name")
