"""Stock in the JSON API (`/api/v1/stock/...`, docs/api.md): items, levels, the movement ledger, adjustments (and
waste), transfers, suppliers and purchase orders, one module per subject, each a thin layer over inventory's
services and selectors on the shared base of core/api.py."""

from django.urls import path

from . import adjustments, items, purchasing, transfers

urlpatterns = [
    path("stock/items/", items.StockItemList.as_view(), name="stock-item-list"),
    path("stock/items/<int:pk>/", items.StockItemDetail.as_view(), name="stock-item-detail"),
    path("stock/levels/", items.StockLevelList.as_view(), name="stock-level-list"),
    path("stock/movements/", items.MovementList.as_view(), name="stock-movement-list"),
    path("stock/adjustments/", adjustments.AdjustmentList.as_view(), name="stock-adjustment-list"),
    path("stock/adjustments/<int:pk>/", adjustments.AdjustmentDetail.as_view(), name="stock-adjustment-detail"),
    path(
        "stock/adjustments/<int:pk>/approve/", adjustments.AdjustmentApprove.as_view(), name="stock-adjustment-approve"
    ),  # fmt: skip
    path(
        "stock/adjustments/<int:pk>/reject/", adjustments.AdjustmentReject.as_view(), name="stock-adjustment-reject"
    ),  # fmt: skip
    path("stock/transfers/", transfers.TransferList.as_view(), name="stock-transfer-list"),
    path("stock/transfers/<int:pk>/", transfers.TransferDetail.as_view(), name="stock-transfer-detail"),
    path("stock/transfers/<int:pk>/send/", transfers.TransferSend.as_view(), name="stock-transfer-send"),
    path("stock/transfers/<int:pk>/receive/", transfers.TransferReceive.as_view(), name="stock-transfer-receive"),
    path("stock/transfers/<int:pk>/cancel/", transfers.TransferCancel.as_view(), name="stock-transfer-cancel"),
    path("stock/suppliers/", items.SupplierList.as_view(), name="stock-supplier-list"),
    path("stock/suppliers/<int:pk>/", items.SupplierDetail.as_view(), name="stock-supplier-detail"),
    path("stock/purchase-orders/", purchasing.PurchaseOrderList.as_view(), name="purchase-order-list"),
    path("stock/purchase-orders/<int:pk>/", purchasing.PurchaseOrderDetail.as_view(), name="purchase-order-detail"),
    path("stock/purchase-orders/<int:pk>/send/", purchasing.PurchaseOrderSend.as_view(), name="purchase-order-send"),
    path(
        "stock/purchase-orders/<int:pk>/cancel/", purchasing.PurchaseOrderCancel.as_view(), name="purchase-order-cancel"
    ),  # fmt: skip
    path(
        "stock/purchase-orders/<int:pk>/receive/",
        purchasing.PurchaseOrderReceive.as_view(),
        name="purchase-order-receive",
    ),  # fmt: skip
]
