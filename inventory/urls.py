from django.urls import path

app_name = "inventory"

# Stock: each area keeps its routes in its own block, under backoffice/stock/ (supervisor pages under
# supervisor/stock/). Views live in inventory/views/<area>.py.
# --- stock items, recipes, settings ---
from .views import items as items_views  # noqa: E402

urlpatterns = [
    path("backoffice/stock/items/", items_views.stock_item_list, name="stock_item_list"),
    path("backoffice/stock/items/new/", items_views.stock_item_create, name="stock_item_create"),
    path("backoffice/stock/items/<int:pk>/", items_views.stock_item_edit, name="stock_item_edit"),
    path("backoffice/stock/items/<int:pk>/archive/", items_views.stock_item_archive, name="stock_item_archive"),
    path("backoffice/stock/recipes/", items_views.recipe_list, name="recipe_list"),
    path("backoffice/stock/recipes/<int:pk>/", items_views.recipe_edit, name="recipe_edit"),
    path(
        "backoffice/stock/recipes/modifiers/<int:pk>/", items_views.modifier_recipe_edit, name="modifier_recipe_edit"
    ),  # fmt: skip
    path("backoffice/stock/settings/", items_views.stock_settings, name="stock_settings"),
]
# --- reports: stock on hand, movements, low stock ---
from .views import stock_reports as stock_reports_views  # noqa: E402

urlpatterns += [
    path("backoffice/stock/", stock_reports_views.stock_list, name="stock_list"),
    path("backoffice/stock/export.csv", stock_reports_views.stock_export, name="stock_export"),
    path("backoffice/stock/movements/", stock_reports_views.movement_list, name="movement_list"),
    path("backoffice/stock/movements.csv", stock_reports_views.movement_export, name="movement_export"),
    path("backoffice/stock/low/", stock_reports_views.low_stock, name="low_stock"),
]
# --- adjustments ---
from .views import adjustments as adj_views  # noqa: E402

urlpatterns += [
    path("backoffice/stock/adjustments/", adj_views.adjustment_list, name="adjustment_list"),
    path("backoffice/stock/adjustments/new/", adj_views.adjustment_create, name="adjustment_create"),
    path("backoffice/stock/adjustments/bulk/", adj_views.adjustment_bulk, name="adjustment_bulk"),
    path("backoffice/stock/adjustments/<int:pk>/", adj_views.adjustment_detail, name="adjustment_detail"),
    path("supervisor/stock/adjustments/", adj_views.adjustment_approvals, name="adjustment_approvals"),
    path("supervisor/stock/adjustments/<int:pk>/approve/", adj_views.adjustment_approve, name="adjustment_approve"),
    path("supervisor/stock/adjustments/<int:pk>/reject/", adj_views.adjustment_reject, name="adjustment_reject"),
]
# --- transfers ---
from .views import transfers as transfers_views  # noqa: E402

urlpatterns += [
    path("backoffice/stock/transfers/", transfers_views.transfer_list, name="transfer_list"),
    path("backoffice/stock/transfers/new/", transfers_views.transfer_create, name="transfer_create"),
    path("backoffice/stock/transfers/<int:pk>/", transfers_views.transfer_detail, name="transfer_detail"),
    path("backoffice/stock/transfers/<int:pk>/edit/", transfers_views.transfer_edit, name="transfer_edit"),
    path("backoffice/stock/transfers/<int:pk>/send/", transfers_views.transfer_send, name="transfer_send"),
    path("backoffice/stock/transfers/<int:pk>/cancel/", transfers_views.transfer_cancel, name="transfer_cancel"),
    path("backoffice/stock/transfers/<int:pk>/receive/", transfers_views.transfer_receive, name="transfer_receive"),
]
# --- suppliers and purchase orders ---
from .views import purchasing as pv  # noqa: E402

urlpatterns += [
    path("backoffice/stock/suppliers/", pv.supplier_list, name="supplier_list"),
    path("backoffice/stock/suppliers/new/", pv.supplier_create, name="supplier_create"),
    path("backoffice/stock/suppliers/<int:pk>/", pv.supplier_edit, name="supplier_edit"),
    path("backoffice/stock/purchase-orders/", pv.purchase_order_list, name="purchase_order_list"),
    path("backoffice/stock/purchase-orders/new/", pv.purchase_order_create, name="purchase_order_create"),
    path("backoffice/stock/purchase-orders/suggest/", pv.purchase_order_suggest, name="purchase_order_suggest"),
    path("backoffice/stock/purchase-orders/<int:pk>/", pv.purchase_order_detail, name="purchase_order_detail"),
    path("backoffice/stock/purchase-orders/<int:pk>/edit/", pv.purchase_order_edit, name="purchase_order_edit"),
    path("backoffice/stock/purchase-orders/<int:pk>/send/", pv.purchase_order_send, name="purchase_order_send"),
    path("backoffice/stock/purchase-orders/<int:pk>/cancel/", pv.purchase_order_cancel, name="purchase_order_cancel"),
    path(
        "backoffice/stock/purchase-orders/<int:pk>/receive/", pv.purchase_order_receive, name="purchase_order_receive"
    ),
    path("backoffice/stock/purchase-orders/<int:pk>/print/", pv.purchase_order_print, name="purchase_order_print"),
]
# --- stock counts ---
from .views import counts as counts_views  # noqa: E402

urlpatterns += [
    path("backoffice/stock/counts/", counts_views.count_list, name="count_list"),
    path("backoffice/stock/counts/new/", counts_views.count_create, name="count_create"),
    path("backoffice/stock/counts/<int:pk>/", counts_views.count_detail, name="count_detail"),
    path("backoffice/stock/counts/<int:pk>/scan/", counts_views.count_scan, name="count_scan"),
    path("backoffice/stock/counts/<int:pk>/review/", counts_views.count_review, name="count_review"),
    path("backoffice/stock/counts/<int:pk>/post/", counts_views.count_post, name="count_post"),
    path("backoffice/stock/counts/<int:pk>/cancel/", counts_views.count_cancel, name="count_cancel"),
]
