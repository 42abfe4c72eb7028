"""Stock written through the JSON API from two connections at once never goes wrong: the level is the sum of the
ledger afterwards, and what could not have both happened did not.

Each test commits (the two requests run in threads, each on its own database connection, as two API clients
would) and holds the row both requests need locked until PostgreSQL shows both waiting (never a sleep), then lets
go. It removes everything it committed afterwards (alpha is shared by every test)."""

import threading
import uuid
from decimal import Decimal

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from core.models import IdempotencyKey, OutboxEvent
from inventory.models import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    StockItem,
    StockLevel,
    StockMovement,
    Supplier,
)
from inventory.services.stock import MovementLine, movements_post
from inventory.tests.stock_helpers import assert_ledger_consistent
from pos_project.testing.api import ApiClient, api_key_make
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.locks import wait_for_lock_waiters

API = "/api/v1/stock"


def _race(alpha, key: str, requests: list[tuple[str, dict]], hold) -> list:
    """Send the requests at once, each from its own thread (its own connection), while `hold()` keeps the row
    they all need locked; let go once PostgreSQL shows every one of them waiting. The responses, in order."""
    results: list = [None] * len(requests)

    def send(index: int, url: str, body: dict) -> None:
        try:
            results[index] = ApiClient(alpha.host, key).post(url, body)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n, url, body)) for n, (url, body) in enumerate(requests)]
    with tenant_context(alpha.tenant), transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        waiting = wait_for_lock_waiters(len(requests), timeout=30)
    for thread in threads:
        thread.join(60)
    assert waiting, "every request should have been waiting at once"
    return results


def _purge(item_ids: list[int], key_pk: int) -> None:
    movements = StockMovement.objects.filter(item_id__in=item_ids)
    adjustments = StockAdjustment.objects.filter(lines__item_id__in=item_ids).distinct()
    labels = [f"ADJ-{pk}" for pk in adjustments.values_list("pk", flat=True)]
    OutboxEvent.objects.filter(payload__adjustment__in=[int(label[4:]) for label in labels]).delete()
    committed_rows_purge(AuditEntry.objects.filter(target_label__in=labels))
    committed_rows_purge(movements)
    StockAdjustment.objects.filter(pk__in=[int(label[4:]) for label in labels]).delete()
    StockLevel.objects.filter(item_id__in=item_ids).delete()
    IdempotencyKey.objects.filter(key__startswith=f"api:k{key_pk}:").delete()


def test_two_api_adjustments_racing_for_the_same_stock_take_it_once(committed_db):
    alpha, _ = committed_db
    key, whole = api_key_make(alpha)
    with tenant_context(alpha.tenant):
        main = outlet_default()
        item = StockItem.objects.create(name="Race beans", sku=f"API-RACE-{uuid.uuid4().hex[:6]}", cost=Decimal(10))
        movements_post(outlet_id=main.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(10))],
                       source_type="test")  # fmt: skip
    body = {"outlet": main.pk, "reason": "damage", "lines": [{"item": item.pk, "quantity": "-6"}]}
    try:
        responses = _race(alpha, whole, [(f"{API}/adjustments/", body)] * 2,
                          hold=lambda: StockLevel.objects.select_for_update().get(item=item, outlet=main))  # fmt: skip
        assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
        refused = next(r for r in responses if r.status_code == 409).json()
        assert refused["error"]["code"] == "stock.insufficient"
        with tenant_context(alpha.tenant):
            assert StockLevel.objects.get(item=item, outlet=main).quantity == Decimal(4)
            assert StockAdjustment.objects.filter(lines__item=item).count() == 1  # the refused one left nothing
            assert_ledger_consistent()
    finally:
        with tenant_context(alpha.tenant):
            _purge([item.pk], key.pk)
            item.delete()
            key.delete()


def test_two_deliveries_received_at_once_against_one_order_both_count_once(committed_db):
    alpha, _ = committed_db
    key, whole = api_key_make(alpha)
    with tenant_context(alpha.tenant):
        main = outlet_default()
        item = StockItem.objects.create(name="Race milk", sku=f"API-RCV-{uuid.uuid4().hex[:6]}", cost=Decimal(10),
                                        purchase_unit="crate", purchase_factor=Decimal(12))  # fmt: skip
        supplier = Supplier.objects.create(name=f"Race supplier {uuid.uuid4().hex[:6]}")
        po = PurchaseOrder.objects.create(supplier=supplier, outlet=main, status=PurchaseOrder.Status.SENT,
                                          created_by=alpha.users[Role.ADMIN_TENANT])  # fmt: skip
        line = PurchaseOrderLine.objects.create(purchase_order=po, item=item, quantity=Decimal(5), unit_cost=120)
    url = f"{API}/purchase-orders/{po.pk}/receive/"
    try:
        responses = _race(alpha, whole, [(url, {"lines": [{"line": line.pk, "quantity": "2"}]})] * 2,
                          hold=lambda: PurchaseOrder.objects.select_for_update().get(pk=po.pk))  # fmt: skip
        assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
        assert {r.json()["purchase_order_status"] for r in responses} == {"partial"}
        with tenant_context(alpha.tenant):
            assert PurchaseOrderLine.objects.get(pk=line.pk).quantity_received == Decimal(4)
            assert StockLevel.objects.get(item=item, outlet=main).quantity == Decimal(48)  # 2 × 2 crates of 12
            assert GoodsReceipt.objects.filter(purchase_order=po).count() == 2
            assert_ledger_consistent()
    finally:
        with tenant_context(alpha.tenant):
            receipts = list(GoodsReceipt.objects.filter(purchase_order=po).values_list("pk", flat=True))
            OutboxEvent.objects.filter(payload__purchase_order=po.pk).delete()
            committed_rows_purge(AuditEntry.objects.filter(target_label=str(po)))
            _purge([item.pk], key.pk)
            GoodsReceipt.objects.filter(pk__in=receipts).delete()
            po.delete()
            supplier.delete()
            item.delete()
            key.delete()
