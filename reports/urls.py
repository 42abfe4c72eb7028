from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_index, name="index"),
    path("reports/<slug:slug>/", views.report_detail, name="detail"),
]
