"""Two-factor sign-in (django-otp): enrolling an authenticator app, backup codes, the second step of signing in.

Services and selectors of the second factor, kept beside `services.py` rather than in it because they share
one vocabulary (devices, codes, the pending sign-in) and nothing else in accounts needs it.

A person has at most one authenticator (a confirmed `TOTPDevice`) and one set of ten backup codes (a
`StaticDevice`, each code used once). Enrolment keeps the new secret in the session until a code from it is
typed, so a half-done enrolment leaves no row. Failed codes are audited in their own transaction: a refused
attempt rolls nothing back that it should not, and django-otp's per-device throttle (1, 2, 4... seconds after
each wrong code) is kept.
"""

import secrets
import time
from base64 import b32encode
from binascii import hexlify, unhexlify
from typing import Any

import segno
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pos_project.errors import ServiceError

from .audit import AuditAction
from .models import User
from .services import audit_record

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
BACKUP_NAME = "backup"
TOTP_TOLERANCE = 1  # the code before and after the current one too (a phone's clock a little off)

# Session keys ("otp_" keys belong to the person: a till's person switch never carries them, accounts/devices.py).
PENDING_KEY = "otp_pending"  # password right, second step not yet done: {"user", "backend", "at", "next"}
ENROL_KEY = "otp_enrol_key"  # the secret being enrolled, until a code from it confirms it
PENDING_SECONDS = 5 * 60


# --- Selectors ---------------------------------------------------------------------------------------------------


def two_factor_enabled(*, user: User) -> bool:
    """Whether the person has a confirmed second factor (asked once per password sign-in, never per request)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_key_new() -> str:
    """A new secret (hex, as TOTPDevice stores it): 20 random bytes."""
    return hexlify(secrets.token_bytes(20)).decode()


def totp_secret_text(key: str) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    secret = b32encode(unhexlify(key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_config_url(*, user: User, key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=key, name=AUTHENTICATOR_NAME).config_url


def totp_qr_svg(*, user: User, key: str) -> str:
    """The QR code of the otpauth:// address as inline SVG, made here (segno): the secret never leaves for an
    outside QR service."""
    return segno.make(totp_config_url(user=user, key=key), error="m").svg_inline(scale=5, border=2)


def pending_new(*, user: User, next_url: str) -> dict[str, Any]:
    """What the session keeps between the password and the code (`PENDING_KEY`)."""
    return {"user": user.pk, "backend": user.backend, "at": int(time.time()), "next": next_url}


def pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The person whose password was right and who has the second step to pass, if that was recent."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return (user, pending) if user is not None else None


# --- Services ----------------------------------------------------------------------------------------------------


def _normalised(token: str) -> str:
    return "".join(str(token or "").split()).lower()[:32]


def _totp_matches(key: str, token: str, *, after_t: int = -1) -> int | None:
    """The time step `token` is the code of (within the tolerance, later than `after_t`), else None."""
    if not token.isdigit() or len(token) != 6:
        return None
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp.t() if totp.verify(int(token), TOTP_TOLERANCE, after_t + 1) else None


def _failed_code(*, user: User, action: str, request: HttpRequest | None) -> None:
    """Audited on its own (committed even though the caller then refuses)."""
    audit_record(action=AuditAction.AUTH_OTP_FAILED, actor=user, target=user, label=user.get_username(),
                 data={"during": action}, request=request)  # fmt: skip


def _wrong_code(throttled: bool = False) -> ServiceError:
    if throttled:
        return ServiceError("auth.otp_throttled", _("Too many wrong codes. Wait a few seconds, then try again."),
                            field="token", status=429)  # fmt: skip
    return ServiceError("auth.otp_wrong", _("That code is not right. Type the current code, or a backup code."),
                        field="token")  # fmt: skip


def _backup_codes_replace(*, user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_verify(*, user: User, token: str, request: HttpRequest | None = None, action: str = "sign_in") -> Device:
    """Check a code from the person's authenticator or one of their backup codes (used up), against their own
    devices only; return the device that took it. A wrong code is audited and refused (`auth.otp_wrong`); a
    device still waiting after wrong codes refuses even a right one (`auth.otp_throttled`)."""
    token = _normalised(token)
    # Six digits are the authenticator's, anything else a backup code: a wrong code counts against (and slows
    # down) only the device it was meant for.
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    matched, throttled = None, False
    if token:
        with transaction.atomic():
            devices = list(model.objects.devices_for_user(user, confirmed=True).select_for_update())
            throttled = bool(devices) and not any(device.verify_is_allowed()[0] for device in devices)
            for device in devices:
                if device.verify_token(token):
                    matched = device
                    break
    if matched is None:
        _failed_code(user=user, action=action, request=request)
        raise _wrong_code(throttled)
    return matched


def two_factor_enrol(
    *, user: User, key: str, token: str, request: HttpRequest | None = None
) -> tuple[Device, list[str]]:
    """Confirm an authenticator app by a code it shows for `key`, and make ten backup codes (shown once).
    Returns the new authenticator and the codes."""
    if two_factor_enabled(user=user):
        raise ServiceError("two_factor.already_on", _("Two-step sign-in is already on for your account."))
    step = _totp_matches(key, _normalised(token)) if key else None
    if step is None:
        _failed_code(user=user, action="enrol", request=request)
        raise _wrong_code()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()  # an unconfirmed leftover, if any
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True,
                                           tolerance=TOTP_TOLERANCE, last_t=step)  # fmt: skip
        codes = _backup_codes_replace(user=user)
        audit_record(
            action=AuditAction.AUTH_2FA_ENROL, actor=user, target=user, label=user.get_username(), request=request
        )
    return device, codes


def backup_codes_regenerate(*, user: User, token: str, request: HttpRequest | None = None) -> list[str]:
    """New backup codes for old (a code first: the authenticator's, or one of the old backup codes)."""
    two_factor_verify(user=user, token=token, request=request, action="backup_regenerate")
    with transaction.atomic():
        codes = _backup_codes_replace(user=user)
        audit_record(
            action=AuditAction.AUTH_2FA_BACKUP_REGENERATE,
            actor=user,
            target=user,
            label=user.get_username(),
            request=request,
        )
    return codes


def two_factor_disable(*, user: User, password: str, token: str, request: HttpRequest | None = None) -> None:
    """Turn two-step sign-in off: the password and a code. An owner is asked to enrol again at once."""
    if not user.check_password(password):
        raise ServiceError("auth.wrong_password", _("Your current password is not right."), field="password")
    two_factor_verify(user=user, token=token, request=request, action="disable")
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice):
            model.objects.filter(user=user).delete()
        audit_record(
            action=AuditAction.AUTH_2FA_DISABLE, actor=user, target=user, label=user.get_username(), request=request
        )
