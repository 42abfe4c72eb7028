from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import connection
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_tenants.utils import get_public_schema_name

from business.selectors import tenant_settings

from .access import two_factor_required
from .two_factor import two_factor_enabled

SESSION_SCHEMA_KEY = "tenant_schema"


def is_api_request(request) -> bool:
    """A request to the JSON API (settings.API_PATH_PREFIX): authenticated by bearer credentials, never the
    session, so the page guards that redirect a session (password change, second factor) leave it alone; the
    API's own permission answers in its error format."""
    return request.path_info.startswith(settings.API_PATH_PREFIX)


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
        if is_api_request(request):
            return self.get_response(request)
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


# --- Two-factor sign-in ------------------------------------------------------------------------------------------

OTP_DEVICE_CACHE_SECONDS = 300
# Set by a PIN sign-in on a registered till (accounts.views.lock): that session needs no second factor. A person
# key ("_"), so locking the till or switching the person drops it (accounts/devices.py).
PIN_SIGN_IN_KEY = "_pin_sign_in"


def otp_device_cache_key(persistent_id: str) -> str:
    return f"otp-device:{persistent_id}"


class CachedOTPMiddleware(OTPMiddleware):
    """django-otp's middleware (`request.user.is_verified()`), with the session's device read from the
    tenant-prefixed cache like the user itself (accounts/backends.py): a verified owner's request costs no query
    more. Any save or delete of a device forgets the copy (accounts/apps.py); inside a transaction, and with
    Redis down, it is read from the database."""

    def _device_from_persistent_id(self, persistent_id: str):
        if connection.in_atomic_block:
            return super()._device_from_persistent_id(persistent_id)
        key = otp_device_cache_key(persistent_id)
        device = cache.get(key)
        if device is None:
            device = _device_without_secrets(self._normalize_persistent_id(persistent_id))
            if device is not None:
                cache.set(key, device, OTP_DEVICE_CACHE_SECONDS)
        return device


def _device_without_secrets(persistent_id: str):
    """The device with only what the check needs (whose it is, whether confirmed): its secret (a TOTP key) is
    never copied into the cache; a caller that reads it gets it from the database."""
    try:
        label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
        if not issubclass(model, Device):
            return None
        return model.objects.only("id", "user_id", "name", "confirmed").filter(id=int(device_id)).first()
    except (ValueError, LookupError):
        return None


# Set at password sign-in when the business's settings ask this person (a supervisor, a cashier) for a second
# factor: read once then, not on every request of the till. A person key, like the PIN one.
TWO_FACTOR_BY_SETTING_KEY = "_two_factor_by_setting"


def two_factor_required_now(user) -> bool:
    """At sign-in: whether this person must have a second factor (the business's settings read, if they count)."""
    if connection.schema_name == get_public_schema_name():
        return True
    settings = tenant_settings()
    return two_factor_required(user, lambda name: getattr(settings, name))


def _two_factor_required(request, user) -> bool:
    """Everyone of the platform (the public schema: super admins); in a business, owners, and whoever the
    business's settings named when this session signed in."""
    if connection.schema_name == get_public_schema_name():
        return True
    return two_factor_required(user, lambda name: bool(request.session.get(TWO_FACTOR_BY_SETTING_KEY)))


class TwoFactorRequiredMiddleware:
    """Who must sign in with a second factor and has not passed it may only enrol one (or sign out).

    Signing in already asks for the code when the person has an authenticator (accounts.views.LoginView); what is
    left here is the person without one (sent to enrol) and a session from before the second step existed (signed
    out, to sign in again). A PIN sign-in on a registered till is left alone, and a one-time password is changed
    first (PasswordChangeRequiredMiddleware). Reads nothing: the role, and the session (verified, or stamped at
    sign-in as needing it); a till's request costs no query more."""

    allowed_names = ("accounts:two_factor", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not is_api_request(request)
            and not user.is_verified()
            and not request.session.get(PIN_SIGN_IN_KEY)
            and not getattr(user, "must_change_password", False)
            and _two_factor_required(request, user)
        ):
            return self._refuse(request, user) or self.get_response(request)
        return self.get_response(request)

    def _refuse(self, request, user):
        path = request.path_info
        if path.startswith(("/static/", "/i18n/")):
            return None
        urlconf = getattr(request, "urlconf", None)
        if path in {reverse(name, urlconf=urlconf) for name in self.allowed_names}:
            return None
        if two_factor_enabled(user=user):  # signed in before the second step was asked: sign in again
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("accounts:login", urlconf=urlconf))
        return redirect(
            f"{reverse('accounts:two_factor', urlconf=urlconf)}?{urlencode({'next': request.get_full_path()})}"
        )
