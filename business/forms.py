from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CashRounding


class SalesSettingsForm(forms.Form):
    service_charge_rate = forms.DecimalField(label=_("Service charge %"), min_value=0, max_value=100, decimal_places=2)
    cash_rounding_unit = forms.IntegerField(
        label=_("Round cash totals to (minor units)"), min_value=1, help_text=_("100 = Rp 100; 1 = no rounding.")
    )
    cash_rounding_mode = forms.ChoiceField(label=_("Cash rounding"), choices=CashRounding.choices)
    discount_limit_percent = forms.DecimalField(
        label=_("Discounts above this % need a supervisor"), min_value=0, max_value=100, decimal_places=2
    )
    receipt_header = forms.CharField(
        label=_("Receipt header"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    receipt_footer = forms.CharField(
        label=_("Receipt footer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TaxForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=60)
    rate = forms.DecimalField(label=_("Rate %"), min_value=0, max_value=100, decimal_places=2)
    inclusive = forms.BooleanField(label=_("Included in menu prices"), required=False)
    applies_to_service_charge = forms.BooleanField(label=_("Also charged on the service charge"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
