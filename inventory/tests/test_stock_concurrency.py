"""Two cashiers, in two separate processes, sell the last unit at the same moment under the "block" policy.

The test holds the item's stock row locked until PostgreSQL shows both processes waiting (never a sleep and a
hope): the first on the stock row, the second queued behind the first on the day's order counter. Both are truly
inside their sale at once; then it lets go. Exactly one sale may succeed."""

import json
import subprocess
import sys
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from catalog.models import Category, Product
from inventory.models import RecipeComponent, StockItem, StockLevel, StockMovement, StockSettings
from inventory.services.stock import MovementLine, movements_post
from inventory.tests.stock_helpers import assert_ledger_consistent
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.locks import lock_waiters, wait_for_lock_waiters
from pos_project.testing.processes import child_env
from sales.models import Order, OrderCounter, OrderLine, Register, Shift
from sales.services.shifts import register_create, shift_open

SELLER = """
import json, sys, django
django.setup()
from django_tenants.utils import tenant_context
from django.core.exceptions import ValidationError
from tenants.models import Tenant
from accounts.models import User
from sales.models import Shift
from sales.services.orders import LineRequest, order_submit
schema, shift_id, user_id, product_id, key = sys.argv[1:6]
with tenant_context(Tenant.objects.get(schema_name=schema)):
    print("ready", flush=True)
    try:
        order = order_submit(shift=Shift.objects.get(pk=shift_id), user=User.objects.get(pk=user_id),
                             idempotency_key=key, lines=[LineRequest(int(product_id))])
        print(json.dumps({"ok": order.pk}), flush=True)
    except ValidationError as exc:
        print(json.dumps({"error": exc.messages}), flush=True)
"""


def test_two_processes_sell_the_last_unit_and_exactly_one_succeeds(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.get(code="MAIN")
        StockSettings.objects.all().delete()
        StockSettings.objects.create(negative_stock=StockSettings.NegativeStock.BLOCK)
        product = Product.objects.create(
            category=Category.objects.create(name="Race stock"), name="Last water", sku="RACE-W", price_minor=5_000
        )
        item = StockItem.objects.create(name="Last water bottle", sku="RACE-W-STK", kind="product")
        RecipeComponent.objects.create(product=product, item=item, quantity=Decimal(1))
        movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(1))],
                       source_type="test")  # fmt: skip
        shifts = [
            shift_open(
                register=register_create(outlet=outlet, name=f"Race {n}"),
                user=alpha.users[Role.CASHIER],
                opening_float_minor=0,
            )  # fmt: skip
            for n in (1, 2)
        ]
        counters = dict(OrderCounter.objects.values_list("pk", "last_number"))
    try:
        with tenant_context(alpha.tenant), transaction.atomic():
            StockLevel.objects.select_for_update().get(item=item, outlet=outlet)  # both sellers will queue on it
            sellers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        SELLER,
                        alpha.schema,
                        str(shift.pk),
                        str(alpha.users[Role.CASHIER].pk),
                        str(product.pk),
                        f"race-last-{shift.pk}",
                    ],
                    env=child_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )  # fmt: skip
                for shift in shifts
            ]
            for seller in sellers:
                assert seller.stdout.readline().strip() == "ready"
            # Both are now inside order_submit: one blocked on the stock row this test holds, one behind it.
            both_waiting = wait_for_lock_waiters(2, timeout=30)
            on_the_stock_row = lock_waiters("inventory_stocklevel")
        outcomes = [json.loads(seller.communicate(timeout=60)[0].strip().splitlines()[-1]) for seller in sellers]
        assert both_waiting, "both sellers should have been waiting at once"
        assert on_the_stock_row >= 1, "a seller should have been waiting on the stock row"
        sold = [o for o in outcomes if "ok" in o]
        refused = [o for o in outcomes if "error" in o]
        assert len(sold) == 1 and len(refused) == 1, outcomes
        assert "Out of stock: only 0 pcs of Last water bottle left" in " ".join(refused[0]["error"])
        with tenant_context(alpha.tenant):
            assert StockLevel.objects.get(item=item, outlet=outlet).quantity == 0
            assert Order.objects.filter(shift__in=shifts).count() == 1
            assert_ledger_consistent()
    finally:
        with tenant_context(alpha.tenant):
            OrderLine.objects.filter(order__shift__in=shifts).delete()
            Order.objects.filter(shift__in=shifts).delete()
            # The day's order numbers go back to where they were, not to zero: other tests may have left orders
            # committed (the browser tests do), and a counter behind them would hand out their numbers again.
            OrderCounter.objects.exclude(pk__in=counters).delete()
            for pk, last_number in counters.items():
                OrderCounter.objects.filter(pk=pk).update(last_number=last_number)
            committed_rows_purge(StockMovement.objects.filter(item=item))
            StockLevel.objects.filter(item=item).delete()
            RecipeComponent.objects.filter(item=item).delete()
            item.delete()
            Shift.objects.filter(pk__in=[s.pk for s in shifts]).delete()
            Register.objects.filter(name__startswith="Race ").delete()
            product.delete()
            Category.objects.filter(name="Race stock").delete()
            StockSettings.objects.all().delete()
