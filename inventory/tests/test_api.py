"""Stock in the JSON API (inventory/api/): items, levels, the ledger, adjustments, transfers, suppliers and
purchase orders, through the same services and selectors as the pages. Each write is checked for what it did to
the ledger (levels = sum of movements), each refusal for the error format and for leaving everything as it was."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Role
from accounts.tests.factories import CashierFactory, SupervisorFactory
from business.selectors import outlet_default
from inventory.models import (
    PurchaseOrder,
    StockAdjustment,
    StockItem,
    StockLevel,
    StockMovement,
    StockSettings,
    Supplier,
    Transfer,
)
from inventory.services.purchasing import supplier_create
from inventory.services.stock import MovementLine, movements_post

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

API = "/api/v1/stock"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    return body["error"]


def _receive(item: StockItem, outlet, quantity: str) -> None:
    movements_post(
        outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(quantity))], source_type="test"
    )


def _settings(**fields) -> StockSettings:
    StockSettings.objects.all().delete()
    return StockSettings.objects.create(**fields)


def _snapshot():
    """What a refused request must leave as it was."""
    return (
        list(StockMovement.objects.order_by("pk").values_list("pk", flat=True)),
        list(StockLevel.objects.order_by("pk").values_list("pk", "quantity")),
        list(StockAdjustment.objects.order_by("pk").values_list("pk", "status")),
        list(Transfer.objects.order_by("pk").values_list("pk", "status")),
        list(PurchaseOrder.objects.order_by("pk").values_list("pk", "status")),
        list(StockItem.objects.order_by("pk").values_list("pk", "sku", "cost", "is_archived")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def main(in_tenant):
    return outlet_default()


# --- Stock items ----------------------------------------------------------------------------------------------


def test_stock_items_are_created_read_listed_and_changed_through_the_item_services(api, main):
    owner = api()
    created = owner.post(
        f"{API}/items/",
        {
            "name": "Espresso beans",
            "sku": "api-beans",
            "kind": "ingredient",
            "base_unit": "g",
            "purchase_unit": "kg",
            "purchase_factor": "1000",
            "cost_per_purchase_unit_minor": 250000,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    item = StockItem.objects.get(pk=body["id"])
    assert item.sku == "API-BEANS"  # the catalog's SKU rule (upper case), as the page saves it
    assert body["sku"] == "API-BEANS" and body["cost_per_base_unit_minor"] == "250.000000"
    assert body["cost_per_purchase_unit_minor"] == 250000 and body["purchase_factor"] == "1000.000"
    assert {level["outlet"] for level in body["levels"]} >= {main.pk}
    assert AuditEntry.objects.filter(action="stock_item.create", target_label="API-BEANS").exists()

    changed = owner.patch(f"{API}/items/{item.pk}/", {"cost_per_purchase_unit_minor": 300000})
    assert changed.status_code == 200, changed.content
    assert changed.json()["cost_per_base_unit_minor"] == "300.000000" and changed.json()["name"] == "Espresso beans"
    assert AuditEntry.objects.filter(action="stock_item.cost_change", target_label="API-BEANS").exists()

    archived = owner.patch(f"{API}/items/{item.pk}/", {"is_archived": True})
    assert archived.json()["is_archived"] is True
    listed = owner.get(f"{API}/items/").json()
    assert item.pk not in [row["id"] for row in listed["results"]]
    listed = owner.get(f"{API}/items/", {"archived": "all", "q": "espresso"}).json()
    assert [row["id"] for row in listed["results"]] == [item.pk]
    assert listed["results"][0]["on_hand"] == "0.000"
    assert owner.get(f"{API}/items/{item.pk}/").json()["updated_at"] >= body["updated_at"]


def test_bad_item_input_is_a_400_in_the_error_format_and_saves_nothing(api, main):
    owner = api()
    stock_item(sku="TAKEN")
    before = _snapshot()
    error = _error(
        owner.post(f"{API}/items/", {"name": "", "sku": "TAKEN", "purchase_factor": "0"}), 400, "stock_item.invalid"
    )
    assert set(error["fields"]) >= {"name", "sku", "purchase_factor"}
    error = _error(owner.post(f"{API}/items/", {"name": "X", "sku": "X1", "purchase_factor": "abc"}), 400, "invalid")
    assert "purchase_factor" in error["fields"]
    error = _error(owner.post(f"{API}/items/", {"name": "X", "sku": "X1", "category": 999999}), 400, "invalid")
    assert "category" in error["fields"]
    _error(owner.post(f"{API}/items/", {"name": "X", "sku": "X1", "kind": "gas"}), 400, "invalid")
    _error(owner.post(f"{API}/items/", {"name": "X", "sku": "X1", "cost_per_purchase_unit_minor": -5}), 400, "invalid")
    _error(owner.post(f"{API}/items/", "[1, 2]"), 400, "invalid")
    _error(owner.get(f"{API}/items/999999/"), 404, "not_found")
    _error(owner.post(f"{API}/adjustments/1%0A/approve/"), 404, "not_found")  # a line break in the path: still JSON
    _error(owner.get(f"{API}/items/", {"kind": "gas"}), 400, "request.invalid")
    assert _snapshot() == before


def test_a_supervisor_reads_items_but_only_the_owner_sets_them_up(api, main):
    supervisor = api(role=Role.SUPERVISOR)
    item = stock_item(sku="SUP-READ")
    assert supervisor.get(f"{API}/items/{item.pk}/").status_code == 200
    before = _snapshot()
    _error(supervisor.post(f"{API}/items/", {"name": "X", "sku": "X2"}), 403, "access.denied")
    _error(supervisor.patch(f"{API}/items/{item.pk}/", {"name": "Renamed"}), 403, "access.denied")
    _error(api(role=Role.CASHIER).get(f"{API}/items/"), 403, "access.denied")
    assert _snapshot() == before


# --- Levels and the ledger -----------------------------------------------------------------------------------


def test_levels_filter_by_outlet_item_and_reorder_point_and_sync_by_updated_since(api, main):
    harbour = second_outlet("Harbour")
    milk, beans = stock_item(name="Milk", sku="L-MILK"), stock_item(name="Beans", sku="L-BEANS", unit="g")
    _receive(milk, main, "4")
    _receive(beans, main, "2500")
    _receive(milk, harbour, "9")
    StockLevel.objects.filter(item=milk, outlet=main).update(reorder_point=Decimal(5))
    owner = api()
    rows = owner.get(f"{API}/levels/", {"outlet": main.pk}).json()["results"]
    mine = {row["sku"]: row for row in rows if row["sku"] in ("L-MILK", "L-BEANS")}
    assert mine["L-MILK"]["quantity"] == "4.000" and mine["L-MILK"]["status"] == "low"
    assert mine["L-BEANS"]["quantity"] == "2500.000" and mine["L-BEANS"]["value_minor"] == 250000
    assert {row["outlet"] for row in rows} == {main.pk}
    rows = owner.get(f"{API}/levels/", {"item": milk.pk}).json()["results"]
    assert sorted(row["outlet"] for row in rows) == sorted([main.pk, harbour.pk])
    rows = owner.get(f"{API}/levels/", {"below_reorder": "true"}).json()["results"]
    assert [(row["sku"], row["outlet"]) for row in rows if row["sku"].startswith("L-")] == [("L-MILK", main.pk)]
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert owner.get(f"{API}/levels/", {"updated_since": later}).json()["results"] == []
    _error(owner.get(f"{API}/levels/", {"updated_since": "yesterday"}), 400, "request.invalid")
    _error(owner.get(f"{API}/levels/", {"below_reorder": "maybe"}), 400, "request.invalid")
    _error(owner.get(f"{API}/levels/", {"outlet": "x"}), 400, "request.invalid")
    _error(owner.get(f"{API}/levels/", {"outlet": 999999}), 400, "outlet.unknown")
    _error(owner.post(f"{API}/levels/", {}), 405, "request.method_not_allowed")


def test_the_ledger_pages_by_cursor_and_filters_by_item_outlet_kind_and_day(api, main):
    item = stock_item(sku="LEDGER")
    for quantity in ("5", "-1", "2", "-3", "4"):
        movements_post(
            outlet_id=main.pk,
            kind="adjustment" if quantity.startswith("-") else "receiving",
            lines=[MovementLine(item.pk, Decimal(quantity))],
            source_type="test",
        )
    owner = api()
    seen, url, params = [], f"{API}/movements/", {"item": item.pk, "limit": 2}
    while url:
        page = owner.get(url, params).json()
        seen += page["results"]
        url, params = page["next"], None
    assert [row["quantity"] for row in seen] == ["5.000", "-1.000", "2.000", "-3.000", "4.000"]
    assert [row["balance_after"] for row in seen] == ["5.000", "4.000", "6.000", "3.000", "7.000"]
    assert level_of(item, main) == Decimal(7)
    kinds = owner.get(f"{API}/movements/", {"item": item.pk, "kind": "adjustment"}).json()["results"]
    assert [row["quantity"] for row in kinds] == ["-1.000", "-3.000"]
    today = timezone.localdate().isoformat()
    assert len(owner.get(f"{API}/movements/", {"item": item.pk, "date_from": today}).json()["results"]) == 5
    newest = owner.get(f"{API}/movements/", {"item": item.pk, "ordering": "-id", "limit": 1}).json()
    assert newest["results"][0]["quantity"] == "4.000"
    since = owner.get(f"{API}/movements/", {"item": item.pk, "updated_since": seen[-1]["created_at"]}).json()
    assert seen[-1]["id"] in [row["id"] for row in since["results"]]
    _error(owner.get(f"{API}/movements/", {"date_from": today, "date_to": "2020-01-01"}), 400, "invalid")
    _error(owner.get(f"{API}/movements/", {"date_from": "2026-02-30"}), 400, "invalid")
    _error(owner.get(f"{API}/movements/", {"kind": "theft"}), 400, "request.invalid")
    _error(owner.get(f"{API}/movements/", {"ordering": "quantity"}), 400, "request.invalid")
    _error(owner.get(f"{API}/movements/", {"cursor": "nonsense"}), 400, "pagination.cursor_invalid")
    # Moments Python reads and PostgreSQL would not: an offset beyond ±15:59, a moment before the first one.
    assert owner.get(f"{API}/movements/", {"updated_since": "2121-08-01T22:04:25+22:09"}).json()["results"] == []
    _error(owner.get(f"{API}/movements/", {"updated_since": "0001-01-01T00:00:00+01:00"}), 400, "request.invalid")
    # A NUL byte is refused before any view (pos_project/error_pages.py), in the API's format, not the 400 page.
    nul = owner.get(f"{API}/movements/", {"ordering": "id\x00"})
    assert nul["Content-Type"] == "application/json"
    _error(nul, 400, "request.invalid")


# --- Adjustments ------------------------------------------------------------------------------------------------


def test_the_owners_adjustment_posts_at_once_and_moves_stock_through_the_ledger(api, main):
    _settings(adjustment_approval_minor=0)
    milk = stock_item(sku="ADJ-MILK", cost="1500")
    _receive(milk, main, "10")
    response = api().post(
        f"{API}/adjustments/",
        {
            "outlet": main.pk,
            "reason": "waste",
            "note": "Dropped tray",
            "lines": [{"sku": "ADJ-MILK", "quantity": "-3"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "posted" and body["value_minor"] == 4500 and body["reason"] == "waste"
    assert body["lines"][0]["quantity"] == "-3.000" and body["lines"][0]["value_minor"] == 4500
    assert level_of(milk, main) == Decimal(7)
    assert StockMovement.objects.filter(source_type="adjustment", source_id=body["id"], kind="waste").count() == 1
    assert AuditEntry.objects.filter(action="stock.adjustment_submit", target_label=f"ADJ-{body['id']}").exists()
    assert_ledger_consistent()


def test_an_adjustment_that_needs_a_second_person_is_created_waiting_and_approved_by_another(api, main):
    _settings(adjustment_approval_minor=0)  # every supervisor's adjustment waits
    milk = stock_item(sku="WAIT-MILK", cost="1000")
    _receive(milk, main, "10")
    supervisor = api(role=Role.SUPERVISOR)
    waiting = supervisor.post(
        f"{API}/adjustments/", {"outlet": main.pk, "reason": "damage", "lines": [{"item": milk.pk, "quantity": "-2"}]}
    )
    assert waiting.status_code == 202, waiting.content
    adjustment = waiting.json()
    assert adjustment["status"] == "pending" and adjustment["decided_by"] is None
    assert level_of(milk, main) == Decimal(10)  # nothing moved
    # Four eyes: not by its author, whatever key they use.
    _error(supervisor.post(f"{API}/adjustments/{adjustment['id']}/approve/"), 403, "adjustment.own")
    _error(api(role=Role.CASHIER).post(f"{API}/adjustments/{adjustment['id']}/approve/"), 403, "access.denied")
    assert level_of(milk, main) == Decimal(10)
    approved = api().post(f"{API}/adjustments/{adjustment['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "posted"
    assert level_of(milk, main) == Decimal(8)
    _error(api().post(f"{API}/adjustments/{adjustment['id']}/reject/"), 409, "adjustment.not_pending")
    assert_ledger_consistent()


def test_an_owners_key_made_as_a_supervisors_is_reviewed_like_a_supervisor(api, main, in_tenant):
    """The key's role, not its maker's, decides who waits: the owner's own adjustment would post at once."""
    _settings(adjustment_approval_minor=0)
    milk = stock_item(sku="ROLE-MILK")
    _receive(milk, main, "10")
    narrowed = api(role=Role.SUPERVISOR, user=in_tenant.users[Role.ADMIN_TENANT])
    response = narrowed.post(
        f"{API}/adjustments/",
        {"outlet": main.pk, "reason": "correction", "lines": [{"item": milk.pk, "quantity": "-1"}]},
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert response.json()["created_by"] == in_tenant.users[Role.ADMIN_TENANT].pk
    assert level_of(milk, main) == Decimal(10)


def test_a_cashier_reports_waste_one_line_at_a_time_and_it_waits(api, main):
    _settings()  # staff threshold 0 by default: every report of theirs waits
    milk, eggs = stock_item(sku="CW-MILK"), stock_item(sku="CW-EGG")
    _receive(milk, main, "5")
    cashier = api(role=Role.CASHIER, user=CashierFactory())
    response = cashier.post(
        f"{API}/adjustments/", {"outlet": main.pk, "reason": "waste", "lines": [{"sku": "CW-MILK", "quantity": "-1"}]}
    )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    before = _snapshot()
    _error(
        cashier.post(
            f"{API}/adjustments/",
            {
                "outlet": main.pk,
                "reason": "waste",
                "lines": [{"sku": "CW-MILK", "quantity": "-1"}, {"sku": "CW-EGG", "quantity": "-1"}],
            },
        ),
        403,
        "access.denied",
    )
    _error(cashier.get(f"{API}/adjustments/"), 403, "access.denied")  # the list is the supervisors'
    assert _snapshot() == before and level_of(eggs, main) == 0


def test_bad_adjustments_are_refused_whole_with_every_line_named(api, main):
    milk = stock_item(sku="BAD-MILK", cost="100")
    _receive(milk, main, "2")
    owner = api()
    before = _snapshot()
    error = _error(
        owner.post(
            f"{API}/adjustments/",
            {
                "outlet": main.pk,
                "reason": "correction",
                "lines": [
                    {"sku": "BAD-MILK", "quantity": "1"},
                    {"sku": "NOPE", "quantity": "x"},
                    {"item": milk.pk, "quantity": "0"},
                ],
            },
        ),
        400,
        "adjustment.invalid",
    )
    assert "Line 2" in error["message"] and "Line 3" in error["message"] and "Line 1" not in error["message"]
    _error(
        owner.post(
            f"{API}/adjustments/",
            {"outlet": main.pk, "reason": "correction", "lines": [{"sku": "BAD-MILK", "quantity": "-5"}]},
        ),
        409,
        "stock.insufficient",
    )
    error = _error(
        owner.post(f"{API}/adjustments/", {"outlet": main.pk, "reason": "gift", "lines": []}), 400, "invalid"
    )
    assert {name.split(".")[0] for name in error["fields"]} == {"reason", "lines"}
    error = _error(
        owner.post(
            f"{API}/adjustments/",
            {
                "outlet": main.pk,
                "reason": "waste",
                "lines": [{"item": milk.pk, "sku": "BAD-MILK", "quantity": "-1"}, {"quantity": "-1"}],
            },
        ),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"lines.0.item", "lines.1.item"}
    _error(
        owner.post(
            f"{API}/adjustments/", {"outlet": 999999, "reason": "waste", "lines": [{"item": milk.pk, "quantity": "-1"}]}
        ),
        400,
        "outlet.unknown",
    )
    for huge in (1e300, "1e400", "NaN", "0.0001"):
        _error(
            owner.post(
                f"{API}/adjustments/",
                {"outlet": main.pk, "reason": "waste", "lines": [{"item": milk.pk, "quantity": huge}]},
            ),
            400,
            "adjustment.invalid",
        )
    _error(
        owner.post(
            f"{API}/adjustments/",
            {"outlet": main.pk, "reason": "waste", "lines": [{"item": milk.pk, "quantity": float("inf")}]},
        ),
        400,
        "request.malformed",
    )
    assert _snapshot() == before


def test_a_read_only_key_is_refused_on_every_stock_write(api, main, in_tenant):
    milk = stock_item(sku="RO-MILK")
    _receive(milk, main, "5")
    supplier = supplier_create(name="RO supplier")
    reader = api(scopes={"*": "read"})
    before = _snapshot()
    writes = [
        (f"{API}/items/", {"name": "X", "sku": "RO-X"}),
        (f"{API}/adjustments/", {"outlet": main.pk, "reason": "waste", "lines": [{"item": milk.pk, "quantity": "-1"}]}),
        (
            f"{API}/transfers/",
            {"from_outlet": main.pk, "to_outlet": second_outlet().pk, "lines": [{"item": milk.pk, "quantity": "1"}]},
        ),
        (
            f"{API}/purchase-orders/",
            {"supplier": supplier.pk, "outlet": main.pk, "lines": [{"item": milk.pk, "quantity": "1"}]},
        ),
    ]
    for url, body in writes:
        _error(reader.post(url, body), 403, "auth.scope_missing")
        assert reader.get(url).status_code == 200, url
    narrow = api(scopes={"stock_levels": "read"})
    _error(narrow.get(f"{API}/movements/"), 403, "auth.scope_missing")
    assert _snapshot() == before


def test_the_same_idempotency_key_replays_the_first_adjustment_and_refuses_another_body(api, main):
    milk = stock_item(sku="IDEM-MILK")
    _receive(milk, main, "10")
    owner, key = api(), str(uuid.uuid4())
    body = {"outlet": main.pk, "reason": "correction", "lines": [{"item": milk.pk, "quantity": "-2"}]}
    first = owner.post(f"{API}/adjustments/", body, idempotency_key=key)
    again = owner.post(f"{API}/adjustments/", body, idempotency_key=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert StockAdjustment.objects.filter(lines__item=milk).count() == 1 and level_of(milk, main) == Decimal(8)
    other = {**body, "lines": [{"item": milk.pk, "quantity": "-3"}]}
    _error(owner.post(f"{API}/adjustments/", other, idempotency_key=key), 422, "idempotency.key_reused")
    assert level_of(milk, main) == Decimal(8)
    assert_ledger_consistent()


# --- Outlets a caller works at ------------------------------------------------------------------------------------


@pytest.fixture
def limited(api, main):
    """A supervisor assigned MAIN only, with a key; stock and documents at MAIN and at HARBOUR."""
    harbour = second_outlet("Harbour")
    mine, theirs = stock_item(name="Main beans", sku="LIM-MAIN"), stock_item(name="Sea kelp", sku="LIM-KELP")
    _receive(mine, main, "10")
    _receive(theirs, harbour, "10")
    owner = api()
    theirs_adj = owner.post(
        f"{API}/adjustments/",
        {"outlet": harbour.pk, "reason": "correction", "lines": [{"item": theirs.pk, "quantity": "-1"}]},
    ).json()
    supplier = supplier_create(name="Limited supplier")
    theirs_po = owner.post(
        f"{API}/purchase-orders/",
        {"supplier": supplier.pk, "outlet": harbour.pk, "lines": [{"item": theirs.pk, "quantity": "2"}]},
    ).json()
    elsewhere = owner.post(
        f"{API}/transfers/",
        {
            "from_outlet": harbour.pk,
            "to_outlet": second_outlet("Depot").pk,
            "lines": [{"item": theirs.pk, "quantity": "1"}],
        },
    ).json()
    incoming = owner.post(
        f"{API}/transfers/",
        {"from_outlet": harbour.pk, "to_outlet": main.pk, "lines": [{"item": theirs.pk, "quantity": "2"}]},
    ).json()
    person = SupervisorFactory(outlet_ids=[main.pk])
    return {
        "client": api(role=Role.SUPERVISOR, user=person),
        "harbour": harbour,
        "mine": mine,
        "theirs": theirs,
        "adjustment": theirs_adj,
        "po": theirs_po,
        "elsewhere": elsewhere,
        "incoming": incoming,
        "owner": owner,
        "supplier": supplier,
    }


def test_an_outlet_limited_caller_lists_only_their_outlets(limited, main):
    client, harbour = limited["client"], limited["harbour"]
    levels = client.get(f"{API}/levels/").json()["results"]
    assert {row["outlet"] for row in levels} == {main.pk}
    movements = client.get(f"{API}/movements/").json()["results"]
    assert movements and {row["outlet"] for row in movements} == {main.pk}
    assert client.get(f"{API}/adjustments/").json()["results"] == []
    assert client.get(f"{API}/purchase-orders/").json()["results"] == []
    transfers = client.get(f"{API}/transfers/").json()["results"]
    assert [row["id"] for row in transfers] == [limited["incoming"]["id"]]  # either end at MAIN
    for url in (f"{API}/levels/", f"{API}/movements/", f"{API}/adjustments/", f"{API}/purchase-orders/"):
        _error(client.get(url, {"outlet": harbour.pk}), 400, "outlet.unknown")


def test_an_outlet_limited_caller_cannot_see_or_act_on_another_outlets_documents(limited, main):
    client, harbour = limited["client"], limited["harbour"]
    adjustment, po, elsewhere, incoming = (limited[k] for k in ("adjustment", "po", "elsewhere", "incoming"))
    before = _snapshot()
    _error(client.get(f"{API}/adjustments/{adjustment['id']}/"), 404, "not_found")
    _error(client.get(f"{API}/purchase-orders/{po['id']}/"), 404, "not_found")
    _error(client.post(f"{API}/purchase-orders/{po['id']}/send/"), 404, "not_found")
    _error(client.get(f"{API}/transfers/{elsewhere['id']}/"), 404, "not_found")
    # Incoming to MAIN: readable, but sent and cancelled only from its source.
    assert client.get(f"{API}/transfers/{incoming['id']}/").status_code == 200
    _error(client.post(f"{API}/transfers/{incoming['id']}/send/"), 404, "not_found")
    _error(client.post(f"{API}/transfers/{incoming['id']}/cancel/"), 404, "not_found")
    _error(
        client.post(
            f"{API}/adjustments/",
            {"outlet": harbour.pk, "reason": "waste", "lines": [{"item": limited["theirs"].pk, "quantity": "-1"}]},
        ),
        400,
        "outlet.unknown",
    )
    _error(
        client.post(
            f"{API}/transfers/",
            {
                "from_outlet": harbour.pk,
                "to_outlet": main.pk,
                "lines": [{"item": limited["theirs"].pk, "quantity": "1"}],
            },
        ),
        400,
        "outlet.unknown",
    )
    _error(
        client.post(
            f"{API}/purchase-orders/",
            {
                "supplier": limited["supplier"].pk,
                "outlet": harbour.pk,
                "lines": [{"item": limited["theirs"].pk, "quantity": "1"}],
            },
        ),
        400,
        "outlet.unknown",
    )
    assert _snapshot() == before


# --- Transfers ------------------------------------------------------------------------------------------------


def test_a_transfer_is_created_sent_and_received_in_part_through_the_ledger(api, main):
    harbour = second_outlet("Harbour")
    milk, eggs = stock_item(sku="TR-MILK", cost="1000"), stock_item(sku="TR-EGG", cost="200")
    _receive(milk, main, "10")
    _receive(eggs, main, "30")
    owner = api()
    created = owner.post(
        f"{API}/transfers/",
        {
            "from_outlet": main.pk,
            "to_outlet": harbour.pk,
            "note": "Weekly",
            "lines": [{"sku": "TR-MILK", "quantity": "4"}, {"item": eggs.pk, "quantity": "12"}],
        },
    )
    assert created.status_code == 201, created.content
    transfer = created.json()
    assert transfer["status"] == "draft" and level_of(milk, main) == 10
    edited = owner.patch(
        f"{API}/transfers/{transfer['id']}/",
        {"lines": [{"sku": "TR-MILK", "quantity": "5"}, {"sku": "TR-EGG", "quantity": "12"}]},
    )
    assert edited.status_code == 200 and edited.json()["lines"][0]["quantity"] == "5.000"
    assert edited.json()["updated_at"] >= transfer["updated_at"] and edited.json()["note"] == "Weekly"
    sent = owner.post(f"{API}/transfers/{transfer['id']}/send/").json()
    assert sent["status"] == "sent" and sent["lines"][0]["unit_cost_minor"] == "1000.000000"
    assert level_of(milk, main) == 5 and level_of(eggs, main) == 18
    lines = {line["sku"]: line["id"] for line in sent["lines"]}
    _error(
        owner.post(
            f"{API}/transfers/{transfer['id']}/receive/",
            {
                "lines": [
                    {"id": lines["TR-MILK"], "quantity_received": "6"},
                    {"id": lines["TR-EGG"], "quantity_received": "12"},
                ]
            },
        ),
        400,
        "transfer.receipt_invalid",
    )
    _error(
        owner.post(
            f"{API}/transfers/{transfer['id']}/receive/",
            {"lines": [{"id": lines["TR-MILK"], "quantity_received": "5"}]},
        ),
        400,
        "transfer.receipt_invalid",
    )
    received = owner.post(
        f"{API}/transfers/{transfer['id']}/receive/",
        {
            "lines": [
                {"id": lines["TR-MILK"], "quantity_received": "5"},
                {"id": lines["TR-EGG"], "quantity_received": "10"},
            ]
        },
    )
    assert received.status_code == 200, received.content
    by_sku = {line["sku"]: line for line in received.json()["lines"]}
    assert received.json()["status"] == "received" and by_sku["TR-EGG"]["discrepancy"] == "2.000"
    assert level_of(milk, harbour) == 5 and level_of(eggs, harbour) == 10
    _error(owner.post(f"{API}/transfers/{transfer['id']}/cancel/"), 409, "transfer.not_cancellable")
    _error(
        owner.patch(f"{API}/transfers/{transfer['id']}/", {"lines": [{"sku": "TR-MILK", "quantity": "1"}]}),
        409,
        "transfer.not_draft",
    )
    assert_ledger_consistent()


def test_sending_more_than_the_source_holds_is_refused_and_a_sent_transfer_cancelled_returns_its_stock(api, main):
    harbour = second_outlet("Harbour")
    milk = stock_item(sku="TRC-MILK")
    _receive(milk, main, "3")
    owner = api()
    big = owner.post(
        f"{API}/transfers/",
        {"from_outlet": main.pk, "to_outlet": harbour.pk, "lines": [{"item": milk.pk, "quantity": "4"}]},
    ).json()
    _error(owner.post(f"{API}/transfers/{big['id']}/send/"), 409, "stock.insufficient")
    assert Transfer.objects.get(pk=big["id"]).status == "draft" and level_of(milk, main) == 3
    small = owner.post(
        f"{API}/transfers/",
        {"from_outlet": main.pk, "to_outlet": harbour.pk, "lines": [{"item": milk.pk, "quantity": "2"}]},
    ).json()
    owner.post(f"{API}/transfers/{small['id']}/send/")
    assert level_of(milk, main) == 1
    cancelled = owner.post(f"{API}/transfers/{small['id']}/cancel/").json()
    assert cancelled["status"] == "cancelled" and level_of(milk, main) == 3 and level_of(milk, harbour) == 0
    error = _error(
        owner.post(
            f"{API}/transfers/",
            {"from_outlet": main.pk, "to_outlet": main.pk, "lines": [{"item": milk.pk, "quantity": "1"}]},
        ),
        400,
        "transfer.invalid",
    )
    assert "different outlets" in error["message"]
    assert_ledger_consistent()


# --- Suppliers and purchase orders ------------------------------------------------------------------------------


def test_a_purchase_order_is_created_sent_and_received_in_two_deliveries(api, main):
    beans = stock_item(
        name="Beans", sku="PO-BEANS", unit="g", cost="200", purchase_unit="kg", purchase_factor=Decimal(1000)
    )
    supplier = supplier_create(name="Kopi Jaya", email="")
    owner = api()
    assert owner.get(f"{API}/suppliers/{supplier.pk}/").json()["name"] == "Kopi Jaya"
    assert supplier.pk in [row["id"] for row in owner.get(f"{API}/suppliers/").json()["results"]]
    created = owner.post(
        f"{API}/purchase-orders/",
        {
            "supplier": supplier.pk,
            "outlet": main.pk,
            "expected_on": "2026-12-24",
            "lines": [{"item": beans.pk, "quantity": "3", "unit_cost_minor": 250000}],
        },
    )
    assert created.status_code == 201, created.content
    po = created.json()
    assert po["status"] == "draft" and po["total_minor"] == 750000 and po["lines"][0]["unit_cost_minor"] == 250000
    _error(
        owner.post(
            f"{API}/purchase-orders/{po['id']}/receive/", {"lines": [{"line": po["lines"][0]["id"], "quantity": "1"}]}
        ),
        409,
        "purchase_order.not_receivable",
    )
    assert owner.post(f"{API}/purchase-orders/{po['id']}/send/").json()["status"] == "sent"
    line = po["lines"][0]["id"]
    first = owner.post(f"{API}/purchase-orders/{po['id']}/receive/", {"lines": [{"line": line, "quantity": "1"}]})
    assert first.status_code == 201, first.content
    assert first.json()["purchase_order_status"] == "partial" and level_of(beans, main) == Decimal(1000)
    _error(
        owner.post(f"{API}/purchase-orders/{po['id']}/receive/", {"lines": [{"line": line, "quantity": "5"}]}),
        400,
        "goods_receipt.invalid",
    )
    twice = {"lines": [{"line": line, "quantity": "2"}, {"line": line, "quantity": "2"}]}  # 4 > the 2 to come
    assert "given twice" in _error(owner.post(f"{API}/purchase-orders/{po['id']}/receive/", twice), 400,
                                   "goods_receipt.invalid")["message"]  # fmt: skip
    assert level_of(beans, main) == Decimal(1000)
    second = owner.post(
        f"{API}/purchase-orders/{po['id']}/receive/",
        {"lines": [{"line": line, "quantity": "2", "unit_cost_minor": 280000}], "note": "Rest"},
    ).json()
    assert second["purchase_order_status"] == "received" and second["lines"][0]["unit_cost_minor"] == 280000
    assert level_of(beans, main) == Decimal(3000)
    read = owner.get(f"{API}/purchase-orders/{po['id']}/").json()
    assert read["lines"][0]["quantity_received"] == "3.000" and read["lines"][0]["outstanding"] == "0.000"
    assert StockItem.objects.get(pk=beans.pk).cost > Decimal(200)  # re-priced by the cost method
    _error(owner.post(f"{API}/purchase-orders/{po['id']}/cancel/"), 409, "purchase_order.has_receipts")
    assert_ledger_consistent()


def test_bad_purchase_orders_are_refused_with_every_line_named(api, main):
    item = stock_item(sku="BPO")
    supplier = supplier_create(name="Bad PO supplier")
    archived = Supplier.objects.create(name="Gone", is_archived=True)
    owner = api()
    before = _snapshot()
    error = _error(
        owner.post(
            f"{API}/purchase-orders/",
            {
                "supplier": archived.pk,
                "outlet": main.pk,
                "lines": [{"item": item.pk, "quantity": "0"}, {"item": 999999, "quantity": "1"}],
            },
        ),
        400,
        "purchase_order.invalid",
    )
    assert "archived" in error["message"] and "Line 1" in error["message"] and "Line 2" in error["message"]
    _error(
        owner.post(
            f"{API}/purchase-orders/",
            {"supplier": 999999, "outlet": main.pk, "lines": [{"item": item.pk, "quantity": "1"}]},
        ),
        400,
        "supplier.unknown",
    )
    _error(
        owner.post(
            f"{API}/purchase-orders/",
            {
                "supplier": supplier.pk,
                "outlet": main.pk,
                "expected_on": "soon",
                "lines": [{"item": item.pk, "quantity": "1"}],
            },
        ),
        400,
        "invalid",
    )
    _error(
        owner.post(
            f"{API}/purchase-orders/",
            {
                "supplier": supplier.pk,
                "outlet": main.pk,
                "lines": [{"item": item.pk, "quantity": "1", "unit_cost_minor": 10**19}],
            },
        ),
        400,
        "invalid",
    )
    assert _snapshot() == before


# --- Query budgets ------------------------------------------------------------------------------------------------

LISTS = (
    "items/",
    "levels/",
    "movements/",
    "adjustments/",
    "transfers/",
    "suppliers/",
    "purchase-orders/",
)
BUDGET = 6  # host → tenant, the key, the list, its prefetched lines (and their items); never more with more rows


def _more_stock(owner, main, harbour, n: int) -> None:
    """`n` more of everything the lists show, each document with two lines."""
    for _ in range(n):
        supplier = supplier_create(name=f"Budget supplier {uuid.uuid4().hex[:8]}")
        a, b = stock_item(cost="10"), stock_item(cost="20")
        _receive(a, main, "50")
        _receive(b, main, "50")
        _receive(a, harbour, "5")
        assert (
            owner.post(
                f"{API}/adjustments/",
                {
                    "outlet": main.pk,
                    "reason": "correction",
                    "lines": [{"item": a.pk, "quantity": "-1"}, {"item": b.pk, "quantity": "2"}],
                },
            ).status_code
            == 201
        )
        assert (
            owner.post(
                f"{API}/transfers/",
                {
                    "from_outlet": main.pk,
                    "to_outlet": harbour.pk,
                    "lines": [{"item": a.pk, "quantity": "1"}, {"item": b.pk, "quantity": "1"}],
                },
            ).status_code
            == 201
        )
        assert (
            owner.post(
                f"{API}/purchase-orders/",
                {
                    "supplier": supplier.pk,
                    "outlet": main.pk,
                    "lines": [{"item": a.pk, "quantity": "1"}, {"item": b.pk, "quantity": "1"}],
                },
            ).status_code
            == 201
        )


def test_every_stock_list_costs_the_same_queries_for_2_rows_as_for_12(api, main, django_assert_max_num_queries):
    harbour = second_outlet("Harbour")
    owner = api()
    counts: dict[str, list[int]] = {name: [] for name in LISTS}
    for more in (2, 10):
        _more_stock(owner, main, harbour, more)
        for name in LISTS:
            owner.get(f"{API}/{name}")  # warm: the key's last use is written at most once a minute
            with django_assert_max_num_queries(BUDGET) as captured:
                response = owner.get(f"{API}/{name}", {"limit": 200})
            assert response.status_code == 200 and len(response.json()["results"]) >= 2, name
            counts[name].append(len(captured.captured_queries))
    assert all(first == second for first, second in counts.values()), counts


def test_reading_one_document_costs_a_fixed_number_of_queries(api, main, django_assert_max_num_queries):
    harbour = second_outlet("Harbour")
    owner = api()
    _more_stock(owner, main, harbour, 1)
    adjustment = StockAdjustment.objects.order_by("-pk").first()
    transfer = Transfer.objects.order_by("-pk").first()
    po = PurchaseOrder.objects.order_by("-pk").first()
    item = StockItem.objects.order_by("-pk").first()
    urls = [
        f"{API}/adjustments/{adjustment.pk}/",
        f"{API}/transfers/{transfer.pk}/",
        f"{API}/purchase-orders/{po.pk}/",
        f"{API}/items/{item.pk}/",
        f"{API}/suppliers/{po.supplier_id}/",
    ]
    owner.get(urls[0])
    for url in urls:
        with django_assert_max_num_queries(7):
            assert owner.get(url).status_code == 200, url
