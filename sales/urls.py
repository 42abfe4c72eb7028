from django.urls import path

from .views import floor, history, qr, reports, shifts, supervisor, till

app_name = "sales"

urlpatterns = [
    path("till/", till.till, name="till"),
    path("till/products/", till.till_products, name="till_products"),
    path("till/scan/", till.till_scan, name="till_scan"),
    path("till/products/<int:pk>/sold-out/", till.till_sold_out, name="till_sold_out"),
    path("till/preview/", till.till_preview, name="till_preview"),
    path("till/orders/", till.till_submit, name="till_submit"),
    path("till/orders/<int:pk>/payments/", till.till_pay, name="till_pay"),
    path("till/tabs/", till.till_tabs, name="till_tabs"),
    path("till/ready/", till.till_ready, name="till_ready"),
    path("till/orders/<int:pk>/served/", till.till_served, name="till_served"),
    path("till/orders/<int:pk>/rush/", till.till_rush, name="till_rush"),
    path("till/orders/<int:pk>/send/", till.till_send, name="till_send"),
    path("till/tables/", floor.till_tables, name="till_tables"),
    path("till/orders/<int:pk>/table/", floor.till_move_table, name="till_move_table"),
    path("till/orders/<int:pk>/split/", floor.till_split, name="till_split"),
    path("backoffice/floor/", floor.floor_admin, name="floor_admin"),
    path("backoffice/floor/tables/<int:pk>/place/", floor.floor_table_place, name="floor_table_place"),
    path("till/orders/<int:pk>/lines/", till.till_add_lines, name="till_add_lines"),
    path("till/orders/<int:pk>/status/", till.till_order_status, name="till_order_status"),
    path("till/receipts/<uuid:uid>/", till.receipt, name="receipt"),
    path("till/receipts/<uuid:uid>/email/", till.receipt_email, name="receipt_email"),
    path("till/receipts/<uuid:uid>/escpos/", till.receipt_escpos_view, name="receipt_escpos"),
    path("payments/callback/", qr.provider_callback, name="qr_callback"),
    path("payments/simulator/<str:reference>/", qr.simulator_phone, name="qr_simulator"),
    path("backoffice/settings/qr-payments/", qr.qr_settings, name="qr_settings"),
    path("till/shift/open/", shifts.shift_open_view, name="shift_open"),
    path("till/shift/close/", shifts.shift_close_view, name="shift_close"),
    path("till/shift/<int:pk>/close/", shifts.shift_close_view, name="shift_close_other"),
    path("till/shift/cash/", shifts.cash_movement_view, name="cash_movement"),
    path("till/history/", history.history, name="history"),
    path("till/history/<int:pk>/", history.order_detail, name="order_detail"),
    path("shifts/<int:pk>/report/", reports.shift_report_view, name="shift_report"),
    path("supervisor/", supervisor.supervisor_console, name="supervisor"),
    path("supervisor/payments/<int:pk>/refunded/", supervisor.payment_refunded, name="payment_refunded"),
    path("supervisor/shifts/<int:pk>/take-over/", supervisor.shift_take_over_view, name="shift_take_over"),
]
