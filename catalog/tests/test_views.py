import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from catalog import services
from catalog.models import Category, ModifierGroup, OutletProductOverride, Product, ProductVariant

from . import factories as f

REFUSED_ROLES = [Role.CASHIER, Role.KITCHEN, Role.SUPERVISOR]


@pytest.fixture
def owner(tenant):
    return tenant.client(Role.ADMIN_TENANT)


@pytest.fixture
def catalog(tenant):
    """A category, a product with a variant, a modifier group: the objects every route can point at."""
    with tenant_context(tenant.tenant):
        cat = f.category("Coffee")
        product = f.product(category_=cat, name="Caffè latte", sku="LAT", price_minor=35000)
        variant = f.variant(product_=product, name="Large", sku="LAT-L", price_minor=42000)
        group = services.modifier_group_create(name="Milk", modifiers=[services.ModifierSpec(name="Oat")])
    return {"category": cat, "product": product, "variant": variant, "group": group}


def _routes(catalog) -> list[tuple[str, str]]:
    """(method, path) for every catalog view."""
    c, p, v, g = catalog["category"].pk, catalog["product"].pk, catalog["variant"].pk, catalog["group"].pk
    return [
        ("get", reverse("catalog:category_list")),
        ("post", reverse("catalog:category_list")),
        ("get", reverse("catalog:category_edit", args=[c])),
        ("post", reverse("catalog:category_edit", args=[c])),
        ("post", reverse("catalog:category_archive", args=[c])),
        ("get", reverse("catalog:product_list")),
        ("get", reverse("catalog:product_create")),
        ("post", reverse("catalog:product_create")),
        ("get", reverse("catalog:product_edit", args=[p])),
        ("post", reverse("catalog:product_edit", args=[p])),
        ("post", reverse("catalog:product_archive", args=[p])),
        ("post", reverse("catalog:product_unarchive", args=[p])),
        ("post", reverse("catalog:variant_add", args=[p])),
        ("post", reverse("catalog:product_override_set", args=[p])),
        ("get", reverse("catalog:variant_edit", args=[v])),
        ("post", reverse("catalog:variant_edit", args=[v])),
        ("post", reverse("catalog:variant_archive", args=[v])),
        ("get", reverse("catalog:modifier_group_list")),
        ("get", reverse("catalog:modifier_group_create")),
        ("post", reverse("catalog:modifier_group_create")),
        ("get", reverse("catalog:modifier_group_edit", args=[g])),
        ("post", reverse("catalog:modifier_group_edit", args=[g])),
        ("get", reverse("catalog:catalog_import")),
        ("post", reverse("catalog:catalog_import")),
        ("get", reverse("catalog:catalog_export")),
    ]


def _snapshot(tenant):
    with tenant_context(tenant.tenant):
        return (
            list(Category.objects.order_by("pk").values_list()),
            list(Product.objects.order_by("pk").values_list()),
            list(ProductVariant.objects.order_by("pk").values_list()),
            list(ModifierGroup.objects.order_by("pk").values_list()),
            OutletProductOverride.objects.count(),
            AuditEntry.objects.count(),
        )


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_are_refused_everywhere_and_nothing_changes(tenant, catalog, role):
    client = tenant.client(role)
    before = _snapshot(tenant)
    with tenant_context(tenant.tenant):
        outlet_pk = outlet_default().pk
    data = {
        "name": "Hacked",
        "sort_order": "0",
        "sku": "HACK",
        "price_minor": "1",
        "category": catalog["category"].pk,
        "variant-name": "X",
        "variant-sku": "X1",
        "variant-price_minor": "1",
        "variant-sort_order": "0",
        "override-outlet": outlet_pk,
        "override-price_minor": "1",
        "min_choices": "0",
        "max_choices": "1",
        "mod-TOTAL_FORMS": "0",
        "mod-INITIAL_FORMS": "0",
    }
    for method, path in _routes(catalog):
        response = getattr(client, method)(path, data) if method == "post" else client.get(path)
        assert response.status_code == 403, (method, path, response.status_code)
    assert _snapshot(tenant) == before


def test_anonymous_visitors_are_sent_to_sign_in(tenant, catalog):
    for method, path in _routes(catalog):
        response = getattr(tenant.client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_another_tenants_objects_answer_404(tenant, other_tenant, catalog):
    """The other tenant's owner asks for our ids: same 404 as ids that do not exist."""
    client = other_tenant.client(Role.ADMIN_TENANT)
    before = _snapshot(tenant)
    for method, path in _routes(catalog):
        if not any(ch.isdigit() for ch in path):  # list and add pages: nothing of ours to ask for
            continue
        response = getattr(client, method)(path, {"name": "x"}) if method == "post" else client.get(path)
        assert response.status_code == 404, (method, path, response.status_code)
    assert _snapshot(tenant) == before


def test_owner_pages_render(tenant, owner, catalog):
    for method, path in _routes(catalog):
        if method == "get":
            response = owner.get(path)
            assert response.status_code == 200, path


def test_owner_adds_a_product_with_taxes_and_modifier_groups(tenant, owner, catalog):
    with tenant_context(tenant.tenant):
        pb1 = f.tax("PB1")
    response = owner.post(
        reverse("catalog:product_create"),
        {
            "category": catalog["category"].pk,
            "name": "Kopi susu",
            "sku": "ks-1",
            "barcode": "899000111",
            "price_minor": "28.000",
            "sort_order": "0",
            "taxes": [pb1.pk],
            "modifier_groups": [catalog["group"].pk],
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        product = Product.objects.get(sku="KS-1")
        assert product.price_minor == 28000
        assert list(product.taxes.values_list("code", flat=True)) == ["PB1"]
        assert list(product.modifier_groups.values_list("name", flat=True)) == ["Milk"]
    assert response["Location"] == reverse("catalog:product_edit", args=[product.pk])


def test_invalid_product_form_answers_400_and_keeps_what_was_typed(tenant, owner, catalog):
    response = owner.post(
        reverse("catalog:product_create"),
        {
            "category": catalog["category"].pk,
            "name": "Kopi tubruk",
            "sku": "LAT-L",
            "price_minor": "12,5",
            "sort_order": "0",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Kopi tubruk"' in html and 'value="12,5"' in html
    assert "IDR amounts have no decimals." in html
    response = owner.post(
        reverse("catalog:product_create"),
        {
            "category": catalog["category"].pk,
            "name": "Kopi tubruk",
            "sku": "lat-l",
            "price_minor": "12.500",
            "sort_order": "0",
        },
    )
    assert response.status_code == 400
    assert "The SKU “LAT-L” is already used." in response.content.decode()
    with tenant_context(tenant.tenant):
        assert not Product.objects.filter(name="Kopi tubruk").exists()


def test_owner_changes_a_price_and_it_is_audited(tenant, owner, catalog):
    product = catalog["product"]
    response = owner.post(
        reverse("catalog:product_edit", args=[product.pk]),
        {
            "category": catalog["category"].pk,
            "name": "Caffè latte",
            "sku": "LAT",
            "price_minor": "37.500",
            "sort_order": "0",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        entry = AuditEntry.objects.filter(action="catalog.price_change").latest("pk")
        assert (entry.target_label, entry.data, entry.actor_username) == ("LAT", {"from": 35000, "to": 37500}, "owner")


def test_variant_add_and_outlet_override_through_the_page(tenant, owner, catalog):
    product = catalog["product"]
    with tenant_context(tenant.tenant):
        outlet = outlet_default()
    response = owner.post(
        reverse("catalog:variant_add", args=[product.pk]),
        {"variant-name": "Small", "variant-sku": "lat-s", "variant-price_minor": "30.000", "variant-sort_order": "0"},
    )
    assert response.status_code == 302
    response = owner.post(
        reverse("catalog:variant_add", args=[product.pk]),
        {"variant-name": "Small", "variant-sku": "LAT", "variant-price_minor": "-1", "variant-sort_order": "0"},
    )
    assert response.status_code == 400
    response = owner.post(
        reverse("catalog:product_override_set", args=[product.pk]),
        {
            "override-outlet": outlet.pk,
            "override-variant": catalog["variant"].pk,
            "override-price_minor": "45.000",
            "override-is_available": "on",
        },
    )
    assert response.status_code == 302
    response = owner.post(
        reverse("catalog:product_override_set", args=[product.pk]),
        {"override-outlet": outlet.pk, "override-price_minor": ""},
    )
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        assert ProductVariant.objects.get(sku="LAT-S").price_minor == 30000
        overrides = {(o.variant_id, o.price_minor, o.is_available) for o in OutletProductOverride.objects.all()}
        assert overrides == {(catalog["variant"].pk, 45000, True), (None, None, False)}
    page = owner.get(reverse("catalog:product_edit", args=[product.pk])).content.decode()
    assert "Rp 45.000" in page and "Sold out (86)" in page


def test_archive_and_unarchive_a_product(tenant, owner, catalog):
    product = catalog["product"]
    assert owner.post(reverse("catalog:product_archive", args=[product.pk])).status_code == 302
    with tenant_context(tenant.tenant):
        assert Product.objects.get(pk=product.pk).is_archived
    assert owner.post(reverse("catalog:product_unarchive", args=[product.pk])).status_code == 302
    with tenant_context(tenant.tenant):
        assert not Product.objects.get(pk=product.pk).is_archived


def test_modifier_group_create_and_edit(tenant, owner):
    response = owner.post(
        reverse("catalog:modifier_group_create"),
        {
            "name": "Sugar",
            "min_choices": "1",
            "max_choices": "1",
            "sort_order": "0",
            "mod-TOTAL_FORMS": "3",
            "mod-INITIAL_FORMS": "0",
            "mod-0-name": "Less",
            "mod-0-price_delta_minor": "",
            "mod-1-name": "Extra",
            "mod-1-price_delta_minor": "2.000",
            "mod-2-name": "",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        group = ModifierGroup.objects.get(name="Sugar")
        modifiers = list(group.modifiers.order_by("sort_order").values_list("pk", "name", "price_delta_minor"))
    assert [m[1:] for m in modifiers] == [("Less", 0), ("Extra", 2000)]
    response = owner.post(
        reverse("catalog:modifier_group_edit", args=[group.pk]),
        {
            "name": "Sugar",
            "min_choices": "2",
            "max_choices": "1",
            "sort_order": "0",
            "mod-TOTAL_FORMS": "2",
            "mod-INITIAL_FORMS": "2",
            "mod-0-pk": modifiers[0][0],
            "mod-0-name": "Less",
            "mod-1-pk": modifiers[1][0],
            "mod-1-name": "Extra",
            "mod-1-price_delta_minor": "2.000",
        },
    )
    assert response.status_code == 400
    assert "The maximum must be at least the minimum." in response.content.decode()
    response = owner.post(
        reverse("catalog:modifier_group_edit", args=[group.pk]),
        {
            "name": "Sugar level",
            "min_choices": "0",
            "max_choices": "1",
            "sort_order": "0",
            "mod-TOTAL_FORMS": "2",
            "mod-INITIAL_FORMS": "2",
            "mod-0-pk": modifiers[0][0],
            "mod-0-name": "Less",
            "mod-0-is_archived": "on",
            "mod-1-pk": modifiers[1][0],
            "mod-1-name": "Extra",
            "mod-1-price_delta_minor": "3.000",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        group.refresh_from_db()
        assert group.name == "Sugar level"
        assert list(group.modifiers.order_by("sort_order").values_list("name", "price_delta_minor", "is_archived")) == [
            ("Less", 0, True),
            ("Extra", 3000, False),
        ]


def test_product_list_searches_and_filters(tenant, owner, catalog):
    with tenant_context(tenant.tenant):
        tea = f.category("Tea")
        f.product(category_=tea, name="Teh tarik", sku="TEH", barcode="555")
    html = owner.get(reverse("catalog:product_list"), {"q": "teh tar"}).content.decode()
    assert "Teh tarik" in html and "Caffè latte" not in html
    html = owner.get(reverse("catalog:product_list"), {"q": "lat-l"}).content.decode()  # a variant's SKU
    assert "Caffè latte" in html and "Teh tarik" not in html
    html = owner.get(reverse("catalog:product_list"), {"category": tea.pk}).content.decode()
    assert "Teh tarik" in html and "Caffè latte" not in html


@pytest.mark.parametrize("count", [3, 300])
def test_product_list_has_a_query_budget(tenant, owner, count, django_assert_max_num_queries):
    owner.get(reverse("catalog:product_list"))  # warm-up (session)
    with tenant_context(tenant.tenant):
        cat = f.category()
        Product.objects.bulk_create(
            Product(category=cat, name=f"Bulk latte {i}", sku=f"BL-{i}", price_minor=1000) for i in range(count)
        )
    with django_assert_max_num_queries(9):
        response = owner.get(reverse("catalog:product_list"), {"q": "latte"})
    assert response.status_code == 200
    with django_assert_max_num_queries(9):
        response = owner.get(reverse("catalog:product_list"), {"page": "2"})
    assert response.status_code == 200


def test_export_streams_the_catalog_as_csv(tenant, owner, catalog):
    response = owner.get(reverse("catalog:catalog_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"  # issue 12, point 11: exports stay out of caches
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffcategory,name,sku,price,")
    assert "Coffee,Caffè latte,LAT,35.000,,,,no,Large,LAT-L,,42.000,no" in body
