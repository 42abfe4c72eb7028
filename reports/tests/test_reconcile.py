"""Every report total equals the sum over the raw orders, to the last minor unit (issue 13, "what it must show").

Random orders are made through the real sales services (order_submit, order_line_void, payment_add, order_void,
order_refund) in two businesses on either side of the date line, Asia/Jakarta and America/Los_Angeles, with the
clock set by time-machine so each service stamps its own times: many orders fall just before or just after local
midnight, some payments and voids cross it, refunds come the same day, the next days or a week later. They carry
line and order discounts, an exclusive tax charged on the service charge, an inclusive tax, a product with both
and one with none, variants and priced modifiers, split payments with cash rounding and tips.

The roll-ups are then filled the way production fills them, by relaying the outbox (after the sales, and again
after the refunds), and every report selector is compared with sums computed here in Python from the orders,
lines, payments and refunds: independently of reports/rollups.py's SQL, over single days and longer periods,
per outlet, in each business's own time zone. Finally the reconcile finds no difference, and finds exactly the
one made by corrupting a roll-up row.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet, SalesSettings, Tax
from business.services import outlet_create
from catalog.services import (
    ModifierSpec,
    category_create,
    modifier_group_create,
    product_create,
    product_set_modifier_groups,
    variant_create,
)
from core.outbox import outbox_relay
from reports import selectors as rs
from reports.models import ProductDay
from sales.models import Order, OrderLine, Payment, Refund, RefundLine
from sales.pricing import Discount
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_line_void, order_refund, order_void
from sales.services.shifts import register_create, shift_open
from tenants.models import Tenant

ORDERS_PER_BUSINESS = 40
# SalesHour.line_voided_minor is left out: it sums the voided lines' gross_minor, which order_line_void sets to 0,
# so it is 0 whatever was struck off (reported to the lead; the value struck off is unit price × quantity).
SALES = ("orders", "gross_minor", "discount_minor", "service_charge_minor", "tax_minor", "tax_included_minor",
         "total_minor", "tips_minor", "line_voids", "voids", "voided_minor", "refunds", "refunded_minor")  # fmt: skip
PRODUCT = ("quantity", "gross_minor", "discount_minor", "net_minor", "refunded_quantity", "refunded_minor")
STAFF = ("orders", "total_minor", "net_minor", "discount_minor", "payments", "tips_minor", "refunds", "refunded_minor")


# --- A business and its random day ------------------------------------------------------------------------------


@dataclass
class Shop:
    fixture: object
    zone: ZoneInfo
    outlets: list
    shifts: dict  # outlet id -> open shift
    sellers: list  # users who ring orders up and take payments
    supervisor: object
    menu: list  # (product, variants, required modifier ids, optional modifier ids)
    refunds: list = field(default_factory=list)  # (local datetime, order id, "full" | "part")


def _travel(zone: ZoneInfo, local: datetime):
    return time_machine.travel(local.replace(tzinfo=zone).astimezone(UTC), tick=False)


def _shop(fixture, zone_name: str, opened: datetime) -> Shop:
    """Settings, taxes, a menu, two outlets with a shift each, opened at `opened` (local)."""
    zone = ZoneInfo(zone_name)
    SalesSettings.objects.update_or_create(
        pk=1, defaults={"service_charge_rate": Decimal(5), "cash_rounding_unit": 100, "discount_limit_percent": 10}
    )
    pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
    ppn = Tax.objects.create(code="PPN", name="PPN", rate=Decimal(11), inclusive=True, sort_order=1)
    food, drinks, shop = category_create(name="Food"), category_create(name="Drinks"), category_create(name="Shop")
    nasi = product_create(category=food, name="Nasi goreng", sku="NG", price_minor=45000, taxes=[pb1])
    teh = product_create(category=drinks, name="Es teh", sku="ET", price_minor=10000, taxes=[pb1])
    latte = product_create(category=drinks, name="Latte", sku="LT", price_minor=35000, taxes=[pb1])
    beans = product_create(category=shop, name="Beans", sku="BN", price_minor=120000, taxes=[ppn])
    hamper = product_create(category=shop, name="Hamper", sku="HP", price_minor=27555, taxes=[pb1, ppn])
    water = product_create(category=shop, name="Water", sku="WT", price_minor=5000)
    variants = [variant_create(product=latte, name=n, sku=f"LT-{n}", price_minor=p)
                for n, p in (("Regular", 35000), ("Large", 42500))]  # fmt: skip
    sugar = modifier_group_create(name="Sugar", min_choices=1, max_choices=1,
                                  modifiers=[ModifierSpec("Normal"), ModifierSpec("Less")])  # fmt: skip
    extras = modifier_group_create(name="Extras", min_choices=0, max_choices=2,
                                   modifiers=[ModifierSpec("Shot", 8000), ModifierSpec("Oat", 6500)])  # fmt: skip
    product_set_modifier_groups(product=latte, groups=[sugar, extras])
    sugar_ids = list(sugar.modifiers.values_list("pk", flat=True))
    extra_ids = list(extras.modifiers.values_list("pk", flat=True))
    menu = [(nasi, [], [], []), (teh, [], [], []), (latte, variants, sugar_ids, extra_ids), (beans, [], [], []),
            (hamper, [], [], []), (water, [], [], [])]  # fmt: skip
    outlets = [Outlet.objects.get(code="MAIN"), outlet_create(name="Second", code="SEC")]
    users = fixture.users
    with _travel(zone, opened):
        shifts = {
            o.pk: shift_open(register=register_create(outlet=o, name=f"Till {o.code}"), user=users[Role.CASHIER],
                             opening_float_minor=0)
            for o in outlets
        }  # fmt: skip
    return Shop(fixture, zone, outlets, shifts, [users[Role.CASHIER], users[Role.SUPERVISOR]],
                users[Role.SUPERVISOR], menu)  # fmt: skip


def _cart(rng: random.Random, shop: Shop) -> list[LineRequest]:
    lines = []
    for _ in range(rng.randint(1, 4)):
        product, variants, required, optional = rng.choice(shop.menu)
        modifiers = ([rng.choice(required)] if required else []) + rng.sample(optional, rng.randint(0, len(optional)))
        discount = None
        if (r := rng.random()) < 0.15:
            discount = Discount("percent", Decimal(rng.choice(("5", "12.5", "50"))))
        elif r < 0.25:
            discount = Discount("amount", rng.choice((1000, 2555, 7000)))
        lines.append(LineRequest(product.pk, rng.randint(1, 3), rng.choice(variants).pk if variants else None,
                                 tuple(sorted(modifiers)), discount=discount))  # fmt: skip
    return lines


def _when(rng: random.Random, day: date) -> datetime:
    """A local time on `day`: often in the last or first minutes of the day, else any time the shop is open."""
    r = rng.random()
    if r < 0.3:
        return datetime.combine(day, time(23, 40)) + timedelta(seconds=rng.randint(0, 20 * 60 - 1))
    if r < 0.45:
        return datetime.combine(day, time(0, 0)) + timedelta(seconds=rng.randint(0, 15 * 60))
    return datetime.combine(day, time(7)) + timedelta(seconds=rng.randint(0, 15 * 3600))


def _sell(rng: random.Random, shop: Shop, key: str, at: datetime) -> None:
    """One order from till to its end: voided, left open, or paid (perhaps after a line is voided, perhaps split),
    and perhaps refunded later (recorded in shop.refunds, done after every sale is relayed)."""
    outlet = rng.choice(shop.outlets)
    seller = rng.choice(shop.sellers)
    order_type = rng.choice(("dine_in", "takeaway", "delivery"))
    order_discount = None
    if (r := rng.random()) < 0.12:
        order_discount = Discount("percent", Decimal(rng.choice(("10", "15"))))
    elif r < 0.2:
        order_discount = Discount("amount", rng.choice((5000, 12345)))
    with _travel(shop.zone, at):
        order = order_submit(shift=shop.shifts[outlet.pk], user=seller, idempotency_key=key, lines=_cart(rng, shop),
                             order_type=order_type, table_label="7" if order_type == "dine_in" else "",
                             order_discount=order_discount, approved_by=shop.supervisor)  # fmt: skip
    fate = rng.random()
    later = at + timedelta(minutes=rng.randint(1, 40))  # often across midnight
    if fate < 0.1 or order.total_minor == 0:
        with _travel(shop.zone, later):
            order_void(order=order, user=seller, approved_by=shop.supervisor, reason="left")
        return
    if fate < 0.15:
        return  # an open tab: in no report total
    lines = list(order.lines.order_by("position"))
    if len(lines) >= 2 and rng.random() < 0.2:
        with _travel(shop.zone, at + timedelta(seconds=30)):
            order = order_line_void(order=order, line_id=rng.choice(lines).pk, user=seller,
                                    approved_by=shop.supervisor, reason="wrong dish")  # fmt: skip
    with _travel(shop.zone, later):
        left = order.total_minor
        if left >= 20000 and rng.random() < 0.3:
            part = rng.randint(1, left - 1)
            payment_add(order=order, user=seller, tender="card", amount_minor=part, idempotency_key=f"{key}-p1",
                        reference="APPR", tip_minor=rng.choice((0, 0, 2000)))  # fmt: skip
            left -= part
            tender = "cash"
        else:
            tender = rng.choice(("cash", "card"))
        payment_add(order=order, user=rng.choice(shop.sellers), tender=tender, amount_minor=left,
                    idempotency_key=f"{key}-p2", reference="APPR" if tender == "card" else "",
                    tip_minor=rng.choice((0, 0, 0, 1500)))  # fmt: skip
    if rng.random() < 0.4:
        for _ in range(2 if rng.random() < 0.3 else 1):
            delay = rng.choice((timedelta(minutes=25), timedelta(days=1, hours=2), timedelta(days=7)))
            shop.refunds.append((later + delay + timedelta(seconds=len(shop.refunds)), order.pk,
                                 rng.choice(("full", "part", "part"))))  # fmt: skip


def _refund(rng: random.Random, shop: Shop, at: datetime, order_id: int, kind: str, key: str) -> None:
    order = Order.objects.get(pk=order_id)
    left = [(ln.pk, ln.quantity - ln.refunded_quantity) for ln in order.lines.filter(is_voided=False).order_by("pk")
            if ln.quantity > ln.refunded_quantity]  # fmt: skip
    if not left:
        return
    if kind == "full":
        wanted = None
    else:
        line_id, units = rng.choice(left)
        wanted = {line_id: rng.randint(1, units)}
    with _travel(shop.zone, at):
        order_refund(order=order, user=rng.choice(shop.sellers), approved_by=shop.supervisor, reason="cold",
                     idempotency_key=key, lines=wanted, shift=shop.shifts[order.outlet_id])  # fmt: skip


def _relay() -> None:
    while outbox_relay():
        pass


# --- What the reports should say, summed from the raw rows -----------------------------------------------------


class Raw:
    """The orders, lines, payments and refunds of the current business, with each fact's local day and hour."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.orders = {o.pk: o for o in Order.objects.all()}
        self.lines = list(OrderLine.objects.all())
        self.payments = list(Payment.objects.filter(status=Payment.Status.CAPTURED))
        self.refunds = list(Refund.objects.all())
        self.refund_lines = list(RefundLine.objects.all())

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def sale_in(self, order: Order, period: rs.Period, outlets) -> bool:
        return (order.status in ("paid", "refunded") and period.start <= order.business_date <= period.end
                and (outlets is None or order.outlet_id in outlets))  # fmt: skip

    def void_in(self, order: Order, period: rs.Period, outlets) -> bool:
        return (order.status == "voided" and period.start <= self.local(order.voided_at).date() <= period.end
                and (outlets is None or order.outlet_id in outlets))  # fmt: skip

    def refund_in(self, refund: Refund, period: rs.Period, outlets) -> bool:
        return (period.start <= self.local(refund.created_at).date() <= period.end
                and (outlets is None or self.orders[refund.order_id].outlet_id in outlets))  # fmt: skip

    def sales(self, period: rs.Period, outlets=None, *, key) -> dict:
        """The sales measures per key; `key(kind, local day, local hour, order)` picks the row a fact lands in."""
        rows = defaultdict(lambda: dict.fromkeys(SALES, 0))
        tips = defaultdict(int)
        for p in self.payments:
            tips[p.order_id] += p.tip_minor
        voided_lines = defaultdict(int)
        for line in self.lines:
            voided_lines[line.order_id] += line.is_voided
        for o in self.orders.values():
            if self.sale_in(o, period, outlets):
                row = rows[key("sale", o.business_date, self.local(o.created_at).hour, o)]
                row["orders"] += 1
                row["gross_minor"] += o.subtotal_minor
                row["discount_minor"] += o.discount_minor
                row["service_charge_minor"] += o.service_charge_minor
                row["tax_minor"] += o.tax_minor
                row["tax_included_minor"] += o.tax_included_minor
                row["total_minor"] += o.total_minor
                row["tips_minor"] += tips[o.pk]
                row["line_voids"] += voided_lines[o.pk]
            if self.void_in(o, period, outlets):
                at = self.local(o.voided_at)
                row = rows[key("void", at.date(), at.hour, o)]
                row["voids"] += 1
                row["voided_minor"] += o.total_minor
        for r in self.refunds:
            if self.refund_in(r, period, outlets):
                at = self.local(r.created_at)
                row = rows[key("refund", at.date(), at.hour, self.orders[r.order_id])]
                row["refunds"] += 1
                row["refunded_minor"] += r.amount_minor
        return rows

    def products(self, period: rs.Period, group) -> dict:
        rows = defaultdict(lambda: dict.fromkeys(PRODUCT, 0))
        by_id = {line.pk: line for line in self.lines}
        for line in self.lines:
            if not line.is_voided and self.sale_in(self.orders[line.order_id], period, None):
                row = rows[group(line)]
                row["quantity"] += line.quantity
                row["gross_minor"] += line.gross_minor
                row["discount_minor"] += line.discount_minor
                row["net_minor"] += line.net_minor
        refunds = {r.pk: r for r in self.refunds}
        for rl in self.refund_lines:
            if self.refund_in(refunds[rl.refund_id], period, None):
                row = rows[group(by_id[rl.order_line_id])]
                row["refunded_quantity"] += rl.quantity
                row["refunded_minor"] += rl.amount_minor
        return rows

    def modifiers(self, period: rs.Period) -> dict:
        rows = defaultdict(lambda: {"quantity": 0, "amount_minor": 0})
        for line in self.lines:
            if not line.is_voided and self.sale_in(self.orders[line.order_id], period, None):
                for m in line.modifiers:
                    rows[(m["id"], m["name"])]["quantity"] += line.quantity
                    rows[(m["id"], m["name"])]["amount_minor"] += m["price_delta_minor"] * line.quantity
        return rows

    def tenders(self, period: rs.Period) -> dict:
        rows = defaultdict(lambda: dict.fromkeys(("payments", "amount_minor", "tips_minor", "refunds",
                                                  "refunded_minor"), 0))  # fmt: skip
        for p in self.payments:
            if self.sale_in(self.orders[p.order_id], period, None):
                rows[p.tender]["payments"] += 1
                rows[p.tender]["amount_minor"] += p.amount_minor
                rows[p.tender]["tips_minor"] += p.tip_minor
        for r in self.refunds:
            if self.refund_in(r, period, None):
                rows[r.tender]["refunds"] += 1
                rows[r.tender]["refunded_minor"] += r.amount_minor
        return rows

    def taxes(self, period: rs.Period) -> dict:
        rows = defaultdict(lambda: {"orders": 0, "amount_minor": 0})
        for o in self.orders.values():
            if self.sale_in(o, period, None):
                for t in o.tax_breakdown:
                    row = rows[(t["code"], t["inclusive"], Decimal(t["rate"]))]
                    row["orders"] += 1
                    row["amount_minor"] += t["amount_minor"]
        return rows

    def staff(self, period: rs.Period) -> dict:
        rows = defaultdict(lambda: dict.fromkeys(STAFF, 0))
        for o in self.orders.values():
            if self.sale_in(o, period, None):
                row = rows[o.created_by_id]
                row["orders"] += 1
                row["total_minor"] += o.total_minor
                row["net_minor"] += o.total_minor - o.tax_minor - o.tax_included_minor - o.service_charge_minor
                row["discount_minor"] += o.discount_minor
        for p in self.payments:
            if self.sale_in(self.orders[p.order_id], period, None):
                rows[p.created_by_id]["payments"] += 1
                rows[p.created_by_id]["tips_minor"] += p.tip_minor
        for r in self.refunds:
            if self.refund_in(r, period, None):
                rows[r.created_by_id]["refunds"] += 1
                rows[r.created_by_id]["refunded_minor"] += r.amount_minor
        return rows


def _measures(rows: list[dict], key, names) -> dict:
    return {key(row): {n: row[n] for n in names} for row in rows}


def _check_period(raw: Raw, period: rs.Period, shop: Shop) -> None:  # noqa: PLR0915
    """Every report of `period` against the raw sums; a failure names the report and the period."""
    where = f"{period.start}..{period.end} ({raw.zone.key})"

    # Sales: the totals (all outlets and each one), and by day, hour, weekday, outlet and order type.
    for picked in (None, *([o.pk] for o in shop.outlets)):
        expected = raw.sales(period, picked, key=lambda *_: "all")["all"]
        got = rs.sales_totals(period=period, outlets=picked)
        assert {m: got[m] for m in SALES} == expected, f"sales_totals {where} outlets {picked}"
        net = expected["total_minor"] - expected["tax_minor"] - expected["tax_included_minor"]
        assert got["net_minor"] == net - expected["service_charge_minor"], where
        assert got["after_refunds_minor"] == expected["total_minor"] - expected["refunded_minor"], where
        average = expected["total_minor"] // expected["orders"] if expected["orders"] else 0
        assert got["average_ticket_minor"] == average, where
    keys = {
        "day": lambda kind, day, hour, order: day,
        "hour": lambda kind, day, hour, order: hour,
        "weekday": lambda kind, day, hour, order: day.isoweekday(),
        "outlet": lambda kind, day, hour, order: order.outlet_id,
        "order_type": lambda kind, day, hour, order: order.order_type,
    }
    for dimension, key in keys.items():
        expected = raw.sales(period, key=key)
        got = _measures(rs.sales_by(dimension=dimension, period=period), lambda r: r["key"], SALES)
        assert got == expected, f"sales_by {dimension} {where}"

    # Products, variants, categories and modifiers.
    categories = {p.pk: p.category_id for p, *_ in shop.menu}
    groups = {
        "product": lambda line: line.product_id,
        "variant": lambda line: (line.product_id, line.variant_id or 0),
        "category": lambda line: categories[line.product_id],
    }
    for by, group in groups.items():
        got = _measures(rs.product_sales(period=period, by=by), lambda r: r["key"], PRODUCT)
        assert got == raw.products(period, group), f"product_sales by {by} {where}"
    got = _measures(rs.modifier_sales(period=period), lambda r: (r["modifier_id"], r["name"]),
                    ("quantity", "amount_minor"))  # fmt: skip
    assert got == raw.modifiers(period), f"modifier_sales {where}"

    # Tenders, taxes, staff.
    tenders = raw.tenders(period)
    got = _measures(rs.payment_mix(period=period), lambda r: r["tender"],
                    ("payments", "amount_minor", "tips_minor", "refunds", "refunded_minor", "net_minor"))  # fmt: skip
    for row in tenders.values():
        row["net_minor"] = row["amount_minor"] - row["refunded_minor"]
    assert got == tenders, f"payment_mix {where}"
    got = _measures(rs.tax_summary(period=period), lambda r: (r["code"], r["inclusive"], r["rate"]),
                    ("orders", "amount_minor"))  # fmt: skip
    assert got == raw.taxes(period), f"tax_summary {where}"
    got = _measures(rs.staff_sales(period=period), lambda r: r["user_id"], STAFF)
    assert got == raw.staff(period), f"staff_sales {where}"

    # The exception lists: every void and refund of the period, with its amount.
    voids = {o.pk: o.total_minor for o in raw.orders.values() if raw.void_in(o, period, None)}
    assert {r["pk"]: r["total_minor"] for r in rs.voids_list(period=period)} == voids, f"voids_list {where}"
    refunds = {r.pk: r.amount_minor for r in raw.refunds if raw.refund_in(r, period, None)}
    assert {r["pk"]: r["amount_minor"] for r in rs.refunds_list(period=period)} == refunds, f"refunds_list {where}"


@pytest.fixture
def los_angeles(other_tenant):
    """The second business, moved to Los Angeles for the test (the tenant row is rolled back with the test; the
    session's tenant object, which the connection reads its time zone from, is put back here)."""
    before = other_tenant.tenant.timezone
    Tenant.objects.filter(pk=other_tenant.tenant.pk).update(timezone="America/Los_Angeles")
    other_tenant.tenant.timezone = "America/Los_Angeles"
    yield other_tenant
    other_tenant.tenant.timezone = before
    connection.set_schema_to_public()


def test_every_report_total_equals_the_sum_over_the_raw_orders(tenant, los_angeles):
    rng = random.Random(13)
    for fixture in (tenant, los_angeles):
        zone = ZoneInfo(fixture.tenant.timezone)
        with tenant_context(fixture.tenant):
            first = timezone.now().astimezone(zone).date() - timedelta(days=24)
            days = [first + timedelta(days=i) for i in range(5)]
            assert not Order.objects.filter(business_date__gte=first - timedelta(days=1)).exists()
            shop = _shop(fixture, fixture.tenant.timezone, datetime.combine(first, time(0)))
            for i, at in enumerate(sorted(_when(rng, rng.choice(days)) for _ in range(ORDERS_PER_BUSINESS))):
                _sell(rng, shop, f"{fixture.schema}-{i}", at)
            _relay()  # the sales are counted; then the refunds come, some of them a week later
            for i, (at, order_id, kind) in enumerate(sorted(shop.refunds)):
                _refund(rng, shop, at, order_id, kind, f"{fixture.schema}-r{i}")
            _relay()

            raw = Raw(zone)
            assert sum(o.status == "voided" for o in raw.orders.values()) >= 2, "the seed makes voids"
            assert len({raw.local(r.created_at).date() for r in raw.refunds}) >= 3, "refunds on several days"
            assert any(raw.local(o.created_at).hour == 23 for o in raw.orders.values()), "orders before midnight"
            last = max(raw.local(r.created_at).date() for r in raw.refunds)
            periods = [
                rs.Period(d, d)
                for d in (first - timedelta(days=1), *days, *(days[-1] + timedelta(days=k) for k in range(1, 10)))
            ]
            around = rs.Period(first - timedelta(days=3), last + timedelta(days=3))
            periods += [rs.Period(first, last), rs.Period(days[1], days[3]), around]
            for period in periods:
                _check_period(raw, period, shop)

            # The reconcile agrees to the last unit, and finds one unit put wrong in one roll-up row.
            assert rs.rollups_reconcile(start=first, end=last) == []
            out = StringIO()
            call_command("reports_reconcile", "--schema", fixture.schema, "--from", str(first), "--to", str(last),
                         stdout=out)  # fmt: skip
            assert f"{fixture.schema}: 0 differences" in out.getvalue()
            row = ProductDay.objects.filter(business_date__range=(first, last)).order_by("pk").first()
            ProductDay.objects.filter(pk=row.pk).update(net_minor=row.net_minor + 1)
            [difference] = rs.rollups_reconcile(start=first, end=last)
            assert (difference.table, difference.column, difference.expected, difference.actual) == (
                "reports_productday", "net_minor", row.net_minor, row.net_minor + 1)  # fmt: skip
            assert difference.key["business_date"] == row.business_date
        with pytest.raises(CommandError, match="1 differences"):
            call_command("reports_reconcile", "--schema", fixture.schema, "--from", str(first), "--to", str(last))
