from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("backoffice/", views.dashboard, name="dashboard"),
    path("supervisor/today/", views.supervisor_today, name="supervisor_today"),
    path("backoffice/email/", views.email_log, name="email_log"),
    path("backoffice/email/<int:pk>/send-again/", views.email_send_again, name="email_send_again"),
    path("backoffice/email/summaries/", views.email_subscriptions, name="email_subscriptions"),
]
