"""The platform's Django admin (public schema), which lets in only a session that passed the second step.

Signing in happens on the platform's own sign-in page (accounts.views.LoginView, served on the bare domain too):
password, then the authenticator's code (or enrolment of one, for a super admin without). Its throttles, per
client address and per normalised username, guard the admin as well; the admin's own login form, which has
none, is not served.
"""

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from .access import forbidden


class PlatformAdminSite(OTPAdminSite):
    """`has_permission`: staff and `request.user.is_verified()` (django-otp's OTPAdminSite)."""

    site_header = "POS platform"
    site_title = "POS platform admin"
    index_title = "Platform administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and request.user.is_verified():  # fully signed in, but not platform staff
            return forbidden(request)
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("accounts:login"))
