"""Back-office forms. They only read and check what was typed; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from business.models import Outlet, Tax
from pos_project.forms import IntegerField, MoneyField, TextField

from . import csv_io
from .models import Category, ModifierGroup


class CategoryForm(forms.Form):
    name = TextField(label=_("Name"), max_length=80)
    sort_order = IntegerField(label=_("Sort order"), min_value=0, initial=0)


class ProductForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    name = TextField(label=_("Name"), max_length=120)
    sku = TextField(label=_("SKU"), max_length=40)
    barcode = TextField(label=_("Barcode"), max_length=64, required=False)
    price_minor = MoneyField(label=_("Price"))
    description = TextField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sort_order = IntegerField(label=_("Sort order"), min_value=0, initial=0)
    taxes = forms.ModelMultipleChoiceField(
        label=_("Taxes"), queryset=Tax.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    modifier_groups = forms.ModelMultipleChoiceField(
        label=_("Modifier groups"),
        queryset=ModifierGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Asked at the till when this product is sold."),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_minor"].currency = currency
        self.fields["category"].queryset = Category.objects.order_by("is_archived", "sort_order", "name")
        self.fields["taxes"].queryset = Tax.objects.filter(is_active=True)
        self.fields["modifier_groups"].queryset = ModifierGroup.objects.filter(is_archived=False)


class VariantForm(forms.Form):
    name = TextField(label=_("Variant"), max_length=80)
    sku = TextField(label=_("SKU"), max_length=40)
    barcode = TextField(label=_("Barcode"), max_length=64, required=False)
    price_minor = MoneyField(label=_("Price"))
    sort_order = IntegerField(label=_("Sort order"), min_value=0, initial=0)
    is_default = forms.BooleanField(
        label=_("Default size"),
        required=False,
        help_text=_("The till preselects it. Without one, the first in sort order (then the cheapest)."),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_minor"].currency = currency


class OverrideForm(forms.Form):
    outlet = forms.ModelChoiceField(label=_("Outlet"), queryset=Outlet.objects.none())
    variant = IntegerField(required=False, widget=forms.HiddenInput)
    price_minor = MoneyField(label=_("Outlet price"), required=False, help_text=_("Empty: the catalog price."))
    is_available = forms.BooleanField(label=_("Available (untick when sold out)"), required=False)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_minor"].currency = currency
        self.fields["outlet"].queryset = Outlet.objects.filter(is_active=True)


class ModifierGroupForm(forms.Form):
    name = TextField(label=_("Name"), max_length=80)
    min_choices = IntegerField(
        label=_("Minimum choices"), min_value=0, initial=0, help_text=_("1 or more makes the choice required.")
    )
    max_choices = IntegerField(label=_("Maximum choices"), min_value=1, initial=1)
    sort_order = IntegerField(label=_("Sort order"), min_value=0, initial=0)
    is_archived = forms.BooleanField(label=_("Archived"), required=False)


class ModifierForm(forms.Form):
    pk = IntegerField(required=False, widget=forms.HiddenInput)
    name = TextField(label=_("Modifier"), max_length=80, required=False)
    price_delta_minor = MoneyField(label=_("Extra price"), required=False)
    is_archived = forms.BooleanField(label=_("Archived"), required=False)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_delta_minor"].currency = currency


ModifierFormSet = forms.formset_factory(ModifierForm, extra=3, max_num=50, absolute_max=60)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > csv_io.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Split it into parts.") % {"mb": csv_io.MAX_BYTES // 1024 // 1024}
            )
        return upload
