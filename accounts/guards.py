"""The role guard every tenant page goes through, and where each role lands after login."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Role

ROLE_HOME = {
    Role.CASHIER: "sales:till",
    Role.KITCHEN: "kitchen:display",
    Role.SUPERVISOR: "sales:supervisor",
    Role.ADMIN_TENANT: "backoffice:dashboard",
}


def role_home_url_name(role: str) -> str:
    return ROLE_HOME.get(role, "accounts:login")


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "errors/403.html", {"message": message}, status=403)


def role_required(*roles: str) -> Callable:
    """Allow only signed-in staff of these roles; others get a friendly 403 and a link to their own home.

    The allowed roles are kept on the view (`allowed_roles`) so a test can walk every URL and check that no
    view was left unguarded.
    """
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in allowed:
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


# The sets of roles pages are opened to; named once so the layouts and the tests agree.
TILL_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN_TENANT)
KITCHEN_ROLES = (Role.KITCHEN, Role.SUPERVISOR, Role.ADMIN_TENANT)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN_TENANT)
BACKOFFICE_ROLES = (Role.ADMIN_TENANT,)
ANY_STAFF = (Role.CASHIER, Role.KITCHEN, Role.SUPERVISOR, Role.ADMIN_TENANT)
