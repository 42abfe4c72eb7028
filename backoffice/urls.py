from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("backoffice/", views.dashboard, name="dashboard"),
    path("supervisor/today/", views.supervisor_today, name="supervisor_today"),
]
