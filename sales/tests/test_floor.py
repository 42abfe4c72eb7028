import json

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from sales.models import DiningTable, Order
from sales.services.floor import area_create, table_save


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
    assert clash.status_code == 400 and "already has that name or stands on row 1, column 2" in clash.content.decode()
    page = owner.get("/backoffice/floor/").content.decode()
    assert "A1" in page and "grid-column: 2" in page
