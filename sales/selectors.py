"""Reads of the till: shift reports (X mid-shift, Z at close) and order history."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.access import outlet_filter
from business.models import Outlet
from kitchen.selectors import orders_ready
from pos_project.caching import cache_forget

from .models import CashMovement, DiningTable, Order, Payment, Refund, Register, Shift

HISTORY_LIMIT_MAX = 200


def shift_expected_cash(shift: Shift) -> int:
    """Cash that should be in the drawer: float + pay-ins - pay-outs + cash taken (with cash tips and rounding)
    - cash refunds this shift paid out (whichever shift took the original payment)."""
    moves = dict(
        CashMovement.objects.filter(shift=shift)
        .values_list("kind")
        .annotate(total=Sum("amount_minor"))
        .values_list("kind", "total")
    )
    cash = Payment.objects.filter(shift=shift, tender=Payment.Tender.CASH, status=Payment.Status.CAPTURED).aggregate(
        amount=Sum("amount_minor"), tips=Sum("tip_minor"), rounding=Sum("rounding_minor")
    )
    refunds = shift.refunds.filter(tender=Payment.Tender.CASH).aggregate(total=Sum("amount_minor", default=0))["total"]
    return (
        shift.opening_float_minor
        + moves.get(CashMovement.Kind.PAY_IN, 0)
        - moves.get(CashMovement.Kind.PAY_OUT, 0)
        + (cash["amount"] or 0)
        + (cash["tips"] or 0)
        + (cash["rounding"] or 0)
        - refunds
    )


def _tax_totals(shift: Shift) -> list[dict]:
    """Taxes of the shift's paid orders, summed in SQL from each order's stored breakdown (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t->>'code', t->>'name', t->>'rate', (t->>'inclusive')::boolean, SUM((t->>'amount_minor')::bigint)
            FROM sales_order o, jsonb_array_elements(o.tax_breakdown) AS t
            WHERE o.shift_id = %s AND o.status IN ('paid', 'refunded')
            GROUP BY 1, 2, 3, 4 ORDER BY 1
            """,
            [shift.pk],
        )
        return [
            {"code": code, "name": name, "rate": rate, "inclusive": inclusive, "amount_minor": int(amount)}
            for code, name, rate, inclusive, amount in cursor.fetchall()
        ]


def shift_report(*, shift: Shift) -> dict:
    """Everything the X and Z reports print, in a fixed number of queries whatever the number of orders
    (five, plus three for the expected cash while the shift is open): every figure is a SQL aggregate.

    Sales figures cover the shift's paid orders (paid or later refunded), as sold. `orders` holds counts and
    sums in minor units: gross (Σ subtotal), discounts, service, tax (exclusive, added), tax_included, total,
    refunded (what has since been refunded of this shift's orders, wherever paid out), open_balance.
    Net sales = gross − discounts (inclusive taxes still inside, as on the menu). `refunds` are what this
    shift's till paid out, by tender, whichever shift sold the order: that is what the drawer and the card
    terminal see. Cash rounding is the Σ of the cash payments' rounding adjustments.
    """
    sold = Q(status__in=[Order.Status.PAID, Order.Status.REFUNDED])
    orders = Order.objects.filter(shift=shift).aggregate(
        paid_count=Count("pk", filter=Q(status=Order.Status.PAID)),
        open_count=Count("pk", filter=Q(status=Order.Status.OPEN)),
        voided_count=Count("pk", filter=Q(status=Order.Status.VOIDED)),
        refunded_count=Count("pk", filter=Q(status=Order.Status.REFUNDED)),
        gross=Sum("subtotal_minor", filter=sold, default=0),
        discounts=Sum("discount_minor", filter=sold, default=0),
        service=Sum("service_charge_minor", filter=sold, default=0),
        tax=Sum("tax_minor", filter=sold, default=0),
        tax_included=Sum("tax_included_minor", filter=sold, default=0),
        total=Sum("total_minor", filter=sold, default=0),
        refunded=Sum("refunded_minor", filter=sold, default=0),
        open_balance=Sum("total_minor", filter=Q(status=Order.Status.OPEN), default=0),
    )
    labels = dict(Payment.Tender.choices)
    tenders = defaultdict(lambda: {"count": 0, "amount_minor": 0, "tip_minor": 0, "rounding_minor": 0})
    for row in (
        Payment.objects.filter(shift=shift, status=Payment.Status.CAPTURED)
        .values("tender")
        .annotate(count=Count("pk"), amount=Sum("amount_minor"), tips=Sum("tip_minor"), rounding=Sum("rounding_minor"))
        .order_by("tender")
    ):
        tenders[row["tender"]].update(
            count=row["count"], amount_minor=row["amount"], tip_minor=row["tips"], rounding_minor=row["rounding"]
        )
    refunds = [
        {
            "tender": row["tender"],
            "label": labels.get(row["tender"], row["tender"]),
            "count": row["count"],
            "amount_minor": row["amount"],
        }  # fmt: skip
        for row in Refund.objects.filter(shift=shift)
        .values("tender")
        .annotate(count=Count("pk"), amount=Sum("amount_minor"))
        .order_by("tender")
    ]
    moves = dict(
        CashMovement.objects.filter(shift=shift)
        .values_list("kind")
        .annotate(total=Sum("amount_minor"))
        .values_list("kind", "total")
    )
    taxes = _tax_totals(shift)
    closed = shift.status == Shift.Status.CLOSED
    return {
        "kind": "Z" if closed else "X",
        "orders": orders,
        "net_sales_minor": orders["gross"] - orders["discounts"],
        "taxes": taxes,
        "taxes_exclusive": [t for t in taxes if not t["inclusive"]],
        "taxes_inclusive": [t for t in taxes if t["inclusive"]],
        "tenders": [{"tender": t, "label": labels.get(t, t), **v} for t, v in sorted(tenders.items())],
        "tips_minor": sum(v["tip_minor"] for v in tenders.values()),
        "cash_rounding_minor": sum(v["rounding_minor"] for v in tenders.values()),
        "refunds": refunds,
        "refunds_minor": sum(r["amount_minor"] for r in refunds),
        "pay_in_minor": moves.get(CashMovement.Kind.PAY_IN, 0),
        "pay_out_minor": moves.get(CashMovement.Kind.PAY_OUT, 0),
        "opening_float_minor": shift.opening_float_minor,
        "expected_cash_minor": shift.expected_cash_minor if closed else shift_expected_cash(shift),
        "counted_cash_minor": shift.counted_cash_minor if closed else None,
        "variance_minor": shift.variance_minor if closed else None,
        "variance_review": closed
        and variance_needs_review(expected_minor=shift.expected_cash_minor, variance_minor=shift.variance_minor),
        "variance_review_percent": VARIANCE_REVIEW_PERCENT,
        "denominations": sorted(((int(v), c) for v, c in shift.denominations.items()), reverse=True) if closed else [],
    }


def order_history(
    *,
    shift: Shift | None = None,
    outlet: Outlet | None = None,
    number: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tender: str | None = None,
    status: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> QuerySet[Order]:
    """Orders, newest first, filtered, one page of them (`limit` at most 200; None for the unsliced queryset,
    e.g. to count). One query per page: the cashier, register and outlet are joined, and each order's tenders
    come as an array (`tenders`, in payment order) from a subquery, so listing never goes back per order.
    Dates are business dates (the outlet's day, not UTC's); a tender filter matches orders with a captured
    payment in it, through EXISTS so an order paid twice by card is listed once."""
    captured = Payment.objects.filter(order=OuterRef("pk"), status=Payment.Status.CAPTURED)
    orders = Order.objects.select_related("created_by", "shift__register", "outlet").annotate(
        tenders=ArraySubquery(captured.order_by("pk").values("tender"))
    )
    if shift is not None:
        orders = orders.filter(shift=shift)
    if outlet is not None:
        orders = orders.filter(outlet=outlet)
    if number is not None:
        orders = orders.filter(number=number)
    if date_from is not None:
        orders = orders.filter(business_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(business_date__lte=date_to)
    if tender:
        orders = orders.filter(Exists(captured.filter(tender=tender)))
    if status:
        orders = orders.filter(status=status)
    orders = orders.order_by("-created_at", "-pk")
    if limit is None:
        return orders
    offset = max(int(offset), 0)
    return orders[offset : offset + min(max(int(limit), 1), HISTORY_LIMIT_MAX)]


def shift_list_recent(*, limit: int = 10, status: str | None = None, user=None) -> QuerySet[Shift]:
    """Open shifts first, then the latest closed ones (the supervisor console and history pages); with `user`,
    only those of the outlets that person works at (accounts.access.outlets_of)."""
    shifts = Shift.objects.select_related("register", "opened_by")
    if user is not None:
        shifts = outlet_filter(shifts, user)
    if status is not None:
        shifts = shifts.filter(status=status)
    return shifts.order_by("-status", "-opened_at")[:limit]


def shifts_open(*, outlet_id: int | None = None) -> QuerySet[Shift]:
    """Open shifts (of one outlet, or of all), by outlet and register, with register, outlet, opener and holder,
    and how many unpaid tabs each still has and what they owe (`open_tabs`, `open_balance_minor`): the
    console, the shift-open page's "resume", a close's "move the tabs to" and a refund's "paid out of". One
    query."""
    unpaid = Q(orders__status=Order.Status.OPEN)
    shifts = (
        Shift.objects.filter(status=Shift.Status.OPEN)
        .select_related("register__outlet", "opened_by", "held_by")
        .annotate(
            open_tabs=Count("orders", filter=unpaid),
            open_balance_minor=Sum(F("orders__total_minor") - F("orders__paid_minor"), filter=unpaid, default=0),
        )
    )
    if outlet_id is not None:
        shifts = shifts.filter(outlet_id=outlet_id)
    return shifts.order_by("register__outlet__name", "register__name", "pk")


def shift_open_tabs(*, shift: Shift) -> list[Order]:
    """The unpaid tabs of a shift, oldest first, with their table: what closing the shift has to settle."""
    tabs = Order.objects.filter(shift=shift, status=Order.Status.OPEN).select_related("table")
    return list(tabs.order_by("created_at", "pk"))


# No business setting says how far off a count may be; 1% of the expected cash is the default.
VARIANCE_REVIEW_PERCENT = 1


def variance_needs_review(*, expected_minor: int | None, variance_minor: int | None) -> bool:
    """Whether a closed shift's count is off by more than VARIANCE_REVIEW_PERCENT of the expected cash (any
    difference when nothing was expected): shown as a warning to review, never as a good (green) figure."""
    if not variance_minor:
        return False
    return abs(variance_minor) * 100 > VARIANCE_REVIEW_PERCENT * max(expected_minor or 0, 0)


def order_open_tabs(*, outlet_id: int) -> QuerySet[Order]:
    """Unpaid orders of an outlet, oldest first: the till's open tabs."""
    return Order.objects.filter(outlet_id=outlet_id, status=Order.Status.OPEN).order_by("created_at", "pk")


def floor_plan(*, outlet) -> list:
    """The outlet's areas with their tables, each table with its open tabs, oldest first (`open_orders`; a split
    bill stays at its table) and the first of them (`open_order`, None when free): three queries."""
    from .models import Area

    areas = list(Area.objects.filter(outlet=outlet).order_by("sort_order", "name"))
    tables = DiningTable.objects.filter(area__in=areas, is_active=True).order_by("row", "column")
    open_orders: dict[int, list[Order]] = {}
    for order in Order.objects.filter(table__in=tables, status=Order.Status.OPEN).order_by("created_at", "pk"):
        open_orders.setdefault(order.table_id, []).append(order)
    by_area: dict[int, list] = {area.pk: [] for area in areas}
    for table in tables:
        table.open_orders = open_orders.get(table.pk, [])
        table.open_order = table.open_orders[0] if table.open_orders else None
        by_area[table.area_id].append(table)
    for area in areas:
        area.floor_tables = by_area[area.pk]
    return areas


def payments_refund_due(*, user=None) -> QuerySet[Payment]:
    """QR payments the provider captured after their order stopped taking money: to be given back; with `user`,
    only those of orders at the outlets that person works at."""
    payments = Payment.objects.filter(status=Payment.Status.REFUND_DUE)
    if user is not None:
        payments = outlet_filter(payments, user, field="order__outlet_id")
    return payments.select_related("order").order_by("created_at", "pk")


READY_WINDOW = timedelta(hours=12)  # an order sent longer ago and never handed over is not "ready" any more
READY_MAX = 50


def orders_ready_to_hand_over(*, outlet_id: int) -> list[dict]:
    """The till's ready strip: orders of the outlet the kitchen has finished (every station bumped) and nobody
    has handed over yet, oldest first. Only orders sent in the last 12 hours count, newest first when more
    are waiting: an order nobody marked served stays on the strip for a shift, not for ever, and yesterday's
    never crowd out today's. Three queries, on the partial index of orders not handed over."""
    since = timezone.now() - READY_WINDOW
    waiting = Order.objects.filter(outlet_id=outlet_id, sent_to_kitchen_at__gte=since, served_at__isnull=True)
    waiting = waiting.exclude(status__in=(Order.Status.VOIDED, Order.Status.MERGED))  # a merged tab lives on elsewhere
    candidates = list(waiting.order_by("-sent_to_kitchen_at").values_list("pk", flat=True)[:200])
    ready = orders_ready(outlet_id=outlet_id, order_ids=candidates)
    rows = Order.objects.filter(pk__in=ready).order_by("sent_to_kitchen_at")[:READY_MAX]
    return [
        {"id": o.pk, "number": o.number, "table_label": o.table_label, "customer_name": o.customer_name}
        for o in rows.only("pk", "number", "table_label", "customer_name")
    ]


SHIFT_CACHE_SECONDS = 60


def _shift_key(register_id: int) -> str:
    return f"till:shift:{register_id}"


def shift_open_on_register(*, register_id: int) -> Shift | None:
    """The open shift of a register, with its register and outlet: what every till request asks first. From the
    cache (per tenant and register; any save of a shift, register or outlet forgets it, and an entry lives a
    minute at most), else one query: building that query and its three objects cost a ready-strip poll more CPU
    than the rest of it. Only an open shift is kept; services lock the shift and check it again before they
    write, so a copy a moment old can never sell on a closed shift."""
    key = _shift_key(register_id)
    shift = cache.get(key)
    if shift is None:
        shift = (
            Shift.objects.filter(register_id=register_id, register__is_active=True, status=Shift.Status.OPEN)
            .select_related("register__outlet")
            .first()
        )
        if shift is not None and not connection.in_atomic_block:  # what a transaction read may roll back
            cache.set(key, shift, SHIFT_CACHE_SECONDS)
    return shift


def shift_cache_forget(*, register_ids) -> None:
    """Forget the cached open shift of these registers, now and again when the change commits."""
    cache_forget(*(_shift_key(register_id) for register_id in register_ids))


# --- The API's reads (sales/api) ------------------------------------------------------------------------------------


def _at(queryset: QuerySet, outlets: Iterable[int] | None, field: str = "outlet_id") -> QuerySet:
    return queryset if outlets is None else queryset.filter(**{f"{field}__in": sorted(outlets)})


def orders_list(
    *,
    outlets: Iterable[int] | None,
    outlet_id: int | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """Orders at `outlets` (None: all; accounts.access.outlets_of), filtered, with what the API shows of each:
    its shift (for the register), lines, payments, and refunds with their lines, in five queries a page whatever
    its length. Dates are business dates, both ends included."""
    orders = _at(Order.objects.exclude(number=None), outlets).select_related("shift")
    orders = orders.prefetch_related("lines", "payments", "refunds__lines")
    if outlet_id is not None:
        orders = orders.filter(outlet_id=outlet_id)
    if status:
        orders = orders.filter(status=status)
    if date_from is not None:
        orders = orders.filter(business_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(business_date__lte=date_to)
    return orders


def order_get(*, pk: int, outlets: Iterable[int] | None) -> Order | None:
    """One order of `outlets`, as `orders_list` reads it (another outlet's is None, as an unknown one)."""
    return orders_list(outlets=outlets).filter(pk=pk).first()


def order_at(*, pk: int, outlets: Iterable[int] | None) -> Order | None:
    """One order of `outlets` with its shift, nothing more: what a write starts from (its service locks it)."""
    return _at(Order.objects.exclude(number=None), outlets).select_related("shift").filter(pk=pk).first()


def payments_list(*, outlets: Iterable[int] | None, order_id: int | None = None) -> QuerySet[Payment]:
    """Payments at `outlets`, with their order's currency; of one order when `order_id` is given."""
    payments = _at(Payment.objects.select_related("order"), outlets, "order__outlet_id")
    return payments if order_id is None else payments.filter(order_id=order_id)


def payment_get(*, pk: int, outlets: Iterable[int] | None) -> Payment | None:
    return payments_list(outlets=outlets).filter(pk=pk).first()


def shifts_list(*, outlets: Iterable[int] | None, outlet_id: int | None = None, status: str | None = None):
    """Shifts at `outlets` with their register, filtered by outlet and status."""
    shifts = _at(Shift.objects.select_related("register"), outlets)
    if outlet_id is not None:
        shifts = shifts.filter(outlet_id=outlet_id)
    if status:
        shifts = shifts.filter(status=status)
    return shifts


def shift_get(*, pk: int, outlets: Iterable[int] | None) -> Shift | None:
    return shifts_list(outlets=outlets).filter(pk=pk).first()


def register_open_shift(*, register_id: int, outlets: Iterable[int] | None) -> tuple[bool, Shift | None]:
    """Whether register `register_id` exists, is active and is at one of `outlets`, and its open shift (None
    when it has none): the shift an order made through the API belongs to."""
    register = _at(Register.objects.filter(pk=register_id, is_active=True), outlets).values_list("pk", flat=True)
    if not register.exists():
        return False, None
    return True, shift_open_on_register(register_id=register_id)


def table_get(*, pk: int):
    """A table of the floor plan, with its area (its outlet): None when there is none with that id."""
    return DiningTable.objects.select_related("area").filter(pk=pk).first()
