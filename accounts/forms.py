from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from business.selectors import outlet_list
from pos_project.forms import TextField

from .access import default_staff_role, staff_roles
from .audit import AuditAction
from .passwords import one_time_password_expired
from .usernames import username_normalize


class NormalisedUsernameField(forms.CharField):
    """Reads a username as it is stored and as the sign-in limits count it (accounts/usernames.py)."""

    def to_python(self, value):
        return username_normalize(super().to_python(value))

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "autocapitalize": "none", "autocomplete": "username"}


def _outlet_choices() -> list[tuple[int, str]]:
    return [(outlet.pk, outlet.name) for outlet in outlet_list()]


class LoginForm(AuthenticationForm):
    username = NormalisedUsernameField(widget=forms.TextInput(attrs={"autofocus": True}))

    error_messages = {
        "invalid_login": _("That username and password do not match an active account of this business."),
        "inactive": _("This account has been deactivated. Ask your manager."),
        "password_expired": _(
            "Your one-time password has expired (they work for 24 hours). Ask your manager to reset your password."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if one_time_password_expired(user):
            raise forms.ValidationError(self.error_messages["password_expired"], code="password_expired")


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password", "autofocus": True}))  # fmt: skip
    new_password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))  # fmt: skip
    new_password2 = forms.CharField(label=_("Repeat it"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class StaffCreateForm(forms.Form):
    username = NormalisedUsernameField(
        max_length=150, help_text=_("Letters a–z, digits and . _ - @ (no spaces or accents).")
    )
    first_name = TextField(max_length=150, required=False)
    last_name = TextField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=staff_roles, initial=default_staff_role)


class StaffUpdateForm(forms.Form):
    first_name = TextField(max_length=150, required=False)
    last_name = TextField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=staff_roles)
    is_active = forms.BooleanField(required=False, label=_("Active (can sign in)"))
    outlet_ids = forms.TypedMultipleChoiceField(
        choices=_outlet_choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Works at"),
        help_text=_("None ticked: every outlet. Owners always reach every outlet."),
    )


class AuditSearchForm(forms.Form):
    """The owner's search of the audit log (GET): every field optional; dates are the business's days."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    person = forms.CharField(label=_("Person"), required=False, max_length=150,
                             help_text=_("Who did it: a username."))  # fmt: skip
    target = forms.CharField(
        label=_("About"),
        required=False,
        max_length=200,
        help_text=_("Part of its name (a SKU, “Order #12”), or type#id (sales.order#12)."),
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditAction.choices]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end is before the start."))
        return data


class TwoFactorDisableForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))  # fmt: skip
    token = forms.CharField(
        label=_("A code from your authenticator app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
