from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from pos_project.forms import form_add_service_errors

from . import services
from .access import can, capability_required, home_url_name
from .forms import LoginForm, PasswordChangeForm, StaffCreateForm, StaffUpdateForm
from .selectors import audit_list, staff_list


def login_rate_per_ip(group, request) -> str:
    """Read at request time, so the limits follow the settings without re-importing this module."""
    return settings.LOGIN_RATE_LIMIT_PER_IP


def login_rate_per_user(group, request) -> str:
    return settings.LOGIN_RATE_LIMIT


# Per username: guessing one account's password. Per address: higher, because every till of an outlet often
# shares one public address and a whole shift signs in at once.
@method_decorator(ratelimit(key="ip", rate=login_rate_per_ip, method="POST", block=False), "dispatch")
@method_decorator(ratelimit(key="post:username", rate=login_rate_per_user, method="POST", block=False), "dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            form = self.get_form()
            form.errors.clear()
            context = self.get_context_data(form=form, rate_limited=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return _resolve_home(self.request.user)


def _resolve_home(user) -> str:
    from django.urls import reverse

    return reverse(home_url_name(user))


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
            services.password_change(user=request.user, new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect(home_url_name(request.user))
    return render(request, "accounts/password_change.html", {"form": form})


def rate_limited(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/429.html", status=429)


# --- Staff management (back office) ---------------------------------------------------------------------------


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
    return render(request, "accounts/staff_index.html", {"form": form, "staff": staff_list()},
                  status=400 if form.errors else 200)  # fmt: skip


@capability_required("staff.manage")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_list(), pk=pk)
    initial = {"first_name": staff.first_name, "last_name": staff.last_name, "email": staff.email,
               "role": staff.role, "is_active": staff.is_active}  # fmt: skip
    form = StaffUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(user=staff, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved changes to %(name)s.") % {"name": staff})
            return redirect("accounts:staff_index")
    context = {"form": form, "staff": staff, "staff_approves": can(staff, "approval.give")}
    return render(request, "accounts/staff_edit.html", context, status=400 if form.errors else 200)


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
        messages.success(request, _("Approval PIN set for %(name)s.") % {"name": staff})
    return redirect("accounts:staff_edit", pk=staff.pk)


@capability_required("audit.view")
def audit_index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/audit_index.html", {"entries": audit_list(limit=200)})
