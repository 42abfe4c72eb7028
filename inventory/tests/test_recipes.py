"""Recipes: adding and removing lines (products, variants, modifiers and swaps), what a sale then takes through
`usage_per_unit`, the pages with their query budgets, and the role guard."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from catalog import services as catalog
from catalog.models import Modifier, ProductVariant
from catalog.tests import factories as f
from inventory.models import RecipeComponent, StockItem, StockMovement
from inventory.services.recipes import recipe_component_add, recipe_component_remove
from inventory.services.stock import (
    MovementLine,
    SoldLine,
    _recipes_for,
    movements_post,
    stock_consume_for_sale,
    usage_per_unit,
)

from .stock_helpers import assert_ledger_consistent, level_of, stock_item

D = Decimal
REFUSED_ROLES = [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]


@pytest.fixture
def cafe(in_tenant):
    """A latte (with a large variant) made of espresso beans and milk; a milk group with oat milk and an extra
    shot; a ristretto variant with its own recipe."""
    beans = stock_item(name="Beans", sku="BEANS", unit="g", cost="250")
    milk = stock_item(name="Milk", sku="MILK", unit="ml", cost="18")
    oat = stock_item(name="Oat milk", sku="OAT", unit="ml", cost="32")
    cup = stock_item(name="Cup", sku="CUP", unit="pcs", cost="400")
    latte = f.product(name="Latte", sku="LATTE")
    large = f.variant(product_=latte, name="Large", sku="LATTE-L")
    small = f.variant(product_=latte, name="Small", sku="LATTE-S")
    group = catalog.modifier_group_create(
        name="Milk choice", modifiers=[catalog.ModifierSpec(name="Oat milk"), catalog.ModifierSpec(name="Extra shot")]
    )
    oat_mod, shot_mod = (
        Modifier.objects.get(group=group, name="Oat milk"),
        Modifier.objects.get(group=group, name="Extra shot"),
    )
    return {"beans": beans, "milk": milk, "oat": oat, "cup": cup, "latte": latte, "large": large, "small": small,
            "group": group, "oat_mod": oat_mod, "shot_mod": shot_mod}  # fmt: skip


def _usage(product=None, variant=None, modifiers=()) -> dict[int, Decimal]:
    line = SoldLine(
        order_line_id=1,
        product_id=product.pk if product else None,
        variant_id=variant.pk if variant else None,
        modifier_ids=tuple(m.pk for m in modifiers),
    )
    return usage_per_unit(line, _recipes_for([line]))


# --- Services ---------------------------------------------------------------------------------------------------


def test_recipes_feed_usage_per_unit_for_products_variants_and_modifiers(cafe, tenant):
    c = cafe
    owner = tenant.users[Role.ADMIN_TENANT]
    recipe_component_add(product=c["latte"], item=c["beans"], quantity=D(18), actor=owner)
    recipe_component_add(product=c["latte"], item=c["milk"], quantity=D(200))
    recipe_component_add(product=c["latte"], item=c["cup"], quantity=D(1))
    recipe_component_add(variant=c["large"], item=c["beans"], quantity=D(18))
    recipe_component_add(variant=c["large"], item=c["milk"], quantity=D("320.5"))
    recipe_component_add(modifier=c["oat_mod"], item=c["oat"], quantity=D(0), replaces=c["milk"])
    recipe_component_add(modifier=c["shot_mod"], item=c["beans"], quantity=D(9))
    beans, milk, oat, cup = (c[k].pk for k in ("beans", "milk", "oat", "cup"))

    assert _usage(product=c["latte"]) == {beans: 18, milk: 200, cup: 1}
    # A variant with its own lines replaces the product's recipe entirely (no cup), one without uses the product's.
    assert _usage(product=c["latte"], variant=c["large"]) == {beans: 18, milk: D("320.5")}
    assert _usage(product=c["latte"], variant=c["small"]) == {beans: 18, milk: 200, cup: 1}
    # Oat milk swaps milk at the same quantity; an extra shot adds beans.
    assert _usage(product=c["latte"], variant=c["large"], modifiers=[c["oat_mod"], c["shot_mod"]]) == {
        beans: 27,
        oat: D("320.5"),
    }
    assert AuditEntry.objects.filter(action="recipe.component_add", actor=owner).count() == 1


def test_a_swap_with_its_own_quantity_uses_it(cafe):
    c = cafe
    recipe_component_add(product=c["latte"], item=c["milk"], quantity=D(200))
    recipe_component_add(modifier=c["oat_mod"], item=c["oat"], quantity=D(180), replaces=c["milk"])
    assert _usage(product=c["latte"], modifiers=[c["oat_mod"]]) == {c["oat"].pk: 180}


def test_a_sale_takes_the_recipe_out_of_stock(cafe, tenant):
    c = cafe
    outlet = outlet_default()
    lines = [MovementLine(item_id=c[k].pk, quantity=D(5000)) for k in ("beans", "milk", "oat")]
    movements_post(outlet_id=outlet.pk, kind=StockMovement.Kind.RECEIVING, source_type="receipt", lines=lines)
    recipe_component_add(product=c["latte"], item=c["beans"], quantity=D(18))
    recipe_component_add(product=c["latte"], item=c["milk"], quantity=D(200))
    recipe_component_add(modifier=c["oat_mod"], item=c["oat"], quantity=D(0), replaces=c["milk"])
    line = SoldLine(order_line_id=7, product_id=c["latte"].pk, variant_id=None, modifier_ids=(c["oat_mod"].pk,),
                    quantity=2)  # fmt: skip
    stock_consume_for_sale(outlet_id=outlet.pk, order_id=3, lines=[line], user=None)
    assert (level_of(c["beans"], outlet), level_of(c["milk"], outlet), level_of(c["oat"], outlet)) == (
        D(4964),
        D(5000),
        D(4600),
    )
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("archived", "item", "Straw is archived"),
        ("zero", "quantity", "more than zero"),
        ("negative", "quantity", "more than zero"),
        ("too_precise", "quantity", "three decimals"),
        ("replaces_on_product", "replaces", "Only a modifier can swap"),
        ("replaces_itself", "replaces", "cannot replace itself"),
        ("duplicate", "item", "Milk is already in this recipe"),
        ("second_swap", "replaces", "Something already replaces Milk"),
        ("unit_mismatch", "quantity", "give the quantity of the new item"),
    ],
)
def test_bad_recipe_lines_are_refused_with_a_clear_message(cafe, case, field, message):
    c = cafe
    straw = stock_item(name="Straw", is_archived=True)
    recipe_component_add(product=c["latte"], item=c["milk"], quantity=D(200))
    recipe_component_add(modifier=c["oat_mod"], item=c["oat"], quantity=D(0), replaces=c["milk"])
    kwargs = {
        "archived": {"product": c["latte"], "item": straw, "quantity": D(1)},
        "zero": {"product": c["latte"], "item": c["beans"], "quantity": D(0)},
        "negative": {"variant": c["large"], "item": c["beans"], "quantity": D(-1)},
        "too_precise": {"product": c["latte"], "item": c["beans"], "quantity": D("0.0001")},
        "replaces_on_product": {"product": c["latte"], "item": c["oat"], "quantity": D(1), "replaces": c["milk"]},
        "replaces_itself": {"modifier": c["shot_mod"], "item": c["milk"], "quantity": D(1), "replaces": c["milk"]},
        "duplicate": {"product": c["latte"], "item": c["milk"], "quantity": D(100)},
        "second_swap": {"modifier": c["oat_mod"], "item": c["beans"], "quantity": D(5), "replaces": c["milk"]},
        "unit_mismatch": {"modifier": c["shot_mod"], "item": c["cup"], "quantity": D(0), "replaces": c["milk"]},
    }[case]
    before = list(RecipeComponent.objects.values_list())
    with pytest.raises(ValidationError) as exc:
        recipe_component_add(**kwargs)
    assert message in " ".join(exc.value.message_dict[field])
    assert list(RecipeComponent.objects.values_list()) == before


def test_a_line_has_exactly_one_owner(cafe):
    with pytest.raises(ValidationError, match="exactly one"):
        recipe_component_add(product=cafe["latte"], variant=cafe["large"], item=cafe["milk"], quantity=D(1))
    with pytest.raises(ValidationError, match="exactly one"):
        recipe_component_add(item=cafe["milk"], quantity=D(1))
    assert not RecipeComponent.objects.exists()


def test_removing_a_line_twice_is_harmless(cafe):
    line = recipe_component_add(product=cafe["latte"], item=cafe["milk"], quantity=D(200))
    assert recipe_component_remove(component=line) is True
    assert recipe_component_remove(component=line) is False
    assert not RecipeComponent.objects.exists()
    assert AuditEntry.objects.filter(action="recipe.component_remove").count() == 1
    assert _usage(product=cafe["latte"]) == {}


# --- Pages ------------------------------------------------------------------------------------------------------


@pytest.fixture
def cafe_pages(tenant):
    with tenant_context(tenant.tenant):
        beans = stock_item(name="Beans", sku="BEANS", unit="g")
        milk = stock_item(name="Milk", sku="MILK", unit="ml")
        oat = stock_item(name="Oat milk", sku="OAT", unit="ml")
        latte = f.product(name="Latte", sku="LATTE")
        large = f.variant(product_=latte, name="Large", sku="LATTE-L")
        group = catalog.modifier_group_create(name="Milk choice", modifiers=[catalog.ModifierSpec(name="Oat milk")])
        oat_mod = Modifier.objects.get(group=group)
    return {"beans": beans, "milk": milk, "oat": oat, "latte": latte, "large": large, "group": group,
            "oat_mod": oat_mod}  # fmt: skip


def test_the_recipe_page_adds_and_removes_lines_for_the_product_and_its_variants(tenant, cafe_pages):
    c = cafe_pages
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:recipe_edit", args=[c["latte"].pk])
    page = client.get(url).content.decode()
    assert '<option value="BEANS" data-unit="g">Beans (g)</option>' in page
    response = client.post(url, {"action": "add", "owner": "p", "p-item": "beans", "p-quantity": "18"})
    assert response.status_code == 302 and response["Location"] == url
    owner = f"v{c['large'].pk}"
    response = client.post(
        url, {"action": "add", "owner": owner, f"{owner}-item": "MILK", f"{owner}-quantity": "320,5"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert re.search(r"Beans</a> <code>BEANS</code>.*?18 g", page, re.S)
    assert "320.5 ml" in page and "This variant has its own recipe" in page
    with tenant_context(tenant.tenant):
        line = RecipeComponent.objects.get(variant=c["large"])
        assert (line.item, line.quantity) == (c["milk"], D("320.5"))
    for _ in range(2):  # a double click on remove
        response = client.post(url, {"action": "remove", "component": str(line.pk)})
        assert response.status_code == 302
    with tenant_context(tenant.tenant):
        assert list(RecipeComponent.objects.values_list("product", "item")) == [(c["latte"].pk, c["beans"].pk)]
    assert "That line was already removed." in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"p-item": "NOPE", "p-quantity": "1"}, "No stock item has the SKU “NOPE”"),
        ({"p-item": "BEANS", "p-quantity": "abc"}, "is not a number"),
        ({"p-item": "BEANS", "p-quantity": "0"}, "The quantity cannot be zero."),
        ({"p-item": "BEANS", "p-quantity": ""}, "Enter a quantity."),
        ({"p-item": "", "p-quantity": "5"}, "This field is required"),
        ({"p-item": "MILK", "p-quantity": "5"}, "Milk is already in this recipe"),
    ],
)
def test_the_recipe_page_shows_errors_and_saves_nothing(tenant, cafe_pages, data, message):
    with tenant_context(tenant.tenant):
        recipe_component_add(product=cafe_pages["latte"], item=cafe_pages["milk"], quantity=D(200))
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:recipe_edit", args=[cafe_pages["latte"].pk])
    response = client.post(url, {"action": "add", "owner": "p", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(tenant.tenant):
        assert RecipeComponent.objects.count() == 1


def test_a_variant_of_another_product_cannot_be_targeted(tenant, cafe_pages):
    with tenant_context(tenant.tenant):
        other = f.product(name="Tea")
    client = tenant.client(Role.ADMIN_TENANT)
    owner = f"v{cafe_pages['large'].pk}"
    url = reverse("inventory:recipe_edit", args=[other.pk])
    response = client.post(url, {"action": "add", "owner": owner, f"{owner}-item": "MILK", f"{owner}-quantity": "1"})
    assert response.status_code == 404
    with tenant_context(tenant.tenant):
        line = recipe_component_add(variant=cafe_pages["large"], item=cafe_pages["milk"], quantity=D(1))
    client.post(url, {"action": "remove", "component": str(line.pk)})  # not a line of this product's
    with tenant_context(tenant.tenant):
        assert RecipeComponent.objects.filter(pk=line.pk).exists()


def test_the_track_button_is_idempotent(tenant, cafe_pages):
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:recipe_edit", args=[cafe_pages["latte"].pk])
    assert "Track stock for this product" in client.get(url).content.decode()
    for _ in range(2):
        assert client.post(url, {"action": "track"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Track stock for this product" not in page and 'data-testid="tracked"' in page
    with tenant_context(tenant.tenant):
        item = StockItem.objects.get(product=cafe_pages["latte"])
        assert item.sku == "LATTE"
        assert RecipeComponent.objects.filter(product=cafe_pages["latte"], item=item, quantity=1).count() == 1


def test_the_modifier_page_adds_a_swap_with_an_empty_quantity(tenant, cafe_pages):
    c = cafe_pages
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:modifier_recipe_edit", args=[c["group"].pk])
    assert "Oat milk" in client.get(url).content.decode()
    key = f"m{c['oat_mod'].pk}"
    data = {"action": "add", "owner": key, f"{key}-item": "oat", f"{key}-quantity": "", f"{key}-replaces": "milk"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 400  # sent twice: refused as a duplicate, nothing added
    page = client.get(url).content.decode()
    assert "same as replaced" in page
    with tenant_context(tenant.tenant):
        line = RecipeComponent.objects.get(modifier=c["oat_mod"])
        assert (line.item, line.replaces, line.quantity) == (c["oat"], c["milk"], 0)
    bad = {**data, f"{key}-item": "BEANS", f"{key}-quantity": "", f"{key}-replaces": "NOPE"}
    response = client.post(url, bad)
    assert response.status_code == 400 and "No stock item has the SKU “NOPE”" in response.content.decode()
    assert client.post(url, {**data, "owner": "m999999"}).status_code == 404
    assert client.post(url, {"action": "remove", "component": str(line.pk)}).status_code == 302
    with tenant_context(tenant.tenant):
        assert not RecipeComponent.objects.exists()


def test_recipe_pages_have_bounded_query_counts(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        items = StockItem.objects.bulk_create(
            [StockItem(name=f"Bulk {i:03d}", sku=f"BULK-{i:03d}", base_unit="g") for i in range(220)]
        )
        category = f.category("Bulk")
        products = [f.product(category_=category, name=f"Drink {i:03d}", sku=f"DRINK-{i:03d}") for i in range(60)]
        big = products[0]
        variants = [f.variant(product_=big, name=f"Size {i}", sku=f"SIZE-{i}") for i in range(12)]
        RecipeComponent.objects.bulk_create(
            [RecipeComponent(product=p, item=items[i], quantity=D(i + 1)) for i, p in enumerate(products)]
            + [RecipeComponent(product=big, item=items[100 + i], quantity=D(2)) for i in range(20)]
            + [RecipeComponent(variant=v, item=items[150 + i], quantity=D(3)) for i, v in enumerate(variants)]
        )
        group = catalog.modifier_group_create(
            name="Extras", modifiers=[catalog.ModifierSpec(name=f"Extra {i}") for i in range(15)]
        )
        RecipeComponent.objects.bulk_create(
            [RecipeComponent(modifier=m, item=items[200], quantity=D(1), replaces=items[201])
             for m in Modifier.objects.filter(group=group)]
        )  # fmt: skip
    client = tenant.client(Role.ADMIN_TENANT)
    client.get(reverse("inventory:recipe_list"))  # warm-up: the session
    with django_assert_max_num_queries(8):
        page = client.get(reverse("inventory:recipe_list") + "?q=drink").content.decode()
    assert re.search(rf'data-testid="count-{big.pk}">21<', page)  # its own 21 lines, counted in the one query
    assert "Extras" in page
    with django_assert_max_num_queries(10):
        page = client.get(reverse("inventory:recipe_edit", args=[big.pk])).content.decode()
    assert page.count("This variant has its own recipe") == 12 and page.count("<option value=") == 220
    with django_assert_max_num_queries(10):
        page = client.get(reverse("inventory:modifier_recipe_edit", args=[group.pk])).content.decode()
    assert page.count("same as replaced") == 0 and page.count("<td>Bulk 201</td>") == 15


def _snapshot(tenant):
    with tenant_context(tenant.tenant):
        return (
            list(RecipeComponent.objects.order_by("pk").values_list()),
            list(StockItem.objects.order_by("pk").values_list()),
            list(ProductVariant.objects.order_by("pk").values_list()),
            AuditEntry.objects.count(),
        )


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_are_refused_and_nothing_changes(tenant, cafe_pages, role):
    c = cafe_pages
    with tenant_context(tenant.tenant):
        line = recipe_component_add(product=c["latte"], item=c["milk"], quantity=D(1))
    client = tenant.client(role)
    before = _snapshot(tenant)
    recipe = reverse("inventory:recipe_edit", args=[c["latte"].pk])
    modifiers = reverse("inventory:modifier_recipe_edit", args=[c["group"].pk])
    key = f"m{c['oat_mod'].pk}"
    for method, url, data in [
        ("get", reverse("inventory:recipe_list"), {}),
        ("get", recipe, {}),
        ("post", recipe, {"action": "add", "owner": "p", "p-item": "BEANS", "p-quantity": "1"}),
        ("post", recipe, {"action": "remove", "component": str(line.pk)}),
        ("post", recipe, {"action": "track"}),
        ("get", modifiers, {}),
        ("post", modifiers, {"action": "add", "owner": key, f"{key}-item": "OAT", f"{key}-replaces": "MILK"}),
    ]:
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert _snapshot(tenant) == before
