"""Stock: what is on the shelves of each outlet, and every movement of it. (The catalog lives in `catalog`.)"""

from .stock import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    RecipeComponent,
    StockAdjustment,
    StockAdjustmentLine,
    StockCount,
    StockCountLine,
    StockItem,
    StockLevel,
    StockMovement,
    StockSettings,
    Supplier,
    Transfer,
    TransferLine,
)

__all__ = [
    "GoodsReceipt",
    "GoodsReceiptLine",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "RecipeComponent",
    "StockAdjustment",
    "StockAdjustmentLine",
    "StockCount",
    "StockCountLine",
    "StockItem",
    "StockLevel",
    "StockMovement",
    "StockSettings",
    "Supplier",
    "Transfer",
    "TransferLine",
]
