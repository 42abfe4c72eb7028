from django.urls import path

from . import views

app_name = "business"

urlpatterns = [
    path("backoffice/settings/sales/", views.sales_settings, name="sales_settings"),
    path("backoffice/settings/outlets/<int:pk>/", views.outlet_edit, name="outlet_edit"),
    path("backoffice/settings/taxes/add/", views.tax_edit, name="tax_add"),
    path("backoffice/settings/taxes/<int:pk>/", views.tax_edit, name="tax_edit"),
]
