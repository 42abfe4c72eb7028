"""What the till shows of a product with sizes (its default size, its "from" price) and marking an item sold out
at an outlet from the till (issue 11, point 11)."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from catalog import selectors, services
from catalog.models import OutletProductOverride, ProductVariant

from . import factories as f


@pytest.fixture
def outlet(in_tenant):
    return outlet_default()


@pytest.fixture
def cashier(in_tenant):
    return in_tenant.users[Role.CASHIER]


def _sized(**product_kwargs):
    """Kopi tubruk as an owner types it: Large first, both at sort order 0."""
    product = f.product(name="Kopi tubruk", price_minor=27000, **product_kwargs)
    large = f.variant(product_=product, name="Large", price_minor=33000)
    regular = f.variant(product_=product, name="Regular", price_minor=27000)
    return product, large, regular


def _till_product(outlet, product, **kwargs):
    return next(p for p in selectors.category_products(category=product.category, outlet=outlet, **kwargs)
                if p.pk == product.pk)  # fmt: skip


# --- the default size and the "from" price ---------------------------------------------------------------------


def test_equal_sort_orders_list_the_cheaper_size_first_and_preselect_it(outlet):
    product, large, regular = _sized()
    shown = _till_product(outlet, product)
    assert [v.name for v in shown.till_variants] == ["Regular", "Large"]
    assert shown.till_default_variant == regular
    assert shown.till_from_price_minor == 27000


def test_the_owners_default_size_is_preselected_whatever_the_order(outlet):
    product, large, regular = _sized()
    services.variant_update(variant=large, actor=None, name="Large", sku=large.sku, price_minor=33000,
                            is_default=True)  # fmt: skip
    shown = _till_product(outlet, product)
    assert shown.till_default_variant == large
    assert [v.name for v in shown.till_variants] == ["Regular", "Large"]  # the order stays
    assert shown.till_from_price_minor == 27000  # "from" is the cheapest, not the default


def test_sort_order_still_decides_before_price(outlet):
    product = f.product(name="Teh")
    big = services.variant_create(product=product, name="Big", sku="TEH-B", price_minor=30000, sort_order=0)
    services.variant_create(product=product, name="Small", sku="TEH-S", price_minor=20000, sort_order=1)
    shown = _till_product(outlet, product)
    assert [v.name for v in shown.till_variants] == ["Big", "Small"]
    assert shown.till_default_variant == big
    assert shown.till_from_price_minor == 20000


def test_from_price_and_order_use_the_outlets_prices(outlet):
    product, large, regular = _sized()
    services.outlet_override_set(outlet=outlet, product=product, variant=large, price_minor=25000, is_available=True)
    shown = _till_product(outlet, product)
    assert [v.name for v in shown.till_variants] == ["Large", "Regular"]
    assert shown.till_from_price_minor == 25000


def test_an_archived_or_sold_out_default_falls_back_to_the_first_sellable_size(outlet):
    product, large, regular = _sized()
    services.variant_update(variant=regular, actor=None, name="Regular", sku=regular.sku, price_minor=27000,
                            is_default=True)  # fmt: skip
    services.outlet_override_set(outlet=outlet, product=product, variant=regular, price_minor=None,
                                 is_available=False)  # fmt: skip
    shown = _till_product(outlet, product)
    assert shown.till_default_variant == large and shown.till_from_price_minor == 33000
    services.variant_archive(variant=large)
    assert _till_product(outlet, product).till_default_variant is None


def test_a_product_has_one_default_size_at_most(in_tenant):
    product, large, regular = _sized()
    services.variant_create(product=product, name="Small", sku="KT-S", price_minor=20000, is_default=True)
    services.variant_update(variant=large, actor=None, name="Large", sku=large.sku, price_minor=33000,
                            is_default=True)  # fmt: skip
    assert list(product.variants.filter(is_default=True)) == [large]
    # None leaves it as it is (the CSV import), False takes it away.
    services.variant_update(variant=large, actor=None, name="Large", sku=large.sku, price_minor=34000)
    assert ProductVariant.objects.get(pk=large.pk).is_default
    services.variant_update(variant=large, actor=None, name="Large", sku=large.sku, price_minor=34000,
                            is_default=False)  # fmt: skip
    assert not product.variants.filter(is_default=True).exists()
    # Another product's default is its own business.
    other, other_large, _ = _sized(sku="KT-2")
    services.variant_update(variant=other_large, actor=None, name="Large", sku=other_large.sku, price_minor=33000,
                            is_default=True)  # fmt: skip
    services.variant_update(variant=regular, actor=None, name="Regular", sku=regular.sku, price_minor=27000,
                            is_default=True)  # fmt: skip
    defaults = ProductVariant.objects.filter(product__in=[product, other], is_default=True)
    assert set(defaults) == {other_large, regular}
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the rule too
        ProductVariant.objects.filter(pk=large.pk).update(is_default=True)


# --- sold out from the till -------------------------------------------------------------------------------------


def test_the_grid_can_list_sold_out_items_and_nothing_else_sells_them(outlet, cashier):
    product = f.product(name="Pisang molen", sku="PG", barcode="8990001")
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)
    assert _till_product(outlet, product, include_sold_out=True).is_sold_out is True
    assert product.pk not in {p.pk for p in selectors.category_products(category=product.category, outlet=outlet)}
    found = selectors.product_search(query="pisang molen", outlet=outlet, include_sold_out=True)
    assert [(p.pk, p.is_sold_out) for p in found] == [(product.pk, True)]
    assert selectors.product_search(query="pisang molen", outlet=outlet) == []
    assert selectors.product_get_by_code(code="8990001", outlet=outlet) is None  # a scan does not sell it
    elsewhere = f.outlet()
    assert _till_product(elsewhere, product, include_sold_out=True).is_sold_out is False  # one outlet only


@pytest.mark.parametrize("count", [3, 60])
def test_the_grid_with_sold_out_items_runs_a_fixed_number_of_queries(outlet, cashier, count,
                                                                     django_assert_max_num_queries):  # fmt: skip
    cat = f.category("Bulk")
    products = [f.product(category_=cat, name=f"Item {i}") for i in range(count)]
    for product in products[::2]:
        services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)
    with django_assert_max_num_queries(4):  # products, variants, modifier groups, taxes
        shown = selectors.category_products(category=cat, outlet=outlet, include_sold_out=True)
    assert sum(p.is_sold_out for p in shown) == (count + 1) // 2


def test_sold_out_and_back_keeps_the_outlets_price_and_audits_each_change_once(outlet, cashier):
    product = f.product(name="Pisang goreng", sku="PG", price_minor=15000)
    services.outlet_override_set(outlet=outlet, product=product, price_minor=14000, is_available=True)
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)  # already: nothing
    override = OutletProductOverride.objects.get(outlet=outlet, product=product, variant=None)
    assert (override.is_available, override.price_minor) == (False, 14000)
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=False, actor=cashier)
    override.refresh_from_db()
    assert (override.is_available, override.price_minor) == (True, 14000)
    entries = list(
        AuditEntry.objects.filter(target_label="PG", action__in=["catalog.sold_out", "catalog.back_in_stock"])
        .order_by("pk")
        .values_list("action", "actor_id", "data")
    )
    assert entries == [
        ("catalog.sold_out", cashier.pk, {"outlet": outlet.code, "product": "Pisang goreng"}),
        ("catalog.back_in_stock", cashier.pk, {"outlet": outlet.code, "product": "Pisang goreng"}),
    ]


def test_back_in_stock_without_an_outlet_price_leaves_no_override(outlet, cashier):
    product = f.product(name="Pisang goreng", sku="PG")
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)
    services.product_sold_out_set(outlet=outlet, product=product, sold_out=False, actor=cashier)
    assert not OutletProductOverride.objects.filter(product=product).exists()


def test_a_role_without_the_capability_changes_nothing(in_tenant, outlet):
    product = f.product(sku="PG")
    with pytest.raises(ValidationError) as refused:
        services.product_sold_out_set(outlet=outlet, product=product, sold_out=True,
                                      actor=in_tenant.users[Role.KITCHEN])  # fmt: skip
    assert refused.value.code == "access.denied"
    assert not OutletProductOverride.objects.filter(product=product).exists()
    assert not AuditEntry.objects.filter(target_label="PG").exists()


def test_an_archived_product_is_not_found(outlet, cashier):
    product = f.product(sku="PG")
    services.product_archive(product=product)
    with pytest.raises(ValidationError) as refused:
        services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier)
    assert refused.value.code == "product.not_found"


def test_a_retried_request_is_done_once_and_a_reused_key_is_refused(outlet, cashier):
    product = f.product(sku="PG")
    key = str(uuid.uuid4())
    for _ in range(2):
        services.product_sold_out_set(outlet=outlet, product=product, sold_out=True, actor=cashier,
                                      idempotency_key=key)  # fmt: skip
    assert AuditEntry.objects.filter(target_label="PG").count() == 1
    with pytest.raises(ValidationError) as refused:
        services.product_sold_out_set(outlet=outlet, product=product, sold_out=False, actor=cashier,
                                      idempotency_key=key)  # fmt: skip
    assert refused.value.code == "idempotency.key_reused"
    assert not OutletProductOverride.objects.get(product=product).is_available
