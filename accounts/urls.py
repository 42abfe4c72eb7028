from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("backoffice/staff/", views.staff_index, name="staff_index"),
    path("backoffice/staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("backoffice/staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
    path("backoffice/staff/<int:pk>/pin/", views.staff_set_pin, name="staff_set_pin"),
    path("backoffice/audit/", views.audit_index, name="audit_index"),
]
