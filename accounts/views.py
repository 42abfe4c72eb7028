import json
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit
from django_tenants.utils import get_public_schema_name

from pos_project import parsing
from pos_project.csv_export import csv_response
from pos_project.errors import ServiceError, error_response
from pos_project.forms import form_add_service_errors

from . import services
from . import two_factor as otp
from .access import LENT_WITH_PIN, can, capability_required, home_url_name
from .audit import audit_approver_ids, audit_sentence
from .devices import (
    browser_remember,
    device_cookie_delete,
    device_cookie_set,
    device_lock,
    device_of,
    person_switch,
)
from .forms import (
    AuditSearchForm,
    LoginForm,
    PasswordChangeForm,
    StaffCreateForm,
    StaffUpdateForm,
    TwoFactorDisableForm,
)
from .middleware import PIN_SIGN_IN_KEY, TWO_FACTOR_BY_SETTING_KEY, two_factor_required_now
from .models import AuditEntry, TillDevice
from .selectors import (
    approval_self_allowed,
    approvers_for,
    audit_search,
    device_list,
    pin_people,
    session_list,
    staff_list,
)
from .throttle import Throttled, password_try, pin_try, wait_message
from .usernames import username_key, username_normalize


class LoginView(auth_views.LoginView):
    """Password sign-in. Each try is claimed from the sign-in limits first (accounts/throttle.py): a try inside a
    wait is answered at once with 429 and the seconds to wait, without checking the password."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True
    _claim = None

    def post(self, request, *args, **kwargs):
        username, password = request.POST.get("username", ""), request.POST.get("password", "")
        if username_normalize(username) and password:  # else the form says what is missing: nothing is tried
            try:
                self._claim = password_try(request, username)
            except Throttled as wait:
                form = self.form_class(request, initial={"username": username_normalize(username)})
                context = self.get_context_data(form=form, rate_limited=wait_message(wait.seconds))
                response = self.render_to_response(context, status=429)
                response["Retry-After"] = str(wait.seconds)
                return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        """The password was right. Whoever has an authenticator passes the second step before being signed in;
        whoever must have one and has none is signed in and sent to enrol (TwoFactorRequiredMiddleware)."""
        if self._claim is not None:
            self._claim.succeeded()
        user = form.get_user()
        if otp.two_factor_enabled(user=user):
            self.request.session[otp.PENDING_KEY] = otp.pending_new(user=user, next_url=self.get_redirect_url())
            response = redirect("accounts:login_verify")
        else:
            response = super().form_valid(form)
            if two_factor_required_now(user):
                self.request.session[TWO_FACTOR_BY_SETTING_KEY] = True
        browser_remember(self.request, response, username_key(user.get_username()))
        return response

    def get(self, request, *args, **kwargs):
        # A registered till signs staff in by PIN: its sign-in page is the lock screen (which links back here).
        if not request.user.is_authenticated and not request.GET.get("password") and device_of(request):
            return redirect(_lock_url(request.GET.get("next", "")))
        return super().get(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return _resolve_home(self.request.user)


def _resolve_home(user) -> str:
    if connection.schema_name == get_public_schema_name():
        return reverse("admin:index")  # the platform's people land in its admin
    return reverse(home_url_name(user))


def login_rate_otp(group, request) -> str:
    return settings.TWO_FACTOR_RATE_LIMIT


def login_rate_otp_per_ip(group, request) -> str:
    return settings.TWO_FACTOR_RATE_LIMIT_PER_IP


def _pending_key(group, request) -> str:
    """Codes per person being signed in (the session's pending sign-in), whatever the session."""
    pending = request.session.get(otp.PENDING_KEY)
    return f"user:{pending.get('user')}" if isinstance(pending, dict) else "none"


@never_cache
@ratelimit(key="ip", rate=login_rate_otp_per_ip, method="POST", block=False)
@ratelimit(key=_pending_key, rate=login_rate_otp, method="POST", block=False)
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code of the person's authenticator app, or one of their backup codes.
    Only after it is the session signed in (and marked verified, `django_otp.login`)."""
    found = otp.pending_user(request)
    if found is None:
        request.session.pop(otp.PENDING_KEY, None)
        messages.info(request, _("Sign in again: the code was not typed in time."))
        return redirect("accounts:login")
    user, pending = found
    error, status = "", 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            error, status = _("Too many codes tried. Wait a minute, then try again."), 429
        else:
            try:
                device = otp.two_factor_verify(user=user, token=request.POST.get("token", ""), request=request)
            except ServiceError as exc:
                error, status = str(exc.summary), exc.status
            else:
                del request.session[otp.PENDING_KEY]
                request.second_factor = "backup_code" if device.model_label().endswith("staticdevice") else "totp"
                auth_login(request, user, backend=pending["backend"])
                django_otp.login(request, device)
                return redirect(pending.get("next") or _resolve_home(user))
    context = {"pending_user": user, "error": error, "backup_left": otp.backup_codes_left(user=user)}
    return render(request, "accounts/login_verify.html", context, status=status)


class LogoutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponse:
    """The tenant root: staff go to their role's page, everyone else to the login."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect(home_url_name(request.user))


def password_change(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, current_password=form.cleaned_data["current_password"],
                                     new_password=form.cleaned_data["new_password1"])  # fmt: skip
        except ServiceError as exc:
            form_add_service_errors(form, exc)
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
        else:
            update_session_auth_hash(request, request.user)  # this session goes on under a new key
            # Every other session of the person ends now (their stale hash would refuse them anyway, later).
            services.sessions_end(user=request.user, actor=request.user, reason="password_change",
                                  keep_key=request.session.session_key, request=request)  # fmt: skip
            messages.success(request, _("Your password has been changed."))
            return redirect(_resolve_home(request.user))
    return render(request, "accounts/password_change.html", {"form": form})


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The backup codes, shown this once (never cached, never stored in a cookie)."""
    home = _safe_next(request) or _resolve_home(request.user)
    return render(request, "accounts/two_factor_codes.html", {"codes": codes, "home": home})


def two_factor_rate(group, request) -> str:
    return settings.TWO_FACTOR_RATE_LIMIT


@never_cache
@ratelimit(key="user_or_ip", rate=two_factor_rate, method="POST", block=False)
def two_factor(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in for one's own account: enrol an authenticator app (a QR code, or the secret typed in,
    then a code from it), see how many backup codes are left, make new ones, or turn it off."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    user = request.user
    enabled = otp.two_factor_enabled(user=user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    error, status = "", 200
    disable_form = TwoFactorDisableForm(request.POST if action == "disable" else None)
    if action and getattr(request, "limited", False):
        error, status = _("Too many codes tried. Wait a minute, then try again."), 429
    elif action == "enrol" and not enabled:
        try:
            device, codes = otp.two_factor_enrol(user=user, key=request.session.get(otp.ENROL_KEY, ""),
                                                 token=request.POST.get("token", ""), request=request)  # fmt: skip
        except ServiceError as exc:
            error, status = str(exc.summary), exc.status
        else:
            request.session.pop(otp.ENROL_KEY, None)
            django_otp.login(request, device)  # this session has just shown a code
            return _codes_page(request, codes)
    elif action == "backup_regenerate" and enabled:
        try:
            codes = otp.backup_codes_regenerate(user=user, token=request.POST.get("token", ""), request=request)
        except ServiceError as exc:
            error, status = str(exc.summary), exc.status
        else:
            return _codes_page(request, codes)
    elif action == "disable" and enabled and disable_form.is_valid():
        try:
            otp.two_factor_disable(user=user, password=disable_form.cleaned_data["password"],
                                   token=disable_form.cleaned_data["token"], request=request)  # fmt: skip
        except ServiceError as exc:
            form_add_service_errors(disable_form, exc)
            status = exc.status
        else:
            messages.success(request, _("Two-step sign-in is off for your account."))
            return redirect("accounts:two_factor")
    elif action:
        status = 400
    context = {"enabled": enabled, "error": error, "disable_form": disable_form, "next": _safe_next(request),
               "home": _resolve_home(user)}  # fmt: skip
    if enabled:
        context["backup_left"] = otp.backup_codes_left(user=user)
    else:
        key = request.session.get(otp.ENROL_KEY) or otp.totp_key_new()
        request.session[otp.ENROL_KEY] = key
        context.update(qr_svg=otp.totp_qr_svg(user=user, key=key), secret=otp.totp_secret_text(key))
    return render(request, "accounts/two_factor.html", context, status=status)


def rate_limited(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/429.html", status=429)


# --- Staff management (back office) ---------------------------------------------------------------------------


@never_cache  # a new staff member's one-time password is shown on this response
@capability_required("staff.manage")
def staff_index(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password = services.one_time_password()
            user = services.staff_create(actor=request.user, password=password, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return render(request, "accounts/staff_password.html", {"staff": user, "password": password},
                          status=201)  # fmt: skip
    context = {"form": form, "staff": staff_list(), "devices": device_list(), "now": timezone.now()}
    return render(request, "accounts/staff_index.html", context, status=400 if form.errors else 200)


@capability_required("staff.manage")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    initial = {"first_name": staff.first_name, "last_name": staff.last_name, "email": staff.email,
               "role": staff.role, "is_active": staff.is_active, "outlet_ids": staff.outlet_ids}  # fmt: skip
    form = StaffUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(user=staff, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved changes to %(name)s.") % {"name": staff})
            return redirect("accounts:staff_index")
    context = {"form": form, "staff": staff, "staff_approves": can(staff, "approval.give"),
               "staff_pin_signs_in": can(staff, "pin.sign_in"),
               "staff_sessions": list(session_list(user=staff))}  # fmt: skip
    return render(request, "accounts/staff_edit.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
@capability_required("staff.manage")
def staff_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    if staff.pk == request.user.pk:
        raise Http404  # owners change their own password on the password page
    password = services.staff_reset_password(user=staff, actor=request.user)
    return render(request, "accounts/staff_password.html", {"staff": staff, "password": password})


@require_POST
@capability_required("staff.manage")
def staff_set_pin(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    try:
        services.staff_set_pin(user=staff, pin=request.POST.get("pin", ""), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("PIN set for %(name)s.") % {"name": staff})
    return redirect("accounts:staff_edit", pk=staff.pk)


AUDIT_PER_PAGE = 50
AUDIT_CSV_COLUMNS = ["when", "who", "action", "target_type", "target_id", "target", "data", "ip", "chain_seq", "hash"]


def _audit_entries(request: HttpRequest) -> tuple[AuditSearchForm, QuerySet[AuditEntry] | None]:
    """The search form and what it finds (None when the form is wrong). Dates are the business's days."""
    form = AuditSearchForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    zone = ZoneInfo(request.tenant.timezone)

    def day_start(day: date | None) -> datetime | None:
        return datetime.combine(day, time.min, tzinfo=zone) if day else None

    end = data.get("end")
    entries = audit_search(
        action=data.get("action", ""),
        person=data.get("person", ""),
        target=data.get("target", ""),
        start=day_start(data.get("start")),
        end=day_start(end + timedelta(days=1) if end else None),
    )
    return form, entries


@capability_required("audit.view")
def audit_index(request: HttpRequest) -> HttpResponse:
    form, entries = _audit_entries(request)
    page = Paginator(entries if entries is not None else AuditEntry.objects.none(), AUDIT_PER_PAGE).get_page(
        request.GET.get("page")
    )
    ids = audit_approver_ids(page.object_list)
    names = dict(staff_list().filter(pk__in=sorted(ids)).values_list("pk", "username")) if ids else {}
    for entry in page.object_list:
        entry.sentence = audit_sentence(entry, names)
    context = {"form": form, "page": page, "export_query": request.GET.urlencode()}
    return render(request, "accounts/audit_index.html", context, status=400 if entries is None else 200)


@capability_required("audit.view")
def audit_export(request: HttpRequest) -> HttpResponse:
    """The entries the search finds, as CSV (through the one CSV writer: no cell runs as a formula)."""
    form, entries = _audit_entries(request)
    if entries is None:
        return HttpResponse(" ".join(str(e) for errors in form.errors.values() for e in errors), status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    services.audit_export_record(request=request, filters=form.cleaned_data if request.GET else {})
    zone = ZoneInfo(request.tenant.timezone)

    def rows():
        yield AUDIT_CSV_COLUMNS
        for e in entries.iterator(chunk_size=2000):
            yield [e.created_at.astimezone(zone).isoformat(timespec="seconds"), e.actor_username, e.action,
                   e.target_type, e.target_id, e.target_label, json.dumps(e.data, ensure_ascii=False, sort_keys=True),
                   e.ip_address or "", e.chain_seq, e.hash]  # fmt: skip

    stamp = timezone.localdate().isoformat()
    return csv_response(rows(), filename=f"audit-{request.tenant.schema_name}-{stamp}.csv")


# --- A registered till: the lock screen, PIN sign-in, the device itself ------------------------------------------


def _lock_url(next_url: str = "") -> str:
    url = reverse("accounts:lock")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return ""


def _landing(user, next_url: str) -> str:
    """Back to the page the till was locked on when the new person may open it (a supervisor taking over a
    cashier's till stays on the till), else the person's own home."""
    if next_url:
        try:
            match = resolve(next_url.split("?", 1)[0], urlconf=None)
        except Resolver404:
            match = None
        capability = getattr(match.func, "capability", None) if match else None
        if capability and can(user, capability):
            return next_url
    return _resolve_home(user)


def _int_or_none(raw) -> int | None:
    return parsing.id_or_none(raw)


def lock(request: HttpRequest) -> HttpResponse:
    """The lock screen of a till. POST `action=lock` signs the person out and keeps the device's register and
    cart (the Lock button, and the idle lock); POST `action=sign_in` with a tile (`user`) and a `pin` signs that
    person in on a registered device and goes back to where the till was. Errors keep the chosen tile."""
    device = device_of(request)
    next_url = _safe_next(request)
    error, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "lock":
        device_lock(request)
        return redirect(_lock_url(next_url))
    chosen = _int_or_none(request.POST.get("user") or request.GET.get("user"))
    if request.method == "POST":
        if device is None:
            error, status = _("This browser is not a registered till: sign in with your password."), 403
        else:
            try:
                claim = pin_try(request, str(device.uid))  # counted per till, never per address
                user = services.pin_person_verify(user_id=chosen, pin=request.POST.get("pin", ""),
                                                  capability="pin.sign_in", request=request)  # fmt: skip
            except Throttled as wait:
                error, status = wait_message(wait.seconds), 429
            except ValidationError as exc:
                error, status = " ".join(exc.messages), getattr(exc, "status", 400)
            else:
                claim.succeeded()
                request.pin_device = device  # the sign-in's audit entry names the till (signals.py)
                person_switch(request, user)
                request.session[PIN_SIGN_IN_KEY] = True  # no second factor on a registered till's PIN sign-in
                services.device_used(device=device)
                response = redirect(_landing(user, next_url))
                device_cookie_set(response, device)  # a till in use never forgets it is one
                return response
    context = {
        "device": device,
        "people": list(pin_people()) if device else [],
        "chosen": chosen,
        "error": error,
        "next": next_url,
    }
    return render(request, "accounts/lock.html", context, status=status)


@capability_required("device.register")
def device(request: HttpRequest) -> HttpResponse:
    """Register this browser as a till (a name, a device row, a signed cookie), or stop it being one."""
    current = device_of(request)
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "forget":
            if current is not None:
                services.device_remove(device=current, actor=request.user)
            response = redirect("accounts:device")
            device_cookie_delete(response)
            messages.success(request, _("This browser is no longer a till."))
            return response
        try:
            registered = services.device_register(name=parsing.clean_text(request.POST.get("name")), actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Registered: staff can now sign in here with their PIN."))
            response = redirect("accounts:device")
            device_cookie_set(response, registered)
            return response
    return render(request, "accounts/device.html", {"device": current, "error": error}, status=400 if error else 200)


@require_GET
@capability_required("till.use")
def approvers(request: HttpRequest) -> JsonResponse:
    """Who can approve `for` on this till with a PIN (the approval dialog's short list), and whether the
    signed-in person can approve it themselves with one tap."""
    capability = request.GET.get("for", "")
    if capability not in LENT_WITH_PIN:
        return error_response(ServiceError("approval.unknown", _("Nothing to approve by that name."), status=404))
    people = [{"id": u.pk, "name": str(u), "username": u.username}
              for u in approvers_for(capability, asking=request.user)]  # fmt: skip
    return JsonResponse({"approvers": people, "self": approval_self_allowed(request.user, capability)})


@require_POST
@capability_required("staff.manage")
def staff_pin_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    services.staff_pin_unlock(user=staff, actor=request.user)
    messages.success(request, _("PIN unlocked for %(name)s.") % {"name": staff})
    return redirect("accounts:staff_index")


@require_POST
@capability_required("staff.manage")
def staff_approvals_unblock(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    services.staff_approvals_unblock(user=staff, actor=request.user)
    messages.success(request, _("PIN approvals are open again for %(name)s.") % {"name": staff})
    return redirect("accounts:staff_index")


@require_POST
@capability_required("staff.manage")
def device_remove(request: HttpRequest, pk: int) -> HttpResponse:
    till = get_object_or_404(TillDevice.objects.filter(is_active=True), pk=pk)
    services.device_remove(device=till, actor=request.user)
    messages.success(request, _("“%(name)s” is no longer a till.") % {"name": till})
    return redirect("accounts:staff_index")


# --- Signed-in sessions (accounts/sessions.py) ------------------------------------------------------------------


@capability_required("account.sessions")
def sessions_index(request: HttpRequest) -> HttpResponse:
    """The person's signed-in devices: browser, address, signed in at, last seen; this one marked."""
    context = {"sessions": session_list(user=request.user), "current_key": request.session.session_key}
    return render(request, "accounts/sessions.html", context)


@require_POST
@capability_required("account.sessions")
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End one of one's own sessions (another person's answers 404, like one that does not exist). Ending this
    very one is signing out."""
    row = get_object_or_404(session_list(user=request.user), pk=pk)
    if row.session_key == request.session.session_key:
        logout(request)
        return redirect("accounts:login")
    services.sessions_end(user=request.user, actor=request.user, reason="one", only=[row.pk], request=request)
    messages.success(request, _("That device is signed out."))
    return redirect("accounts:sessions")


@require_POST
@capability_required("account.sessions")
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = services.sessions_end(user=request.user, actor=request.user, reason="others",
                                  keep_key=request.session.session_key, request=request)  # fmt: skip
    message = ngettext("Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", ended)
    messages.success(request, message % {"count": ended})
    return redirect("accounts:sessions")


@require_POST
@capability_required("staff.manage")
def staff_sessions_end(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner signs a staff member out everywhere (a lost phone, someone leaving). Audited. Ending their own
    sessions from here keeps the one they are using."""
    staff = get_object_or_404(staff_list(), pk=pk)
    keep = request.session.session_key if staff.pk == request.user.pk else None
    ended = services.sessions_end(user=staff, actor=request.user, reason="owner", keep_key=keep, request=request)
    message = ngettext("%(name)s is signed out of %(count)d session.", "%(name)s is signed out of %(count)d sessions.",
                       ended)  # fmt: skip
    messages.success(request, message % {"name": staff, "count": ended})
    return redirect("accounts:staff_edit", pk=staff.pk)
