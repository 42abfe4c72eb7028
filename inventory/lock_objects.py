"""Row locks of stock, taken only through these helpers and in this order (docs/adr/0007-lock-order.md):

    idempotency key -> outlet (queueing count starts and order suggestions) -> a stock document (adjustment,
    transfer, purchase order, count) -> its lines (by id) -> stock items (by id, costs) -> stock levels (by item
    id, inside `movements_post`)

Inventory comes after the till's rows (shift, order, lines, payments): a sale reaches stock through
`stock_consume_for_sale` holding its order, and only ever locks levels. A document's service locks the
document first, so a double click or two people pressing the same button queue on its row and the second finds
the state the first left; the lines come next, and the levels last, in `movements_post`. A goods receipt is
written once and never changed, so it has no lock of its own: its purchase order's lock serialises deliveries.
"""

from collections.abc import Iterable

from django.db.models import Q

from business.models import Outlet

from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    StockAdjustment,
    StockAdjustmentLine,
    StockCount,
    StockCountLine,
    StockItem,
    Transfer,
    TransferLine,
)


def outlet_queue_lock(outlet_id: int) -> Outlet:
    """The outlet row as a queue for writes that must not run twice at once there (starting a count, drafting
    orders from low stock). NO KEY UPDATE: sales inserting rows that point at the outlet (KEY SHARE) never
    wait for it."""
    return Outlet.objects.select_for_update(no_key=True).get(pk=outlet_id)


def adjustment_lock(adjustment_id: int) -> StockAdjustment:
    return StockAdjustment.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=adjustment_id)


def adjustment_lines_lock(adjustment: StockAdjustment) -> list[StockAdjustmentLine]:
    return list(StockAdjustmentLine.objects.select_for_update().filter(adjustment=adjustment).order_by("pk"))


def transfer_lock(transfer_id: int) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_outlet", "to_outlet", "received_by")
        .get(pk=transfer_id)
    )


def transfer_lines_lock(transfer: Transfer) -> list[TransferLine]:
    """The transfer's lines with their items (read, not locked: an item's cost is read, never written here)."""
    return list(
        TransferLine.objects.select_for_update(of=("self",))
        .filter(transfer=transfer)
        .select_related("item")
        .order_by("pk")
    )


def purchase_order_lock(purchase_order_id: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier", "outlet")
        .get(pk=purchase_order_id)
    )


def purchase_order_lines_lock(purchase_order: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(
        PurchaseOrderLine.objects.select_for_update(of=("self",))
        .filter(purchase_order=purchase_order)
        .select_related("item")
        .order_by("pk")
    )


def count_lock(count_id: int) -> StockCount:
    return StockCount.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=count_id)


def count_lines_lock(count: StockCount, *, code: str) -> list[StockCountLine]:
    """The count's lines whose item has this barcode, or this SKU in any case (a scan), by id."""
    return list(
        StockCountLine.objects.select_for_update(of=("self",))
        .filter(count=count)
        .filter(Q(item__barcode=code) | Q(item__sku__iexact=code))
        .select_related("item")
        .order_by("pk")
    )


def stock_items_lock(item_ids: Iterable[int]) -> dict[int, StockItem]:
    """Items whose cost a delivery re-prices, by id."""
    rows = StockItem.objects.select_for_update().filter(pk__in=set(item_ids)).order_by("pk")
    return {item.pk: item for item in rows}
