"""A sale holds the rows other tills need (the outlet's stock levels, its order counter) for as short as it can:
they are written last, the number after the stock, so an outlet's sales do not queue behind each other's
whole transactions; and the settings a sale needs are read before its transaction, from the cache."""

import threading
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from business.selectors import tenant_settings
from catalog.models import Category, Product
from inventory.models import RecipeComponent, StockItem, StockLevel, StockMovement
from inventory.services.stock import MovementLine, movements_post
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.locks import wait_for_lock_waiters
from sales.models import Order, OrderCounter, OrderLine, Register, Shift
from sales.services.orders import LineRequest, order_submit
from sales.services.shifts import register_create, shift_open


def _index(statements: list[str], text: str) -> int:
    return next(i for i, sql in enumerate(statements) if text in sql)


def test_a_sale_writes_its_lines_then_the_stock_then_its_number(tenant, in_tenant):
    outlet = Outlet.objects.create(name="Order of writes", code="ORD-W")
    cashier = tenant.users[Role.CASHIER]
    shift = shift_open(register=register_create(outlet=outlet, name="W"), user=cashier, opening_float_minor=0)
    beans = StockItem.objects.create(name="Beans W", sku="W-BEANS", base_unit="g")
    latte = Product.objects.create(category=Category.objects.create(name="W"), name="Latte W", sku="W-1",
                                   price_minor=30_000)  # fmt: skip
    RecipeComponent.objects.create(product=latte, item=beans, quantity=Decimal(18))
    movements_post(
        outlet_id=outlet.pk, kind="receiving", source_type="test", lines=[MovementLine(beans.pk, Decimal(100))]
    )

    with CaptureQueriesContext(connection) as queries:
        order = order_submit(shift=shift, user=cashier, idempotency_key="order-of-writes",
                             lines=[LineRequest(latte.pk, quantity=2)])  # fmt: skip
    statements = [q["sql"] for q in queries.captured_queries]
    lines_at = _index(statements, 'INSERT INTO "sales_orderline"')
    stock_at = _index(statements, "INSERT INTO inventory_stocklevel")
    number_at = _index(statements, "sales_ordercounter")
    assert lines_at < stock_at < number_at
    # one statement moves the levels (no separate create, lock, read and update), and nothing after the number
    # touches a row another till could want
    assert sum("inventory_stocklevel" in sql for sql in statements) == 1
    assert not any("FOR UPDATE" in sql or "inventory_stocklevel" in sql for sql in statements[number_at + 1 :])
    assert not any('UPDATE "sales_orderline"' in sql for sql in statements)  # usage written with the line
    order.refresh_from_db()
    assert order.number == 1 and order.lines.get().stock_usage == {str(beans.pk): "18"}
    assert StockLevel.objects.get(item=beans, outlet=outlet).quantity == Decimal(64)
    assert StockMovement.objects.filter(source_type="order", source_id=order.pk).get().balance_after == Decimal(64)


def test_a_sale_waiting_for_stock_does_not_hold_up_the_outlets_next_sale(committed_db):
    """Sale A waits for a stock level someone else holds (a delivery being booked, say). On the old order of
    writes A had already taken the outlet's order number and held the counter, so sale B, which needs other
    stock, queued behind A. Now B finishes at once and takes number 1; A gets 2 when it goes through."""
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.create(name="Contention outlet", code="RACE-C")
        cashier, supervisor = alpha.users[Role.CASHIER], alpha.users[Role.SUPERVISOR]
        shift_a = shift_open(register=register_create(outlet=outlet, name="C-A"), user=cashier, opening_float_minor=0)
        shift_b = shift_open(register=register_create(outlet=outlet, name="C-B"), user=supervisor,
                             opening_float_minor=0)  # fmt: skip
        category = Category.objects.create(name="Contention")
        items, products = [], []
        for name in ("milk", "tea"):
            item = StockItem.objects.create(name=f"Contention {name}", sku=f"RACE-C-{name}", base_unit="ml")
            product = Product.objects.create(category=category, name=f"Contention {name}", sku=f"RACE-C-{name}",
                                             price_minor=20_000)  # fmt: skip
            RecipeComponent.objects.create(product=product, item=item, quantity=Decimal(100))
            movements_post(outlet_id=outlet.pk, kind="receiving", source_type="test",
                           lines=[MovementLine(item.pk, Decimal(10_000))])  # fmt: skip
            items.append(item)
            products.append(product)
        tenant_settings().loaded()  # the settings row exists, as on any tenant that has sold before
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def hold_milk():
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                StockLevel.objects.select_for_update().get(item=items[0], outlet=outlet)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def sell(label, shift, user, product, lock_timeout):
        try:
            with tenant_context(alpha.tenant):
                with connection.cursor() as cursor:
                    # a regression fails the test instead of hanging it
                    cursor.execute("SELECT set_config('lock_timeout', %s, false)", [lock_timeout])
                order = order_submit(shift=shift, user=user, idempotency_key=f"contention-{label}",
                                     lines=[LineRequest(product.pk)])  # fmt: skip
                outcome[label] = order.number
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome[label] = repr(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_milk)
    sale_a = threading.Thread(target=sell, args=("a", shift_a, cashier, products[0], "20s"))
    sale_b = threading.Thread(target=sell, args=("b", shift_b, supervisor, products[1], "4s"))
    try:
        holder.start()
        assert holding.wait(10)
        sale_a.start()
        assert wait_for_lock_waiters(1, query_contains="inventory_stocklevel")
        sale_b.start()
        sale_b.join(8)
        assert outcome.get("b") == 1, outcome  # B went through while A still waited
        release.set()
        sale_a.join(10)
        assert outcome.get("a") == 2, outcome  # and the numbers stay gap-free
    finally:
        release.set()
        for thread in (holder, sale_a, sale_b):
            thread.join(15)
        with tenant_context(alpha.tenant):
            orders = Order.objects.filter(outlet=outlet)
            committed_rows_purge(StockMovement.objects.filter(outlet=outlet))
            StockLevel.objects.filter(outlet=outlet).delete()
            OrderLine.objects.filter(order__in=orders).delete()
            orders.delete()
            OrderCounter.objects.filter(outlet=outlet).delete()
            Shift.objects.filter(register__outlet=outlet).delete()
            Register.objects.filter(outlet=outlet).delete()
            RecipeComponent.objects.filter(item__in=items).delete()
            Product.objects.filter(category=category).delete()
            StockItem.objects.filter(pk__in=[i.pk for i in items]).delete()
            category.delete()
            outlet.delete()


def test_a_sale_reads_its_settings_from_the_cache_not_inside_its_transaction(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.create(name="Settings outlet", code="RACE-S")
        cashier = alpha.users[Role.CASHIER]
        shift = shift_open(register=register_create(outlet=outlet, name="S"), user=cashier, opening_float_minor=0)
        category = Category.objects.create(name="Settings race")
        tea = Product.objects.create(category=category, name="Settings tea", sku="RACE-S-1", price_minor=10_000)
        try:
            tenant_settings().loaded()  # the cache holds them, as after any earlier request
            with CaptureQueriesContext(connection) as queries:
                order_submit(shift=shift, user=cashier, idempotency_key="settings-cached", lines=[LineRequest(tea.pk)])
            statements = [q["sql"] for q in queries.captured_queries]
            assert not any('FROM "business_salessettings"' in sql for sql in statements)
            assert not any('FROM "business_tax"' in sql and "catalog_product_taxes" not in sql for sql in statements)
        finally:
            orders = Order.objects.filter(outlet=outlet)
            OrderLine.objects.filter(order__in=orders).delete()
            orders.delete()
            OrderCounter.objects.filter(outlet=outlet).delete()
            Shift.objects.filter(register__outlet=outlet).delete()
            Register.objects.filter(outlet=outlet).delete()
            tea.delete()
            category.delete()
            outlet.delete()
            cache.clear()
