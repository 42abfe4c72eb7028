from django import forms

from billing.models import Plan
from pos_project.forms import TextField


class TenantProvisionForm(forms.Form):
    slug = TextField(max_length=30, help_text="The business's address: <slug>.<BASE_DOMAIN>.")
    name = TextField(max_length=120)
    owner_email = forms.EmailField()
    owner_username = TextField(max_length=150, initial="owner")
    plan = forms.ModelChoiceField(queryset=Plan.objects.all(), required=False,
                                  help_text="Leave empty for the default plan.")  # fmt: skip
    currency = forms.ChoiceField(choices=[("IDR", "IDR"), ("USD", "USD"), ("SGD", "SGD"), ("MYR", "MYR"),
                                          ("EUR", "EUR"), ("JPY", "JPY")])  # fmt: skip


class SupportStartForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why you need to enter (recorded in the platform's and the business's logs).",
    )
    minutes = forms.TypedChoiceField(
        choices=[(15, "15 minutes"), (30, "30 minutes"), (60, "1 hour")], coerce=int, initial=30
    )
