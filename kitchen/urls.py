from django.urls import path

from . import views

app_name = "kitchen"

urlpatterns = [
    path("kitchen/", views.display, name="display"),
    path("kitchen/poll/", views.display_poll, name="poll"),
    path("kitchen/tickets/<int:pk>/bump/", views.bump, name="bump"),
    path("kitchen/tickets/<int:pk>/recall/", views.recall, name="recall"),
    path("backoffice/stations/", views.stations, name="stations"),
]
