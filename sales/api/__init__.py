"""The sales resources of the JSON API (`/api/v1/`, composed by pos_project/urls_api.py), and the serializers the
till's own JSON endpoints share with it (serializers.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("orders/", views.OrderList.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetail.as_view(), name="order-detail"),
    path("orders/<int:pk>/payments/", views.OrderPayments.as_view(), name="order-payments"),
    path("orders/<int:pk>/void/", views.OrderVoid.as_view(), name="order-void"),
    path("orders/<int:pk>/refunds/", views.OrderRefunds.as_view(), name="order-refunds"),
    path("payments/<int:pk>/", views.PaymentDetail.as_view(), name="payment-detail"),
    path("shifts/", views.ShiftList.as_view(), name="shift-list"),
    path("shifts/<int:pk>/", views.ShiftDetail.as_view(), name="shift-detail"),
]
