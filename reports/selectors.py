"""What reports read: sums over the roll-up tables (reports/models.py), plus short lists of exceptions.

Every function takes a `Period` (business dates, both ends included) and `outlets`: the outlet ids to include,
or None for all of them. Callers work `outlets` out with the access module (`accounts.access.outlets_of`) and
the outlet picker; these functions never widen it. Figures are integer minor units; rows are plain dicts.

The cost of a roll-up read depends on the days and outlets in the period, not on how many orders there were.
The exception lists (discounts, voids, refunds) read their own rows through partial indexes and stop at
LIST_MAX rows, with the count of all of them from the roll-ups.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.db.models.functions import ExtractIsoWeekDay

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from sales.models import Order, Refund, Shift

from .models import KitchenDay, ModifierDay, PaymentDay, ProductDay, SalesHour, StaffDay, StockDay, TaxDay
from .rollups import ROLLUPS, Rollup, chunks, grouped_sql, params_for

LIST_MAX = 500


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The same number of days just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def weeks_before(self, weeks: int = 1) -> "Period":
        """The same weekdays `weeks` earlier: today against the same weekday last week."""
        return Period(self.start - timedelta(weeks=weeks), self.end - timedelta(weeks=weeks))

    def last_year(self) -> "Period":
        """The same dates a year earlier (29 February falls back to the 28th)."""

        def back(d: date) -> date:
            try:
                return d.replace(year=d.year - 1)
            except ValueError:
                return d.replace(year=d.year - 1, day=28)

        return Period(back(self.start), back(self.end))

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """The instants where the period starts and ends in time zone `tz` (end excluded)."""
        zone = ZoneInfo(tz)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def _at_outlets(qs: QuerySet, outlets: Iterable[int] | None, field: str = "outlet_id") -> QuerySet:
    return qs if outlets is None else qs.filter(**{f"{field}__in": sorted(outlets)})


def _in(qs: QuerySet, period: Period, outlets: Iterable[int] | None) -> QuerySet:
    """Roll-up rows (or rows with a business date) of the period at the outlets."""
    return _at_outlets(qs.filter(business_date__range=(period.start, period.end)), outlets)


def _during(qs: QuerySet, at: str, period: Period, outlets: Iterable[int] | None, field: str = "outlet_id") -> QuerySet:
    """Rows whose instant `at` falls in the period's days in the business's time zone, at the outlets."""
    lo, hi = period.bounds(connection.tenant.timezone)
    return _at_outlets(qs.filter(**{f"{at}__gte": lo, f"{at}__lt": hi}), outlets, field)


# --- Sales --------------------------------------------------------------------------------------------------------

SALES_MEASURES = ("orders", "gross_minor", "discount_minor", "service_charge_minor", "tax_minor", "tax_included_minor",
                  "total_minor", "tips_minor", "line_voids", "line_voided_minor", "voids", "voided_minor", "refunds",
                  "refunded_minor")  # fmt: skip


def _sales_row(row: dict) -> dict:
    """Sums with the figures derived from them: net sales (total less taxes and service charge), net after
    refunds, and the average ticket (total over orders, rounded down)."""
    row = {**row, **{m: row.get(m) or 0 for m in SALES_MEASURES}}
    row["net_minor"] = row["total_minor"] - row["tax_minor"] - row["tax_included_minor"] - row["service_charge_minor"]
    row["average_ticket_minor"] = row["total_minor"] // row["orders"] if row["orders"] else 0
    row["after_refunds_minor"] = row["total_minor"] - row["refunded_minor"]
    return row


def _sales(period: Period, outlets: Iterable[int] | None, until_hour: int | None) -> QuerySet:
    qs = _in(SalesHour.objects.all(), period, outlets)
    return qs if until_hour is None else qs.filter(hour__lt=until_hour)


def sales_totals(*, period: Period, outlets: Iterable[int] | None = None, until_hour: int | None = None) -> dict:
    """The period's sales in one row; `until_hour` counts only the hours before it on each day (today so far
    against the same hours of another day)."""
    return _sales_row(_sales(period, outlets, until_hour).aggregate(**{m: Sum(m) for m in SALES_MEASURES}))


SALES_DIMENSIONS = {
    "day": "business_date",
    "hour": "hour",
    "weekday": "weekday",  # ISO: 1 Monday .. 7 Sunday
    "outlet": "outlet_id",
    "order_type": "order_type",
}


def sales_by(
    *, dimension: str, period: Period, outlets: Iterable[int] | None = None, until_hour: int | None = None
) -> list[dict]:
    """Sales per day, hour, weekday, outlet or order type: one row per value that had any, each with `key`."""
    column = SALES_DIMENSIONS[dimension]
    qs = _sales(period, outlets, until_hour)
    if dimension == "weekday":
        qs = qs.annotate(weekday=ExtractIsoWeekDay("business_date"))
    rows = qs.values(column).annotate(**{m: Sum(m) for m in SALES_MEASURES}).order_by(column)
    return [_sales_row({**row, "key": row[column]}) for row in rows]


# --- Products, modifiers ------------------------------------------------------------------------------------------

PRODUCT_MEASURES = ("quantity", "gross_minor", "discount_minor", "net_minor", "refunded_quantity", "refunded_minor")
PRODUCT_GROUPS = {
    "product": ("product_id",),
    "variant": ("product_id", "variant_id"),
    "category": ("category_id",),
}


def product_sales(
    *, period: Period, outlets: Iterable[int] | None = None, by: str = "product", limit: int | None = None
) -> list[dict]:
    """Units and money per product, variant or category, best sellers (by net) first. `name` is the name it
    was last sold under (categories: their id; the caller names them from the catalog)."""
    keys = PRODUCT_GROUPS[by]
    rows = (
        _in(ProductDay.objects.all(), period, outlets)
        .values(*keys)
        .annotate(name=Max("name"), **{m: Sum(m) for m in PRODUCT_MEASURES})
        .order_by("-net_minor", *keys)
    )
    if limit is not None:
        rows = rows[:limit]
    return [{**row, "key": tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]} for row in rows]


def modifier_sales(*, period: Period, outlets: Iterable[int] | None = None) -> list[dict]:
    rows = (
        _in(ModifierDay.objects.all(), period, outlets)
        .values("modifier_id", "name")
        .annotate(quantity=Sum("quantity"), amount_minor=Sum("amount_minor"))
        .order_by("-quantity", "name")
    )
    return list(rows)


# --- People, payments, taxes --------------------------------------------------------------------------------------

STAFF_MEASURES = ("orders", "total_minor", "net_minor", "discount_minor", "payments", "tips_minor", "refunds",
                  "refunded_minor")  # fmt: skip


def staff_sales(*, period: Period, outlets: Iterable[int] | None = None) -> list[dict]:
    """Per person: the orders they rang up, the payments they took with their tips, the refunds they gave.
    `user_id` only: the caller names people (accounts.selectors), so a deleted account still adds up."""
    rows = (
        _in(StaffDay.objects.all(), period, outlets)
        .values("user_id")
        .annotate(**{m: Sum(m) for m in STAFF_MEASURES})
        .order_by("-net_minor", "user_id")
    )
    return list(rows)


def payment_mix(*, period: Period, outlets: Iterable[int] | None = None) -> list[dict]:
    """Per tender: payments and their amount and tips, refunds given back to it, and the net."""
    rows = (
        _in(PaymentDay.objects.all(), period, outlets)
        .values("tender")
        .annotate(
            payments=Sum("payments"),
            amount_minor=Sum("amount_minor"),
            tips_minor=Sum("tips_minor"),
            refunds=Sum("refunds"),
            refunded_minor=Sum("refunded_minor"),
        )
        .order_by("-amount_minor", "tender")
    )
    return [{**row, "net_minor": row["amount_minor"] - row["refunded_minor"]} for row in rows]


def tax_summary(*, period: Period, outlets: Iterable[int] | None = None) -> list[dict]:
    """Each tax as the orders charged it, inclusive and exclusive apart (and each rate apart, should a rate
    have changed within the period), for filing."""
    rows = (
        _in(TaxDay.objects.all(), period, outlets)
        .values("code", "inclusive", "rate")
        .annotate(name=Max("name"), orders=Sum("orders"), amount_minor=Sum("amount_minor"))
        .order_by("code", "inclusive", "rate")
    )
    return list(rows)


# --- Kitchen, stock -----------------------------------------------------------------------------------------------


def kitchen_times(*, period: Period, outlets: Iterable[int] | None = None) -> list[dict]:
    """Per station: tickets, how many were bumped, their average and longest preparation (seconds), and how
    many were late (past the station's red threshold)."""
    rows = (
        _in(KitchenDay.objects.all(), period, outlets)
        .values("station_id")
        .annotate(
            tickets=Sum("tickets"),
            bumped=Sum("bumped"),
            prep_seconds=Sum("prep_seconds"),
            late=Sum("late"),
            max_prep_seconds=Max("max_prep_seconds"),
        )
        .order_by("station_id")
    )
    return [{**row, "average_seconds": row["prep_seconds"] // row["bumped"] if row["bumped"] else 0} for row in rows]


def stock_usage(
    *, period: Period, outlets: Iterable[int] | None = None, kinds: Iterable[str] | None = None
) -> list[dict]:
    """Per stock item and kind of movement (sale, waste, ...): movements, quantity (signed base units) and value
    (signed minor units at the cost of each movement). Usage is what sales took; waste what was thrown away."""
    qs = _in(StockDay.objects.all(), period, outlets)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    rows = (
        qs.values("item_id", "kind")
        .annotate(movements=Sum("movements"), quantity=Sum("quantity"), value_minor=Sum("value_minor"))
        .order_by("value_minor", "item_id", "kind")
    )
    return list(rows)


# --- Exception lists, read from the orders ------------------------------------------------------------------------


def voids_list(*, period: Period, outlets: Iterable[int] | None = None, limit: int = LIST_MAX) -> list[dict]:
    """Voided orders of the period (by when they were voided), newest first, with who voided and who approved."""
    qs = _during(Order.objects.filter(status=Order.Status.VOIDED), "voided_at", period, outlets)
    return list(
        qs.order_by("-voided_at", "-pk").values(
            "pk",
            "number",
            "business_date",
            "outlet_id",
            "voided_at",
            "total_minor",
            "void_reason",
            voided_by_name=F("voided_by__username"),
            approved_by_name=F("void_approved_by__username"),
        )[:limit]  # fmt: skip
    )


def refunds_list(*, period: Period, outlets: Iterable[int] | None = None, limit: int = LIST_MAX) -> list[dict]:
    """Refunds given in the period, newest first, with the order, tender, reason, who gave and who approved."""
    qs = _during(Refund.objects.all(), "created_at", period, outlets, field="order__outlet_id")
    return list(
        qs.order_by("-created_at", "-pk").values(
            "pk",
            "created_at",
            "tender",
            "amount_minor",
            "reason",
            order_number=F("order__number"),
            order_date=F("order__business_date"),
            outlet_id=F("order__outlet_id"),
            created_by_name=F("created_by__username"),
            approved_by_name=F("approved_by__username"),
        )[:limit]  # fmt: skip
    )


def discounts_list(*, period: Period, outlets: Iterable[int] | None = None, limit: int = LIST_MAX) -> list[dict]:
    """Paid orders of the period that carry a discount (line or order), biggest first, with who rang them up.
    Who approved a discount over the limit is in the audit log (order.discount_approved); `approved_by_name`
    is filled from it for the orders listed."""
    paid = (Order.Status.PAID, Order.Status.REFUNDED)
    qs = _in(Order.objects.filter(discount_minor__gt=0, status__in=paid), period, outlets)
    rows = list(
        qs.order_by("-discount_minor", "-pk").values(
            "pk",
            "number",
            "business_date",
            "outlet_id",
            "subtotal_minor",
            "discount_minor",
            "total_minor",
            "order_discount_kind",
            "order_discount_value",
            created_by_name=F("created_by__username"),
        )[:limit]  # fmt: skip
    )
    approved = AuditEntry.objects.filter(
        action=AuditAction.ORDER_DISCOUNT_APPROVED,
        target_type="sales.order",
        target_id__in=[str(r["pk"]) for r in rows],
    )
    approvals = dict(
        approved
        .order_by("target_id", "-pk")
        .distinct("target_id")
        .values_list("target_id", "actor_username")
    ) if rows else {}  # fmt: skip
    for row in rows:
        row["approved_by_name"] = approvals.get(str(row["pk"]), "")
    return rows


def cash_variance(*, period: Period, outlets: Iterable[int] | None = None, limit: int = LIST_MAX) -> list[dict]:
    """Closed shifts of the period (by when they closed): expected and counted cash and the difference."""
    qs = _during(Shift.objects.filter(status=Shift.Status.CLOSED), "closed_at", period, outlets)
    return list(
        qs.order_by("-closed_at", "-pk").values(
            "pk",
            "outlet_id",
            "opened_at",
            "closed_at",
            "opening_float_minor",
            "expected_cash_minor",
            "counted_cash_minor",
            "variance_minor",
            "close_note",
            register_name=F("register__name"),
            opened_by_name=F("opened_by__username"),
            closed_by_name=F("closed_by__username"),
        )[:limit]  # fmt: skip
    )


def open_tabs(*, outlets: Iterable[int] | None = None, limit: int = 50) -> dict:
    """Open tabs now: how many, their balance, and the oldest `limit` (oldest first, with their age)."""
    qs = _at_outlets(Order.objects.filter(status=Order.Status.OPEN), outlets)
    summary = qs.aggregate(count=Count("pk"), total_minor=Sum("total_minor"), paid_minor=Sum("paid_minor"))
    rows = list(
        qs.order_by("created_at", "pk").values(
            "pk",
            "uid",
            "number",
            "outlet_id",
            "table_label",
            "created_at",
            "total_minor",
            "paid_minor",
            created_by_name=F("created_by__username"),
        )[:limit]  # fmt: skip
    )
    return {
        "count": summary["count"],
        "balance_minor": (summary["total_minor"] or 0) - (summary["paid_minor"] or 0),
        "rows": rows,
    }


# --- Checking the roll-ups ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    table: str
    key: dict
    column: str
    expected: object
    actual: object

    def __str__(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        return f"{self.table} [{key}] {self.column}: orders say {self.expected}, roll-up says {self.actual}"


def rollups_reconcile(*, start: date, end: date, rollups: tuple[Rollup, ...] = ROLLUPS) -> list[Difference]:
    """Every difference, to the last minor unit, between the roll-ups of start..end and the same sums computed
    afresh from the orders (tickets, stock movements). Empty when they agree."""
    differences = []
    with connection.cursor() as cursor:
        for lo, hi in chunks(start, end, 92):
            params = params_for(lo, hi)
            for rollup in rollups:
                keys = rollup.keys
                on = " AND ".join(f"e.{k} = a.{k}" for k in keys)  # keys are never NULL
                differs = " OR ".join(
                    f"COALESCE(e.{m}, 0) IS DISTINCT FROM COALESCE(a.{m}, 0)" for m in rollup.measures
                )
                key_cols = ", ".join(f"COALESCE(e.{k}, a.{k})" for k in keys)
                measure_cols = ", ".join(f"COALESCE(e.{m}, 0), COALESCE(a.{m}, 0)" for m in rollup.measures)
                cursor.execute(
                    f"SELECT {key_cols}, {measure_cols} FROM ({grouped_sql(rollup, list(rollup.sources), 'range')}) e "  # noqa: S608
                    f"FULL OUTER JOIN (SELECT * FROM {rollup.table} WHERE business_date BETWEEN %(start)s AND "
                    f"%(end)s) a ON {on} WHERE {differs}",
                    params,
                )
                for row in cursor.fetchall():
                    key = dict(zip(keys, row[: len(keys)], strict=True))
                    values = row[len(keys) :]
                    for i, m in enumerate(rollup.measures):
                        expected, actual = values[2 * i], values[2 * i + 1]
                        if expected != actual:
                            differences.append(Difference(rollup.table, key, m, expected, actual))
    return differences


def history_start() -> date | None:
    """The first business date anything was sold, voided or refunded on (where a full rebuild starts)."""
    first = Order.objects.aggregate(first=Min("business_date"))["first"]
    return first  # a void or refund is never before its order's day
