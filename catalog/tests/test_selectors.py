import pytest

from business.selectors import outlet_default
from catalog import selectors, services
from catalog.models import Product

from . import factories as f


@pytest.fixture
def outlet(in_tenant):
    return outlet_default()


def names(products) -> list[str]:
    return [p.name for p in products]


def test_search_by_word_prefix_any_word_case_insensitive(outlet):
    cat = f.category()
    f.product(category_=cat, name="Caffè latte")
    f.product(category_=cat, name="Matcha Latte")
    f.product(category_=cat, name="Espresso")
    assert names(selectors.product_search(query="caf lat", outlet=outlet)) == ["Caffè latte"]
    assert names(selectors.product_search(query="LAT", outlet=outlet)) == ["Caffè latte", "Matcha Latte"]
    assert names(selectors.product_search(query="latte", outlet=outlet)) == ["Caffè latte", "Matcha Latte"]
    assert selectors.product_search(query="spresso", outlet=outlet) == []  # prefixes of words, not infixes
    assert selectors.product_search(query="  ", outlet=outlet) == []


def test_search_sanitises_tsquery_syntax(outlet):
    f.product(name="Banana bread")
    for query in ["ban & !", "ban:* | x", "'ban", "ban)", "(", "\\", "ban\x00"]:
        selectors.product_search(query=query, outlet=outlet)  # never a syntax error
    assert names(selectors.product_search(query="ban'&|!", outlet=outlet)) == ["Banana bread"]


def test_search_by_exact_sku_barcode_and_variant_codes(outlet):
    latte = f.product(name="Caffè latte", sku="LAT-1", barcode="8991234567890")
    f.variant(product_=latte, name="Large", sku="LAT-1-L", barcode="8990000000011", price_minor=40000)
    f.product(name="Espresso", sku="ESP")
    assert names(selectors.product_search(query="lat-1", outlet=outlet)) == ["Caffè latte"]
    assert names(selectors.product_search(query="8991234567890", outlet=outlet)) == ["Caffè latte"]
    assert names(selectors.product_search(query="8990000000011", outlet=outlet)) == ["Caffè latte"]
    assert names(selectors.product_search(query="LAT-1-L", outlet=outlet)) == ["Caffè latte"]
    assert selectors.product_search(query="899123", outlet=outlet) == []  # codes match exactly only


def test_search_excludes_archived_and_86d_items(outlet):
    other = f.outlet()
    cat = f.category()
    kept = f.product(category_=cat, name="Latte kept")
    gone = f.product(category_=cat, name="Latte archived")
    sold_out = f.product(category_=cat, name="Latte sold out")
    services.product_archive(product=gone)
    services.outlet_override_set(outlet=outlet, product=sold_out, price_minor=None, is_available=False)
    assert names(selectors.product_search(query="latte", outlet=outlet)) == ["Latte kept"]
    assert names(selectors.product_search(query="latte", outlet=other)) == ["Latte kept", "Latte sold out"]
    archived_cat = f.category()
    f.product(category_=archived_cat, name="Latte hidden category")
    services.category_archive(category=archived_cat)
    assert names(selectors.product_search(query="latte", outlet=outlet)) == ["Latte kept"]
    assert kept.pk


def test_outlet_price_override_is_applied_to_product_and_variant(outlet):
    other = f.outlet()
    latte = f.product(name="Latte", price_minor=35000)
    large = f.variant(product_=latte, name="Large", price_minor=42000)
    small = f.variant(product_=latte, name="Small", price_minor=30000)
    services.outlet_override_set(outlet=outlet, product=latte, price_minor=37000, is_available=True)
    services.outlet_override_set(outlet=outlet, product=latte, variant=large, price_minor=45000, is_available=True)
    services.outlet_override_set(outlet=outlet, product=latte, variant=small, price_minor=None, is_available=False)
    [here] = selectors.product_search(query="latte", outlet=outlet)
    assert here.effective_price_minor == 37000
    assert [(v.name, v.effective_price_minor) for v in here.till_variants] == [("Large", 45000)]
    [there] = selectors.product_search(query="latte", outlet=other)
    assert there.effective_price_minor == 35000
    # equal sort orders: the cheaper size first
    assert [(v.name, v.effective_price_minor) for v in there.till_variants] == [("Small", 30000), ("Large", 42000)]


def test_get_by_code_returns_the_scanned_variant_and_its_price(outlet):
    latte = f.product(name="Latte", sku="LAT", barcode="111", price_minor=35000)
    large = f.variant(product_=latte, name="Large", sku="LAT-L", barcode="222", price_minor=42000)
    item = selectors.product_get_by_code(code="222", outlet=outlet)
    assert (item.product.pk, item.variant.pk, item.price_minor) == (latte.pk, large.pk, 42000)
    item = selectors.product_get_by_code(code="lat", outlet=outlet)
    assert (item.product.pk, item.variant, item.price_minor) == (latte.pk, None, 35000)
    assert selectors.product_get_by_code(code="999", outlet=outlet) is None
    services.variant_archive(variant=large)
    assert selectors.product_get_by_code(code="222", outlet=outlet) is None
    services.outlet_override_set(outlet=outlet, product=latte, price_minor=None, is_available=False)
    assert selectors.product_get_by_code(code="111", outlet=outlet) is None


def test_till_selectors_prefetch_modifiers_and_taxes(outlet):
    pb1 = f.tax("PB1")
    milk = services.modifier_group_create(
        name="Milk",
        min_choices=1,
        max_choices=1,
        modifiers=[services.ModifierSpec(name="Oat", price_delta_minor=5000), services.ModifierSpec(name="Full")],
    )
    latte = f.product(name="Latte", taxes=[pb1])
    services.product_set_modifier_groups(product=latte, groups=[milk])
    [found] = selectors.product_search(query="latte", outlet=outlet)
    assert [g.name for g in found.till_modifier_groups] == ["Milk"]
    assert [m.name for m in found.till_modifier_groups[0].active_modifiers] == ["Oat", "Full"]
    assert [t.code for t in found.till_taxes] == ["PB1"]


def test_category_products_pages_in_menu_order(outlet):
    cat = f.category()
    for i in range(5):
        f.product(category_=cat, name=f"Item {i}", sort_order=5 - i)
    page = selectors.category_products(category=cat, outlet=outlet, limit=2, offset=1)
    assert names(page) == ["Item 3", "Item 2"]


def _bulk_products(count: int, *, with_variants: bool = True):
    cat = f.category()
    products = Product.objects.bulk_create(
        Product(category=cat, name=f"Latte number {i}", sku=f"BULK-{i}", barcode=f"77{i:08d}", price_minor=1000 + i)
        for i in range(count)
    )
    pb1 = f.tax("PB1")
    Product.taxes.through.objects.bulk_create(Product.taxes.through(product_id=p.pk, tax_id=pb1.pk) for p in products)
    if with_variants:
        from catalog.models import ProductVariant

        ProductVariant.objects.bulk_create(
            ProductVariant(product=p, name="Large", sku=f"BULK-{p.pk}-L", price_minor=2000) for p in products
        )
    milk = services.modifier_group_create(name="Milk", modifiers=[services.ModifierSpec(name="Oat")])
    for p in products[:50]:
        services.product_set_modifier_groups(product=p, groups=[milk])
    return cat, products


@pytest.mark.parametrize("count", [3, 300])
def test_search_and_category_pages_run_a_fixed_number_of_queries(outlet, count, django_assert_max_num_queries):
    cat, _ = _bulk_products(count)
    with django_assert_max_num_queries(6):
        found = selectors.product_search(query="latte num", outlet=outlet, limit=40)
        assert len(found) == min(count, 40)
        assert all(p.till_variants and p.till_taxes is not None for p in found)
    with django_assert_max_num_queries(6):
        assert len(selectors.category_products(category=cat, outlet=outlet, limit=60)) == min(count, 60)
    with django_assert_max_num_queries(6):
        assert selectors.product_get_by_code(code="7700000002", outlet=outlet).product.sku == "BULK-2"


def test_menu_categories_still_lists_sellable_products(outlet):
    cat = f.category("Coffee")
    f.product(category_=cat, name="Espresso")
    gone = f.product(category_=cat, name="Old")
    services.product_archive(product=gone)
    [coffee] = [c for c in selectors.menu_categories() if c.pk == cat.pk]
    assert names(coffee.menu_products) == ["Espresso"]


def test_catalog_lines_resolve_prices_a_cart_for_the_outlet(outlet, django_assert_num_queries):
    """Plain data for the till: the outlet's prices, the chosen options, the active taxes, in eight queries."""
    from business.models import Tax
    from catalog.selectors import LineChoice, catalog_lines_resolve

    pb1, old = f.tax("PB1", 10), Tax.objects.create(code="OLD", name="Old", rate=5, is_active=False)
    cat = f.category("Coffee")
    latte = f.product(category_=cat, name="Latte", sku="LT", price_minor=35000, taxes=[pb1, old])
    large = f.variant(product_=latte, name="Large", sku="LT-L", price_minor=42000)
    tea = f.product(category_=cat, name="Tea", sku="TEA", price_minor=10000)
    extras = services.modifier_group_create(
        name="Extras", max_choices=2, modifiers=[services.ModifierSpec("Extra shot", 8000)]
    )
    services.product_set_modifier_groups(product=latte, groups=[extras])
    shot = extras.modifiers.get()
    services.outlet_override_set(outlet=outlet, product=tea, price_minor=12000, is_available=True)
    lines = [LineChoice(latte.pk, large.pk, (shot.pk,)), LineChoice(tea.pk)]
    # the catalog version (catalog/cache.py; this test has written the catalog, so past the cache), products,
    # taxes, variants, group links, groups, modifiers, overrides
    with django_assert_num_queries(8):
        found = catalog_lines_resolve(outlet_id=outlet.pk, lines=lines)
    assert found.errors == {}
    assert found.product_names == {latte.pk: "Latte", tea.pk: "Tea"}
    first, second = found.lines
    assert (first.product_id, first.variant_id, first.category_id) == (latte.pk, large.pk, cat.pk)
    assert (first.product_name, first.name, first.sku, first.unit_price_minor) == (
        "Latte",
        "Latte (Large)",
        "LT-L",
        50000,
    )
    assert first.modifiers == ({"id": shot.pk, "name": "Extra shot", "price_delta_minor": 8000},)
    assert [t["code"] for t in first.taxes] == ["PB1"] and first.taxes[0]["rate"] == "10.00"
    assert (second.name, second.sku, second.unit_price_minor, second.taxes) == ("Tea", "TEA", 12000, ())


def test_catalog_lines_resolve_reports_each_line_and_names_what_is_on_the_menu(outlet):
    from catalog.selectors import LineChoice, catalog_lines_resolve

    latte = f.product(name="Latte", price_minor=35000)
    f.variant(product_=latte, name="Large", price_minor=42000)
    tea = f.product(name="Tea", price_minor=10000)
    services.outlet_override_set(outlet=outlet, product=tea, price_minor=None, is_available=False)
    found = catalog_lines_resolve(
        outlet_id=outlet.pk, lines=[LineChoice(latte.pk), LineChoice(999_999), LineChoice(tea.pk)]
    )
    assert found.errors == {
        "lines.1": ["Line 1 (Latte): choose one of Large."],
        "lines.2": ["Line 2: this product is not on the menu."],
        "lines.3": ["Line 3: Tea is sold out at this outlet."],
    }
    assert found.lines == []
    assert found.product_names == {latte.pk: "Latte", tea.pk: "Tea"}
