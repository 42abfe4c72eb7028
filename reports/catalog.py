"""The reports there are: one entry each (slug, title, group, builder), each builder turning the lead's selectors
(reports/selectors.py, over the roll-up tables) into a ReportTable for the page, the chart and the downloads.

A builder gets a ReportQuery: the period, the outlets (None: all; the view has already narrowed them to the ones
the person may see), the comparison period if any, and the business's currency and time zone. It makes a fixed
number of queries whatever the number of orders: the selector for the period, the same for the comparison
period, and one to name the ids the roll-ups keep (outlets, people, categories, stations, stock items).

`report_table(slug, ...)` builds one report in the current tenant: the scheduled e-mail uses it with `table_pdf`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from business.models import Outlet
from catalog.models import Category
from inventory.models import StockItem
from kitchen.models import Station
from pos_project.money import format_money

from . import selectors
from .selectors import LIST_MAX, Period
from .tables import (
    ChartSpec,
    Column,
    Kind,
    ReportTable,
    add_comparison,
    compare_totals,
    share_percent,
    sum_totals,
)

MONEY, INT, TEXT, PERCENT = Kind.MONEY, Kind.INT, Kind.TEXT, Kind.PERCENT


@dataclass(frozen=True)
class ReportQuery:
    period: Period
    outlets: frozenset[int] | None = None
    compare: Period | None = None
    currency: str = "IDR"
    timezone: str = "UTC"
    compare_name: str = ""  # "previous", "last year": column headings

    @property
    def compare_label(self) -> str:
        return period_label(self.compare) if self.compare else ""


@dataclass(frozen=True)
class Report:
    slug: str
    title: str | Promise
    group: str | Promise
    build: Callable[[ReportQuery], ReportTable]
    description: str | Promise = ""
    compares: bool = True  # lists of exceptions have no comparison period


GROUPS = (
    gettext_lazy("Sales"),
    gettext_lazy("Products"),
    gettext_lazy("Staff & payments"),
    gettext_lazy("Taxes"),
    gettext_lazy("Exceptions"),
    gettext_lazy("Cash"),
    gettext_lazy("Kitchen"),
    gettext_lazy("Stock"),
)
SALES, PRODUCTS, STAFF, TAXES, EXCEPTIONS, CASH, KITCHEN, STOCK = GROUPS

ORDER_TYPES = {"dine_in": gettext_lazy("Dine-in"), "takeaway": gettext_lazy("Takeaway"),
               "delivery": gettext_lazy("Delivery")}  # fmt: skip
TENDERS = {"cash": gettext_lazy("Cash"), "card": gettext_lazy("Card"), "qr": gettext_lazy("QR")}


def period_label(period: Period) -> str:
    if period.start == period.end:
        return date_format(period.start, "j M Y")
    return f"{date_format(period.start, 'j M Y')} – {date_format(period.end, 'j M Y')}"


def _table(q: ReportQuery, title: str, columns: list[Column], rows: list[dict], **kwargs) -> ReportTable:
    return ReportTable(title=str(title), columns=columns, rows=rows, currency=q.currency, timezone=q.timezone,
                       compare_label=q.compare_label, compare_name=q.compare_name, **kwargs)  # fmt: skip


# --- Names for the ids the roll-ups keep (one query each, only for the ids shown) -----------------------------------


def _outlet_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Outlet.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _people(ids: Iterable[int]) -> dict[int, str]:
    rows = User.objects.filter(pk__in=set(ids)).values_list("pk", "username", "first_name", "last_name")
    return {pk: " ".join(filter(None, (first, last))) or username for pk, username, first, last in rows}


def _category_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Category.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _station_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Station.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _unknown(pk: int) -> str:
    return _("(deleted #%(id)s)") % {"id": pk}


# --- Sales by a dimension ---------------------------------------------------------------------------------------


def _sales_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("orders", _("Orders"), INT, compare=True),
        Column("net_minor", _("Net sales"), MONEY, compare=True),
        Column("discount_minor", _("Discounts"), MONEY),
        Column("taxes_minor", _("Taxes"), MONEY),
        Column("service_charge_minor", _("Service charge"), MONEY),
        Column("total_minor", _("Total"), MONEY),
        Column("refunded_minor", _("Refunds"), MONEY),
    ]


def _with_taxes(row: dict) -> dict:
    return {**row, "taxes_minor": row["tax_minor"] + row["tax_included_minor"]}


_EMPTY_SALES = {**dict.fromkeys(selectors.SALES_MEASURES, 0), "net_minor": 0, "taxes_minor": 0}


def _empty_sales() -> dict:
    return dict(_EMPTY_SALES)


def _sales_dimension(q: ReportQuery, dimension: str) -> tuple[list[dict], list[dict]]:
    rows = [_with_taxes(r) for r in selectors.sales_by(dimension=dimension, period=q.period, outlets=q.outlets)]
    before = []
    if q.compare:
        before = [_with_taxes(r) for r in selectors.sales_by(dimension=dimension, period=q.compare, outlets=q.outlets)]
    return rows, before


def _finish_sales(q: ReportQuery, title: str, columns: list[Column], rows, before, key, chart, notes=()) -> ReportTable:
    totals = sum_totals(rows, columns, (columns[0].key, _("Total")))
    if q.compare:
        add_comparison(rows, before, columns, key=key)
        compare_totals(totals, sum_totals(before, columns), columns)
    notes = [*notes, _("Net sales: the total less taxes and service charge; refunds are counted on the day given.")]
    return _table(q, title, columns, rows, totals=totals, chart=chart, notes=notes)


def sales_by_day(q: ReportQuery) -> ReportTable:
    rows, before = _sales_dimension(q, "day")
    by_day = {r["key"]: r for r in rows}
    filled = []
    for i in range(q.period.days):  # every day, a day without sales as zero, so the line reads true
        day = q.period.start + timedelta(days=i)
        filled.append({**by_day.get(day, _empty_sales()), "day": day, "index": i})
    for r in before:
        r["index"] = (r["key"] - q.compare.start).days
    columns = _sales_columns(Column("day", _("Day"), Kind.DATE))
    return _finish_sales(q, _("Sales by day"), columns, filled, before, key=lambda r: r["index"],
                         chart=ChartSpec("line", "day", "net_minor"))  # fmt: skip


def sales_by_hour(q: ReportQuery) -> ReportTable:
    rows, before = _sales_dimension(q, "hour")
    hours = {r["key"] for r in rows} | {r["key"] for r in before}
    by_hour = {r["key"]: r for r in rows}
    filled = [{**by_hour.get(h, _empty_sales()), "key": h, "hour": f"{h:02d}:00"}
              for h in (range(min(hours), max(hours) + 1) if hours else ())]  # fmt: skip
    columns = _sales_columns(Column("hour", _("Hour")))
    return _finish_sales(q, _("Sales by hour"), columns, filled, before, key=lambda r: r["key"],
                         chart=ChartSpec("bars", "hour", "net_minor"),
                         notes=[_("Hours in the business's time zone, by when the order was rung up.")])  # fmt: skip


def sales_by_weekday(q: ReportQuery) -> ReportTable:
    rows, before = _sales_dimension(q, "weekday")
    by_day = {r["key"]: r for r in rows}
    filled = [{**by_day.get(d, _empty_sales()), "key": d, "weekday": str(WEEKDAYS[d - 1])} for d in range(1, 8)]
    columns = _sales_columns(Column("weekday", _("Weekday")))
    return _finish_sales(q, _("Sales by weekday"), columns, filled, before, key=lambda r: r["key"],
                         chart=ChartSpec("bars", "weekday", "net_minor"))  # fmt: skip


def sales_by_outlet(q: ReportQuery) -> ReportTable:
    rows, before = _sales_dimension(q, "outlet")
    names = _outlet_names(r["key"] for r in rows)
    for r in rows:
        r["outlet"] = names.get(r["key"]) or _unknown(r["key"])
    rows.sort(key=lambda r: (-r["net_minor"], r["outlet"]))
    columns = _sales_columns(Column("outlet", _("Outlet")))
    return _finish_sales(q, _("Sales by outlet"), columns, rows, before, key=lambda r: r["key"],
                         chart=ChartSpec("hbars", "outlet", "net_minor"))  # fmt: skip


def sales_by_order_type(q: ReportQuery) -> ReportTable:
    rows, before = _sales_dimension(q, "order_type")
    for r in rows:
        r["order_type"] = str(ORDER_TYPES.get(r["key"], r["key"]))
    rows.sort(key=lambda r: -r["net_minor"])
    columns = _sales_columns(Column("order_type", _("Order type")))
    return _finish_sales(q, _("Sales by order type"), columns, rows, before, key=lambda r: r["key"],
                         chart=ChartSpec("share", "order_type", "net_minor"))  # fmt: skip


# --- Products ---------------------------------------------------------------------------------------------------


def _product_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("quantity", _("Sold"), INT, compare=True),
        Column("net_minor", _("Net sales"), MONEY, compare=True),
        Column("share", _("Share of net %"), PERCENT),
        Column("gross_minor", _("Gross"), MONEY),
        Column("discount_minor", _("Discounts"), MONEY),
        Column("refunded_quantity", _("Refunded"), INT),
        Column("refunded_minor", _("Refunded amount"), MONEY),
    ]


def _products(q: ReportQuery, by: str, title: str, first: Column, label: Callable[[list[dict]], None]) -> ReportTable:
    rows = selectors.product_sales(period=q.period, outlets=q.outlets, by=by)
    before = selectors.product_sales(period=q.compare, outlets=q.outlets, by=by) if q.compare else []
    label(rows)
    columns = _product_columns(first)
    totals = sum_totals(rows, columns, (first.key, _("Total")))
    for r in rows:
        r["share"] = share_percent(r["net_minor"], totals["net_minor"])
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["key"])
        compare_totals(totals, sum_totals(before, columns), columns)
    return _table(q, title, columns, rows, totals=totals, chart=ChartSpec("hbars", first.key, "net_minor", limit=10),
                  notes=[_("Net: after line and order discounts, before taxes and service charge.")])  # fmt: skip


def _named(rows: list[dict]) -> None:
    for r in rows:
        r["product"] = r["name"]


def top_products(q: ReportQuery) -> ReportTable:
    return _products(q, "product", _("Top products"), Column("product", _("Product")), _named)


def sales_by_variant(q: ReportQuery) -> ReportTable:
    return _products(q, "variant", _("Sales by variant"), Column("product", _("Product and variant")), _named)


def sales_by_category(q: ReportQuery) -> ReportTable:
    def label(rows: list[dict]) -> None:
        names = _category_names(r["key"] for r in rows if r["key"])
        for r in rows:
            r["category"] = names.get(r["key"]) or (_("No category") if not r["key"] else _unknown(r["key"]))

    return _products(q, "category", _("Sales by category"), Column("category", _("Category")), label)


def modifiers(q: ReportQuery) -> ReportTable:
    rows = selectors.modifier_sales(period=q.period, outlets=q.outlets)
    before = selectors.modifier_sales(period=q.compare, outlets=q.outlets) if q.compare else []
    columns = [
        Column("name", _("Modifier")),
        Column("quantity", _("Chosen"), INT, compare=True),
        Column("amount_minor", _("Added to sales"), MONEY, compare=True),
    ]
    totals = sum_totals(rows, columns, ("name", _("Total")))
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: (r["modifier_id"], r["name"]))
        compare_totals(totals, sum_totals(before, columns), columns)
    return _table(q, _("Modifiers"), columns, rows, totals=totals,
                  chart=ChartSpec("hbars", "name", "quantity", limit=10),
                  notes=[_("Chosen: times the modifier was picked, times the quantity of its line.")])  # fmt: skip


# --- Staff and payments -----------------------------------------------------------------------------------------


def _staff_rows(q: ReportQuery) -> tuple[list[dict], list[dict]]:
    rows = selectors.staff_sales(period=q.period, outlets=q.outlets)
    before = selectors.staff_sales(period=q.compare, outlets=q.outlets) if q.compare else []
    names = _people(r["user_id"] for r in rows)
    for r in rows:
        r["person"] = names.get(r["user_id"]) or _unknown(r["user_id"])
    return rows, before


def staff(q: ReportQuery) -> ReportTable:
    rows, before = _staff_rows(q)
    columns = [
        Column("person", _("Staff member")),
        Column("orders", _("Orders"), INT, compare=True),
        Column("net_minor", _("Net sales"), MONEY, compare=True),
        Column("total_minor", _("Total"), MONEY),
        Column("discount_minor", _("Discounts"), MONEY),
        Column("payments", _("Payments taken"), INT),
        Column("tips_minor", _("Tips"), MONEY),
        Column("refunds", _("Refunds given"), INT),
        Column("refunded_minor", _("Refunded"), MONEY),
    ]
    totals = sum_totals(rows, columns, ("person", _("Total")))
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["user_id"])
        compare_totals(totals, sum_totals(before, columns), columns)
    return _table(q, _("Sales by staff member"), columns, rows, totals=totals,
                  chart=ChartSpec("hbars", "person", "net_minor", limit=10),
                  notes=[_("Orders count for who rang them up; payments and tips for who took them.")])  # fmt: skip


def tips_by_staff(q: ReportQuery) -> ReportTable:
    rows, before = _staff_rows(q)
    rows = sorted((r for r in rows if r["payments"] or r["tips_minor"]), key=lambda r: (-r["tips_minor"], r["person"]))
    columns = [
        Column("person", _("Staff member")),
        Column("payments", _("Payments taken"), INT),
        Column("tips_minor", _("Tips"), MONEY, compare=True),
    ]
    totals = sum_totals(rows, columns, ("person", _("Total")))
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["user_id"])
        compare_totals(totals, sum_totals(before, columns), columns)
    return _table(q, _("Tips by staff member"), columns, rows, totals=totals,
                  chart=ChartSpec("hbars", "person", "tips_minor", limit=10))  # fmt: skip


def payment_methods(q: ReportQuery) -> ReportTable:
    rows = selectors.payment_mix(period=q.period, outlets=q.outlets)
    before = selectors.payment_mix(period=q.compare, outlets=q.outlets) if q.compare else []
    for r in rows:
        r["method"] = str(TENDERS.get(r["tender"], r["tender"]))
    columns = [
        Column("method", _("Payment method")),
        Column("payments", _("Payments"), INT, compare=True),
        Column("amount_minor", _("Taken"), MONEY, compare=True),
        Column("tips_minor", _("Tips"), MONEY),
        Column("refunds", _("Refunds"), INT),
        Column("refunded_minor", _("Refunded"), MONEY),
        Column("net_minor", _("Net"), MONEY),
        Column("share", _("Share %"), PERCENT),
    ]
    totals = sum_totals(rows, columns, ("method", _("Total")))
    for r in rows:
        r["share"] = share_percent(r["amount_minor"], totals["amount_minor"])
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["tender"])
        compare_totals(totals, sum_totals(before, columns), columns)
    return _table(q, _("Payment methods"), columns, rows, totals=totals,
                  chart=ChartSpec("share", "method", "net_minor"),
                  notes=[_("Tips are apart from what was taken; net is taken less refunded.")])  # fmt: skip


# --- Taxes ------------------------------------------------------------------------------------------------------


def taxes(q: ReportQuery) -> ReportTable:
    def rows_of(period: Period) -> list[dict]:
        rows = [{**r, "key": (r["code"], r["inclusive"], r["rate"]),
                 "kind": _("Inclusive") if r["inclusive"] else _("Exclusive")}
                for r in selectors.tax_summary(period=period, outlets=q.outlets)]  # fmt: skip
        service = selectors.sales_totals(period=period, outlets=q.outlets)["service_charge_minor"]
        if service:
            rows.append({"key": "service", "name": _("Service charge"), "code": "", "kind": "", "rate": None,
                         "orders": None, "amount_minor": service})  # fmt: skip
        return rows

    rows = rows_of(q.period)
    before = rows_of(q.compare) if q.compare else []
    columns = [
        Column("name", _("Tax")),
        Column("code", _("Code")),
        Column("kind", _("Inclusive or exclusive")),
        Column("rate", _("Rate %"), PERCENT),
        Column("orders", _("Orders"), INT),
        Column("amount_minor", _("Amount"), MONEY, compare=True),
    ]
    totals = sum_totals(rows, [columns[-1]], ("name", _("Total")))
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["key"])
        compare_totals(totals, sum_totals(before, [columns[-1]]), columns)
    return _table(q, _("Taxes and service charge"), columns, rows, totals=totals, notes=[
        _("Inclusive taxes are inside the prices; exclusive taxes were added to the bill."),
        _("Each rate apart, should a rate have changed within the period. Refunds are not taken off."),
    ])  # fmt: skip


# --- Exceptions: discounts, voids, refunds ----------------------------------------------------------------------


def _list_notes(rows: list[dict], q: ReportQuery, count_key: str, amount_key: str, what: str) -> list[str]:
    """A list stops at LIST_MAX rows: then say how many there were in all (from the roll-ups)."""
    if len(rows) < LIST_MAX:
        return []
    totals = selectors.sales_totals(period=q.period, outlets=q.outlets)
    return [_("Only the first %(shown)s %(what)s are listed; the period has %(count)s, %(amount)s in all.") % {
        "shown": LIST_MAX, "what": what, "count": totals[count_key],
        "amount": format_money(totals[amount_key], q.currency)}]  # fmt: skip


def _outlet_column(rows: list[dict]) -> None:
    names = _outlet_names(r["outlet_id"] for r in rows)
    for r in rows:
        r["outlet"] = names.get(r["outlet_id"], "")


def discounts(q: ReportQuery) -> ReportTable:
    rows = selectors.discounts_list(period=q.period, outlets=q.outlets)
    _outlet_column(rows)
    for r in rows:
        if r["order_discount_kind"] == "percent":
            r["discount"] = f"{Decimal(r['order_discount_value']).normalize():f} %"
        else:
            r["discount"] = _("line discounts") if not r["order_discount_kind"] else _("amount")
    columns = [
        Column("number", _("Order")),
        Column("business_date", _("Day"), Kind.DATE),
        Column("outlet", _("Outlet")),
        Column("created_by_name", _("Rung up by")),
        Column("approved_by_name", _("Approved by")),
        Column("discount", _("Discount")),
        Column("subtotal_minor", _("Subtotal"), MONEY),
        Column("discount_minor", _("Discount amount"), MONEY),
        Column("total_minor", _("Total"), MONEY),
    ]
    totals = sum_totals(rows, columns[6:], ("number", _("Total")))
    notes = _list_notes(rows, q, "orders", "discount_minor", _("discounted orders"))
    return _table(q, _("Discounts"), columns, rows, totals=totals, notes=notes)


def voids(q: ReportQuery) -> ReportTable:
    rows = selectors.voids_list(period=q.period, outlets=q.outlets)
    _outlet_column(rows)
    columns = [
        Column("number", _("Order")),
        Column("voided_at", _("Voided at"), Kind.DATETIME),
        Column("outlet", _("Outlet")),
        Column("voided_by_name", _("Voided by")),
        Column("approved_by_name", _("Approved by")),
        Column("void_reason", _("Reason")),
        Column("total_minor", _("Amount"), MONEY),
    ]
    totals = sum_totals(rows, columns[6:], ("number", _("Total")))
    notes = _list_notes(rows, q, "voids", "voided_minor", _("voids"))
    notes.append(_("Whole orders voided. Items struck off orders that were then paid are in the sales reports."))
    return _table(q, _("Voids"), columns, rows, totals=totals, notes=notes)


def refunds(q: ReportQuery) -> ReportTable:
    rows = selectors.refunds_list(period=q.period, outlets=q.outlets)
    _outlet_column(rows)
    for r in rows:
        r["method"] = str(TENDERS.get(r["tender"], r["tender"]))
    columns = [
        Column("order_number", _("Order")),
        Column("created_at", _("Refunded at"), Kind.DATETIME),
        Column("order_date", _("Order day"), Kind.DATE),
        Column("outlet", _("Outlet")),
        Column("method", _("Paid back by")),
        Column("created_by_name", _("Given by")),
        Column("approved_by_name", _("Approved by")),
        Column("reason", _("Reason")),
        Column("amount_minor", _("Amount"), MONEY),
    ]
    totals = sum_totals(rows, columns[8:], ("order_number", _("Total")))
    notes = _list_notes(rows, q, "refunds", "refunded_minor", _("refunds"))
    return _table(q, _("Refunds"), columns, rows, totals=totals, notes=notes)


# --- Cash, kitchen, stock ---------------------------------------------------------------------------------------


def cash_variance(q: ReportQuery) -> ReportTable:
    rows = selectors.cash_variance(period=q.period, outlets=q.outlets)
    _outlet_column(rows)
    columns = [
        Column("closed_at", _("Closed at"), Kind.DATETIME),
        Column("outlet", _("Outlet")),
        Column("register_name", _("Register")),
        Column("opened_by_name", _("Opened by")),
        Column("closed_by_name", _("Closed by")),
        Column("opening_float_minor", _("Float"), MONEY),
        Column("expected_cash_minor", _("Expected"), MONEY),
        Column("counted_cash_minor", _("Counted"), MONEY),
        Column("variance_minor", _("Over / short"), MONEY),
        Column("close_note", _("Note")),
    ]
    totals = sum_totals(rows, columns[5:9], ("closed_at", ""))
    totals["outlet"] = _("Total")
    return _table(q, _("Cash variance by shift"), columns, rows, totals=totals,
                  notes=[_("Shifts closed in the period. Over is positive, short negative.")])  # fmt: skip


def kitchen_times(q: ReportQuery) -> ReportTable:
    rows = selectors.kitchen_times(period=q.period, outlets=q.outlets)
    before = selectors.kitchen_times(period=q.compare, outlets=q.outlets) if q.compare else []
    names = _station_names(r["station_id"] for r in rows)
    for r in rows:
        r["station"] = names.get(r["station_id"]) or _unknown(r["station_id"])
        r["late_share"] = share_percent(r["late"], r["bumped"])
    columns = [
        Column("station", _("Station")),
        Column("tickets", _("Tickets"), INT, compare=True),
        Column("bumped", _("Done"), INT),
        Column("average_seconds", _("Average preparation"), Kind.DURATION, compare=True),
        Column("max_prep_seconds", _("Longest"), Kind.DURATION),
        Column("late", _("Late"), INT),
        Column("late_share", _("Late %"), PERCENT),
    ]
    totals = sum_totals(rows, [c for c in columns if c.kind == INT], ("station", _("All stations")))

    def overall(rs: list[dict]) -> dict:
        bumped = sum(r["bumped"] for r in rs)
        return {"tickets": sum(r["tickets"] for r in rs),
                "average_seconds": sum(r["prep_seconds"] for r in rs) // bumped if bumped else 0}  # fmt: skip

    totals["average_seconds"] = overall(rows)["average_seconds"]
    totals["max_prep_seconds"] = max((r["max_prep_seconds"] for r in rows), default=0)
    totals["late_share"] = share_percent(totals["late"], totals["bumped"])
    if q.compare:
        add_comparison(rows, before, columns, key=lambda r: r["station_id"])
        compare_totals(totals, overall(before), columns)
    return _table(q, _("Kitchen preparation times"), columns, rows, totals=totals,
                  chart=ChartSpec("hbars", "station", "average_seconds"),
                  notes=[_("From the till sending the order to the station bumping its ticket; late is past the "
                           "station's red threshold. Updated every few minutes.")])  # fmt: skip


USAGE_KINDS = ("sale", "refund", "void")  # what sales took (refunds and voids put some back)


def stock_usage(q: ReportQuery) -> ReportTable:
    moved = selectors.stock_usage(period=q.period, outlets=q.outlets, kinds=(*USAGE_KINDS, "waste"))
    found = StockItem.objects.filter(pk__in={r["item_id"] for r in moved}).values_list("pk", "name", "base_unit")
    items = {pk: (name, unit) for pk, name, unit in found}
    by_item: dict[int, dict] = {}
    for r in moved:
        name, unit = items.get(r["item_id"], (_unknown(r["item_id"]), ""))
        row = by_item.setdefault(r["item_id"], {"item": name, "unit": unit, "used": Decimal(0), "used_minor": 0,
                                                "wasted": Decimal(0), "wasted_minor": 0})  # fmt: skip
        prefix = "wasted" if r["kind"] == "waste" else "used"
        row[prefix] -= r["quantity"]  # movements out are negative: usage and waste shown as positive
        row[prefix + "_minor"] -= r["value_minor"]
    rows = sorted(by_item.values(), key=lambda r: (-(r["used_minor"] + r["wasted_minor"]), r["item"]))
    columns = [
        Column("item", _("Stock item")),
        Column("unit", _("Unit")),
        Column("used", _("Used by sales"), Kind.QUANTITY),
        Column("used_minor", _("Cost of usage"), MONEY),
        Column("wasted", _("Wasted"), Kind.QUANTITY),
        Column("wasted_minor", _("Cost of waste"), MONEY),
    ]
    totals = sum_totals(rows, [columns[3], columns[5]], ("item", _("Total")))  # quantities of different units: no sum
    return _table(q, _("Stock usage and waste"), columns, rows, totals=totals,
                  chart=ChartSpec("hbars", "item", "used_minor", limit=10),
                  notes=[_("Valued at the cost of each movement; sales less what refunds and voids put back. "
                           "Updated every few minutes.")])  # fmt: skip


REPORTS: dict[str, Report] = {r.slug: r for r in (
    Report("sales-by-day", gettext_lazy("Sales by day"), SALES, sales_by_day),
    Report("sales-by-hour", gettext_lazy("Sales by hour"), SALES, sales_by_hour,
           gettext_lazy("Your busy hours")),
    Report("sales-by-weekday", gettext_lazy("Sales by weekday"), SALES, sales_by_weekday),
    Report("sales-by-outlet", gettext_lazy("Sales by outlet"), SALES, sales_by_outlet),
    Report("sales-by-order-type", gettext_lazy("Sales by order type"), SALES, sales_by_order_type,
           gettext_lazy("Dine-in, takeaway, delivery")),
    Report("top-products", gettext_lazy("Top products"), PRODUCTS, top_products),
    Report("sales-by-category", gettext_lazy("Sales by category"), PRODUCTS, sales_by_category),
    Report("sales-by-variant", gettext_lazy("Sales by variant"), PRODUCTS, sales_by_variant),
    Report("modifiers", gettext_lazy("Modifiers"), PRODUCTS, modifiers),
    Report("staff", gettext_lazy("Sales by staff member"), STAFF, staff),
    Report("tips", gettext_lazy("Tips by staff member"), STAFF, tips_by_staff),
    Report("payment-methods", gettext_lazy("Payment methods"), STAFF, payment_methods),
    Report("taxes", gettext_lazy("Taxes and service charge"), TAXES, taxes,
           gettext_lazy("Each tax, inclusive and exclusive, as filed")),
    Report("discounts", gettext_lazy("Discounts"), EXCEPTIONS, discounts, gettext_lazy("With who approved them"),
           compares=False),
    Report("voids", gettext_lazy("Voids"), EXCEPTIONS, voids, gettext_lazy("With who approved them"), compares=False),
    Report("refunds", gettext_lazy("Refunds"), EXCEPTIONS, refunds, gettext_lazy("With who approved them"),
           compares=False),
    Report("cash-variance", gettext_lazy("Cash variance by shift"), CASH, cash_variance, compares=False),
    Report("kitchen-times", gettext_lazy("Kitchen preparation times"), KITCHEN, kitchen_times),
    Report("stock-usage", gettext_lazy("Stock usage and waste"), STOCK, stock_usage, compares=False),
)}  # fmt: skip


@dataclass
class ReportGroup:
    title: str | Promise
    reports: list[Report] = field(default_factory=list)


def report_groups() -> list[ReportGroup]:
    groups = {str(g): ReportGroup(g) for g in GROUPS}
    for report in REPORTS.values():
        groups[str(report.group)].reports.append(report)
    return [g for g in groups.values() if g.reports]


COMPARE_NAMES = {"previous": gettext_lazy("previous"), "last_year": gettext_lazy("last year")}


def compare_period(period: Period, compare: str) -> Period | None:
    if compare == "previous":
        return period.previous()
    if compare == "last_year":
        return period.last_year()
    return None


def report_table(
    slug: str,
    *,
    period: Period,
    outlets: Iterable[int] | None = None,
    compare: str = "none",
) -> ReportTable:
    """One report of the current tenant (in its currency and time zone); `compare` is "previous", "last_year"
    or "none". Raises KeyError for an unknown slug."""
    report = REPORTS[slug]
    tenant = connection.tenant
    query = ReportQuery(
        period=period,
        outlets=None if outlets is None else frozenset(outlets),
        compare=compare_period(period, compare) if report.compares else None,
        compare_name=str(COMPARE_NAMES.get(compare, "")),
        currency=getattr(tenant, "currency", "IDR"),
        timezone=getattr(tenant, "timezone", "UTC"),
    )
    return report.build(query)
