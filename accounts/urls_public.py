"""The account pages the platform (public schema, super admins) shares with the businesses: signing in with a
second factor, enrolling one, the password."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("account/two-step/", views.two_factor, name="two_factor"),
]
