"""Provision the load-test tenants `lt001..ltNNN` through the product's own services.

    # cwd = the checkout to set up (this one or an older one, e.g. /work/baseline)
    DATABASE_URL=... REDIS_URL=... python loadtest/setup.py --tenants 50

Each tenant gets what a small café-restaurant has on a busy day: one outlet with six registers (one per
cashier), a menu of 4 categories and 20 products (PB1 10%, 5% service), two kitchen stations covering every
category (so every order goes to the kitchen), recipes on most products consuming stock items with plenty on
hand, and staff cashier1-6, kitchen1-2, supervisor and owner, all with the password below.

Idempotent: a tenant that exists is not made again. Every run also tidies what an earlier (possibly killed)
load run left behind, through the same services the screens use: open shifts are closed, open kitchen
tickets bumped and ready orders marked served, so each run starts from the same state.
"""

import argparse
import os
import sys
import time
from inspect import signature
from pathlib import Path

# The checkout being set up is the working directory, not the one this file lives in: the same script sets up
# an older checkout of the project (whose services may differ a little) for an A/B run.
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pos_loadtest")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("SECRET_KEY", "loadtest-only")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PASSWORD = "loadtest-pass-1"  # noqa: S105 - throwaway tenants for load tests
# Owners sign in with a second factor: an authenticator with this key (hex), whose codes the load test computes
# (loadtest/locustfile.py, LOADTEST_TOTP_KEY there).
TOTP_KEY = "6c6f61642d746573742d6f776e65722d32666121"  # noqa: S105 - b"load-test-owner-2fa!"
CASHIERS = 6
KITCHENS = 2
# category: [(product, price in IDR)], station it goes to
MENU = {
    "Coffee": [("Espresso", 22000), ("Cappuccino", 32000), ("Caffe latte", 35000), ("Kopi susu", 28000),
               ("Americano", 26000)],
    "Tea & juice": [("Teh tarik", 20000), ("Matcha latte", 36000), ("Es teh manis", 10000),
                    ("Jus alpukat", 25000), ("Lemon tea", 18000)],
    "Mains": [("Nasi goreng", 45000), ("Mie goreng", 42000), ("Ayam bakar", 55000), ("Soto ayam", 38000),
              ("Gado-gado", 35000)],
    "Snacks": [("Pisang goreng", 18000), ("Roti bakar", 22000), ("Kentang goreng", 24000),
               ("Butter croissant", 25000), ("Banana bread", 27000)],
}  # fmt: skip
STATIONS = {"Bar": ["Coffee", "Tea & juice"], "Kitchen": ["Mains", "Snacks"]}
# stock item: (base unit, cost per base unit in minor units)
STOCK_ITEMS = {
    "Coffee beans": ("g", "250"), "Fresh milk": ("ml", "18"), "Tea leaves": ("g", "180"), "Sugar syrup": ("ml", "40"),
    "Rice": ("g", "14"), "Chicken": ("g", "55"), "Noodles": ("pcs", "2500"), "Banana": ("pcs", "1500"),
    "Bread": ("pcs", "3000"), "Potato": ("g", "20"),
}  # fmt: skip
RECIPES = {
    "Espresso": {"Coffee beans": 18}, "Cappuccino": {"Coffee beans": 18, "Fresh milk": 150},
    "Caffe latte": {"Coffee beans": 18, "Fresh milk": 200}, "Kopi susu": {"Coffee beans": 18, "Sugar syrup": 30},
    "Americano": {"Coffee beans": 18}, "Teh tarik": {"Tea leaves": 5, "Fresh milk": 100},
    "Matcha latte": {"Fresh milk": 200}, "Es teh manis": {"Tea leaves": 4, "Sugar syrup": 20},
    "Nasi goreng": {"Rice": 200, "Chicken": 50}, "Mie goreng": {"Noodles": 1, "Chicken": 50},
    "Ayam bakar": {"Chicken": 250, "Rice": 150}, "Soto ayam": {"Chicken": 100, "Rice": 100},
    "Pisang goreng": {"Banana": 2}, "Roti bakar": {"Bread": 2}, "Kentang goreng": {"Potato": 200},
}  # fmt: skip
OPENING_STOCK = 50_000_000  # base units per item: no run ever gets near zero


def slug_for(index: int) -> str:
    return f"lt{index:03d}"


def ensure_pg_stat_statements() -> bool:
    """Best effort: the run reports the top statements when the server has the module preloaded."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT count(*) FROM pg_stat_statements")
        return True
    except Exception:  # noqa: BLE001 - not installed / not preloaded: the report says so
        return False


def tenant_create(slug: str, index: int):
    from decimal import Decimal

    from django.db import transaction
    from django_tenants.utils import schema_context

    from accounts.models import Role
    from accounts.services import staff_create
    from business.models import SalesSettings, Tax
    from catalog.services import category_create, product_create
    from inventory.models import StockItem, StockLevel
    from inventory.services.recipes import recipe_component_add
    from inventory.services.stock import MovementLine, movements_post
    from kitchen.services import station_create
    from sales.services.shifts import register_create
    from tenants.services import tenant_provision

    with transaction.atomic():
        result = tenant_provision(slug=slug, name=f"Load test {index:03d}", owner_email=f"owner@{slug}.example")
        with schema_context(result.tenant.schema_name):
            # As the demo seeding does: the owner's one-time password replaced by a known one.
            owner = result.owner
            owner.set_password(PASSWORD)
            owner.must_change_password = False
            owner.save()
            staff = [(f"cashier{n}", Role.CASHIER) for n in range(1, CASHIERS + 1)]
            staff += [(f"kitchen{n}", Role.KITCHEN) for n in range(1, KITCHENS + 1)]
            staff += [("supervisor", Role.SUPERVISOR)]
            for username, role in staff:
                staff_create(username=username, role=role, actor=owner, password=PASSWORD,
                             first_name=username.capitalize(), must_change_password=False)  # fmt: skip
            SalesSettings.objects.update_or_create(
                pk=1, defaults={"service_charge_rate": Decimal(5), "cash_rounding_unit": 100}
            )
            pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
            outlet = result.outlet
            for n in range(1, CASHIERS + 1):
                register_create(outlet=outlet, name=f"Till {n}")
            products, categories = {}, {}
            for position, (category_name, items) in enumerate(MENU.items()):
                category = categories[category_name] = category_create(name=category_name, sort_order=position)
                for sort, (name, price) in enumerate(items):
                    products[name] = product_create(category=category, name=name, sku=f"LT-{position}{sort:02d}",
                                                    price_minor=price, sort_order=sort, taxes=[pb1])  # fmt: skip
            for name, category_names in STATIONS.items():
                station_create(outlet=outlet, name=name, category_ids=[categories[c].pk for c in category_names],
                               amber=4, red=8)  # fmt: skip
            stock = {}
            for n, (name, (unit, cost)) in enumerate(STOCK_ITEMS.items(), start=1):
                stock[name] = StockItem.objects.create(
                    name=name, sku=f"LTS-{n:03d}", base_unit=unit, purchase_unit=unit, purchase_factor=Decimal(1),
                    cost=Decimal(cost), kind=StockItem.Kind.INGREDIENT,
                )  # fmt: skip
                StockLevel.objects.create(item=stock[name], outlet=outlet, reorder_point=Decimal(100))
            opening = [MovementLine(item.pk, Decimal(OPENING_STOCK)) for item in stock.values()]
            movements_post(outlet_id=outlet.pk, kind="receiving", user=owner, source_type="opening",
                           note="Opening stock", lines=opening)  # fmt: skip
            for product_name, parts in RECIPES.items():
                for item_name, quantity in parts.items():
                    recipe_component_add(item=stock[item_name], quantity=Decimal(quantity),
                                         product=products[product_name], actor=owner)  # fmt: skip
    return result.tenant


def tidy(tenant) -> dict:
    """Close what an earlier run left open, through the product's services: shifts, tickets, ready orders."""
    from django_tenants.utils import schema_context

    from accounts.models import User
    from kitchen.models import Ticket
    from kitchen.services import ticket_bump
    from sales.models import Order, Shift
    from sales.services.orders import order_mark_served
    from sales.services.shifts import shift_close

    done = {"shifts": 0, "tickets": 0, "served": 0}
    with schema_context(tenant.schema_name):
        owner = User.objects.filter(username="owner").first()
        for ticket in Ticket.objects.filter(status=Ticket.Status.NEW).order_by("pk"):
            ticket_bump(ticket=ticket, actor=owner)
            done["tickets"] += 1
        waiting = Order.objects.filter(sent_to_kitchen_at__isnull=False, served_at__isnull=True).order_by("pk")
        for order in waiting:
            order_mark_served(order=order)
            done["served"] += 1
        # A close with open tabs needs a supervisor's say-so since issue 11 (the owner's, here); older checkouts
        # measured with this script have no such parameter.
        approval = "leave_tabs_approved_by"
        leave = {approval: owner} if approval in signature(shift_close).parameters else {}
        for shift in Shift.objects.filter(status=Shift.Status.OPEN).order_by("pk"):
            shift_close(shift=shift, user=shift.opened_by, denominations={}, note="load test: closed before a run",
                        **leave)  # fmt: skip
            done["shifts"] += 1
    return done


def owner_second_factor(tenant) -> None:
    """The owner's authenticator (TOTP_KEY), so the load test passes the second step of signing in. An older
    checkout measured with this script has no two-step sign-in: nothing to do there."""
    try:
        from django_otp.plugins.otp_totp.models import TOTPDevice
    except (ImportError, RuntimeError):  # not installed, or not an installed app in that checkout
        return
    from django_tenants.utils import schema_context

    from accounts.models import User

    with schema_context(tenant.schema_name):
        owner = User.objects.get(username="owner")
        TOTPDevice.objects.update_or_create(user=owner, name="authenticator",
                                            defaults={"key": TOTP_KEY, "confirmed": True, "last_t": -1})  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--no-tidy", action="store_true", help="leave open shifts, tickets and ready orders")
    parser.add_argument("--migrate", action="store_true", help="run manage.py setup_platform first")
    args = parser.parse_args()
    if not (Path.cwd() / "manage.py").exists():
        parser.error("run it from a checkout of the project (cwd has no manage.py)")

    import django

    django.setup()
    from django.core.management import call_command

    from tenants.models import Tenant

    if args.migrate:
        call_command("setup_platform", verbosity=0)
    stats = "available" if ensure_pg_stat_statements() else "not available (needs shared_preload_libraries)"
    print(f"pg_stat_statements: {stats}")
    started = time.perf_counter()
    made = tidied = 0
    for index in range(1, args.tenants + 1):
        slug = slug_for(index)
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_create(slug, index)
            made += 1
        elif not args.no_tidy:
            left = tidy(tenant)
            tidied += sum(left.values())
        owner_second_factor(tenant)
    print(f"{args.tenants} load-test tenants ready ({made} made, {tidied} leftovers tidied) "
          f"in {time.perf_counter() - started:.1f} s; password {PASSWORD}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
