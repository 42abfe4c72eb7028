from django.urls import path

from . import views

app_name = "timeclock"

urlpatterns = [
    path("timeclock/punch/", views.punch, name="punch"),
    path("backoffice/timesheet/", views.timesheet_page, name="timesheet"),
    path("backoffice/timesheet.csv", views.timesheet_csv, name="timesheet_csv"),
]
