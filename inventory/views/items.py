"""Back-office pages for stock items, recipes and the stock settings. Owners only.

Thin: read the form, call one service or selector, render. Recipe pages post to themselves with an `action`
(add / remove / track) so every route has only the owner's primary key in it.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from business.selectors import tenant_settings
from catalog.models import ModifierGroup, Product
from catalog.services import normalise_sku
from pos_project import parsing
from pos_project.forms import MoneyField, TextField, form_add_service_errors, money_initial

from ..models import RecipeComponent, StockItem, StockSettings
from ..quantities import format_quantity, parse_quantity
from ..selectors import items as item_selectors
from ..selectors import recipes as recipe_selectors
from ..services import items as item_services
from ..services import recipes as recipe_services
from ..services.stock import stock_settings_get

PER_PAGE = 50


def _status(*forms_) -> int:
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms_) else 200


def _quantity(text: str, **kwargs) -> Decimal:
    try:
        return parse_quantity(text, **kwargs)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None


# --- Stock items ------------------------------------------------------------------------------------------------


class StockItemForm(forms.Form):
    name = TextField(label=gettext_lazy("Name"), max_length=120)
    sku = TextField(label=gettext_lazy("SKU"), max_length=40, help_text=gettext_lazy("Unique; saved in capitals."))
    barcode = TextField(label=gettext_lazy("Barcode"), max_length=64, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=StockItem.Kind.choices)
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=None, required=False)
    base_unit = forms.ChoiceField(
        label=gettext_lazy("Counted in (base unit)"),
        choices=StockItem.Unit.choices,
        help_text=gettext_lazy("Stock, recipes and counts use this unit."),
    )
    purchase_unit = TextField(
        label=gettext_lazy("Bought by (purchase unit)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("kg, L, case of 24… Empty: the base unit."),
    )
    purchase_factor = TextField(
        label=gettext_lazy("Base units in one purchase unit"),
        max_length=20,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=gettext_lazy("Bought by the kg, counted in grams: 1000."),
    )
    cost = MoneyField(
        label=gettext_lazy("Cost per purchase unit"),
        initial="0",
        error_messages={"negative": gettext_lazy("Enter zero or more.")},
        help_text=gettext_lazy("What one purchase unit costs you, e.g. 250.000 for a kg of beans."),
    )
    default_supplier = forms.ModelChoiceField(label=gettext_lazy("Default supplier"), queryset=None, required=False)

    def __init__(self, *args, currency: str, item: StockItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost"].currency = currency
        self.fields["category"].queryset = item_selectors.stock_category_choices(
            include_pk=item.category_id if item else None
        )
        self.fields["default_supplier"].queryset = item_selectors.supplier_choices(
            include_pk=item.default_supplier_id if item else None
        )

    def clean_purchase_factor(self) -> Decimal:
        return _quantity(self.cleaned_data["purchase_factor"])

    def data_for_service(self) -> item_services.StockItemData:
        d = self.cleaned_data
        return item_services.StockItemData(
            name=d["name"],
            sku=d["sku"],
            barcode=d["barcode"],
            kind=d["kind"],
            category=d["category"],
            base_unit=d["base_unit"],
            purchase_unit=d["purchase_unit"],
            purchase_factor=d["purchase_factor"],
            cost_per_purchase_minor=d["cost"],
            default_supplier=d["default_supplier"],
        )


def _item_initial(item: StockItem, currency: str) -> dict:
    return {
        "name": item.name,
        "sku": item.sku,
        "barcode": item.barcode,
        "kind": item.kind,
        "category": item.category_id,
        "base_unit": item.base_unit,
        "purchase_unit": item.purchase_unit,
        "purchase_factor": format_quantity(item.purchase_factor),
        "cost": money_initial(item_services.cost_per_purchase_unit(item), currency),
        "default_supplier": item.default_supplier_id,
    }


class ReorderForm(forms.Form):
    """One reorder point and reorder quantity per active outlet (fields named by the outlet's pk)."""

    def __init__(self, *args, levels: list[item_selectors.OutletLevel], unit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = levels
        self.rows = []
        for row in levels:
            pk = row.outlet.pk
            for name, label, value in (
                ("reorder_point", _("Reorder point"), row.reorder_point),
                ("reorder_quantity", _("Reorder quantity"), row.reorder_quantity),
            ):
                self.fields[f"{name}_{pk}"] = TextField(
                    label=f"{label} ({unit}) – {row.outlet.name}",
                    max_length=20,
                    initial=format_quantity(value),
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            self.rows.append((row, self[f"reorder_point_{pk}"], self[f"reorder_quantity_{pk}"]))

    def clean(self):
        data = super().clean()
        for name in list(self.fields):
            if name in data:
                try:
                    data[name] = _quantity(data[name], allow_zero=True)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def settings(self) -> list[item_services.ReorderSetting]:
        d = self.cleaned_data
        return [
            item_services.ReorderSetting(
                outlet_id=row.outlet.pk,
                reorder_point=d[f"reorder_point_{row.outlet.pk}"],
                reorder_quantity=d[f"reorder_quantity_{row.outlet.pk}"],
            )
            for row in self.levels
        ]


def _int_or_none(text: str | None) -> int | None:
    return parsing.id_or_none(text)


@capability_required("stock.setup")
def stock_item_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in StockItem.Kind.values else ""
    category_id = _int_or_none(request.GET.get("category"))
    archived = request.GET.get("archived", "")
    archived = archived if archived in item_selectors.ARCHIVED_CHOICES else ""
    items = item_selectors.stock_item_list(query=query, kind=kind, category_id=category_id, archived=archived)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    for item in page:
        item.on_hand_text = format_quantity(item.on_hand)
    filters = {"q": query, "kind": kind, "category": category_id or "", "archived": archived}
    context = {
        "page": page,
        "filters": filters,
        "kinds": StockItem.Kind.choices,
        "categories": item_selectors.stock_category_choices(),
    }
    return render(request, "inventory/stock/items_list.html", context)


@capability_required("stock.setup")
def stock_item_create(request: HttpRequest) -> HttpResponse:
    currency = tenant_settings().currency
    initial = {"kind": StockItem.Kind.INGREDIENT, "base_unit": StockItem.Unit.PCS, "purchase_factor": "1", "cost": "0"}
    form = StockItemForm(request.POST or None, currency=currency, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = item_services.stock_item_create(data=form.data_for_service(), actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Added the stock item %(name)s.") % {"name": item.name})
            return redirect("inventory:stock_item_edit", pk=item.pk)
    return render(request, "inventory/stock/items_form.html", {"form": form}, status=_status(form))


@capability_required("stock.setup")
def stock_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The item's details, and its reorder settings and stock at each outlet (two forms, one page)."""
    item = item_selectors.stock_item_get(pk)
    if item is None:
        raise Http404
    currency = tenant_settings().currency
    section = request.POST.get("section") if request.method == "POST" else None
    levels = item_selectors.stock_item_levels(item)
    form = StockItemForm(
        request.POST if section == "item" else None, currency=currency, item=item, initial=_item_initial(item, currency)
    )
    reorder = ReorderForm(request.POST if section == "levels" else None, levels=levels, unit=item.base_unit)
    if section == "item" and form.is_valid():
        try:
            item_services.stock_item_update(item=item, data=form.data_for_service(), actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the stock item %(name)s.") % {"name": item.name})
            return redirect("inventory:stock_item_edit", pk=item.pk)
    elif section == "levels" and reorder.is_valid():
        try:
            item_services.stock_item_reorder_set(item=item, settings=reorder.settings())
        except ValidationError as exc:
            form_add_service_errors(reorder, exc)
        else:
            messages.success(request, _("Saved the reorder settings of %(name)s.") % {"name": item.name})
            return redirect("inventory:stock_item_edit", pk=item.pk)
    context = {
        "item": item,
        "form": form,
        "reorder": reorder,
        "cost_per_base": format_quantity(item.cost),
    }
    return render(request, "inventory/stock/items_form.html", context, status=_status(form, reorder))


@require_POST
@capability_required("stock.setup")
def stock_item_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST archives; POST with restore=1 brings the item back. Posting twice changes nothing more."""
    item = get_object_or_404(StockItem, pk=pk)
    restore = request.POST.get("restore") == "1"
    item_services.stock_item_archive(item=item, archived=not restore, actor=request.user)
    text = _("Restored %(name)s.") if restore else _("Archived %(name)s.")
    messages.success(request, text % {"name": item.name})
    if request.POST.get("back") == "list":
        return redirect("inventory:stock_item_list")
    return redirect("inventory:stock_item_edit", pk=item.pk)


# --- Recipes ----------------------------------------------------------------------------------------------------


class RecipeLineForm(forms.Form):
    """One new line of a recipe: the item by SKU (picked from a shared list), the quantity in its base unit,
    and for modifiers the item it replaces."""

    item = TextField(
        label=gettext_lazy("Item (SKU)"),
        max_length=40,
        widget=forms.TextInput(attrs={"list": "stock-items", "autocomplete": "off", "data-unit-source": ""}),
    )
    quantity = TextField(
        label=gettext_lazy("Quantity per unit sold"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    replaces = TextField(
        label=gettext_lazy("Replaces (SKU, optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "stock-items", "autocomplete": "off"}),
        help_text=gettext_lazy("Oat milk replaces milk. Leave the quantity empty to use the replaced item's."),
    )

    def __init__(self, *args, owner: str, allow_replaces: bool = False, **kwargs):
        super().__init__(*args, prefix=owner, **kwargs)
        self.owner = owner
        if not allow_replaces:
            del self.fields["replaces"]
        self.unit = ""

    def clean(self):
        data = super().clean()
        skus = [normalise_sku(data.get("item", "")), normalise_sku(data.get("replaces", ""))]
        found = recipe_selectors.recipe_items_by_sku(skus)
        for name, sku in zip(("item", "replaces"), skus, strict=True):
            if sku and sku not in found:
                self.add_error(name, _("No stock item has the SKU “%(sku)s”. Pick one from the list.") % {"sku": sku})
            data[name] = found.get(sku)
        if data["item"] is not None:
            self.unit = data["item"].base_unit
        text = data.get("quantity", "")
        if data.get("replaces") is not None and not (text or "").strip():
            data["quantity"] = Decimal(0)  # a swap without its own quantity: the replaced item's
        else:
            try:
                data["quantity"] = _quantity(text)
            except ValidationError as exc:
                self.add_error("quantity", exc)
        return data


def _with_quantities(components: list[RecipeComponent]) -> list[RecipeComponent]:
    for c in components:
        c.quantity_text = format_quantity(c.quantity)
    return components


def _component_remove(request: HttpRequest, component: RecipeComponent | None) -> None:
    if component is None or not recipe_services.recipe_component_remove(component=component, actor=request.user):
        messages.info(request, _("That line was already removed."))
    else:
        messages.success(request, _("Removed %(item)s from the recipe.") % {"item": component.item.name})


def _component_add(request: HttpRequest, form: RecipeLineForm, **owner) -> bool:
    if not form.is_valid():
        return False
    try:
        recipe_services.recipe_component_add(
            item=form.cleaned_data["item"],
            quantity=form.cleaned_data["quantity"],
            replaces=form.cleaned_data.get("replaces"),
            actor=request.user,
            **owner,
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return False
    messages.success(request, _("Added %(item)s.") % {"item": form.cleaned_data["item"].name})
    return True


@capability_required("stock.setup")
def recipe_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(recipe_selectors.recipe_product_list(query=query), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "groups": recipe_selectors.recipe_modifier_group_list()}
    return render(request, "inventory/stock/items_recipe_list.html", context)


@capability_required("stock.setup")
def recipe_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A product's recipe and each variant's. POST: action=add (owner "p" or "v<pk>"), remove, or track."""
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    owner = request.POST.get("owner", "") if action == "add" else ""
    bound = None
    if action == "track":
        try:
            item = item_services.stock_item_for_product(product=product, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(name)s is tracked as the stock item %(sku)s.") % {
                "name": product.name, "sku": item.sku})  # fmt: skip
        return redirect("inventory:recipe_edit", pk=product.pk)
    if action == "remove":
        component_pk = _int_or_none(request.POST.get("component"))
        component = (
            RecipeComponent.objects.select_related("item")
            .filter(pk=component_pk)
            .filter(Q(product=product) | Q(variant__product=product))
            .first()
        )
        _component_remove(request, component)
        return redirect("inventory:recipe_edit", pk=product.pk)
    if action == "add":
        if owner == "p":
            bound = RecipeLineForm(request.POST, owner="p")
            if _component_add(request, bound, product=product):
                return redirect("inventory:recipe_edit", pk=product.pk)
        else:
            variant_pk = _int_or_none(owner[1:]) if owner[:1] == "v" else None
            variant = recipe_selectors.product_variant_get(product, variant_pk)
            if variant is None:
                raise Http404
            bound = RecipeLineForm(request.POST, owner=owner)
            if _component_add(request, bound, variant=variant):
                return redirect("inventory:recipe_edit", pk=product.pk)
    recipe = recipe_selectors.product_recipe(product)
    _with_quantities(recipe.components)
    sections = [("p", product.name, None, recipe.components)]
    for variant in recipe.variants:
        sections.append((f"v{variant.pk}", variant.name, variant, _with_quantities(variant.components)))
    forms_ = [
        (key, name, variant, components, bound if bound and bound.owner == key else RecipeLineForm(owner=key))
        for key, name, variant, components in sections
    ]
    context = {
        "product": product,
        "recipe": recipe,
        "sections": forms_,
        "items": recipe_selectors.recipe_item_choices(),
    }
    return render(request, "inventory/stock/items_recipe_edit.html", context, status=_status(bound))


@capability_required("stock.setup")
def modifier_recipe_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """What each modifier of a group adds to or swaps in a sale. POST: action=add (owner "m<pk>") or remove."""
    group = get_object_or_404(ModifierGroup, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    bound = None
    if action == "remove":
        component = (
            RecipeComponent.objects.select_related("item")
            .filter(pk=_int_or_none(request.POST.get("component")), modifier__group=group)
            .first()
        )
        _component_remove(request, component)
        return redirect("inventory:modifier_recipe_edit", pk=group.pk)
    if action == "add":
        owner = request.POST.get("owner", "")
        modifier = recipe_selectors.group_modifier_get(group, _int_or_none(owner[1:]) if owner[:1] == "m" else None)
        if modifier is None:
            raise Http404
        bound = RecipeLineForm(request.POST, owner=owner, allow_replaces=True)
        if _component_add(request, bound, modifier=modifier):
            return redirect("inventory:modifier_recipe_edit", pk=group.pk)
    recipe = recipe_selectors.modifier_group_recipe(group)
    sections = []
    for modifier in recipe.modifiers:
        key = f"m{modifier.pk}"
        form = bound if bound is not None and bound.owner == key else RecipeLineForm(owner=key, allow_replaces=True)
        sections.append((key, modifier, _with_quantities(modifier.components), form))
    context = {"group": group, "sections": sections, "items": recipe_selectors.recipe_item_choices()}
    return render(request, "inventory/stock/items_modifier_recipe.html", context, status=_status(bound))


# --- Stock settings ---------------------------------------------------------------------------------------------


class StockSettingsForm(forms.Form):
    negative_stock = forms.ChoiceField(
        label=gettext_lazy("When a sale would take stock below zero"),
        choices=StockSettings.NegativeStock.choices,
    )
    cost_method = forms.ChoiceField(
        label=gettext_lazy("Cost method"),
        choices=StockSettings.CostMethod.choices,
        help_text=gettext_lazy("How receiving values stock: the weighted average, or the last price paid."),
    )
    staff_adjustment_approval = MoneyField(
        label=gettext_lazy("Cashiers and kitchen staff: a day's waste and corrections above this value wait for a "
                           "supervisor"),
        required=False,
        error_messages={"negative": gettext_lazy("Enter zero or more.")},
        help_text=gettext_lazy(
            "Counted per person and outlet over the whole business day, not per adjustment: ten small ones add up. "
            "0 (the safe default): every adjustment they report waits for a supervisor's approval. Empty: none "
            "waits."
        ),
    )  # fmt: skip
    adjustment_approval = MoneyField(
        label=gettext_lazy("Supervisors: a day's adjustments above this value wait for a second person"),
        required=False,
        error_messages={"negative": gettext_lazy("Enter zero or more.")},
        help_text=gettext_lazy(
            "Counted per person and outlet over the whole business day. 0: every adjustment waits for another "
            "supervisor or the owner. Empty: supervisors' adjustments never wait. Yours never wait."
        ),
    )
    low_stock_digest = forms.BooleanField(label=gettext_lazy("E-mail me a daily list of low stock"), required=False)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adjustment_approval"].currency = currency
        self.fields["staff_adjustment_approval"].currency = currency


@capability_required("stock.setup")
def stock_settings(request: HttpRequest) -> HttpResponse:
    currency = tenant_settings().currency
    current = stock_settings_get()
    initial = {
        "negative_stock": current.negative_stock,
        "cost_method": current.cost_method,
        "adjustment_approval": money_initial(current.adjustment_approval_minor, currency),
        "staff_adjustment_approval": money_initial(current.staff_adjustment_approval_minor, currency),
        "low_stock_digest": current.low_stock_digest,
    }
    form = StockSettingsForm(request.POST or None, currency=currency, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item_services.stock_settings_update(
                negative_stock=d["negative_stock"],
                cost_method=d["cost_method"],
                adjustment_approval_minor=d["adjustment_approval"],
                staff_adjustment_approval_minor=d["staff_adjustment_approval"],
                low_stock_digest=d["low_stock_digest"],
                actor=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the stock settings."))
            return redirect("inventory:stock_settings")
    return render(request, "inventory/stock/items_settings.html", {"form": form}, status=_status(form))
