"""What the owner's dashboard reads: the first-run checklist, the audit feed as sentences, and today's figures.

The back office sits at the top of the layers: it reads the other apps through their selectors (and reports'
roll-ups through `reports.selectors`), and owns no table of its own.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_approver_ids, audit_sentence
from accounts.selectors import audit_list, audit_search, staff_list
from business.selectors import tax_list
from catalog.selectors import product_list
from kitchen.selectors import tickets_late
from reports.selectors import (
    Period,
    cash_variance,
    discounts_list,
    open_tabs,
    payment_mix,
    product_sales,
    refunds_list,
    sales_by,
    sales_totals,
    voids_list,
)
from sales.models import Payment
from sales.selectors import shift_list_recent


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: Promise
    hint: Promise
    done: bool
    url: str


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem]

    @property
    def done(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)


def setup_checklist(*, user) -> Checklist:
    """A new business's first steps, each read from real data in one query: a product on the menu, its taxes (a
    tax added, or the sales settings saved by someone who charges none), a second person on the staff, and a
    first shift opened at a till. `user` (the viewer, who always exists) anchors the one-row query."""
    done = (
        staff_list()
        .filter(pk=user.pk)
        .annotate(
            products=Exists(product_list(archived=False)),
            taxes=Exists(tax_list(active_only=False))
            | Exists(audit_search(action=AuditAction.SETTINGS_SALES_UPDATE.value)),
            # A second active person: the staff list from its second row on (OFFSET 1) is not empty.
            staff=Exists(staff_list().filter(is_active=True)[1:]),
            till=Exists(shift_list_recent(limit=None)),
        )
        .values("products", "taxes", "staff", "till")
        .first()
    ) or {}
    items = [
        ChecklistItem(
            key="products",
            label=_("Add your products"),
            hint=_("Categories, prices and options: what the till sells."),
            done=bool(done.get("products")),
            url=reverse("catalog:product_create"),
        ),
        ChecklistItem(
            key="taxes",
            label=_("Set your taxes"),
            hint=_("Add each tax you charge (PB1, PPN...), or save the sales settings if you charge none."),
            done=bool(done.get("taxes")),
            url=reverse("business:sales_settings"),
        ),
        ChecklistItem(
            key="staff",
            label=_("Add your staff"),
            hint=_("Give cashiers and supervisors their own accounts and PINs."),
            done=bool(done.get("staff")),
            url=reverse("accounts:staff_index"),
        ),
        ChecklistItem(
            key="till",
            label=_("Open the till"),
            hint=_("Open the first shift on a register, with the cash in its drawer."),
            done=bool(done.get("till")),
            url=reverse("sales:shift_open"),
        ),
    ]
    return Checklist(items=items)


@dataclass(frozen=True)
class FeedLine:
    sentence: str
    at: datetime
    action: str


def audit_feed(*, limit: int = 8) -> list[FeedLine]:
    """The latest audit entries as sentences, approvers named (two queries whatever the entries say)."""
    entries = list(
        audit_list(limit=limit).only(
            "action", "actor_username", "target_type", "target_id", "target_label", "data", "created_at"
        )  # fmt: skip
    )
    ids = audit_approver_ids(entries)
    names = dict(staff_list().filter(pk__in=sorted(ids)).values_list("pk", "username")) if ids else {}
    return [FeedLine(sentence=audit_sentence(e, names), at=e.created_at, action=e.action) for e in entries]


# --- Today's figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    """A figure today so far and at the same time on the same weekday last week."""

    now: int
    before: int

    @property
    def change_percent(self) -> int | None:
        """Whole percent up or down; None when last week had nothing to compare with."""
        if not self.before:
            return None
        return round((self.now - self.before) * 100 / abs(self.before))


@dataclass(frozen=True)
class HourBar:
    hour: int
    now: int
    before: int
    is_current: bool


@dataclass
class Today:
    date: date
    until_hour: int  # figures count the hours before this one (the current hour included)
    totals: dict
    totals_before: dict
    net: Compared
    orders: Compared
    average_ticket: Compared
    hours: list[HourBar]
    products: list[dict]
    payments: list[dict]
    discounts: list[dict]
    voids: list[dict]
    refunds: list[dict]
    tabs: dict
    shifts: list[dict]
    variance_minor: int

    @property
    def has_sales(self) -> bool:
        """Anything to show: a sale, void or refund today or on the day compared with, or an open tab."""
        return bool(
            self.totals["orders"] or self.totals_before["orders"] or self.totals["voids"] or self.totals["refunds"]
            or self.tabs["count"] or self.shifts
        )  # fmt: skip


LIST_SHORT = 5


def _hour_bars(now_rows: list[dict], before_rows: list[dict], *, current: int, value: str = "net_minor"):
    """Sales per hour today against the same weekday last week (the whole of that day, so the owner sees the
    hours still to come): one bar pair per hour from the first to the last hour either day sold in."""
    now_by = {row["key"]: row[value] for row in now_rows}
    before_by = {row["key"]: row[value] for row in before_rows}
    hours = set(now_by) | set(before_by)
    if not hours:
        return []
    first, last = min(hours), max(hours)
    if first <= current <= 23:
        last = max(last, min(current, 23))
    return [
        HourBar(
            hour=hour,
            now=now_by.get(hour, 0),
            before=before_by.get(hour, 0),
            is_current=hour == current,
        )
        for hour in range(first, last + 1)
    ]


def dashboard_today(
    *, outlets: Iterable[int] | None, outlet_names: dict[int, str] | None = None, now: datetime | None = None
) -> Today:
    """Today so far in the business's time zone, for `outlets` (ids, or None: all), against the same weekday
    last week up to the same hour. Read from the roll-ups (reports.selectors): the number of queries is the same
    whatever the number of orders (13). With `outlet_names` (several outlets shown), each void, refund and
    closed shift says its outlet."""
    now = (now or timezone.now()).astimezone(ZoneInfo(connection.tenant.timezone))
    day = Period(now.date(), now.date())
    week_before = day.weeks_before(1)
    until = now.hour + 1
    totals = sales_totals(period=day, outlets=outlets, until_hour=until)
    totals_before = sales_totals(period=week_before, outlets=outlets, until_hour=until)
    tabs = open_tabs(outlets=outlets, limit=LIST_SHORT)
    shifts = cash_variance(period=day, outlets=outlets, limit=20)
    return Today(
        date=day.start,
        until_hour=until,
        totals=totals,
        totals_before=totals_before,
        net=Compared(totals["net_minor"], totals_before["net_minor"]),
        orders=Compared(totals["orders"], totals_before["orders"]),
        average_ticket=Compared(totals["average_ticket_minor"], totals_before["average_ticket_minor"]),
        hours=_hour_bars(
            sales_by(dimension="hour", period=day, outlets=outlets),
            sales_by(dimension="hour", period=week_before, outlets=outlets),
            current=now.hour,
        ),
        products=product_sales(period=day, outlets=outlets, by="product", limit=LIST_SHORT),
        payments=[
            {**row, "tender_label": _tender_label(row["tender"])}
            for row in _with_share(payment_mix(period=day, outlets=outlets), "net_minor")
        ],
        discounts=_named(discounts_list(period=day, outlets=outlets, limit=LIST_SHORT), outlet_names),
        voids=_named(voids_list(period=day, outlets=outlets, limit=LIST_SHORT), outlet_names),
        refunds=_named(refunds_list(period=day, outlets=outlets, limit=LIST_SHORT), outlet_names),
        tabs=tabs,
        shifts=_named(shifts, outlet_names),
        variance_minor=sum(s["variance_minor"] or 0 for s in shifts),
    )


def _with_share(rows: list[dict], value: str) -> list[dict]:
    """Each row's part of the whole, in whole percent (a payment mix's bars)."""
    whole = sum(max(row[value], 0) for row in rows)
    return [{**row, "share_percent": round(max(row[value], 0) * 100 / whole) if whole else 0} for row in rows]


def _named(rows: list[dict], outlet_names: dict[int, str] | None) -> list[dict]:
    return [{**row, "outlet_name": outlet_names.get(row["outlet_id"], "")} for row in rows] if outlet_names else rows


_TENDERS = {Payment.Tender.CASH: _("Cash"), Payment.Tender.CARD: _("Card"), Payment.Tender.QR: _("QR")}


def _tender_label(tender: str) -> str:
    return str(_TENDERS.get(tender, tender))  # a tender since retired: its stored value


# --- The supervisor console's day ---------------------------------------------------------------------------------


@dataclass
class Day:
    """What a supervisor watches during service at their outlets."""

    date: date
    until_hour: int
    net: Compared
    orders: Compared
    average_ticket: Compared
    tabs: dict
    voids: list[dict]
    refunds: list[dict]
    late: list
    list_max: int


DAY_LIST = 10


def supervisor_day(
    *, outlets: Iterable[int] | None, outlet_names: dict[int, str] | None = None, now: datetime | None = None
) -> Day:
    """Sales so far (against the same weekday last week), open tabs oldest first, today's voids and refunds with
    who approved them, and kitchen tickets past their station's red threshold, for `outlets` (ids; None: all).
    Seven queries whatever the number of orders."""
    now = (now or timezone.now()).astimezone(ZoneInfo(connection.tenant.timezone))
    day = Period(now.date(), now.date())
    until = now.hour + 1
    totals = sales_totals(period=day, outlets=outlets, until_hour=until)
    before = sales_totals(period=day.weeks_before(1), outlets=outlets, until_hour=until)
    tabs = open_tabs(outlets=outlets, limit=DAY_LIST)
    tabs["rows"] = [{**row, "balance_minor": row["total_minor"] - row["paid_minor"]}
                    for row in _named(tabs["rows"], outlet_names)]  # fmt: skip
    return Day(
        date=day.start,
        until_hour=until,
        net=Compared(totals["net_minor"], before["net_minor"]),
        orders=Compared(totals["orders"], before["orders"]),
        average_ticket=Compared(totals["average_ticket_minor"], before["average_ticket_minor"]),
        tabs=tabs,
        voids=_named(voids_list(period=day, outlets=outlets, limit=DAY_LIST), outlet_names),
        refunds=_named(refunds_list(period=day, outlets=outlets, limit=DAY_LIST), outlet_names),
        late=tickets_late(outlet_ids=outlets, now=now, limit=DAY_LIST),
        list_max=DAY_LIST,
    )
