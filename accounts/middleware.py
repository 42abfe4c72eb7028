from django.contrib.auth import logout
from django.db import connection
from django.shortcuts import redirect
from django.urls import reverse

SESSION_SCHEMA_KEY = "tenant_schema"


class TenantSessionGuardMiddleware:
    """A session belongs to the schema it was made in; anywhere else it is dropped.

    Sessions are already stored per schema, so a tenant-A cookie finds nothing on tenant B. This is the
    second lock on the same door, in case a session store is ever shared.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            owner = request.session.get(SESSION_SCHEMA_KEY)
            if owner != connection.schema_name:
                logout(request)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user with a one-time password may only change it (or sign out) until they have."""

    allowed_names = ("accounts:password_change", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and getattr(user, "must_change_password", False):
            urlconf = getattr(request, "urlconf", None)
            allowed = set()
            for name in self.allowed_names:
                try:
                    allowed.add(reverse(name, urlconf=urlconf))
                except Exception:  # noqa: BLE001,S112 - the public URL conf has no such pages
                    continue
            if allowed and request.path_info not in allowed and not request.path_info.startswith("/static/"):
                return redirect("accounts:password_change")
        return self.get_response(request)
