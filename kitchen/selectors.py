import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Aggregate, Avg, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from accounts.access import outlet_filter

from .models import Station, Ticket

EXPO_WINDOW = timedelta(hours=12)


def tickets_open(*, outlet_id: int, station_id: int | None = None) -> QuerySet[Ticket]:
    """Tickets still to prepare, rush first, then in arrival order, with lines and station (2 queries)."""
    tickets = Ticket.objects.filter(station__outlet_id=outlet_id, status=Ticket.Status.NEW)
    if station_id is not None:
        tickets = tickets.filter(station_id=station_id)
    return tickets.select_related("station").prefetch_related("lines").order_by("-is_rush", "created_at", "pk")


def ticket_list(
    *, outlet_id: int | None = None, station_id: int | None = None, status: str = "", user=None
) -> QuerySet[Ticket]:
    """Tickets of every state for a reader (the JSON API), with their lines, oldest first; with `user`, only at
    the outlets that person works at (accounts.access.outlets_of). Two queries whatever their number."""
    tickets = Ticket.objects.select_related("station").prefetch_related("lines")
    if outlet_id is not None:
        tickets = tickets.filter(station__outlet_id=outlet_id)
    if station_id is not None:
        tickets = tickets.filter(station_id=station_id)
    if status:
        tickets = tickets.filter(status=status)
    if user is not None:
        tickets = outlet_filter(tickets, user, field="station__outlet_id")
    return tickets.order_by("created_at", "pk")


def tickets_late(*, outlet_ids=None, now: datetime | None = None, limit: int = 10) -> list[Ticket]:
    """Tickets still to prepare past their station's red threshold, oldest first, with their station: the
    supervisor console's "late in the kitchen". `outlet_ids` None: every outlet. One query."""
    now = now or timezone.now()
    tickets = Ticket.objects.filter(
        status=Ticket.Status.NEW, created_at__lt=now - F("station__red_after_minutes") * timedelta(minutes=1)
    )
    if outlet_ids is not None:
        tickets = tickets.filter(station__outlet_id__in=sorted(outlet_ids))
    return list(tickets.select_related("station").order_by("created_at", "pk")[:limit])


def tickets_recently_bumped(*, outlet_id: int, station_id: int | None = None, limit: int = 5) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(station__outlet_id=outlet_id, status=Ticket.Status.BUMPED)
    if station_id is not None:
        tickets = tickets.filter(station_id=station_id)
    return tickets.select_related("station").order_by("-bumped_at", "-pk")[:limit]


def display_version(*, outlet_id: int, station_id: int | None = None) -> str:
    """A fingerprint of what a display shows, in one small query: unchanged fingerprint, unchanged display.
    Every change to a ticket (new, bumped, recalled, a line done or voided, rush) moves `changed_at`."""
    tickets = Ticket.objects.filter(station__outlet_id=outlet_id)
    if station_id is not None:
        tickets = tickets.filter(station_id=station_id)
    row = tickets.aggregate(
        last=Max("pk"), changed=Max("changed_at"), open=Count("pk", filter=Q(status=Ticket.Status.NEW))
    )
    raw = f"{station_id}|{row['last']}|{row['changed']}|{row['open']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def orders_ready(*, outlet_id: int, order_ids: list[int] | None = None) -> list[int]:
    """Orders whose every ticket is bumped (all stations done) and not yet handed over: ready to hand over. One
    query. Handed over at the expo (`order_hand_over`) counts at once, before sales hears of it (the outbox)."""
    rows = Ticket.objects.filter(station__outlet_id=outlet_id)
    if order_ids is not None:
        rows = rows.filter(order_id__in=order_ids)
    rows = rows.values("order_id").annotate(
        open=Count("pk", filter=models.Q(status=Ticket.Status.NEW)),
        waiting=Count("pk", filter=models.Q(handed_over_at__isnull=True)),
    )
    return [row["order_id"] for row in rows if row["open"] == 0 and row["waiting"] > 0]


@dataclass(frozen=True)
class AllDay:
    """One item of the all-day counts: how many are still to make across the open tickets shown."""

    name: str
    quantity: int


def all_day_counts(tickets: list[Ticket]) -> list[AllDay]:
    """How many of each item are still to make across `tickets` (a display's open tickets, lines prefetched),
    most first: lines struck out (VOID) or ticked made do not count. Counted from the rows the display has
    already read, so it costs no query; it is rendered in the shared tickets partial (one render per version)."""
    counts: dict[str, int] = {}
    for ticket in tickets:
        for line in ticket.lines.all():
            if not (line.is_voided or line.is_done):
                counts[line.name] = counts.get(line.name, 0) + line.quantity
    return [AllDay(name, quantity) for name, quantity in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass
class ExpoOrder:
    order_id: int
    number: int
    order_type: str
    table_label: str
    customer_name: str
    first_at: datetime
    is_rush: bool = False
    parts: list[Ticket] = field(default_factory=list)

    @property
    def order_type_label(self) -> str:
        from .models import ORDER_TYPE_LABELS

        return ORDER_TYPE_LABELS.get(self.order_type, self.order_type)

    @property
    def is_ready(self) -> bool:
        return all(t.status == Ticket.Status.BUMPED for t in self.parts)

    @property
    def done_count(self) -> int:
        return sum(t.status == Ticket.Status.BUMPED for t in self.parts)


def expo_orders(*, outlet_id: int, now: datetime | None = None) -> list[ExpoOrder]:
    """Every order at the pass (sent, not yet handed over), with each station's part: ready ones first, then
    rush, then oldest. One query."""
    since = (now or timezone.now()) - EXPO_WINDOW
    tickets = (
        Ticket.objects.filter(station__outlet_id=outlet_id, handed_over_at__isnull=True, created_at__gte=since)
        .select_related("station")
        .order_by("created_at", "pk")
    )
    orders: dict[int, ExpoOrder] = {}
    for ticket in tickets:
        order = orders.get(ticket.order_id)
        if order is None:
            order = orders[ticket.order_id] = ExpoOrder(
                order_id=ticket.order_id,
                number=ticket.order_number,
                order_type=ticket.order_type,
                table_label=ticket.table_label,
                customer_name=ticket.customer_name,
                first_at=ticket.created_at,
            )
        order.is_rush = order.is_rush or ticket.is_rush
        order.parts.append(ticket)
    return sorted(orders.values(), key=lambda o: (not o.is_ready, not o.is_rush, o.first_at))


def expo_version(*, outlet_id: int) -> str:
    row = Ticket.objects.filter(station__outlet_id=outlet_id).aggregate(last=Max("pk"), changed=Max("changed_at"))
    return hashlib.sha256(f"expo|{row['last']}|{row['changed']}".encode()).hexdigest()[:16]


def station_list(*, outlet_id: int) -> QuerySet[Station]:
    return (
        Station.objects.filter(outlet_id=outlet_id)
        .prefetch_related("categories", "products")
        .order_by("sort_order", "name")
    )


# --- Metrics --------------------------------------------------------------------------------------------


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont over an interval (continuous: interpolates, like most reports do)."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.DurationField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=percentile, **extra)


@dataclass(frozen=True)
class StationMetrics:
    station: Station
    tickets: int
    bumped: int
    avg_prep: timedelta | None
    p90_prep: timedelta | None
    late: int
    per_hour: float


@dataclass(frozen=True)
class KitchenMetrics:
    start: datetime
    end: datetime
    stations: list[StationMetrics]
    hours: list[tuple[datetime, int]]  # tickets created per hour, all stations

    @property
    def total_tickets(self) -> int:
        return sum(s.tickets for s in self.stations)

    @property
    def total_late(self) -> int:
        return sum(s.late for s in self.stations)


def kitchen_metrics(*, outlet_id: int, start: datetime, end: datetime, now: datetime | None = None) -> KitchenMetrics:
    """Per station: tickets, average and 90th-percentile preparation time (sent → bumped), and late tickets
    (bumped after the station's red threshold, or still open past it). Three queries whatever the volume."""
    now = now or timezone.now()
    prep = F("bumped_at") - F("created_at")
    red = F("station__red_after_minutes") * timedelta(minutes=1)
    tickets = Ticket.objects.filter(station__outlet_id=outlet_id, created_at__gte=start, created_at__lt=end)
    rows = {
        row["station_id"]: row
        for row in tickets.values("station_id").annotate(
            tickets=Count("pk"),
            first=Min("created_at"),
            last=Max("created_at"),
            bumped=Count("pk", filter=Q(bumped_at__isnull=False)),
            avg_prep=Avg(prep, filter=Q(bumped_at__isnull=False)),
            p90_prep=Percentile(prep, 0.9, filter=Q(bumped_at__isnull=False)),
            late=Count(
                "pk",
                filter=Q(bumped_at__isnull=False, bumped_at__gt=F("created_at") + red)
                | Q(bumped_at__isnull=True, created_at__lt=now - red),
            ),
        )
    }

    def per_hour(row: dict) -> float:
        """Tickets over the station's working span that day (first to last ticket, at least an hour)."""
        if not row:
            return 0.0
        hours = max((row["last"] - row["first"]).total_seconds() / 3600, 1.0)
        return round(row["tickets"] / hours, 1)

    stations = [
        StationMetrics(
            station=station,
            tickets=rows.get(station.pk, {}).get("tickets", 0),
            bumped=rows.get(station.pk, {}).get("bumped", 0),
            avg_prep=rows.get(station.pk, {}).get("avg_prep"),
            p90_prep=rows.get(station.pk, {}).get("p90_prep"),
            late=rows.get(station.pk, {}).get("late", 0),
            per_hour=per_hour(rows.get(station.pk, {})),
        )
        for station in Station.objects.filter(outlet_id=outlet_id).order_by("sort_order", "name")
    ]
    hours = [
        (row["hour"], row["n"])
        for row in tickets.annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by("hour")
    ]
    return KitchenMetrics(start=start, end=end, stations=stations, hours=hours)
