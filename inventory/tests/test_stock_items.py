"""Stock items (create, edit, archive, per-outlet reorder settings), "track stock for this product", and the
stock settings: services, pages, query budgets and the role guard."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from catalog.models import Category
from catalog.tests import factories as f
from inventory.models import RecipeComponent, StockItem, StockLevel, StockMovement, StockSettings, Supplier
from inventory.services.items import (
    ReorderSetting,
    StockItemData,
    stock_item_archive,
    stock_item_create,
    stock_item_for_product,
    stock_item_reorder_set,
    stock_item_update,
    stock_settings_update,
)
from inventory.services.stock import MovementLine, SoldLine, movements_post, stock_consume_for_sale, stock_settings_get

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

D = Decimal
REFUSED_ROLES = [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]


def _data(**overrides) -> StockItemData:
    fields = {
        "name": "Coffee beans",
        "sku": "beans-1",
        "kind": StockItem.Kind.INGREDIENT,
        "base_unit": StockItem.Unit.G,
        "purchase_unit": "kg",
        "purchase_factor": D(1000),
        "cost_per_purchase_minor": 250000,
    }
    fields.update(overrides)
    return StockItemData(**fields)


def _receive(item: StockItem, outlet, quantity: str) -> None:
    movements_post(
        outlet_id=outlet.pk,
        kind=StockMovement.Kind.RECEIVING,
        lines=[MovementLine(item_id=item.pk, quantity=D(quantity))],
        source_type="receipt",
    )


@pytest.fixture
def owner(tenant):
    return tenant.users[Role.ADMIN_TENANT]


# --- Services: items --------------------------------------------------------------------------------------------


def test_create_normalises_the_sku_and_stores_cost_per_base_unit(in_tenant, owner):
    supplier = Supplier.objects.create(name="Bean Co")
    category = Category.objects.create(name="Coffee")
    item = stock_item_create(data=_data(category=category, default_supplier=supplier), actor=owner)
    item.refresh_from_db()
    assert item.sku == "BEANS-1"
    assert item.cost == D(250)  # Rp 250.000 a kg is Rp 250 a gram
    assert (item.purchase_unit, item.purchase_factor, item.base_unit) == ("kg", D(1000), "g")
    assert (item.category, item.default_supplier) == (category, supplier)
    assert AuditEntry.objects.filter(action="stock_item.create", target_label="BEANS-1").exists()
    odd = stock_item_create(data=_data(sku="MILK", base_unit="ml", purchase_factor=D(3), cost_per_purchase_minor=1))
    assert odd.cost == D("0.333333")  # six decimals, rounded half up, never a float


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sku": " Beans-1 "}, "sku", "already used by another stock item"),
        ({"sku": ""}, "sku", "needs a SKU"),
        ({"sku": "X" * 41}, "sku", "too long"),
        ({"name": "  "}, "name", "needs a name"),
        ({"purchase_factor": D(0)}, "purchase_factor", "more than zero"),
        ({"purchase_factor": D(-5)}, "purchase_factor", "more than zero"),
        ({"purchase_factor": D("0.0001")}, "purchase_factor", "three decimals"),
        ({"cost_per_purchase_minor": -1}, "cost", "zero or more"),
        ({"kind": "gadget"}, "kind", "sold as it is or is an ingredient"),
        ({"base_unit": "kg"}, "base_unit", "pieces, grams or millilitres"),
    ],
)
def test_create_refuses_bad_input_with_a_clear_message_and_saves_nothing(in_tenant, overrides, field, message):
    stock_item_create(data=_data())
    before = list(StockItem.objects.values_list("pk", "sku"))
    with pytest.raises(ValidationError) as exc:
        stock_item_create(data=_data(**{"sku": "OTHER", **overrides}))
    assert message in " ".join(exc.value.message_dict[field])
    assert list(StockItem.objects.values_list("pk", "sku")) == before


def test_an_archived_supplier_cannot_be_picked_for_a_new_item(in_tenant):
    gone = Supplier.objects.create(name="Gone Ltd", is_archived=True)
    with pytest.raises(ValidationError, match="archived"):
        stock_item_create(data=_data(default_supplier=gone))
    assert not StockItem.objects.exists()


def test_update_keeps_the_exact_cost_when_the_cost_on_the_form_is_unchanged(in_tenant, owner):
    item = stock_item_create(data=_data())
    StockItem.objects.filter(pk=item.pk).update(cost=D("250.123456"))  # as receiving's average might leave it
    item.refresh_from_db()
    shown = 250123  # what the edit form shows per kg: round(250.123456 × 1000)
    updated = stock_item_update(
        item=item, data=_data(name="Espresso beans", cost_per_purchase_minor=shown), actor=owner
    )
    assert updated.cost == D("250.123456") and updated.name == "Espresso beans"
    assert not AuditEntry.objects.filter(action="stock_item.cost_change").exists()
    updated = stock_item_update(item=item, data=_data(cost_per_purchase_minor=300000), actor=owner)
    assert updated.cost == D(300)
    entry = AuditEntry.objects.get(action="stock_item.cost_change")
    assert entry.data == {"old": "250.123456", "new": "300.000000"} and entry.actor == owner


def test_the_base_unit_cannot_change_once_stock_has_moved(in_tenant):
    item = stock_item_create(data=_data())
    stock_item_update(item=item, data=_data(base_unit="ml"))  # no history yet: allowed
    _receive(item, outlet_default(), "500")
    with pytest.raises(ValidationError, match="base unit cannot change"):
        stock_item_update(item=item, data=_data(base_unit="g"))
    item.refresh_from_db()
    assert item.base_unit == "ml"
    assert_ledger_consistent()


def test_a_sku_can_be_kept_on_update_but_not_taken_from_another_item(in_tenant):
    item = stock_item_create(data=_data())
    stock_item_create(data=_data(sku="MILK", name="Milk"))
    stock_item_update(item=item, data=_data(sku="beans-1"))  # its own SKU: fine
    with pytest.raises(ValidationError, match="“MILK” is already used"):
        stock_item_update(item=item, data=_data(sku="milk"))
    item.refresh_from_db()
    assert item.sku == "BEANS-1"


def test_archive_and_restore_are_audited_once_each(in_tenant, owner):
    item = stock_item_create(data=_data())
    stock_item_archive(item=item, archived=True, actor=owner)
    stock_item_archive(item=item, archived=True, actor=owner)  # a double click
    assert StockItem.objects.get(pk=item.pk).is_archived
    stock_item_archive(item=item, archived=False, actor=owner)
    assert not StockItem.objects.get(pk=item.pk).is_archived
    assert AuditEntry.objects.filter(action="stock_item.archive").count() == 1
    assert AuditEntry.objects.filter(action="stock_item.restore").count() == 1


def test_reorder_settings_make_levels_but_never_move_quantity(in_tenant):
    main, harbour = outlet_default(), second_outlet()
    item = stock_item(name="Milk", unit="ml")
    _receive(item, main, "4000")
    stock_item_reorder_set(
        item=item,
        settings=[
            ReorderSetting(outlet_id=main.pk, reorder_point=D(1000), reorder_quantity=D(12000)),
            ReorderSetting(outlet_id=harbour.pk, reorder_point=D("500.5"), reorder_quantity=D(0)),
        ],
    )
    main_level = StockLevel.objects.get(item=item, outlet=main)
    harbour_level = StockLevel.objects.get(item=item, outlet=harbour)
    assert (main_level.quantity, main_level.reorder_point, main_level.reorder_quantity) == (D(4000), 1000, 12000)
    assert (harbour_level.quantity, harbour_level.reorder_point) == (D(0), D("500.5"))
    assert not StockMovement.objects.filter(item=item, outlet=harbour).exists()
    assert_ledger_consistent()


def test_reorder_settings_refuse_negative_values_and_save_nothing(in_tenant):
    main = outlet_default()
    item = stock_item()
    with pytest.raises(ValidationError) as exc:
        stock_item_reorder_set(
            item=item, settings=[ReorderSetting(outlet_id=main.pk, reorder_point=D(-1), reorder_quantity=D(5))]
        )
    assert exc.value.message_dict == {f"reorder_point_{main.pk}": ["Enter zero or more."]}
    assert not StockLevel.objects.filter(item=item).exists()


# --- Services: track stock for a product ------------------------------------------------------------------------


def test_tracking_a_product_is_idempotent_and_sales_then_take_one_unit(in_tenant, owner):
    product = f.product(name="Mineral water", sku="water-600", barcode="899123")
    item = stock_item_for_product(product=product, actor=owner)
    again = stock_item_for_product(product=product, actor=owner)
    assert again.pk == item.pk
    assert StockItem.objects.filter(product=product).count() == 1
    assert (item.sku, item.name, item.kind, item.base_unit, item.barcode) == (
        "WATER-600",
        "Mineral water",
        StockItem.Kind.PRODUCT,
        "pcs",
        "899123",
    )
    assert list(RecipeComponent.objects.filter(product=product).values_list("item_id", "quantity")) == [(item.pk, 1)]
    assert AuditEntry.objects.filter(action="stock_item.track_product").count() == 1
    outlet = outlet_default()
    _receive(item, outlet, "24")
    stock_consume_for_sale(
        outlet_id=outlet.pk, order_id=1, lines=[SoldLine(order_line_id=1, product_id=product.pk, variant_id=None,
                                                         quantity=2)], user=owner,
    )  # fmt: skip
    assert level_of(item, outlet) == D(22)
    assert_ledger_consistent()


def test_tracking_again_after_the_line_was_removed_puts_it_back_once(in_tenant):
    product = f.product()
    item = stock_item_for_product(product=product)
    RecipeComponent.objects.filter(product=product).delete()
    assert stock_item_for_product(product=product).pk == item.pk
    assert RecipeComponent.objects.filter(product=product, item=item).count() == 1


def test_tracking_adopts_an_unlinked_product_item_with_the_same_sku_but_not_an_ingredient(in_tenant):
    product = f.product(sku="COLA")
    existing = stock_item(name="Cola can", sku="COLA", kind=StockItem.Kind.PRODUCT)
    assert stock_item_for_product(product=product).pk == existing.pk
    existing.refresh_from_db()
    assert existing.product == product
    other = f.product(sku="SUGAR")
    stock_item(name="Sugar", sku="SUGAR", unit="g", kind=StockItem.Kind.INGREDIENT)
    with pytest.raises(ValidationError, match="The stock item Sugar already uses the SKU “SUGAR”"):
        stock_item_for_product(product=other)
    assert not RecipeComponent.objects.filter(product=other).exists()


# --- Services: stock settings -----------------------------------------------------------------------------------


def test_stock_settings_save_and_audit_only_what_changed(in_tenant, owner):
    stock_settings_get()
    stock_settings_update(
        negative_stock="block",
        cost_method="last",
        adjustment_approval_minor=500000,
        staff_adjustment_approval_minor=0,
        low_stock_digest=False,
        actor=owner,
    )
    settings = StockSettings.objects.get()
    assert (settings.negative_stock, settings.cost_method) == ("block", "last")
    assert (settings.adjustment_approval_minor, settings.low_stock_digest) == (500000, False)
    entry = AuditEntry.objects.get(action="stock_settings.update")
    assert entry.data["negative_stock"] == ["allow", "block"] and entry.data["adjustment_approval_minor"] == [
        None,
        500000,
    ]
    stock_settings_update(
        negative_stock="block",
        cost_method="last",
        adjustment_approval_minor=500000,
        staff_adjustment_approval_minor=0,
        low_stock_digest=False,
        actor=owner,
    )  # the same again: nothing to record
    assert AuditEntry.objects.filter(action="stock_settings.update").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"negative_stock": "maybe"}, "negative_stock"),
        ({"cost_method": "fifo"}, "cost_method"),
        ({"adjustment_approval_minor": -1}, "adjustment_approval_minor"),
        ({"staff_adjustment_approval_minor": -1}, "staff_adjustment_approval_minor"),
    ],
)
def test_stock_settings_refuse_bad_values(in_tenant, kwargs, field):
    before = list(StockSettings.objects.values_list())
    args = {"negative_stock": "allow", "cost_method": "average", "adjustment_approval_minor": None,
            "staff_adjustment_approval_minor": 0, "low_stock_digest": True, **kwargs}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        stock_settings_update(**args)
    assert field in exc.value.message_dict
    assert list(StockSettings.objects.values_list()) == before


# --- Pages ------------------------------------------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "section": "item",
        "name": "Oat milk",
        "sku": "oat-1l",
        "barcode": "",
        "kind": "ingredient",
        "category": "",
        "base_unit": "ml",
        "purchase_unit": "carton",
        "purchase_factor": "1000",
        "cost": "32.000",
        "default_supplier": "",
    }
    data.update(overrides)
    return data


def test_owner_creates_an_item_through_the_form(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    assert client.get(reverse("inventory:stock_item_create")).status_code == 200
    response = client.post(reverse("inventory:stock_item_create"), _form())
    assert response.status_code == 302
    with tenant_context(tenant.tenant):
        item = StockItem.objects.get(sku="OAT-1L")
        assert (item.cost, item.purchase_unit, item.base_unit) == (D(32), "carton", "ml")  # Rp 32.000 / 1000 ml
    assert response["Location"] == reverse("inventory:stock_item_edit", args=[item.pk])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sku": "MILK"}, "already used by another stock item"),
        ({"purchase_factor": "0"}, "cannot be zero"),
        ({"purchase_factor": "abc"}, "is not a number"),
        ({"cost": "12,5"}, "IDR amounts have no decimals"),
        ({"cost": "-5"}, "Enter zero or more"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_the_create_form_shows_each_error_and_saves_nothing(tenant, overrides, message):
    with tenant_context(tenant.tenant):
        stock_item(name="Milk", sku="MILK")
    client = tenant.client(Role.ADMIN_TENANT)
    response = client.post(reverse("inventory:stock_item_create"), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(tenant.tenant):
        assert list(StockItem.objects.values_list("sku", flat=True)) == ["MILK"]


def test_the_edit_page_shows_stock_per_outlet_read_only_and_saves_reorder_settings(tenant):
    with tenant_context(tenant.tenant):
        main, harbour = outlet_default(), second_outlet()
        item = stock_item(name="Milk", unit="ml", cost="18.5", purchase_unit="L", purchase_factor=D(1000))
        _receive(item, main, "2500")
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_item_edit", args=[item.pk])
    page = client.get(url).content.decode()
    assert re.search(rf'data-testid="on-hand-{main.pk}">2500 ml<', page)
    assert re.search(rf'data-testid="on-hand-{harbour.pk}">0 ml<', page)
    assert 'value="18.500"' in page  # cost per litre as it is typed back: Rp 18.500
    response = client.post(
        url,
        {
            "section": "levels",
            f"reorder_point_{main.pk}": "1000",
            f"reorder_quantity_{main.pk}": "6000",
            f"reorder_point_{harbour.pk}": "0",
            f"reorder_quantity_{harbour.pk}": "0",
            f"quantity_{main.pk}": "999999",  # not a field: the quantity cannot be typed in
        },
    )
    assert response.status_code == 302
    bad = client.post(
        url,
        {
            "section": "levels",
            f"reorder_point_{main.pk}": "-3",
            f"reorder_quantity_{main.pk}": "x",
            f"reorder_point_{harbour.pk}": "5",
            f"reorder_quantity_{harbour.pk}": "5",
        },
    )
    assert bad.status_code == 400
    assert "The quantity cannot be negative." in bad.content.decode() and "is not a number" in bad.content.decode()
    with tenant_context(tenant.tenant):
        level = StockLevel.objects.get(item=item, outlet=main)
        assert (level.quantity, level.reorder_point, level.reorder_quantity) == (D(2500), D(1000), D(6000))
        assert StockLevel.objects.get(item=item, outlet=harbour).reorder_point == 0  # the bad post saved nothing
        assert_ledger_consistent()


def test_the_edit_form_saves_details_and_keeps_the_cost_when_untouched(tenant):
    with tenant_context(tenant.tenant):
        item = stock_item(name="Beans", sku="BEANS", unit="g", cost="250.123456", purchase_unit="kg",
                          purchase_factor=D(1000))  # fmt: skip
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_item_edit", args=[item.pk])
    form = _form(name="House beans", sku="beans", base_unit="g", purchase_unit="kg", cost="250.123")
    assert client.post(url, form).status_code == 302
    with tenant_context(tenant.tenant):
        item.refresh_from_db()
        assert (item.name, item.cost) == ("House beans", D("250.123456"))


def test_archive_and_restore_from_the_pages(tenant):
    with tenant_context(tenant.tenant):
        item = stock_item(name="Straws")
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_item_archive", args=[item.pk])
    assert client.post(url, {"back": "list"})["Location"] == reverse("inventory:stock_item_list")
    with tenant_context(tenant.tenant):
        assert StockItem.objects.get(pk=item.pk).is_archived
    assert ">Straws</a>" not in client.get(reverse("inventory:stock_item_list")).content.decode()
    assert ">Straws</a>" in client.get(reverse("inventory:stock_item_list") + "?archived=archived").content.decode()
    client.post(url, {"restore": "1"})
    with tenant_context(tenant.tenant):
        assert not StockItem.objects.get(pk=item.pk).is_archived
    assert client.get(url).status_code == 405


def test_the_list_searches_filters_and_pages_within_a_fixed_query_budget(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        category = Category.objects.create(name="Dairy")
        supplier = Supplier.objects.create(name="Farm")
        StockItem.objects.bulk_create(
            [
                StockItem(
                    name=f"Bulk {i:03d}",
                    sku=f"BULK-{i:03d}",
                    barcode=f"77{i:05d}",
                    category=category,
                    default_supplier=supplier,
                    kind="product" if i % 2 else "ingredient",
                )  # fmt: skip
                for i in range(230)
            ]
        )
        _receive(StockItem.objects.get(sku="BULK-000"), outlet_default(), "7")
        _receive(StockItem.objects.get(sku="BULK-000"), second_outlet(), "3")
        stock_item(name="Whole milk", sku="MILK-W", barcode="8990001")
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_item_list")
    client.get(url)  # warm-up: the session
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert page.count("/backoffice/stock/items/") >= 50 and "Page 1 of 5" in page
    assert re.search(r"Bulk 000</a>.*?10 pcs", page, re.S)  # on hand summed over both outlets
    with django_assert_max_num_queries(8):
        last = client.get(url + "?page=5").content.decode()
    assert "Whole milk" in last
    assert "Whole milk" in client.get(url + "?q=whole").content.decode()
    assert "Whole milk" in client.get(url + "?q=milk-w").content.decode()
    by_barcode = client.get(url + "?q=8990001").content.decode()
    assert "Whole milk" in by_barcode and "Bulk" not in by_barcode
    filtered = client.get(url + f"?kind=product&category={category.pk}").content.decode()
    assert "115 stock items" in filtered and "Whole milk" not in filtered


def test_the_settings_page_saves_and_refuses_bad_input(tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_settings")
    assert client.get(url).status_code == 200
    form = {
        "negative_stock": "block",
        "cost_method": "last",
        "adjustment_approval": "1.500.000",
        "low_stock_digest": "",
    }
    assert client.post(url, form).status_code == 302
    with tenant_context(tenant.tenant):
        settings = StockSettings.objects.get()
        assert (settings.negative_stock, settings.cost_method) == ("block", "last")
        assert (settings.adjustment_approval_minor, settings.low_stock_digest) == (1500000, False)
        assert AuditEntry.objects.filter(action="stock_settings.update", actor=tenant.users[Role.ADMIN_TENANT]).exists()
    assert 'value="1.500.000"' in client.get(url).content.decode()
    for bad, message in [
        ({"adjustment_approval": "12,5"}, "IDR amounts have no decimals"),
        ({"adjustment_approval": "lots"}, "is not an amount"),
        ({"adjustment_approval": "-100"}, "Enter zero or more"),
        ({"negative_stock": "sometimes"}, "Select a valid choice"),
    ]:
        response = client.post(url, {**form, "adjustment_approval": "", "low_stock_digest": "on", **bad})
        assert response.status_code == 400 and message in response.content.decode()
    with tenant_context(tenant.tenant):
        assert StockSettings.objects.get().adjustment_approval_minor == 1500000  # unchanged by the refused posts
    assert client.post(url, {**form, "adjustment_approval": ""}).status_code == 302
    with tenant_context(tenant.tenant):
        assert StockSettings.objects.get().adjustment_approval_minor is None  # blank: never


def test_pages_have_bounded_query_counts(tenant, django_assert_max_num_queries):
    with tenant_context(tenant.tenant):
        second_outlet()
        item = stock_item(name="Milk", unit="ml")
        StockItem.objects.bulk_create([StockItem(name=f"Filler {i}", sku=f"FILL-{i}") for i in range(210)])
    client = tenant.client(Role.ADMIN_TENANT)
    client.get(reverse("inventory:stock_item_list"))
    for url, budget in [
        (reverse("inventory:stock_item_edit", args=[item.pk]), 10),
        (reverse("inventory:stock_item_create"), 8),
        (reverse("inventory:stock_settings"), 7),
    ]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


def _snapshot(tenant):
    with tenant_context(tenant.tenant):
        return (
            list(StockItem.objects.order_by("pk").values_list()),
            list(StockLevel.objects.order_by("pk").values_list("pk", "reorder_point", "quantity")),
            list(StockSettings.objects.values_list()),
            list(RecipeComponent.objects.values_list()),
            AuditEntry.objects.count(),
        )


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_are_refused_and_nothing_changes(tenant, role):
    with tenant_context(tenant.tenant):
        item = stock_item(name="Milk")
        outlet = outlet_default()
        stock_settings_get()
    client = tenant.client(role)  # signing in writes its own audit entry; take the snapshot after
    before = _snapshot(tenant)
    edit = reverse("inventory:stock_item_edit", args=[item.pk])
    for method, url, data in [
        ("get", reverse("inventory:stock_item_list"), {}),
        ("get", reverse("inventory:stock_item_create"), {}),
        ("post", reverse("inventory:stock_item_create"), _form()),
        ("get", edit, {}),
        ("post", edit, _form(name="Hacked")),
        ("post", edit, {"section": "levels", f"reorder_point_{outlet.pk}": "5", f"reorder_quantity_{outlet.pk}": "5"}),
        ("post", reverse("inventory:stock_item_archive", args=[item.pk]), {}),
        ("get", reverse("inventory:stock_settings"), {}),
        ("post", reverse("inventory:stock_settings"), {"negative_stock": "block", "cost_method": "last"}),
    ]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
    assert _snapshot(tenant) == before


def test_an_item_of_another_tenant_is_not_found(tenant, other_tenant):
    with tenant_context(other_tenant.tenant):
        foreign = stock_item(name="Their milk", sku="THEIR-MILK")
    with tenant_context(tenant.tenant):
        assert not StockItem.objects.filter(pk=foreign.pk).exists()  # the same pk names nothing here
    client = tenant.client(Role.ADMIN_TENANT)
    assert client.get(reverse("inventory:stock_item_edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("inventory:stock_item_archive", args=[foreign.pk])).status_code == 404
    with tenant_context(other_tenant.tenant):
        assert not StockItem.objects.get(pk=foreign.pk).is_archived
