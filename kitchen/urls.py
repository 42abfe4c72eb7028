from django.urls import path

from . import views

app_name = "kitchen"

urlpatterns = [
    path("kitchen/", views.display, name="display"),
    path("kitchen/poll/", views.display_poll, name="poll"),
    path("kitchen/expo/", views.expo, name="expo"),
    path("kitchen/expo/poll/", views.expo_poll, name="expo_poll"),
    path("kitchen/expo/orders/<int:pk>/handed-over/", views.expo_hand_over, name="expo_hand_over"),
    path("kitchen/tickets/<int:pk>/bump/", views.bump, name="bump"),
    path("kitchen/tickets/<int:pk>/recall/", views.recall, name="recall"),
    path("kitchen/tickets/<int:pk>/print/", views.ticket_print, name="ticket_print"),
    path("kitchen/lines/<int:pk>/done/", views.line_toggle, name="line_toggle"),
    path("supervisor/kitchen/", views.metrics, name="metrics"),
    path("backoffice/stations/", views.stations, name="stations"),
    path("backoffice/stations/<int:pk>/", views.station_edit, name="station_edit"),
]
