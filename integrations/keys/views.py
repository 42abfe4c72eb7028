"""The owner's API key pages: the keys with their use today against the quota, making one (the whole key shown
on that response only), revoking one. Thin: each view parses the form, calls one service or selector, renders."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import capability_required, staff_roles
from core.api import api_resources
from core.api_rules import requests_today
from core.forms import SubmissionKeyField
from pos_project.forms import TextField, form_add_service_errors

from .. import selectors, services
from ..models.keys import ALL_RESOURCES, READ, WRITE

CAPABILITY = "integrations.manage"
LEVELS = (("", gettext_lazy("None")), (READ, gettext_lazy("Read")), (WRITE, gettext_lazy("Read and write")))


class KeyForm(forms.Form):
    # Hidden: the form sent twice (a reload of the page showing the new key) makes one key.
    key = SubmissionKeyField()
    name = TextField(label=gettext_lazy("Name"), max_length=80,
                     help_text=gettext_lazy("What uses it, e.g. “Accounting export”."))  # fmt: skip
    role = forms.ChoiceField(label=gettext_lazy("Acts as"), choices=staff_roles,
                             help_text=gettext_lazy("The key may do what a person of this role may do, and only on "
                                                    "the resources below."))  # fmt: skip
    expires_on = forms.DateField(label=gettext_lazy("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=gettext_lazy("Leave empty for a key that does not expire."))  # fmt: skip
    all_resources = forms.ChoiceField(label=gettext_lazy("Every resource, now and later"), choices=LEVELS,
                                      required=False)  # fmt: skip

    def __init__(self, *args, resources: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resources = resources
        for resource in resources:
            self.fields[f"scope_{resource}"] = forms.ChoiceField(label=resource, choices=LEVELS, required=False)

    def scopes(self) -> dict[str, str]:
        scopes = {r: self.cleaned_data[f"scope_{r}"] for r in self.resources if self.cleaned_data.get(f"scope_{r}")}
        if self.cleaned_data.get("all_resources"):
            scopes[ALL_RESOURCES] = self.cleaned_data["all_resources"]
        return scopes

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        return timezone.make_aware(datetime.combine(day, time.max)) if day else None


def _rows() -> list:
    keys = list(selectors.api_key_list())
    today = requests_today(*(key.throttle_scope for key in keys))
    for key in keys:
        key.today = today[key.throttle_scope]
    return keys


def _list(request: HttpRequest, *, form: KeyForm, new_key: str = "", status: int = 200) -> HttpResponse:
    context = {"keys": _rows(), "form": form, "new_key": new_key, "quota": settings.API_DAILY_QUOTA,
               "rate": settings.API_RATE_PER_MINUTE}  # fmt: skip
    return render(request, "integrations/keys/list.html", context, status=status)


@capability_required(CAPABILITY)
def key_list(request: HttpRequest) -> HttpResponse:
    return _list(request, form=KeyForm(resources=api_resources()))


@capability_required(CAPABILITY)
@require_POST
def key_create(request: HttpRequest) -> HttpResponse:
    form = KeyForm(request.POST, resources=api_resources())
    if form.is_valid():
        try:
            key, whole = services.api_key_create(actor=request.user, name=form.cleaned_data["name"],
                                                 scopes=form.scopes(), role=form.cleaned_data["role"],
                                                 expires_at=form.expires_at(),
                                                 idempotency_key=form.cleaned_data["key"])  # fmt: skip
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if not whole:  # the form sent again: the key exists and was shown when it was made
                messages.info(request, _("That form was already sent: the key %(prefix)s was made then and shown "
                                         "only then. If it was not copied, revoke it and make another.")
                              % {"prefix": key.prefix})  # fmt: skip
                return redirect("api_keys:list")
            # shown on this response only: no redirect, no session, no message keeps it
            return _list(request, form=KeyForm(resources=api_resources()), new_key=whole, status=201)
    return _list(request, form=form, status=400)


@capability_required(CAPABILITY)
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = selectors.api_key_get(pk)
    if key is None:
        raise Http404("No API key matches the given query.")
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key %(prefix)s is revoked: it is refused from now on.") % {"prefix": key.prefix})
    return redirect("api_keys:list")
