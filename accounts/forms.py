from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .access import default_staff_role, staff_roles


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("That username and password do not match an active account of this business."),
        "inactive": _("This account has been deactivated. Ask your manager."),
    }


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
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=staff_roles, initial=default_staff_role)


class StaffUpdateForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=staff_roles)
    is_active = forms.BooleanField(required=False, label=_("Active (can sign in)"))
