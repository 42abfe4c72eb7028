"""The catalog's resources in the JSON API (catalog/api.py): products, variants, modifier groups, per-outlet
prices and availability, through the same services as the back-office pages (audited alike), each announced by
a `product.updated` outbox event; query budgets independent of the number of rows."""

import pytest
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from accounts.tests.factories import SupervisorFactory
from business.tests.factories import OutletFactory, TaxFactory
from catalog.models import OutletProductOverride, Product
from catalog.tests.factories import (
    CategoryFactory,
    ModifierGroupFactory,
    ProductFactory,
    ProductVariantFactory,
)
from core.models import OutboxEvent

PRODUCTS = "/api/v1/products/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def _events(tenant, product_id: int) -> list[list[str]]:
    with tenant_context(tenant.tenant):
        rows = OutboxEvent.objects.filter(name="product.updated", payload__product=product_id).order_by("pk")
        return [row.payload["changed"] for row in rows]


@pytest.fixture
def menu(tenant):
    with tenant_context(tenant.tenant):
        category = CategoryFactory(name="API menu")
        tax = TaxFactory(code="APITAX")
        milk = ModifierGroupFactory(name="API milk", modifiers=["Whole", ("Oat", 5000)])
        latte = ProductFactory(
            category=category, name="API latte", sku="API-LATTE", taxes=[tax], modifier_groups=[milk]
        )
        ProductVariantFactory(product=latte, name="Large", sku="API-LATTE-L")
        outlet = OutletFactory(code="api-out")
    return {"category": category, "tax": tax, "milk": milk, "latte": latte, "outlet": outlet}


def test_a_product_reads_with_its_variants_taxes_groups_and_currency(api, menu):
    body = api().get(f"{PRODUCTS}{menu['latte'].pk}/").json()
    assert body["name"] == "API latte" and body["sku"] == "API-LATTE" and body["currency"]
    assert body["tax_ids"] == [menu["tax"].pk] and body["modifier_group_ids"] == [menu["milk"].pk]
    assert [v["sku"] for v in body["variants"]] == ["API-LATTE-L"]


@pytest.mark.parametrize("extra", [2, 20])
def test_the_product_list_costs_the_same_queries_whatever_its_length(api, tenant, menu, extra,
                                                                     django_assert_max_num_queries):  # fmt: skip
    with tenant_context(tenant.tenant):
        for _ in range(extra):
            ProductVariantFactory(product=ProductFactory(category=menu["category"], taxes=[menu["tax"]]))
    client = api()
    client.get(PRODUCTS)
    # routing (3), the key, products, variants, taxes, modifier links, the business's currency (cached)
    with django_assert_max_num_queries(10):
        response = client.get(PRODUCTS, {"limit": 200, "category": menu["category"].pk})
    assert response.status_code == 200 and len(response.json()["results"]) == extra + 1


def test_a_product_is_made_and_changed_through_the_services_audited_and_announced(api, tenant, menu):
    client = api()
    created = client.post(PRODUCTS, {"category_id": menu["category"].pk, "name": "API mocha", "sku": "api-mocha",
                                     "price_minor": 30000, "tax_ids": [menu["tax"].pk],
                                     "modifier_group_ids": [menu["milk"].pk]})  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["sku"] == "API-MOCHA" and body["modifier_group_ids"] == [menu["milk"].pk]  # the service's rules
    pk = body["id"]
    changed = client.patch(f"{PRODUCTS}{pk}/", {"price_minor": 32000, "name": "API mocha!"})
    assert changed.status_code == 200 and changed.json()["price_minor"] == 32000
    assert changed.json()["updated_at"] >= body["updated_at"]
    assert client.patch(f"{PRODUCTS}{pk}/", {"is_archived": True}).json()["is_archived"] is True
    with tenant_context(tenant.tenant):
        audit = AuditEntry.objects.get(action=AuditAction.CATALOG_PRICE_CHANGE, target_id=pk)
        assert (audit.data["from"], audit.data["to"]) == (30000, 32000)
        assert audit.actor_id == tenant.users[Role.ADMIN_TENANT].pk
    assert _events(tenant, pk) == [["created"], ["modifier_groups"], ["name", "price_minor"], ["is_archived"]]


def test_bad_references_and_a_taken_sku_are_400s_that_change_nothing(api, tenant, menu):
    client = api()
    error = _error(client.post(PRODUCTS, {"category_id": 999999, "name": "X", "sku": "API-X", "price_minor": 1}),
                   400, "invalid")  # fmt: skip
    assert list(error["fields"]) == ["category_id"]
    _error(client.post(PRODUCTS, {"category_id": menu["category"].pk, "name": "X", "sku": "API-X", "price_minor": 1,
                                  "tax_ids": [999999]}), 400, "invalid")  # fmt: skip
    error = _error(client.post(PRODUCTS, {"category_id": menu["category"].pk, "name": "Dup", "sku": "api-latte",
                                          "price_minor": 1}), 400, "product.invalid")  # fmt: skip
    assert list(error["fields"]) == ["sku"]
    with tenant_context(tenant.tenant):
        assert not Product.objects.filter(sku__in=["API-X", "API-LATTE"]).exclude(pk=menu["latte"].pk).exists()


def test_variants_are_added_changed_and_archived(api, tenant, menu):
    client = api()
    latte = menu["latte"]
    made = client.post(f"{PRODUCTS}{latte.pk}/variants/", {"name": "Small", "sku": "API-LATTE-S", "price_minor": 2,
                                                            "is_default": True})  # fmt: skip
    assert made.status_code == 201 and made.json()["is_default"] is True
    vid = made.json()["id"]
    changed = client.patch(f"/api/v1/variants/{vid}/", {"price_minor": 3, "is_archived": True})
    assert changed.json()["price_minor"] == 3 and changed.json()["is_archived"] is True
    assert client.get(f"/api/v1/variants/{vid}/").json()["sku"] == "API-LATTE-S"
    assert _events(tenant, latte.pk) == [["variants"], ["variants"], ["variants"]]


def test_modifier_groups_are_made_and_changed_with_their_modifiers(api, menu):
    client = api()
    made = client.post("/api/v1/modifier-groups/", {"name": "API sugar", "min_choices": 1,
                                                    "modifiers": [{"name": "None"}, {"name": "Lots"}]})  # fmt: skip
    assert made.status_code == 201, made.content
    group = made.json()
    assert [m["name"] for m in group["modifiers"]] == ["None", "Lots"]
    none_id = group["modifiers"][0]["id"]
    changed = client.patch(f"/api/v1/modifier-groups/{group['id']}/",
                           {"modifiers": [{"id": none_id, "name": "No sugar"}, {"name": "Half"}]})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert sorted(m["name"] for m in changed.json()["modifiers"]) == ["Half", "Lots", "No sugar"]
    _error(client.patch(f"/api/v1/modifier-groups/{group['id']}/", {"min_choices": 9}), 400, "modifier_group.invalid")
    listed = client.get("/api/v1/modifier-groups/", {"ordering": "-id"}).json()["results"]
    assert listed[0]["id"] == group["id"]


def test_an_outlet_price_and_sold_out_are_set_audited_and_announced(api, tenant, menu):
    client = api()
    latte, outlet = menu["latte"], menu["outlet"]
    url = f"{PRODUCTS}{latte.pk}/outlets/{outlet.pk}/"
    response = client.put(url, {"price_minor": 27000, "is_available": False})
    assert response.status_code == 200, response.content
    assert client.get(f"{PRODUCTS}{latte.pk}/outlets/").json() == [
        {"outlet_id": outlet.pk, "variant_id": None, "price_minor": 27000, "is_available": False}
    ]
    assert client.put(url, {"price_minor": None, "is_available": True}).status_code == 200  # back to the catalog's
    with tenant_context(tenant.tenant):
        assert not OutletProductOverride.objects.filter(product=latte).exists()
        assert AuditEntry.objects.filter(action=AuditAction.CATALOG_PRICE_CHANGE, target_id=latte.pk).count() == 2
    assert _events(tenant, latte.pk) == [["outlet_availability", "outlet_price"]] * 2
    _error(client.put(f"{PRODUCTS}{latte.pk}/outlets/999999/", {"price_minor": 1, "is_available": True}), 404,
           "not_found")  # fmt: skip


def test_who_only_sells_reads_the_catalog_but_never_changes_it(api, tenant, menu):
    cashier = api(role=Role.CASHIER, user=tenant.users[Role.ADMIN_TENANT])
    reader = api(scopes={"catalog": "read"})
    assert cashier.get(PRODUCTS).status_code == 200 and reader.get(PRODUCTS).status_code == 200
    url = f"{PRODUCTS}{menu['latte'].pk}/"
    _error(cashier.patch(url, {"price_minor": 1}), 403, "access.denied")
    _error(reader.patch(url, {"price_minor": 1}), 403, "auth.scope_missing")
    _error(reader.put(f"{url}outlets/{menu['outlet'].pk}/", {"price_minor": 1, "is_available": True}), 403,
           "auth.scope_missing")  # fmt: skip
    with tenant_context(tenant.tenant):
        assert Product.objects.get(pk=menu["latte"].pk).price_minor == 25000
    assert _events(tenant, menu["latte"].pk) == []


def test_another_tenants_product_is_not_found(api, other_tenant, menu):
    _error(api(tenant_=other_tenant).get(f"{PRODUCTS}{menu['latte'].pk}/"), 404, "not_found")


def test_writes_have_a_query_budget(api, menu, django_assert_max_num_queries):
    client = api()
    client.get(PRODUCTS)
    with django_assert_max_num_queries(30):
        assert client.patch(f"{PRODUCTS}{menu['latte'].pk}/", {"price_minor": 26000}).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.put(f"{PRODUCTS}{menu['latte'].pk}/outlets/{menu['outlet'].pk}/",
                          {"price_minor": 1, "is_available": True}).status_code == 200  # fmt: skip


def test_a_person_sees_only_the_prices_of_the_outlets_they_work_at(api, tenant, menu):
    with tenant_context(tenant.tenant):
        elsewhere = OutletFactory(code="api-else")
        OutletProductOverride.objects.create(outlet=menu["outlet"], product=menu["latte"], price_minor=1)
        OutletProductOverride.objects.create(outlet=elsewhere, product=menu["latte"], price_minor=2)
        supervisor = SupervisorFactory(outlet_ids=[menu["outlet"].pk])
    listed = api(role=Role.SUPERVISOR, user=supervisor).get(f"{PRODUCTS}{menu['latte'].pk}/outlets/").json()
    assert [row["outlet_id"] for row in listed] == [menu["outlet"].pk]
    assert len(api().get(f"{PRODUCTS}{menu['latte'].pk}/outlets/").json()) == 2  # the owner: every outlet
