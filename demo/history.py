"""A demo business's last days of trade, so its dashboard and reports have something to show.

Every order, payment, refund, void and shift is made by the till's own services (so totals, taxes, stock and
kitchen tickets are exactly what a real till makes), then moved back to its day: the rows' times, business
dates and order numbers are rewritten, kitchen tickets are marked done, and the report roll-ups are rebuilt for
those days. The audit log and the stock ledger are append-only and stay dated at seeding time.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F

from accounts.models import Role, User
from business.models import Outlet
from catalog.models import Modifier, Product
from kitchen.models import Ticket
from pos_project.errors import ServiceError
from reports.services import rollups_rebuild
from sales.models import CashMovement, Order, OrderCounter, Payment, Refund, Register, Shift
from sales.pricing import Discount
from sales.selectors import shift_expected_cash
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund, order_void
from sales.services.shifts import business_date_now, register_create, shift_close, shift_open

# Orders per day (weekends busier) and the hours they come in, weighted like a café's day.
PER_DAY = {0: 9, 1: 8, 2: 9, 3: 10, 4: 12, 5: 16, 6: 15}
HOURS = [(7, 3), (8, 6), (9, 5), (10, 3), (11, 3), (12, 6), (13, 5), (14, 2), (15, 3), (16, 3), (17, 3), (18, 4),
         (19, 3), (20, 2)]  # fmt: skip


def _lines(rng: random.Random, products: list[Product], required: dict[int, list[int]]) -> list[LineRequest]:
    chosen = rng.sample(products, k=min(len(products), rng.choice((1, 1, 2, 2, 3))))
    return [
        LineRequest(p.pk, quantity=rng.choice((1, 1, 1, 2)), modifier_ids=tuple(required.get(p.pk, ()))) for p in chosen
    ]


def demo_sales_history(*, days: int = 10, seed: int = 13) -> int:
    """Make `days` days of trade before today in the current tenant; returns the number of orders."""
    if Order.objects.exists():
        return 0  # seeded already, or a business that has traded for real
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    tz = ZoneInfo(connection.tenant.timezone)
    outlet = Outlet.objects.order_by("pk").first()
    cashier = User.objects.get(username="cashier")
    supervisor = User.objects.filter(role=Role.SUPERVISOR).order_by("pk").first()
    products = list(Product.objects.filter(is_archived=False, variants__isnull=True).order_by("pk"))
    required: dict[int, list[int]] = {}
    for product in products:
        for group in product.modifier_groups.filter(min_choices__gte=1):
            required.setdefault(product.pk, []).extend(
                Modifier.objects.filter(group=group, is_archived=False).order_by("sort_order", "pk")
                .values_list("pk", flat=True)[: group.min_choices]
            )  # fmt: skip
    register = Register.objects.filter(outlet=outlet).first() or register_create(outlet=outlet, name="Counter")
    today = business_date_now()
    made = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        shift = shift_open(register=register, user=cashier, opening_float_minor=500_000)
        orders: list[Order] = []
        for i in range(PER_DAY[day.weekday()] + rng.randint(-3, 3)):
            key = f"demo-{day}-{i}"
            discount = Discount("percent", Decimal(10)) if rng.random() < 0.06 else None
            try:
                lines = _lines(rng, products, required)
                order = order_submit(shift=shift, user=cashier, idempotency_key=key, lines=lines,
                                     order_discount=discount, approved_by=supervisor if discount else None)  # fmt: skip
            except ServiceError:
                continue
            orders.append(order)
            if rng.random() < 0.03:
                order_void(order=order, user=cashier, approved_by=supervisor, reason="Customer left")
                continue
            tender = "card" if rng.random() < 0.45 else "cash"
            cash = -(-order.total_minor // 10_000) * 10_000 if tender == "cash" else None
            payment_add(order=order, user=cashier, tender=tender, amount_minor=order.total_minor,
                        idempotency_key=f"{key}-pay", tendered_minor=cash, reference="DEMO" if tender == "card" else "",
                        tip_minor=rng.choice((0, 0, 0, 2000, 5000)) if tender == "card" else 0)  # fmt: skip
            if rng.random() < 0.03:
                order.refresh_from_db()
                order_refund(order=order, user=cashier, approved_by=supervisor, reason="Wrong order",
                             idempotency_key=f"{key}-refund", lines=None, shift=shift)  # fmt: skip
        shift.refresh_from_db()
        expected = shift_expected_cash(shift)
        counted = max(0, expected + rng.choice((0, 0, 0, -1000, 2000, -5000)))
        shift_close(shift=shift, user=cashier, denominations={"1000": counted // 1000, "100": counted % 1000 // 100})
        _move_to(day, shift, orders, tz, rng)
        made += len(orders)
    OrderCounter.objects.filter(business_date=today).delete()
    rollups_rebuild(start=today - timedelta(days=days), end=today)
    return made


def _move_to(day, shift: Shift, orders: list[Order], tz: ZoneInfo, rng: random.Random) -> None:
    """Rewrite a shift's rows to `day`: each order gets a time in the day's busy hours (payments, refunds, kitchen
    tickets and stock movements follow their order), numbers 1, 2, 3... in that order."""
    hours = [h for h, weight in HOURS for _ in range(weight)]
    times = sorted(
        datetime.combine(day, time(rng.choice(hours), rng.randrange(60), rng.randrange(60)), tzinfo=tz) for _ in orders
    )
    for number, (order, at) in enumerate(zip(orders, times, strict=True), start=1):
        shift_by = at - Order.objects.values_list("created_at", flat=True).get(pk=order.pk)
        Order.objects.filter(pk=order.pk).update(
            business_date=day, number=number, created_at=at, updated_at=at,
            voided_at=F("voided_at") + shift_by, sent_to_kitchen_at=F("sent_to_kitchen_at") + shift_by,
            served_at=F("served_at") + shift_by,
        )  # fmt: skip
        Payment.objects.filter(order_id=order.pk).update(created_at=F("created_at") + shift_by)
        Refund.objects.filter(order_id=order.pk).update(created_at=F("created_at") + shift_by + timedelta(minutes=20))
        Ticket.objects.filter(order_id=order.pk).update(
            created_at=at, changed_at=at, status=Ticket.Status.BUMPED,
            bumped_at=at + timedelta(minutes=rng.randint(3, 18)),
        )  # fmt: skip
    opened = datetime.combine(day, time(6, 45), tzinfo=tz)
    Shift.objects.filter(pk=shift.pk).update(opened_at=opened, closed_at=datetime.combine(day, time(21, 30), tzinfo=tz))
    CashMovement.objects.filter(shift=shift).update(created_at=opened)
