import json

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from sales.models import DiningTable, Order
from sales.services.floor import area_create, table_delete, table_for_label, table_save


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def floor(till):
    with tenant_context(till["tenant"].tenant):
        area = area_create(outlet=Outlet.objects.get(code="MAIN"), name="Terrace", columns=4, rows=2)
        t1 = table_save(area=area, name="T1", seats=4, column=0, row=0)
        t2 = table_save(area=area, name="T2", seats=2, column=1, row=0)
    return {**till, "area": area, "t1": t1, "t2": t2}


def test_tables_cannot_share_a_cell_or_leave_the_grid(floor):
    with tenant_context(floor["tenant"].tenant):
        with pytest.raises(ValidationError, match="stands on row 1, column 1"):
            table_save(area=floor["area"], name="T3", seats=2, column=0, row=0)
        with pytest.raises(ValidationError) as excinfo:
            table_save(area=floor["area"], name="T4", seats=2, column=9, row=0)
        assert "column" in excinfo.value.message_dict
        assert DiningTable.objects.count() == 2


def test_an_order_at_a_table_shows_on_the_floor_and_moves(floor):
    client, teh = floor["client"], floor["teh"]
    order = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "table_id": floor["t1"].pk, "idempotency_key": "t"}
    ).json()
    page = client.get("/till/tables/").content.decode()
    assert f"#{order['number']}" in page and "free" in page
    second = post_json(
        client,
        "/till/orders/",
        {"lines": [{"product_id": teh.pk}], "table_id": floor["t1"].pk, "idempotency_key": "t2"},
    )
    assert second.status_code == 409 and "already has tab" in second.json()["error"]["message"]
    moved = post_json(client, f"/till/orders/{order['id']}/table/", {"table_id": floor["t2"].pk, "version": 1})
    assert moved.status_code == 200 and moved.json()["table_label"] == "T2"
    stale = post_json(client, f"/till/orders/{order['id']}/table/", {"table_id": floor["t1"].pk, "version": 1})
    assert stale.status_code == 409
    with tenant_context(floor["tenant"].tenant):
        saved = Order.objects.get(pk=order["id"])
        assert saved.table_id == floor["t2"].pk and saved.order_type == Order.Type.DINE_IN


def test_the_owner_draws_the_floor_plan(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    assert (
        owner.post("/backoffice/floor/", {"action": "area", "name": "Indoor", "columns": "5", "rows": "3"}).status_code
        == 302
    )
    with tenant_context(tenant.tenant):
        from sales.models import Area

        area = Area.objects.get(name="Indoor")
    ok = owner.post(
        "/backoffice/floor/",
        {"action": "table", "area": area.pk, "name": "A1", "seats": "4", "column": "2", "row": "1"},
    )
    assert ok.status_code == 302
    clash = owner.post(
        "/backoffice/floor/",
        {"action": "table", "area": area.pk, "name": "A2", "seats": "4", "column": "2", "row": "1"},
    )
    assert clash.status_code == 400
    assert "Table A1 already stands on row 1, column 2 of Indoor." in clash.content.decode()
    page = owner.get("/backoffice/floor/").content.decode()
    assert "A1" in page and 'data-grid-column="2"' in page  # placed by app.js (no style=: the CSP)


# --- a dine-in order sits at a table of the plan ----------------------------------------------------------------


def submit(client, body, key):
    return post_json(client, "/till/orders/", {"lines": body.pop("lines"), "idempotency_key": key, **body})


def test_a_typed_table_that_is_on_the_plan_is_that_table(floor, django_assert_max_num_queries):
    """An API client or a till page from before the picker sends "t1": the order sits at T1, so the floor shows it
    busy and the next party typed to "T1" is refused instead of seated on top of it."""
    client, teh = floor["client"], floor["teh"]
    made = submit(client, {"lines": [{"product_id": teh.pk}], "order_type": "dine_in", "table_label": " t1 "}, "a")
    assert made.status_code == 201, made.content
    with tenant_context(floor["tenant"].tenant):
        seated = Order.objects.get(pk=made.json()["id"])
        assert (seated.table_id, seated.table_label) == (floor["t1"].pk, "T1")
    again = submit(client, {"lines": [{"product_id": teh.pk}], "order_type": "dine_in", "table_label": "T1"}, "b")
    assert again.status_code == 409 and again.json()["error"]["code"] == "table.busy"
    with django_assert_max_num_queries(10):  # session, user, shift, the plan's 3, ...
        page = client.get("/till/tables/").content.decode()
    assert page.count("is-busy") == 1 and f"#{made.json()['number']}" in page


def test_a_typed_table_that_is_not_on_the_plan_is_refused(floor):
    client, teh = floor["client"], floor["teh"]
    with tenant_context(floor["tenant"].tenant):
        before = Order.objects.count()
    refused = submit(client, {"lines": [{"product_id": teh.pk}], "order_type": "dine_in", "table_label": "7"}, "c")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "table.unknown" and "no table “7” on the floor plan" in error["message"]
    with tenant_context(floor["tenant"].tenant):
        assert Order.objects.count() == before


def test_a_name_in_two_areas_is_refused_and_without_a_plan_the_label_is_free_text(floor):
    with tenant_context(floor["tenant"].tenant):
        outlet = Outlet.objects.get(code="MAIN")
        bar = area_create(outlet=outlet, name="Bar", columns=2, rows=1)
        table_save(area=bar, name="T1", seats=2, column=0, row=0)
        with pytest.raises(ValidationError) as excinfo:
            table_for_label(outlet_id=outlet.pk, label="t1")
        assert excinfo.value.code == "table.ambiguous"
        DiningTable.objects.update(is_active=False)  # every table retired: no floor plan any more
        assert table_for_label(outlet_id=outlet.pk, label="7") is None


# --- the editor: drag (place) and delete --------------------------------------------------------------------


def test_the_owner_drops_a_table_on_a_free_cell_of_any_area(floor, django_assert_max_num_queries):
    owner = floor["tenant"].client(Role.ADMIN_TENANT)
    with tenant_context(floor["tenant"].tenant):
        patio = area_create(outlet=Outlet.objects.get(code="MAIN"), name="Patio", columns=3, rows=3)
    url = f"/backoffice/floor/tables/{floor['t1'].pk}/place/"
    # 13: with the owner's second-factor device, read in the test's transaction (from the cache in production)
    with django_assert_max_num_queries(13):
        moved = post_json(owner, url, {"area": floor["area"].pk, "column": 4, "row": 2})
    assert moved.status_code == 200, moved.content
    assert moved.json() == {
        "id": floor["t1"].pk,
        "area": floor["area"].pk,
        "column": 4,
        "row": 2,
        "message": "Table T1 is now on row 2, column 4 of Terrace.",
    }
    taken = post_json(owner, url, {"area": floor["area"].pk, "column": 2, "row": 1})  # T2's cell
    assert taken.status_code == 409 and "Table T2 already stands on row 1, column 2" in taken.json()["error"]["message"]
    off = post_json(owner, url, {"area": floor["area"].pk, "column": 5, "row": 1})
    assert off.status_code == 400 and "column" in off.json()["error"]["fields"]
    across = post_json(owner, url, {"area": patio.pk, "column": 3, "row": 3})
    assert across.status_code == 200 and across.json()["area"] == patio.pk
    with tenant_context(floor["tenant"].tenant):
        t1 = DiningTable.objects.get(pk=floor["t1"].pk)
        assert (t1.area_id, t1.column, t1.row) == (patio.pk, 2, 2)
    with django_assert_max_num_queries(9):  # the plan is 3 of them, however many areas and tables; +1 as above
        page = owner.get("/backoffice/floor/")
    assert page.status_code == 200 and 'data-column="3" data-row="3"' in page.content.decode()


def test_only_the_owner_places_tables_and_only_their_own(floor, other_tenant):
    url = f"/backoffice/floor/tables/{floor['t1'].pk}/place/"
    cashier = post_json(floor["client"], url, {"area": floor["area"].pk, "column": 4, "row": 2})
    assert cashier.status_code == 403
    stranger = other_tenant.client(Role.ADMIN_TENANT)
    assert post_json(stranger, url, {"area": floor["area"].pk, "column": 4, "row": 2}).status_code == 404
    assert stranger.post("/backoffice/floor/", {"action": "delete", "table": floor["t1"].pk}).status_code == 404
    assert floor["client"].post("/backoffice/floor/", {"action": "delete", "table": floor["t1"].pk}).status_code == 403
    with tenant_context(floor["tenant"].tenant):
        t1 = DiningTable.objects.get(pk=floor["t1"].pk)
        assert (t1.column, t1.row, t1.is_active) == (0, 0, True)


def test_a_table_with_an_open_tab_cannot_be_deleted(floor):
    owner = floor["tenant"].client(Role.ADMIN_TENANT)
    order = post_json(
        floor["client"], "/till/orders/", {"lines": [{"product_id": floor["teh"].pk}], "table_id": floor["t1"].pk,
                                           "idempotency_key": "busy"},
    ).json()  # fmt: skip
    refused = owner.post("/backoffice/floor/", {"action": "delete", "table": floor["t1"].pk})
    assert refused.status_code == 400
    assert f"Table T1 has tab #{order['number']} open: pay it or move it" in refused.content.decode()
    with tenant_context(floor["tenant"].tenant):
        assert DiningTable.objects.filter(pk=floor["t1"].pk, is_active=True).exists()
    free = owner.post("/backoffice/floor/", {"action": "delete", "table": floor["t2"].pk}, follow=True)
    assert "Table T2 deleted." in free.content.decode()
    with tenant_context(floor["tenant"].tenant):
        assert not DiningTable.objects.filter(pk=floor["t2"].pk).exists()  # never used: gone


def test_a_table_with_history_is_retired_and_frees_its_cell_and_name(floor):
    with tenant_context(floor["tenant"].tenant):
        owner = floor["tenant"].users[Role.ADMIN_TENANT]
        Order.objects.create(
            outlet=floor["shift"].outlet, shift=floor["shift"], business_date="2026-01-01", number=900_001,
            created_by=owner, currency="IDR", table=floor["t1"], table_label="T1", status=Order.Status.PAID,
        )  # fmt: skip
        table_delete(table=floor["t1"], user=owner)
        retired = DiningTable.objects.get(pk=floor["t1"].pk)
        assert not retired.is_active and retired.orders.count() == 1  # history keeps its table
        again = table_save(area=floor["area"], name="T1", seats=2, column=0, row=0)
        assert again.pk != retired.pk
        with pytest.raises(ValidationError) as excinfo:
            table_delete(table=retired, user=owner)
        assert excinfo.value.code == "table.gone"


# --- the till: a busy table's tab, split by items -------------------------------------------------------------


def test_a_tab_splits_by_items_into_a_second_bill_at_the_same_table(floor, django_assert_max_num_queries):
    client, teh = floor["client"], floor["teh"]
    order = post_json(
        client, "/till/orders/", {"lines": [{"product_id": teh.pk, "quantity": 3}], "table_id": floor["t1"].pk,
                                  "idempotency_key": "three"},
    ).json()  # fmt: skip
    url = f"/till/orders/{order['id']}/split/"
    with django_assert_max_num_queries(9):
        lines = client.get(url).json()["lines"]
    assert [(line["name"], line["quantity"]) for line in lines] == [("Es teh", 3)]
    body = {"quantities": {str(lines[0]["id"]): 1}, "idempotency_key": "split-1"}
    split = post_json(client, url, body)
    assert split.status_code == 200, split.content
    assert split.json()["new"]["table_label"] == "T1" and split.json()["order"]["id"] == order["id"]
    assert post_json(client, url, body).json()["new"]["id"] == split.json()["new"]["id"]  # a retry: the same bill
    page = client.get("/till/tables/").content.decode()
    assert f"#{order['number']} +1" in page
    with tenant_context(floor["tenant"].tenant):
        assert Order.objects.filter(table=floor["t1"], status=Order.Status.OPEN).count() == 2
    whole = post_json(client, url, {"quantities": {str(lines[0]["id"]): 2}, "idempotency_key": "split-2"})
    assert whole.status_code == 400 and "Leave at least one item" in whole.json()["error"]["message"]
    assert post_json(client, url, {"quantities": "all", "idempotency_key": "x"}).status_code == 400
