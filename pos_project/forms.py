"""Form helpers shared by every app's HTML views."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from business.selectors import tenant_settings
from pos_project.money import MoneyError, format_money, parse_amount
from pos_project.parsing import SMALL_INT_MAX, clean_text


def form_add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where the field exists, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class TextField(forms.CharField):
    """A name or text as typed, cleaned as all request text is (`pos_project.parsing.clean_text`): no control
    characters, so nothing typed can drive a receipt printer. A `Textarea` keeps its line breaks; a password
    is left exactly as typed."""

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values or isinstance(self.widget, forms.PasswordInput):
            return text
        return clean_text(text, multiline=isinstance(self.widget, forms.Textarea))


class IntegerField(forms.IntegerField):
    """A whole number bounded by what its column holds (a 4-byte integer unless `max_value` says less): 10²⁰
    is a form error, not a database overflow."""

    def __init__(self, *args, max_value: int | None = None, **kwargs):
        super().__init__(*args, max_value=SMALL_INT_MAX if max_value is None else max_value, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().lstrip("-").isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")  # "٣" is not typed here
        return super().to_python(value)


class MoneyField(forms.CharField):
    """A price as people type it in the tenant's currency ("25.000", "4.50"), cleaned to minor units."""

    default_error_messages = {"negative": _("The price must be zero or more.")}

    def __init__(self, *args, currency: str | None = None, **kwargs):
        self.currency = currency  # None: the current tenant's (never a guessed one)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            amount = parse_amount(text, self.currency or tenant_settings().currency)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
        if amount < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        return amount


def money_initial(amount_minor: int | None, currency: str) -> str:
    """A stored amount shown in an input the way it is typed back ("25.000"), without the symbol."""
    return "" if amount_minor is None else format_money(amount_minor, currency, symbol=False)
