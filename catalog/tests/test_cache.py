"""The catalog's version and the rows kept under it (catalog/cache.py), on committed data (cleaned up afterwards):
every way of writing the catalog moves the version when it commits and never before; a cart is priced from the
rows kept in the process with one query, and afresh after any change; tenants never share what is kept."""

import threading
import uuid

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from business.models import Outlet, Tax
from business.selectors import outlet_default
from catalog.cache import _version, catalog_cache_clear
from catalog.models import Category, OutletProductOverride, Product, ProductVariant
from catalog.selectors import LineChoice, catalog_lines_resolve


def version():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM catalog_catalogversion WHERE id = 1")
        return cursor.fetchone()[0]


@pytest.fixture
def alpha(committed_db):
    """Alpha's schema with a category of its own, removed afterwards with everything in it."""
    fixture = committed_db[0]
    catalog_cache_clear()
    with tenant_context(fixture.tenant):
        category = Category.objects.create(name=f"Cache {uuid.uuid4().hex[:6]}")
        yield category
        OutletProductOverride.objects.filter(product__category=category).delete()
        ProductVariant.objects.filter(product__category=category).delete()
        Product.objects.filter(category=category).delete()
        category.delete()
        Tax.objects.filter(code__startswith="cache-").delete()
    catalog_cache_clear()


def price(outlet_id: int, *lines: LineChoice) -> list[int]:
    found = catalog_lines_resolve(outlet_id=outlet_id, lines=list(lines))
    assert found.errors == {}, found.errors
    return [line.unit_price_minor for line in found.lines]


def test_every_way_of_writing_the_catalog_moves_the_version_when_it_commits(alpha):
    outlet = outlet_default()
    writes = {
        "create": lambda: Product.objects.create(category=alpha, name="Cache latte", sku="CACHE-1", price_minor=100),
        "update()": lambda: Product.objects.filter(sku="CACHE-1").update(price_minor=200),
        "bulk_create": lambda: Product.objects.bulk_create(
            [Product(category=alpha, name="Cache tea", sku="CACHE-2", price_minor=50)]
        ),
        "a tax added to a product": lambda: Product.objects.get(sku="CACHE-1").taxes.add(
            Tax.objects.create(code="cache-t", name="Cache tax", rate=10)
        ),
        "a tax's rate": lambda: Tax.objects.filter(code="cache-t").update(rate=11),
        "an outlet's override": lambda: OutletProductOverride.objects.create(
            outlet=outlet, product=Product.objects.get(sku="CACHE-2"), is_available=False
        ),
        "raw SQL": lambda: connection.cursor().execute(
            "UPDATE catalog_product SET name = 'Cache green tea' WHERE sku = 'CACHE-2'"
        ),
        "delete": lambda: OutletProductOverride.objects.filter(product__sku="CACHE-2").delete(),
    }
    for what, write in writes.items():
        before = version()
        with transaction.atomic():
            write()
            assert version() == before, f"{what}: the version moved before the commit"
            assert _version() is None, f"{what}: a transaction that wrote the catalog must read past the cache"
        assert version() != before, f"{what}: the version did not move"

    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Product.objects.filter(sku="CACHE-1").update(price_minor=999)
        raise RuntimeError("rolled back")
    assert version() == before, "a rolled-back change moved the version"
    assert Product.objects.get(sku="CACHE-1").price_minor == 200


def test_a_cart_is_priced_from_the_kept_rows_in_one_query_and_afresh_after_any_change(alpha, django_assert_num_queries):
    outlet_id = outlet_default().pk
    latte = Product.objects.create(category=alpha, name="Cache latte", sku="CACHE-1", price_minor=30000)
    large = ProductVariant.objects.create(product=latte, name="Large", sku="CACHE-1L", price_minor=40000)
    line = LineChoice(latte.pk, large.pk)
    assert price(outlet_id, line) == [40000]
    with django_assert_num_queries(1):  # the version; the rows are this process's
        assert price(outlet_id, line) == [40000]

    # What no model signal sees: an update() of the variant, the outlet's own price, a rate through raw SQL.
    ProductVariant.objects.filter(pk=large.pk).update(price_minor=45000)
    assert price(outlet_id, line) == [45000]
    OutletProductOverride.objects.create(outlet_id=outlet_id, product=latte, variant=large, price_minor=47000)
    assert price(outlet_id, line) == [47000]
    OutletProductOverride.objects.filter(product=latte).update(is_available=False)
    found = catalog_lines_resolve(outlet_id=outlet_id, lines=[line])
    assert found.errors == {"lines.1": ["Line 1: Cache latte is sold out at this outlet."]}
    Product.objects.filter(pk=latte.pk).update(is_archived=True)
    found = catalog_lines_resolve(outlet_id=outlet_id, lines=[line])
    assert found.errors == {"lines.1": ["Line 1: this product is not on the menu."]}


def test_a_transaction_that_wrote_the_catalog_prices_with_what_it_wrote(alpha):
    outlet_id = outlet_default().pk
    tea = Product.objects.create(category=alpha, name="Cache tea", sku="CACHE-2", price_minor=10000)
    assert price(outlet_id, LineChoice(tea.pk)) == [10000]  # kept
    with transaction.atomic():
        Product.objects.filter(pk=tea.pk).update(price_minor=12000)
        assert price(outlet_id, LineChoice(tea.pk)) == [12000]
        transaction.set_rollback(True)
    assert price(outlet_id, LineChoice(tea.pk)) == [10000]


def test_other_outlets_and_other_tenants_never_get_what_one_keeps(committed_db, alpha):
    """Alpha and beta may use the same ids for their outlets and products, and even hold the same version
    value: the kept rows are per schema (and per version table) and per outlet."""
    _alpha, beta = committed_db
    outlet = outlet_default()
    second = Outlet.objects.create(name="Cache second outlet")
    try:
        latte = Product.objects.create(category=alpha, name="Cache latte", sku="CACHE-1", price_minor=30000)
        OutletProductOverride.objects.create(outlet=second, product=latte, price_minor=33000)
        assert price(outlet.pk, LineChoice(latte.pk)) == [30000]
        assert price(second.pk, LineChoice(latte.pk)) == [33000]
        same = version()
        alpha_key = _version()
        with tenant_context(beta.tenant):
            connection.cursor().execute("UPDATE catalog_catalogversion SET version = %s", [same])
            assert _version() != alpha_key  # same value, another schema's table
            category = Category.objects.create(name="Cache beta")
            mine = Product.objects.create(category=category, name="Beta only", sku="CACHE-B", price_minor=777)
            try:
                found = catalog_lines_resolve(outlet_id=outlet.pk, lines=[LineChoice(latte.pk)])
                assert latte.pk == mine.pk or found.errors  # alpha's latte is nothing here
                if latte.pk != mine.pk:
                    assert [line.product_name for line in found.lines] == []
                assert price(outlet_default().pk, LineChoice(mine.pk)) == [777]
            finally:
                mine.delete()
                category.delete()
    finally:
        OutletProductOverride.objects.filter(outlet=second).delete()
        second.delete()


def test_a_catalog_write_does_not_hold_the_version_until_its_transaction_ends(alpha):
    """The version row is written at commit, the last lock a transaction takes: a long import does not make every
    other catalog write wait from its first row on (nor deadlock with one that then waits for its rows)."""
    one = Product.objects.create(category=alpha, name="Cache one", sku="CACHE-X1", price_minor=100)
    two = Product.objects.create(category=alpha, name="Cache two", sku="CACHE-X2", price_minor=100)
    tenant = connection.tenant
    a_wrote, b_wrote, errors = threading.Event(), threading.Event(), []

    def import_a():
        try:
            with tenant_context(tenant), transaction.atomic():
                Product.objects.filter(pk=one.pk).update(price_minor=200)
                a_wrote.set()
                b_wrote.wait(10)
                Product.objects.filter(pk=two.pk).update(price_minor=201)  # waits for b's commit
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    def edit_b():
        try:
            a_wrote.wait(10)
            with tenant_context(tenant), transaction.atomic():
                Product.objects.filter(pk=two.pk).update(price_minor=300)
                b_wrote.set()
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    before = version()
    threads = [threading.Thread(target=import_a), threading.Thread(target=edit_b)]
    for thread in threads:
        thread.start()
    assert b_wrote.wait(5), "a catalog write waited for another's open transaction on the version row"
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert version() != before
    assert sorted(Product.objects.filter(pk__in=[one.pk, two.pk]).values_list("price_minor", flat=True)) == [200, 201]


def test_a_piece_made_from_the_catalog_is_made_once_per_version_and_per_schema(committed_db, alpha):
    from catalog.cache import catalog_kept

    made = []

    def grid():
        made.append(connection.schema_name)
        return list(Product.objects.filter(category=alpha).values_list("name", "price_minor"))

    latte = Product.objects.create(category=alpha, name="Cache latte", sku="CACHE-1", price_minor=100)
    assert catalog_kept(("grid", alpha.pk), grid) == [("Cache latte", 100)]
    assert catalog_kept(("grid", alpha.pk), grid) == [("Cache latte", 100)]
    assert len(made) == 1
    Product.objects.filter(pk=latte.pk).update(price_minor=150)
    assert catalog_kept(("grid", alpha.pk), grid) == [("Cache latte", 150)]
    assert catalog_kept(("grid", "another key"), grid) == [("Cache latte", 150)]
    assert len(made) == 3
    with tenant_context(committed_db[1].tenant):
        assert catalog_kept(("grid", alpha.pk), grid) == []  # beta's own, not alpha's
    assert made[-1] == committed_db[1].tenant.schema_name
