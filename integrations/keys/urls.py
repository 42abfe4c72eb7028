"""The API key pages of the back office (included from pos_project/urls_tenant.py)."""

from django.urls import path

from . import views

app_name = "api_keys"

urlpatterns = [
    path("backoffice/api-keys/", views.key_list, name="list"),
    path("backoffice/api-keys/new/", views.key_create, name="create"),
    path("backoffice/api-keys/<int:pk>/revoke/", views.key_revoke, name="revoke"),
]
