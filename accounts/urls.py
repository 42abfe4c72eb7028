from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/two-step/", views.two_factor, name="two_factor"),
    path("password/", views.password_change, name="password_change"),
    path("account/sessions/", views.sessions_index, name="sessions"),
    path("account/sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("account/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("backoffice/staff/", views.staff_index, name="staff_index"),
    path("backoffice/staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("backoffice/staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
    path("backoffice/staff/<int:pk>/pin/", views.staff_set_pin, name="staff_set_pin"),
    path("backoffice/staff/<int:pk>/pin/unlock/", views.staff_pin_unlock, name="staff_pin_unlock"),
    path("backoffice/staff/<int:pk>/sessions/end/", views.staff_sessions_end, name="staff_sessions_end"),
    path("backoffice/staff/<int:pk>/approvals/unblock/", views.staff_approvals_unblock, name="staff_approvals_unblock"),
    path("backoffice/devices/<int:pk>/remove/", views.device_remove, name="device_remove"),
    path("lock/", views.lock, name="lock"),
    path("device/", views.device, name="device"),
    path("approvers/", views.approvers, name="approvers"),
    path("backoffice/audit/", views.audit_index, name="audit_index"),
    path("backoffice/audit/export.csv", views.audit_export, name="audit_export"),
]
