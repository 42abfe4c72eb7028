from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("till/", views.till, name="till"),
    path("supervisor/", views.supervisor_console, name="supervisor"),
]
