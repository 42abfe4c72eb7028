"""Till search speed on a big catalog: p50/p95 of product_search, product_get_by_code and category_products.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/catalog_search.py --products 50000

Provisions a fresh tenant (through the same service as `manage.py provision_tenant`), fills it with
`--products` products (a tenth of them with two variants, 1% archived, 1% sold out at the outlet), runs
ANALYZE, then times each selector `--runs` times over varied inputs. The tenant is dropped at the end unless
--keep is given. It runs `setup_platform` first (migrations): point it at a scratch database.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings.development")
os.environ.setdefault("LOG_LEVEL", "WARNING")

_WORDS_TEXT = (
    "kopi susu gula aren es teh manis tarik caffe latte cappuccino espresso americano mocha matcha coklat vanilla "
    "caramel hazelnut nasi goreng mie ayam bakar sapi ikan udang sate soto bakso rendang gado tahu tempe pisang "
    "roti bakar keju croissant banana bread cake cheese brownies waffle pancake jus alpukat mangga jeruk semangka "
    "melon stroberi lemon lime mint ginger jahe kunyit sereh pandan kelapa durian nangka sirsak markisa leci "
    "original spicy pedas manis asin gurih jumbo mini large regular double triple iced hot panas dingin special"
)
WORDS = _WORDS_TEXT.split()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the tenant instead of dropping it")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django_tenants.utils import schema_context

    from business.selectors import outlet_default
    from catalog import selectors
    from catalog.models import Category, OutletProductOverride, Product, ProductVariant
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    rng = random.Random(42)  # noqa: S311 - deterministic data, not security
    call_command("setup_platform", verbosity=0)
    slug = f"bench-cat-{uuid.uuid4().hex[:6]}"
    tenant = tenant_provision(slug=slug, name="Catalog bench", owner_email=f"owner@{slug}.example").tenant
    try:
        with schema_context(tenant.schema_name):
            started = time.perf_counter()
            categories = Category.objects.bulk_create(Category(name=f"Category {i}", sort_order=i) for i in range(30))
            products = Product.objects.bulk_create(
                (
                    Product(
                        category=categories[i % len(categories)],
                        name=" ".join(rng.sample(WORDS, rng.randint(2, 4))).capitalize() + f" {i}",
                        sku=f"SKU-{i:06d}",
                        barcode=f"899{i:010d}",
                        price_minor=rng.randrange(5_000, 150_000, 500),
                        sort_order=i % 50,
                        is_archived=i % 100 == 7,
                    )
                    for i in range(args.products)
                ),
                batch_size=5000,
            )
            ProductVariant.objects.bulk_create(
                (
                    ProductVariant(
                        product=p,
                        name=size,
                        sku=f"{p.sku}-{size[0]}",
                        barcode=f"{p.barcode}{n}",
                        price_minor=p.price_minor + n * 5000,
                    )
                    for p in products[::10]
                    for n, size in enumerate(("Regular", "Large"))
                ),
                batch_size=5000,
            )
            outlet = outlet_default()
            OutletProductOverride.objects.bulk_create(
                OutletProductOverride(outlet=outlet, product=p, is_available=False) for p in products[3::100]
            )
            OutletProductOverride.objects.bulk_create(
                OutletProductOverride(outlet=outlet, product=p, price_minor=p.price_minor + 1000)
                for p in products[5::50]
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"built {args.products} products in {time.perf_counter() - started:.1f} s")

            def sample_query() -> str:
                kind = rng.random()
                if kind < 0.35:
                    return rng.choice(WORDS)[: rng.randint(2, 4)]
                if kind < 0.7:
                    return " ".join(w[: rng.randint(2, 5)] for w in rng.sample(WORDS, 2))
                if kind < 0.8:
                    return rng.choice(WORDS)
                if kind < 0.9:
                    return rng.choice(products).sku
                return rng.choice(products).barcode

            cases = {
                "product_search(query, limit=40)": lambda: selectors.product_search(
                    query=sample_query(), outlet=outlet, limit=40
                ),
                "product_search(1 letter)": lambda: selectors.product_search(
                    query=rng.choice("abcdefghijklmnoprstu"), outlet=outlet, limit=40
                ),
                "product_get_by_code(product barcode)": lambda: selectors.product_get_by_code(
                    code=rng.choice(products).barcode, outlet=outlet
                ),
                "product_get_by_code(variant barcode)": lambda: selectors.product_get_by_code(
                    code=rng.choice(products[::10]).barcode + "1", outlet=outlet
                ),
                "category_products(limit=60, offset<=600)": lambda: selectors.category_products(
                    category=rng.choice(categories), outlet=outlet, limit=60, offset=rng.randrange(0, 601, 60)
                ),
            }
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                server = cursor.fetchone()[0].split(",")[0]
            print(f"{args.products} products on {server}, {os.cpu_count()} cores, {args.runs} runs each (ms)")
            for label, call in cases.items():
                for _ in range(10):  # warm-up
                    call()
                timings = []
                for _ in range(args.runs):
                    reset_queries()
                    t0 = time.perf_counter()
                    call()
                    timings.append((time.perf_counter() - t0) * 1000)
                print(
                    f"  {label:42s} p50 {statistics.median(timings):6.1f}  p95 {percentile(timings, 95):6.1f}  "
                    f"max {max(timings):6.1f}"
                )

            from django.db.models import Q

            query = selectors.prefix_tsquery(["kop", "su"])
            matches = Q(name_vector=query) | Q(sku="KOP SU") | Q(barcode="kop su") | Q(pk__in=[1, 2])
            plan_qs = (
                selectors.sellable_products(outlet=outlet)
                .annotate(name_vector=selectors.product_name_vector())
                .filter(matches)
                .order_by("name")[:40]
            )
            print("plan of the search (name words OR sku OR barcode OR variant's product ids):")
            print("  " + plan_qs.explain().replace("\n", "\n  "))
    finally:
        if not args.keep:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
            connection.set_schema_to_public()
            Tenant.objects.filter(pk=tenant.pk).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
