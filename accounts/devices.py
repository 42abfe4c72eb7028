"""Registered tills: which browser is one, and how the person at it changes while the device stays.

Before this, a till was known only by its session (the register chosen when the first shift was opened), so
signing out forgot it. A supervisor or owner now registers a browser once (`/device/`): a `TillDevice` row,
and a signed cookie naming it that outlives sign-outs. On such a device staff sign in by PIN from the lock
screen, and clock in and out there.

The session of a till holds two kinds of things: who is signed in (Django's `_auth_*` keys, messages: every
key starting with "_", and the tenant stamp) and what the device chose (its register, its kitchen outlet: the
other keys). Locking the till or switching the person keeps the device's part and replaces the person's, so
the next person finds the same register, open shift and cart.
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from .middleware import SESSION_SCHEMA_KEY
from .models import TillDevice, User

DEVICE_COOKIE = "pos_till"
_SALT = "accounts.till-device"
# Browsers keep a cookie at most 400 days; it is set again at every PIN sign-in, so a till in use never expires.
DEVICE_COOKIE_SECONDS = 400 * 24 * 60 * 60
_BACKEND = "accounts.backends.CachedModelBackend"
# Keys about the person, never carried to the next one (2FA verification will live under "otp_").
_PERSON_KEY_PREFIXES = ("_", "otp_")


def device_cookie_set(response: HttpResponse, device: TillDevice) -> None:
    """Name `device` in this browser's cookie (signed: a browser cannot make itself a till)."""
    response.set_signed_cookie(
        DEVICE_COOKIE,
        f"{connection.schema_name}:{device.uid}",
        salt=_SALT,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def device_cookie_delete(response: HttpResponse) -> None:
    response.delete_cookie(DEVICE_COOKIE, samesite="Lax")


def device_of(request: HttpRequest) -> TillDevice | None:
    """The registered till this browser is (an active device of this tenant), read once per request."""
    if not hasattr(request, "_till_device"):
        request._till_device = _device_lookup(request)
    return request._till_device


def _device_lookup(request: HttpRequest) -> TillDevice | None:
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=_SALT, max_age=DEVICE_COOKIE_SECONDS)
    if not value:
        return None
    schema, _sep, uid = value.partition(":")
    if schema != connection.schema_name:
        return None
    try:
        uid = uuid.UUID(uid)
    except ValueError:
        return None
    return TillDevice.objects.filter(uid=uid, is_active=True).first()


def _device_state(request: HttpRequest) -> dict:
    return {
        key: value
        for key, value in request.session.items()
        if not key.startswith(_PERSON_KEY_PREFIXES) and key != SESSION_SCHEMA_KEY
    }


def person_switch(request: HttpRequest, user: User) -> None:
    """Sign `user` in on this device, keeping what the device chose (Django's login() starts a new session
    when the person changes)."""
    kept = _device_state(request)
    login(request, user, backend=_BACKEND)
    for key, value in kept.items():
        request.session[key] = value


def device_lock(request: HttpRequest) -> None:
    """Sign the person out and keep the device's choices: the lock screen's next sign-in finds them again."""
    kept = _device_state(request)
    logout(request)
    for key, value in kept.items():
        request.session[key] = value


# --- Browsers where someone signed in before (the sign-in limits' "known device": accounts/throttle.py) ----------

KNOWN_COOKIE = "pos_known"
_KNOWN_SALT = "accounts.known-browser"
KNOWN_COOKIE_SECONDS = 180 * 24 * 60 * 60
_KNOWN_MAX_PEOPLE = 8  # a shared back-office computer remembers the last few people, not everyone


def _person_mark(username_key: str) -> str:
    """Who signed in, unreadable in the cookie (which is signed, not encrypted)."""
    return salted_hmac(_KNOWN_SALT, f"{connection.schema_name}:{username_key}").hexdigest()[:16]


def _known_read(request: HttpRequest) -> tuple[str, list[str]]:
    value = request.get_signed_cookie(KNOWN_COOKIE, default="", salt=_KNOWN_SALT, max_age=KNOWN_COOKIE_SECONDS)
    browser, _sep, marks = (value or "").partition(":")
    return browser, [mark for mark in marks.split(",") if mark]


def browser_known_for(request: HttpRequest, username_key: str) -> str | None:
    """This browser's id if the person named `username_key` signed in on it before (with their password)."""
    browser, marks = _known_read(request)
    return browser if browser and _person_mark(username_key) in marks else None


def browser_remember(request: HttpRequest, response: HttpResponse, username_key: str) -> None:
    """After a correct password: this browser is now a known device for that person."""
    browser, marks = _known_read(request)
    mark = _person_mark(username_key)
    marks = [mark, *[m for m in marks if m != mark]][:_KNOWN_MAX_PEOPLE]
    response.set_signed_cookie(
        KNOWN_COOKIE,
        f"{browser or secrets.token_urlsafe(12)}:{','.join(marks)}",
        salt=_KNOWN_SALT,
        max_age=KNOWN_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
