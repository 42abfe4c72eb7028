"""A business's side of support access (tenants/support.py): the hand-off link and the owner's page."""

from django.urls import path

from . import views

app_name = "tenants"

urlpatterns = [
    path("support/enter/", views.support_enter, name="support_enter"),
    path("backoffice/support/", views.support_index, name="support_index"),
    path("backoffice/support/<int:pk>/end/", views.support_end, name="support_end"),
]
