"""Stock reports: what is on the shelves and what it is worth, every movement of it, and what runs low.

Reads only. A row's value is quantity × unit cost rounded once to minor units (`round_minor`, half away from
zero). Outlet totals are the sums of those rounded row values, summed in the database with ROUND (half away
from zero for numeric in PostgreSQL too), so a total always equals the sum of the rows the same filters list
and the CSV exports.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal

from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Round
from django.utils import timezone

from accounts.access import outlet_filter, outlets_of
from pos_project.money import round_minor

from ..models import GoodsReceipt, StockItem, StockLevel, StockMovement

# At or below a reorder point that is set, or below zero whatever the reorder point.
LOW = Q(reorder_point__gt=0, quantity__lte=F("reorder_point")) | Q(quantity__lt=0)
LOW_STOCK_DIGEST_MAX = 500  # rows in one e-mail; the rest is a link away


class Status:
    NEGATIVE = "negative"
    LOW = "low"
    OK = "ok"


def level_status(level: StockLevel) -> str:
    if level.quantity < 0:
        return Status.NEGATIVE
    if level.reorder_point > 0 and level.quantity <= level.reorder_point:
        return Status.LOW
    return Status.OK


def level_value_minor(level: StockLevel) -> int:
    return round_minor(level.quantity * level.item.cost)


# --- Stock on hand -------------------------------------------------------------------------------------------


def _stock_levels(
    *,
    outlet_id: int | None = None,
    category_id: int | None = None,
    kind: str = "",
    query: str = "",
    below_reorder: bool = False,
    user=None,
    item_id: int | None = None,
) -> QuerySet[StockLevel]:
    # An archived item drops off the list once nothing of it is left; while some is, it still has a value.
    levels = StockLevel.objects.filter(Q(item__is_archived=False) | ~Q(quantity=0))
    if outlet_id is not None:
        levels = levels.filter(outlet_id=outlet_id)
    if item_id is not None:
        levels = levels.filter(item_id=item_id)
    if category_id is not None:
        levels = levels.filter(item__category_id=category_id)
    if kind:
        levels = levels.filter(item__kind=kind)
    if query:
        levels = levels.filter(Q(item__name__icontains=query) | Q(item__sku__icontains=query))
    if below_reorder:
        levels = levels.filter(LOW)
    if user is not None:  # only the outlets that person works at (accounts.access.outlets_of)
        levels = outlet_filter(levels, user)
    return levels


def stock_on_hand(
    *,
    outlet_id: int | None = None,
    category_id: int | None = None,
    kind: str = "",
    query: str = "",
    below_reorder: bool = False,
    user=None,
    item_id: int | None = None,
) -> QuerySet[StockLevel]:
    """One row per item × outlet, by item name then outlet."""
    return (
        _stock_levels(
            outlet_id=outlet_id,
            category_id=category_id,
            kind=kind,
            query=query,
            below_reorder=below_reorder,
            user=user,
            item_id=item_id,
        )
        .select_related("item", "item__category", "outlet")
        .order_by("item__name", "item_id", "outlet__name", "outlet_id")
    )


def stock_on_hand_rows(levels: Iterable[StockLevel]) -> list[StockLevel]:
    """The levels with `value_minor` and `status` set, for a page or an export."""
    rows = list(levels)
    for level in rows:
        level.value_minor = level_value_minor(level)
        level.status = level_status(level)
    return rows


@dataclass(frozen=True)
class OutletValue:
    outlet_id: int
    outlet_name: str
    lines: int
    value_minor: int


def stock_value_by_outlet(
    *,
    outlet_id: int | None = None,
    category_id: int | None = None,
    kind: str = "",
    query: str = "",
    below_reorder: bool = False,
    user=None,
) -> list[OutletValue]:
    """The value on hand per outlet, for the same filters as the list, in one aggregate query."""
    value = Round(ExpressionWrapper(F("quantity") * F("item__cost"), output_field=DecimalField()))
    rows = (
        _stock_levels(
            outlet_id=outlet_id, category_id=category_id, kind=kind, query=query, below_reorder=below_reorder, user=user
        )
        .order_by()
        .values("outlet_id", "outlet__name")
        .annotate(lines=Count("pk"), value=Sum(value))
        .order_by("outlet__name", "outlet_id")
    )
    return [
        OutletValue(row["outlet_id"], row["outlet__name"], row["lines"], round_minor(row["value"] or 0)) for row in rows
    ]


# --- Movements ----------------------------------------------------------------------------------------------


def local_day_start(day: date, tz: tzinfo | None = None) -> datetime:
    """Midnight at the start of `day` in the business's time zone (the current one during a request)."""
    return timezone.make_aware(datetime.combine(day, time.min), tz or timezone.get_current_timezone())


def movement_history(
    *,
    item_id: int | None = None,
    query: str = "",
    outlet_id: int | None = None,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    tz: tzinfo | None = None,
    user=None,
) -> QuerySet[StockMovement]:
    """Movements, newest first. Dates are whole days in the business's time zone, both ends included."""
    movements = StockMovement.objects.select_related("item", "outlet", "user")
    if item_id is not None:
        movements = movements.filter(item_id=item_id)
    if query:
        movements = movements.filter(Q(item__name__icontains=query) | Q(item__sku__icontains=query))
    if outlet_id is not None:
        movements = movements.filter(outlet_id=outlet_id)
    if kind:
        movements = movements.filter(kind=kind)
    if date_from is not None:
        movements = movements.filter(created_at__gte=local_day_start(date_from, tz))
    if date_to is not None:
        movements = movements.filter(created_at__lt=local_day_start(date_to + timedelta(days=1), tz))
    if user is not None:  # only the outlets that person works at
        movements = outlet_filter(movements, user)
    return movements.order_by("-created_at", "-pk")


def receipt_purchase_orders(movements: Iterable[StockMovement]) -> dict[int, int]:
    """Goods receipt id → its purchase order id, for the receiving movements given (one query, or none)."""
    ids = {m.source_id for m in movements if m.source_type == "receipt" and m.source_id is not None}
    if not ids:
        return {}
    return dict(GoodsReceipt.objects.filter(pk__in=ids).values_list("pk", "purchase_order_id"))


def stock_item_get(pk: int) -> StockItem | None:
    return StockItem.objects.filter(pk=pk).first()


# --- Low stock -----------------------------------------------------------------------------------------------


def low_stock(*, outlet_id: int | None = None, user=None) -> QuerySet[StockLevel]:
    """Levels at or below their reorder point, or below zero, of items still stocked; by outlet, then item.

    `went_negative_at` is when a movement last took the level below zero (NULL: never), so an item that sold
    into the negative is flagged even after a delivery brought it back above zero but still low."""
    last_negative = StockMovement.objects.filter(
        item_id=OuterRef("item_id"), outlet_id=OuterRef("outlet_id"), went_negative=True
    ).order_by("-created_at", "-pk")
    levels = (
        StockLevel.objects.filter(LOW, item__is_archived=False)
        .select_related("item", "item__default_supplier", "outlet")
        .annotate(went_negative_at=Subquery(last_negative.values("created_at")[:1]))
        .order_by("outlet__name", "outlet_id", "item__name", "item_id")
    )
    if outlet_id is not None:
        levels = levels.filter(outlet_id=outlet_id)
    if user is not None:  # only the outlets that person works at
        levels = outlet_filter(levels, user)
    return levels


def suggested_order(level: StockLevel) -> tuple[Decimal, int]:
    """What to order: the level's reorder quantity, or (when that is 0) enough to reach the reorder point;
    in base units, and in whole purchase units rounded up."""
    base = level.reorder_quantity if level.reorder_quantity > 0 else level.reorder_point - level.quantity
    base = max(base, Decimal(0))
    units = (base / level.item.purchase_factor).to_integral_value(rounding=ROUND_CEILING)
    return base, int(units)


def low_stock_rows(levels: Iterable[StockLevel]) -> list[StockLevel]:
    """The levels with `status`, `suggest_base` and `suggest_units` set."""
    rows = list(levels)
    for level in rows:
        level.status = level_status(level)
        level.suggest_base, level.suggest_units = suggested_order(level)
    return rows


def stock_attention(*, user=None) -> dict[str, int]:
    """What waits for a supervisor: adjustments to approve, transfers on their way, low items (2 queries); with
    `user`, only at the outlets that person works at (a transfer counts when either end is theirs)."""
    from ..models import StockAdjustment, Transfer

    allowed = outlets_of(user) if user is not None else None
    where_adj, where_tr, params = "", "", []
    if allowed is not None:
        ids = sorted(allowed)
        where_adj = " AND outlet_id = ANY(%s)"
        where_tr = " AND (from_outlet_id = ANY(%s) OR to_outlet_id = ANY(%s))"
        params = [ids, ids, ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {StockAdjustment._meta.db_table} WHERE status = %s{where_adj}), "  # noqa: S608
            f"(SELECT count(*) FROM {Transfer._meta.db_table} WHERE status = %s{where_tr})",
            [StockAdjustment.Status.PENDING, *params[:1], Transfer.Status.SENT, *params[1:]],
        )
        pending, in_transit = cursor.fetchone()
    low = StockLevel.objects.filter(LOW, item__is_archived=False)
    return {
        "pending": pending,
        "in_transit": in_transit,
        "low": (low if user is None else outlet_filter(low, user)).count(),
    }
