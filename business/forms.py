from django import forms
from django.utils.translation import gettext_lazy as _

from pos_project.forms import IntegerField, TextField
from pos_project.parsing import int_or_none

from .models import CashRounding


class SalesSettingsForm(forms.Form):
    service_charge_rate = forms.DecimalField(label=_("Service charge %"), min_value=0, max_value=100, decimal_places=2)
    cash_rounding_unit = IntegerField(
        label=_("Round cash totals to (minor units)"), min_value=1, help_text=_("100 = Rp 100; 1 = no rounding.")
    )
    cash_rounding_mode = forms.ChoiceField(label=_("Cash rounding"), choices=CashRounding.choices)
    discount_limit_percent = forms.DecimalField(
        label=_("Discounts above this % need a supervisor"), min_value=0, max_value=100, decimal_places=2
    )
    approvals_need_second_person = forms.BooleanField(
        label=_("Approvals need a second person"),
        required=False,
        help_text=_(
            "Refunds, voids and discounts above the limit are approved by someone other than the person asking, "
            "with their PIN: a supervisor cannot approve their own."
        ),
    )
    receipt_header = TextField(label=_("Receipt header"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    receipt_footer = TextField(label=_("Receipt footer"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    idle_lock_minutes = IntegerField(
        label=_("Lock an untouched till after (minutes)"),
        min_value=0,
        max_value=240,
        required=False,
        help_text=_("Empty or 0 = never. Staff sign in again with their PIN; the order on the till stays."),
    )
    tips_enabled = forms.BooleanField(label=_("Offer a tip on the payment screen"), required=False)
    tip_percentages = TextField(
        label=_("Tip presets (%)"),
        required=False,
        max_length=40,
        help_text=_("Up to 4, comma-separated, e.g. 5, 10, 15."),
    )

    two_factor_supervisors = forms.BooleanField(
        label=_("Supervisors sign in with a second factor"),
        required=False,
        help_text=_("An authenticator app's code after the password. Owners always do; PIN sign-in at a till stays."),
    )
    two_factor_cashiers = forms.BooleanField(
        label=_("Cashiers sign in with a second factor"),
        required=False,
        help_text=_("When they sign in with a password; PIN sign-in on a registered till stays as it is."),
    )

    def clean_tip_percentages(self) -> str:
        text = self.cleaned_data["tip_percentages"]
        parts = [p.strip().rstrip("%").strip() for p in text.split(",") if p.strip()]
        if any(int_or_none(p, minimum=1, maximum=100) is None for p in parts):
            raise forms.ValidationError(_("Each preset is a whole percentage from 1 to 100, e.g. 5, 10, 15."))
        if len(parts) > 4:
            raise forms.ValidationError(_("At most 4 presets fit on the payment screen."))
        return ",".join(str(int(p)) for p in parts)

    def clean_idle_lock_minutes(self) -> int:
        return self.cleaned_data["idle_lock_minutes"] or 0


class TaxForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=20)
    name = TextField(label=_("Name"), max_length=60)
    rate = forms.DecimalField(label=_("Rate %"), min_value=0, max_value=100, decimal_places=2)
    inclusive = forms.BooleanField(label=_("Included in menu prices"), required=False)
    applies_to_service_charge = forms.BooleanField(label=_("Also charged on the service charge"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class OutletForm(forms.Form):
    name = TextField(label=_("Name"), max_length=120)
    address = TextField(label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    phone = TextField(label=_("Phone"), max_length=40, required=False)
    send_to_kitchen_on_pay = forms.BooleanField(
        label=_("Paying sends the order to the kitchen"),
        required=False,
        help_text=_(
            "Items the kitchen has not had yet go to its display when the order is paid. Turn off for a shop "
            "without a kitchen."
        ),
    )
