"""Closing a shift and its Z report with many orders (default 5,000), and the till page with a big catalog.

    DATABASE_URL=... REDIS_URL=... python bench/z_report.py --orders 5000 --products 50000

Makes a throwaway tenant, sells the orders through the real services (order_submit + payment_add; the time
that takes is printed too), then times shift_close, shift_report and the Z report page; with --products it
also bulk-creates that many products and times the till page and a search through the test client. The tenant
is dropped at the end unless --keep.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def timed(fn, runs: int = 1) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--products", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import Role
    from accounts.services import staff_create
    from business.models import Outlet, SalesSettings, Tax
    from catalog.models import Category, Product
    from catalog.services import category_create, product_create
    from sales.models import Shift
    from sales.selectors import shift_report
    from sales.services.orders import LineRequest, order_submit, payment_add
    from sales.services.shifts import register_create, shift_close, shift_open
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    call_command("setup_platform", verbosity=0)
    slug = f"zbench-{uuid.uuid4().hex[:6]}"
    tenant = tenant_provision(slug=slug, name="Z bench", owner_email="o@z.example").tenant
    try:
        with schema_context(tenant.schema_name):
            SalesSettings.objects.update_or_create(pk=1, defaults={"service_charge_rate": Decimal(5)})
            pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
            cat = category_create(name="Menu")
            items = [product_create(category=cat, name=f"Item {i}", sku=f"Z{i}", price_minor=10000 + 500 * i,
                                    taxes=[pb1]) for i in range(20)]  # fmt: skip
            cashier = staff_create(username="z", role=Role.CASHIER, actor=None, password="z-password-123",
                                   must_change_password=False)  # fmt: skip
            outlet = Outlet.objects.get(code="MAIN")
            shift = shift_open(register=register_create(outlet=outlet, name="Z"), user=cashier, opening_float_minor=0)
            started = time.perf_counter()
            for n in range(args.orders):
                lines = [LineRequest(items[(n + k) % 20].pk, 1 + k % 2) for k in range(3)]
                order = order_submit(shift=shift, user=cashier, idempotency_key=f"z{n}", lines=lines)
                payment_add(order=order, user=cashier, tender="card", amount_minor=order.total_minor,
                            idempotency_key=f"zp{n}", reference="Z")  # fmt: skip
            selling = time.perf_counter() - started
            print(f"sold {args.orders} orders through the services in {selling:.1f} s "
                  f"({args.orders / selling:.0f} orders/s, one process)")  # fmt: skip
            x = timed(lambda: shift_report(shift=shift), 5)
            print(f"X report (shift_report, open shift): median {statistics.median(x):.0f} ms")
            close = timed(lambda: shift_close(shift=shift, user=cashier, denominations={}))
            print(f"shift_close: {close[0]:.0f} ms")
            shift = Shift.objects.get(pk=shift.pk)
            z = timed(lambda: shift_report(shift=shift), 5)
            print(f"Z report (shift_report): median {statistics.median(z):.0f} ms")

            client = Client(HTTP_HOST=tenant.get_primary_domain().domain)
            client.force_login(cashier)
            page = timed(lambda: client.get(f"/shifts/{shift.pk}/report/"), 5)
            print(f"Z report page: median {statistics.median(page):.0f} ms")

            if args.products:
                cats = [Category.objects.create(name=f"Cat {c}", sort_order=c) for c in range(40)]
                Product.objects.bulk_create(
                    [Product(category=cats[i % 40], name=f"Product {i} {['kopi', 'teh', 'roti', 'nasi'][i % 4]}",
                             sku=f"P{i:06d}", barcode=f"89{i:010d}", price_minor=5000 + i % 100 * 100)
                     for i in range(args.products)], batch_size=5000)  # fmt: skip
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE catalog_product")
                shift2 = shift_open(register=register_create(outlet=outlet, name="Z2"), user=cashier,
                                    opening_float_minor=0)  # fmt: skip
                session = client.session
                session["till_register_id"] = shift2.register_id
                session.save()
                till = timed(lambda: client.get("/till/"), 30)
                search = timed(lambda: client.get("/till/products/", {"q": "kop 12"}), 30)
                scan = timed(lambda: client.get("/till/scan/", {"code": "890000012345"}), 30)
                q = statistics.quantiles
                print(f"till page with {args.products} products: p50 {q(till, n=100)[49]:.0f} ms, "
                      f"p95 {q(till, n=100)[94]:.0f} ms")  # fmt: skip
                print(f"search 'kop 12': p50 {q(search, n=100)[49]:.0f} ms, p95 {q(search, n=100)[94]:.0f} ms")
                print(f"barcode scan: p50 {q(scan, n=100)[49]:.0f} ms, p95 {q(scan, n=100)[94]:.0f} ms")
    finally:
        if not args.keep:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
            Tenant.objects.filter(pk=tenant.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
