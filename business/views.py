from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import capability_required
from pos_project.forms import form_add_service_errors

from . import services
from .forms import OutletForm, SalesSettingsForm, TaxForm
from .models import Outlet, Tax
from .selectors import outlet_list, sales_settings_get, tax_list


@capability_required("settings.edit")
def sales_settings(request: HttpRequest) -> HttpResponse:
    current = sales_settings_get()
    initial = {name: getattr(current, name) for name in SalesSettingsForm.base_fields}
    form = SalesSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.sales_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Sales settings saved."))
            return redirect("business:sales_settings")
    context = {
        "form": form,
        "taxes": tax_list(active_only=False),
        "tax_form": TaxForm(initial={"is_active": True}),
        "outlets": outlet_list(active_only=False),
    }
    return render(request, "business/sales_settings.html", context, status=400 if form.errors else 200)


@capability_required("settings.edit")
def tax_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    tax = get_object_or_404(Tax, pk=pk) if pk else None
    initial = (
        {f: getattr(tax, f) for f in ("code", "name", "rate", "inclusive", "applies_to_service_charge", "is_active")}
        if tax
        else {"is_active": True}
    )
    form = TaxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.tax_save(actor=request.user, tax=tax, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Tax saved."))
            return redirect("business:sales_settings")
    return render(request, "business/tax_edit.html", {"form": form, "tax": tax}, status=400 if form.errors else 200)


@capability_required("settings.edit")
def outlet_edit(request: HttpRequest, pk: int) -> HttpResponse:
    outlet = get_object_or_404(Outlet, pk=pk)
    initial = {f: getattr(outlet, f) for f in OutletForm.base_fields}
    form = OutletForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.outlet_update(actor=request.user, outlet=outlet, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Outlet %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("business:sales_settings")
    return render(
        request, "business/outlet_edit.html", {"form": form, "outlet": outlet}, status=400 if form.errors else 200
    )
