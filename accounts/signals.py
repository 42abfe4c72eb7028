"""Session stamping and the login audit trail, for every way of signing in (staff login, Django admin)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection
from django.dispatch import receiver

from .audit import AuditAction
from .devices import device_of
from .middleware import SESSION_SCHEMA_KEY
from .models import User
from .services import audit_record, session_record
from .sessions import session_kind


@receiver(user_logged_in)
def stamp_session_and_audit(sender, request, user, **kwargs):
    if request is None:
        return
    request.session[SESSION_SCHEMA_KEY] = connection.schema_name
    device = getattr(request, "pin_device", None)  # a PIN sign-in on a registered till (accounts.views.lock)
    support = getattr(request, "support_grant", None) is not None  # tenants/support.py
    kind = session_kind(user=user, device=device or device_of(request), support=support)
    session_record(request=request, user=user, kind=kind)
    data = {"by": "pin", "device": device.name} if device is not None else {}
    second_factor = getattr(request, "second_factor", None)  # accounts.views.login_verify
    if second_factor:
        data["second_factor"] = second_factor
    audit_record(action=AuditAction.AUTH_LOGIN, actor=user, target=user, label=user.get_username(), data=data,
                 request=request)  # fmt: skip


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs):
    # Only a name that is someone's is kept: what strangers type (often a password in the wrong box) is not.
    username = str(credentials.get("username", "")).strip()[:150]
    user = User.objects.filter(username__iexact=username).first() if username else None
    audit_record(action=AuditAction.AUTH_LOGIN_FAILED, target=user, label=user.get_username() if user else "",
                 request=request)  # fmt: skip
