"""Catalog back office: categories, products (with variants, modifier groups, outlet overrides), modifier
groups, CSV import and export. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from business.models import Outlet
from business.selectors import tenant_settings
from pos_project.csv_export import csv_response
from pos_project.forms import form_add_service_errors, money_initial

from . import csv_io, selectors, services
from .forms import (
    CategoryForm,
    ImportForm,
    ModifierFormSet,
    ModifierGroupForm,
    OverrideForm,
    ProductForm,
    VariantForm,
)
from .models import Category, ModifierGroup, Product, ProductVariant

PRODUCTS_PER_PAGE = 50


def _status(*forms) -> int:
    return 400 if any(f.is_bound and f.errors for f in forms if f is not None) else 200


# --- Categories ---------------------------------------------------------------------------------------------------


@capability_required("catalog.edit")
def category_list(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(**form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Added the category %(name)s.") % {"name": category.name})
            return redirect("catalog:category_list")
    context = {"form": form, "categories": selectors.category_list()}
    return render(request, "catalog/category_list.html", context, status=_status(form))


@capability_required("catalog.edit")
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, initial={"name": category.name, "sort_order": category.sort_order})
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(category=category, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the category %(name)s.") % {"name": category.name})
            return redirect("catalog:category_list")
    return render(request, "catalog/category_edit.html", {"form": form, "category": category}, status=_status(form))


@require_POST
@capability_required("catalog.edit")
def category_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST archives; POST with restore=1 brings the category back."""
    category = get_object_or_404(Category, pk=pk)
    restore = request.POST.get("restore") == "1"
    services.category_archive(category=category, archived=not restore)
    text = _("Restored %(name)s.") if restore else _("Archived %(name)s: its products are off the till.")
    messages.success(request, text % {"name": category.name})
    return redirect("catalog:category_list")


# --- Products -----------------------------------------------------------------------------------------------------


@capability_required("catalog.edit")
def product_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    categories = list(selectors.category_list())
    category = next((c for c in categories if str(c.pk) == request.GET.get("category", "")), None)
    show = request.GET.get("show", "active")
    archived = {"active": False, "archived": True}.get(show)
    products = selectors.product_list(query=query, category=category, archived=archived)
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "categories": categories,
        "category": category,
        "show": show,
    }
    return render(request, "catalog/product_list.html", context)


def _product_form_save(request: HttpRequest, form: ProductForm, product: Product | None) -> Product | None:
    data = dict(form.cleaned_data)
    groups = list(data.pop("modifier_groups"))
    try:
        with transaction.atomic():
            return _product_save(request, data, groups, product)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return None


def _product_save(request: HttpRequest, data: dict, groups: list, product: Product | None) -> Product:
    if product is None:
        product = services.product_create(**data)
    else:
        product = services.product_update(product=product, actor=request.user, **data)
    # Keep the order already chosen for groups that stay; new ones go last.
    current = list(product.product_modifier_groups.order_by("sort_order").values_list("group_id", flat=True))
    groups.sort(key=lambda g: (current.index(g.pk) if g.pk in current else len(current), g.sort_order, g.name))
    services.product_set_modifier_groups(product=product, groups=groups)
    return product


@capability_required("catalog.edit")
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, currency=tenant_settings().currency)
    if request.method == "POST" and form.is_valid():
        product = _product_form_save(request, form, None)
        if product is not None:
            messages.success(request, _("Added %(name)s. Add variants or outlet prices below.") % {"name": product})
            return redirect("catalog:product_edit", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": None}, status=_status(form))


def _product_page(request, product, *, form=None, variant_form=None, override_form=None) -> HttpResponse:
    currency = tenant_settings().currency
    if form is None:
        form = ProductForm(
            currency=currency,
            initial={
                "category": product.category_id,
                "name": product.name,
                "sku": product.sku,
                "barcode": product.barcode,
                "price_minor": money_initial(product.price_minor, currency),
                "description": product.description,
                "sort_order": product.sort_order,
                "taxes": list(product.taxes.all()),
                "modifier_groups": [link.group_id for link in product.product_modifier_groups.all()],
            },
        )
    context = {
        "product": product,
        "form": form,
        "variants": list(product.variants.order_by("is_archived", "sort_order", "price_minor", "name")),
        "variant_form": variant_form or VariantForm(currency=currency, prefix="variant"),
        "overrides": list(selectors.outlet_overrides(product=product)),
        "override_form": override_form
        or OverrideForm(currency=currency, prefix="override", initial={"is_available": True}),
        "outlets": list(Outlet.objects.filter(is_active=True)),
    }
    return render(request, "catalog/product_form.html", context, status=_status(form, variant_form, override_form))


@capability_required("catalog.edit")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    if request.method != "POST":
        return _product_page(request, product)
    form = ProductForm(request.POST, currency=tenant_settings().currency)
    if form.is_valid() and _product_form_save(request, form, product) is not None:
        messages.success(request, _("Saved %(name)s.") % {"name": product.name})
        return redirect("catalog:product_edit", pk=product.pk)
    return _product_page(request, product, form=form)


@require_POST
@capability_required("catalog.edit")
def product_archive(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    services.product_archive(product=product)
    messages.success(request, _("Archived %(name)s: it is off every till.") % {"name": product.name})
    return redirect("catalog:product_edit", pk=product.pk)


@require_POST
@capability_required("catalog.edit")
def product_unarchive(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    services.product_unarchive(product=product)
    messages.success(request, _("%(name)s is back on sale.") % {"name": product.name})
    return redirect("catalog:product_edit", pk=product.pk)


@capability_required("catalog.edit")
def variant_add(request: HttpRequest, pk: int) -> HttpResponse:
    """POST adds a variant. A GET (the address bar after a refused form, reloaded) goes back to the product."""
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    if request.method != "POST":
        return redirect(reverse("catalog:product_edit", args=[product.pk]) + "#variants")
    form = VariantForm(request.POST, currency=tenant_settings().currency, prefix="variant")
    if form.is_valid():
        try:
            variant = services.variant_create(product=product, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Added the variant %(name)s.") % {"name": variant.name})
            return redirect("catalog:product_edit", pk=product.pk)
    return _product_page(request, product, variant_form=form)


@capability_required("catalog.edit")
def variant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    variant = get_object_or_404(ProductVariant.objects.select_related("product"), pk=pk)
    currency = tenant_settings().currency
    initial = {
        "name": variant.name,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "sort_order": variant.sort_order,
        "price_minor": money_initial(variant.price_minor, currency),
        "is_default": variant.is_default,
    }
    form = VariantForm(request.POST or None, currency=currency, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.variant_update(variant=variant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the variant %(name)s.") % {"name": variant.name})
            return redirect("catalog:product_edit", pk=variant.product_id)
    return render(request, "catalog/variant_edit.html", {"form": form, "variant": variant}, status=_status(form))


@require_POST
@capability_required("catalog.edit")
def variant_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST archives; POST with restore=1 brings the variant back."""
    variant = get_object_or_404(ProductVariant, pk=pk)
    restore = request.POST.get("restore") == "1"
    services.variant_archive(variant=variant, archived=not restore)
    messages.success(request, (_("Restored %(name)s.") if restore else _("Archived %(name)s.")) % {"name": variant})
    return redirect("catalog:product_edit", pk=variant.product_id)


@capability_required("catalog.edit")
def product_override_set(request: HttpRequest, pk: int) -> HttpResponse:
    """POST sets one outlet's price/availability. A GET goes back to the product (as variant_add)."""
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    if request.method != "POST":
        return redirect(reverse("catalog:product_edit", args=[product.pk]) + "#outlets")
    form = OverrideForm(request.POST, currency=tenant_settings().currency, prefix="override")
    if form.is_valid():
        data = form.cleaned_data
        variant = None
        if data["variant"]:
            variant = product.variants.filter(pk=data["variant"]).first()
            if variant is None:
                form.add_error(None, _("That variant is not one of this product's."))
        if not form.errors:
            try:
                services.outlet_override_set(
                    outlet=data["outlet"],
                    product=product,
                    variant=variant,
                    price_minor=data["price_minor"],
                    is_available=data["is_available"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved the outlet's price and availability."))
                return redirect("catalog:product_edit", pk=product.pk)
    return _product_page(request, product, override_form=form)


# --- Modifier groups ----------------------------------------------------------------------------------------------


@capability_required("catalog.edit")
def modifier_group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/modifier_group_list.html", {"groups": selectors.modifier_group_list()})


def _modifier_specs(formset) -> list[services.ModifierSpec]:
    specs = []
    for data in formset.cleaned_data:
        if not data or (not data.get("pk") and not (data.get("name") or "").strip()):
            continue  # an empty extra row
        specs.append(
            services.ModifierSpec(
                name=data.get("name") or "",
                price_delta_minor=data.get("price_delta_minor") or 0,
                is_archived=bool(data.get("is_archived")),
                pk=data.get("pk"),
            )
        )
    return specs


def _modifier_group_page(request: HttpRequest, group: ModifierGroup | None) -> HttpResponse:
    currency = tenant_settings().currency
    initial, modifiers_initial = None, []
    if group is not None:
        initial = {
            "name": group.name,
            "min_choices": group.min_choices,
            "max_choices": group.max_choices,
            "sort_order": group.sort_order,
            "is_archived": group.is_archived,
        }
        modifiers_initial = [
            {
                "pk": m.pk,
                "name": m.name,
                "price_delta_minor": money_initial(m.price_delta_minor, currency),
                "is_archived": m.is_archived,
            }
            for m in group.modifiers.order_by("sort_order", "pk")
        ]
    data = request.POST if request.method == "POST" else None
    form = ModifierGroupForm(data, initial=initial)
    formset = ModifierFormSet(data, prefix="mod", initial=modifiers_initial, form_kwargs={"currency": currency})
    if data is not None and form.is_valid() and formset.is_valid():
        fields = dict(form.cleaned_data)
        try:
            if group is None:
                fields.pop("is_archived")
                group = services.modifier_group_create(modifiers=_modifier_specs(formset), **fields)
            else:
                services.modifier_group_update(group=group, modifiers=_modifier_specs(formset), **fields)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the modifier group %(name)s.") % {"name": group.name})
            return redirect("catalog:modifier_group_list")
    status = 400 if data is not None else 200
    return render(
        request, "catalog/modifier_group_form.html", {"form": form, "formset": formset, "group": group}, status=status
    )


@capability_required("catalog.edit")
def modifier_group_create(request: HttpRequest) -> HttpResponse:
    return _modifier_group_page(request, None)


@capability_required("catalog.edit")
def modifier_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _modifier_group_page(request, get_object_or_404(ModifierGroup, pk=pk))


# --- CSV ------------------------------------------------------------------------------------------------------------


@capability_required("catalog.edit")
def catalog_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    errors, result = [], None
    if request.method == "POST" and form.is_valid():
        try:
            result = csv_io.catalog_import(
                data=form.cleaned_data["file"].read(), currency_code=tenant_settings().currency, actor=request.user
            )
        except csv_io.CsvImportError as exc:
            errors = exc.errors
    context = {
        "form": form,
        "errors": errors,
        "result": result,
        "columns": csv_io.COLUMN_HELP,
        "max_rows": csv_io.MAX_ROWS,
        "max_mb": csv_io.MAX_BYTES // 1024 // 1024,
    }
    return render(request, "catalog/import.html", context, status=400 if errors or form.errors else 200)


@capability_required("catalog.edit")
def catalog_export(request: HttpRequest) -> StreamingHttpResponse:
    rows = csv_io.catalog_export_rows(currency_code=tenant_settings().currency)
    stamp = timezone.localdate().isoformat()
    return csv_response(rows, filename=f"catalog-{request.tenant.schema_name}-{stamp}.csv")
