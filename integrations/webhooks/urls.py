"""The webhook pages of the back office (included from pos_project/urls_tenant.py)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("backoffice/webhooks/", views.endpoint_list, name="list"),
    path("backoffice/webhooks/new/", views.endpoint_create, name="create"),
    path("backoffice/webhooks/<int:pk>/", views.endpoint_detail, name="detail"),
    path("backoffice/webhooks/<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("backoffice/webhooks/<int:pk>/secret/", views.secret_rotate, name="rotate"),
    path("backoffice/webhooks/<int:pk>/disable/", views.endpoint_action, {"action": "disable"}, name="disable"),
    path("backoffice/webhooks/<int:pk>/enable/", views.endpoint_action, {"action": "enable"}, name="enable"),
    path("backoffice/webhooks/<int:pk>/test/", views.endpoint_action, {"action": "test"}, name="test"),
    path("backoffice/webhooks/<int:pk>/delete/", views.endpoint_action, {"action": "delete"}, name="delete"),
    path("backoffice/webhooks/deliveries/<int:pk>/replay/", views.delivery_replay, name="replay"),
]
