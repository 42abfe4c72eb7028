"""Reads of the till: shift reports (X mid-shift, Z at close) and order history."""

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from .models import CashMovement, Order, Payment, Shift
from .services.shifts import shift_expected_cash


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
    """Everything the X and Z reports print, in a fixed number of queries whatever the number of orders.

    `orders` holds counts and sums in minor units: gross, discounts, service, tax (exclusive), total, refunded,
    open_balance.
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
        total=Sum("total_minor", filter=sold, default=0),
        refunded=Sum("refunded_minor", default=0),
        open_balance=Sum("total_minor", filter=Q(status=Order.Status.OPEN), default=0),
    )
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
    labels = dict(Payment.Tender.choices)
    moves = dict(
        CashMovement.objects.filter(shift=shift)
        .values_list("kind")
        .annotate(total=Sum("amount_minor"))
        .values_list("kind", "total")
    )
    return {
        "kind": "Z" if shift.status == Shift.Status.CLOSED else "X",
        "orders": orders,
        "net_sales_minor": orders["gross"] - orders["discounts"],
        "taxes": _tax_totals(shift),
        "tenders": [{"tender": t, "label": labels.get(t, t), **v} for t, v in sorted(tenders.items())],
        "tips_minor": sum(v["tip_minor"] for v in tenders.values()),
        "pay_in_minor": moves.get(CashMovement.Kind.PAY_IN, 0),
        "pay_out_minor": moves.get(CashMovement.Kind.PAY_OUT, 0),
        "opening_float_minor": shift.opening_float_minor,
        "expected_cash_minor": shift.expected_cash_minor
        if shift.status == Shift.Status.CLOSED
        else shift_expected_cash(shift),
        "counted_cash_minor": shift.counted_cash_minor,
        "variance_minor": shift.variance_minor,
        "denominations": sorted(((int(v), c) for v, c in shift.denominations.items()), reverse=True),
    }


def order_history(
    *,
    shift: Shift | None = None,
    number: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tender: str | None = None,
    status: str | None = None,
) -> QuerySet[Order]:
    """Orders, newest first, filtered; one query per page (payments' tenders come as an aggregate)."""
    orders = Order.objects.select_related("created_by", "shift__register")
    if shift is not None:
        orders = orders.filter(shift=shift)
    if number is not None:
        orders = orders.filter(number=number)
    if date_from is not None:
        orders = orders.filter(business_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(business_date__lte=date_to)
    if tender:
        orders = orders.filter(payments__tender=tender, payments__status=Payment.Status.CAPTURED).distinct()
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-pk")


def shift_list_recent(*, limit: int = 10) -> QuerySet[Shift]:
    """Open shifts first, then the latest closed ones (the supervisor console and history pages)."""
    return Shift.objects.select_related("register", "opened_by").order_by("-status", "-opened_at")[:limit]
