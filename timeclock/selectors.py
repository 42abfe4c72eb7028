"""Reading the time clock: a card's minutes, and the owner's timesheet (hours per person per day)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import TimeBreak, TimeCard

MAX_DAYS = 62  # two months on one page and in one CSV


def card_minutes(card: TimeCard, breaks: list[TimeBreak], *, now: datetime) -> tuple[int, int]:
    """(worked, on break) in whole minutes: from clocking in to clocking out (or now), less the breaks (an open
    one counts up to then too)."""
    end = card.clock_out_at or now
    on_break = sum(
        (max((b.ended_at or end) - b.started_at, timedelta(0)) for b in breaks), timedelta(0)
    ).total_seconds()
    length = max((end - card.clock_in_at).total_seconds(), 0)
    return int(max(length - on_break, 0) // 60), int(on_break // 60)


def cards_open() -> QuerySet[TimeCard]:
    """Who is clocked in now (working or on a break), earliest first."""
    return TimeCard.objects.exclude(status=TimeCard.Status.CLOSED).select_related("user").order_by("clock_in_at")


def card_open_for(user_id: int) -> TimeCard | None:
    return TimeCard.objects.exclude(status=TimeCard.Status.CLOSED).filter(user_id=user_id).first()


@dataclass
class TimesheetRow:
    """One person: minutes worked per day (the day a card started on, in the business's time zone)."""

    user_id: int
    name: str
    username: str
    days: dict[date, int] = field(default_factory=dict)
    break_minutes: dict[date, int] = field(default_factory=dict)
    cards: dict[date, int] = field(default_factory=dict)
    still_open: set[date] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.days.values())


@dataclass
class Timesheet:
    start: date
    end: date
    dates: list[date]
    rows: list[TimesheetRow]


def timesheet(*, start: date, end: date, zone: ZoneInfo, now: datetime | None = None) -> Timesheet:
    """Hours per person per day from `start` to `end` (inclusive, at most MAX_DAYS), in two queries. A card
    counts on the day it started (a night shift past midnight stays on its evening); a card still open counts
    up to now and is marked."""
    now = now or timezone.now()
    end = min(end, start + timedelta(days=MAX_DAYS - 1))
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    cards = (
        TimeCard.objects.filter(clock_in_at__gte=since, clock_in_at__lt=until)
        .select_related("user")
        .prefetch_related(Prefetch("breaks", queryset=TimeBreak.objects.order_by("started_at")))
        .order_by("clock_in_at")
    )
    rows: dict[int, TimesheetRow] = {}
    for card in cards:
        row = rows.get(card.user_id)
        if row is None:
            row = rows[card.user_id] = TimesheetRow(card.user_id, str(card.user), card.user.username)
        day = card.clock_in_at.astimezone(zone).date()
        worked, on_break = card_minutes(card, list(card.breaks.all()), now=now)
        row.days[day] = row.days.get(day, 0) + worked
        row.break_minutes[day] = row.break_minutes.get(day, 0) + on_break
        row.cards[day] = row.cards.get(day, 0) + 1
        if card.clock_out_at is None:
            row.still_open.add(day)
    dates = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return Timesheet(start=start, end=end, dates=dates, rows=sorted(rows.values(), key=lambda r: r.name.lower()))
