"""The catalog's resources in the JSON API (`/api/v1/`, docs/api.md): thin views over catalog's services and
selectors, on the shared base of core/api.py (permission, idempotency, pagination, errors)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import outlet_filter
from business.selectors import outlet_for, tax_list, tenant_settings
from core.api import ApiView, api_object

from . import selectors, services

INT_MAX = 2**31 - 1  # a PositiveIntegerField's ceiling: larger is a 400, not a database error
ID_MAX = 2**63 - 1
MONEY_MAX = 2**63 - 1  # a bigint's ceiling; the services refuse anything above AMOUNT_MAX with their own message


class Catalog(ApiView):
    """The catalog's resources share one scope and its capabilities: whoever sells reads the menu; whoever edits
    the menu in the back office writes it."""

    api_resource = "catalog"
    api_capability_read = "till.use"
    api_capability_write = "catalog.edit"


class CategorySerializer(serializers.Serializer):
    """A menu category. Rules (a name is required, at most 80 characters...) are the catalog's services', as on
    the back-office page."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(trim_whitespace=False, allow_blank=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    is_archived = serializers.BooleanField(required=False, help_text=str(_("Hidden from the till.")))
    updated_at = serializers.DateTimeField(read_only=True)


CATEGORY_EXAMPLE = {"id": 3, "name": "Coffee", "sort_order": 1, "is_archived": False,
                    "updated_at": "2026-12-01T08:00:00Z"}  # fmt: skip
_category_examples = [
    OpenApiExample("Coffee", value=CATEGORY_EXAMPLE, response_only=True),
    OpenApiExample("New category", value={"name": "Coffee", "sort_order": 1}, request_only=True),
]


def _category_write(*, category, data: dict):
    """The one write path of POST and PATCH: name and order through category_update/create, archiving through
    category_archive, as the back-office page does."""
    if category is None:
        category = services.category_create(name=data["name"], sort_order=data.get("sort_order", 0))
    elif "name" in data or "sort_order" in data:
        category = services.category_update(category=category, name=data.get("name", category.name),
                                            sort_order=data.get("sort_order", category.sort_order))  # fmt: skip
    if "is_archived" in data and data["is_archived"] != category.is_archived:
        category = services.category_archive(category=category, archived=data["is_archived"])
    return category


class CategoryList(Catalog):
    """The menu's categories, archived ones included (`is_archived`)."""

    api_list = True
    serializer_class = CategorySerializer
    ordering = ("sort_order", "name")
    ordering_fields = ("id", "name", "sort_order", "updated_at")

    @extend_schema(summary="List categories", examples=_category_examples)
    def get(self, request):
        return self.paginated(selectors.category_list())

    @extend_schema(summary="Create a category", request=CategorySerializer, responses={201: CategorySerializer},
                   examples=_category_examples)  # fmt: skip
    def post(self, request):
        serializer = CategorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = _category_write(category=None, data=serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetail(Catalog):
    """One category."""

    serializer_class = CategorySerializer

    @extend_schema(summary="Read a category", examples=_category_examples)
    def get(self, request, pk: int):
        return Response(CategorySerializer(api_object(selectors.category_get, pk)).data)

    @extend_schema(summary="Change a category (name, order, archived)", examples=[
        _category_examples[0], OpenApiExample("Archive", value={"is_archived": True}, request_only=True)])  # fmt: skip
    def patch(self, request, pk: int):
        category = api_object(selectors.category_get, pk)
        serializer = CategorySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = _category_write(category=category, data=serializer.validated_data)
        return Response(CategorySerializer(category).data)


# --- Products and variants ----------------------------------------------------------------------------------------


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    sku = serializers.CharField(allow_blank=True, help_text="Unique across products and variants.")
    barcode = serializers.CharField(allow_blank=True, required=False, default="")
    price_minor = serializers.IntegerField(min_value=0, max_value=MONEY_MAX, help_text="In the currency's minor units.")
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    is_default = serializers.BooleanField(required=False, default=False, help_text="Preselected at the till.")
    is_archived = serializers.BooleanField(required=False)


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    category_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    sku = serializers.CharField(allow_blank=True, help_text="Unique across products and variants.")
    barcode = serializers.CharField(allow_blank=True, required=False, default="")
    price_minor = serializers.IntegerField(min_value=0, max_value=MONEY_MAX, help_text="In the currency's minor units.")
    currency = serializers.CharField(read_only=True, help_text="ISO 4217 code of every *_minor amount.")
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    is_archived = serializers.BooleanField(required=False)
    tax_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=ID_MAX), required=False)
    modifier_group_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), required=False, max_length=50,
        help_text="Asked when the product is sold, in this order.",
    )  # fmt: skip
    variants = VariantSerializer(many=True, read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


def _product_data(product, currency: str) -> dict:
    return {
        "id": product.pk,
        "category_id": product.category_id,
        "name": product.name,
        "description": product.description,
        "sku": product.sku,
        "barcode": product.barcode,
        "price_minor": product.price_minor,
        "currency": currency,
        "sort_order": product.sort_order,
        "is_archived": product.is_archived,
        "tax_ids": sorted(tax.pk for tax in product.taxes.all()),
        "modifier_group_ids": [link.group_id for link in product.product_modifier_groups.all()],
        "variants": VariantSerializer(product.variants.all(), many=True).data,
        "updated_at": product.updated_at,
    }


VARIANT_EXAMPLE = {"id": 21, "product_id": 7, "name": "Large", "sku": "LATTE-L", "barcode": "", "price_minor": 32000,
                   "sort_order": 1, "is_default": False, "is_archived": False}  # fmt: skip
PRODUCT_EXAMPLE = {
    "id": 7, "category_id": 3, "name": "Caffè latte", "description": "", "sku": "LATTE", "barcode": "8991234567890",
    "price_minor": 28000, "currency": "IDR", "sort_order": 0, "is_archived": False, "tax_ids": [1],
    "modifier_group_ids": [2], "variants": [VARIANT_EXAMPLE], "updated_at": "2026-12-01T08:00:00Z",
}  # fmt: skip
_product_examples = [
    OpenApiExample("Latte", value=PRODUCT_EXAMPLE, response_only=True),
    OpenApiExample("New product", request_only=True,
                   value={"category_id": 3, "name": "Caffè latte", "sku": "LATTE", "price_minor": 28000}),
]  # fmt: skip


def _refused(field: str, message) -> serializers.ValidationError:
    """A reference the serializer could not check (no such category...): the same 400 `invalid` as its own."""
    return serializers.ValidationError({field: [message]})


def _category_of(data: dict, current=None):
    if "category_id" not in data:
        return current
    category = selectors.category_get(pk=data["category_id"])
    if category is None:
        raise _refused("category_id", _("No such category."))
    return category


def _taxes_of(data: dict):
    if "tax_ids" not in data:
        return None
    ids = set(data["tax_ids"])
    taxes = list(tax_list(active_only=False).filter(pk__in=ids))
    if len(taxes) != len(ids):
        raise _refused("tax_ids", _("No such tax."))
    return taxes


def _groups_of(data: dict):
    if "modifier_group_ids" not in data:
        return None
    groups = selectors.modifier_groups_in_order(ids=data["modifier_group_ids"])
    if groups is None:
        raise _refused("modifier_group_ids", _("No such modifier group."))
    return groups


def _product_write(*, product, data: dict, actor):
    """POST and PATCH: the product's fields through product_create/product_update (a price change audited),
    archiving through product_archive/unarchive, modifier groups through product_set_modifier_groups: the
    services the back-office pages call, in the request's one transaction."""
    category, taxes, groups = _category_of(data, getattr(product, "category", None)), _taxes_of(data), _groups_of(data)
    fields = ("name", "description", "sku", "barcode", "price_minor", "sort_order")
    if product is None:
        product = services.product_create(category=category, taxes=taxes,
                                          **{f: data[f] for f in fields if f in data})  # fmt: skip
    elif any(f in data for f in (*fields, "category_id", "tax_ids")):
        values = {f: data.get(f, getattr(product, f)) for f in fields}
        product = services.product_update(product=product, actor=actor, category=category, taxes=taxes, **values)
    if groups is not None:
        services.product_set_modifier_groups(product=product, groups=groups)
    if "is_archived" in data and data["is_archived"] != product.is_archived:
        (services.product_archive if data["is_archived"] else services.product_unarchive)(product=product)
    return product


class ProductList(Catalog):
    """The menu's products with their variants (archived ones included: `is_archived`). `?category=` narrows to
    one category."""

    api_list = True
    serializer_class = ProductSerializer
    ordering = ("id",)
    ordering_fields = ("id", "name", "sku", "sort_order", "price_minor", "updated_at")

    @extend_schema(summary="List products", examples=_product_examples)
    def get(self, request):
        products = selectors.product_catalog()
        category = request.query_params.get("category")
        if category is not None:
            if not category.isdigit() or int(category) > ID_MAX:
                raise _refused("category", _("Give a category id."))
            products = products.filter(category_id=int(category))
        queryset = self.filter_queryset(products)
        page = self.paginate_queryset(queryset)
        currency = tenant_settings().currency
        return self.get_paginated_response([_product_data(p, currency) for p in page])

    @extend_schema(summary="Create a product", request=ProductSerializer, responses={201: ProductSerializer},
                   examples=_product_examples)  # fmt: skip
    def post(self, request):
        form = ProductSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        product = _product_write(product=None, data=form.validated_data, actor=request.user)
        product = selectors.product_catalog().get(pk=product.pk)
        return Response(_product_data(product, tenant_settings().currency), status=status.HTTP_201_CREATED)


class ProductDetail(Catalog):
    """One product with its variants, taxes and modifier groups."""

    serializer_class = ProductSerializer

    @extend_schema(summary="Read a product", examples=_product_examples)
    def get(self, request, pk: int):
        product = api_object(lambda pk: selectors.product_catalog().filter(pk=pk).first(), pk)
        return Response(_product_data(product, tenant_settings().currency))

    @extend_schema(summary="Change a product (any of its fields, its modifier groups, archived)",
                   examples=[_product_examples[0], OpenApiExample("New price", request_only=True,
                                                                  value={"price_minor": 30000})])  # fmt: skip
    def patch(self, request, pk: int):
        product = api_object(selectors.product_get, pk)
        form = ProductSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        _product_write(product=product, data=form.validated_data, actor=request.user)
        product = selectors.product_catalog().get(pk=product.pk)
        return Response(_product_data(product, tenant_settings().currency))


def _variant_write(*, product=None, variant=None, data: dict, actor):
    fields = ("name", "sku", "barcode", "price_minor", "sort_order")
    if variant is None:
        variant = services.variant_create(product=product, is_default=data.get("is_default", False),
                                          **{f: data[f] for f in fields if f in data})  # fmt: skip
    elif any(f in data for f in (*fields, "is_default")):
        values = {f: data.get(f, getattr(variant, f)) for f in fields}
        variant = services.variant_update(variant=variant, actor=actor, is_default=data.get("is_default"), **values)
    if "is_archived" in data and data["is_archived"] != variant.is_archived:
        variant = services.variant_archive(variant=variant, archived=data["is_archived"])
    return variant


_variant_examples = [
    OpenApiExample("Large", value=VARIANT_EXAMPLE, response_only=True),
    OpenApiExample("New size", request_only=True, value={"name": "Large", "sku": "LATTE-L", "price_minor": 32000}),
]


class ProductVariantCreate(Catalog):
    """Add a size or kind to a product."""

    serializer_class = VariantSerializer

    @extend_schema(summary="Add a variant", request=VariantSerializer, responses={201: VariantSerializer},
                   examples=_variant_examples)  # fmt: skip
    def post(self, request, pk: int):
        product = api_object(selectors.product_get, pk)
        form = VariantSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        variant = _variant_write(product=product, data=form.validated_data, actor=request.user)
        return Response(VariantSerializer(variant).data, status=status.HTTP_201_CREATED)


class VariantDetail(Catalog):
    """One variant of a product."""

    serializer_class = VariantSerializer

    @extend_schema(summary="Read a variant", examples=_variant_examples)
    def get(self, request, pk: int):
        return Response(VariantSerializer(api_object(selectors.variant_get, pk)).data)

    @extend_schema(summary="Change a variant (any of its fields, default, archived)", examples=_variant_examples)
    def patch(self, request, pk: int):
        variant = api_object(selectors.variant_get, pk)
        form = VariantSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        return Response(VariantSerializer(_variant_write(variant=variant, data=form.validated_data,
                                                         actor=request.user)).data)  # fmt: skip


# --- Modifier groups ----------------------------------------------------------------------------------------------


class ModifierSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                  help_text="Give it to change a modifier; leave it out to add one.")  # fmt: skip
    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    price_delta_minor = serializers.IntegerField(min_value=0, max_value=MONEY_MAX, default=0)
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    is_archived = serializers.BooleanField(required=False, default=False)


class ModifierGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    min_choices = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    max_choices = serializers.IntegerField(min_value=0, max_value=32767, default=1)
    sort_order = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    is_archived = serializers.BooleanField(required=False, default=False)
    modifiers = ModifierSerializer(many=True, required=False, max_length=100,
                                   help_text="Modifiers not listed in a change are left as they are.")  # fmt: skip
    updated_at = serializers.DateTimeField(read_only=True)


GROUP_EXAMPLE = {
    "id": 2, "name": "Milk", "min_choices": 0, "max_choices": 1, "sort_order": 0, "is_archived": False,
    "modifiers": [{"id": 5, "name": "Oat milk", "price_delta_minor": 5000, "sort_order": 0, "is_archived": False}],
    "updated_at": "2026-12-01T08:00:00Z",
}  # fmt: skip
_group_examples = [
    OpenApiExample("Milk", value=GROUP_EXAMPLE, response_only=True),
    OpenApiExample("New group", request_only=True,
                   value={"name": "Milk", "modifiers": [{"name": "Oat milk", "price_delta_minor": 5000}]}),
]  # fmt: skip


def _specs(modifiers: list[dict]) -> list[services.ModifierSpec]:
    return [
        services.ModifierSpec(name=m["name"], price_delta_minor=m.get("price_delta_minor", 0),
                              sort_order=m.get("sort_order"), is_archived=m.get("is_archived", False), pk=m.get("id"))
        for m in modifiers
    ]  # fmt: skip


class ModifierGroupList(Catalog):
    """Modifier groups (milk, sugar, toppings) with their modifiers, archived ones included."""

    api_list = True
    serializer_class = ModifierGroupSerializer
    ordering = ("id",)
    ordering_fields = ("id", "name", "sort_order", "updated_at")

    @extend_schema(summary="List modifier groups", examples=_group_examples)
    def get(self, request):
        return self.paginated(selectors.modifier_groups_with_modifiers())

    @extend_schema(summary="Create a modifier group", request=ModifierGroupSerializer,
                   responses={201: ModifierGroupSerializer}, examples=_group_examples)  # fmt: skip
    def post(self, request):
        form = ModifierGroupSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if any("id" in m for m in data.get("modifiers", ())):
            raise _refused("modifiers", _("A new group's modifiers are new: leave their ids out."))
        group = services.modifier_group_create(
            name=data["name"], min_choices=data["min_choices"], max_choices=data["max_choices"],
            sort_order=data["sort_order"], modifiers=_specs(data.get("modifiers", [])),
        )  # fmt: skip
        if data.get("is_archived"):
            group = services.modifier_group_update(group=group, name=group.name, min_choices=group.min_choices,
                                                   max_choices=group.max_choices, sort_order=group.sort_order,
                                                   is_archived=True)  # fmt: skip
        group = selectors.modifier_group_get(pk=group.pk)
        return Response(ModifierGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class ModifierGroupDetail(Catalog):
    """One modifier group with its modifiers."""

    serializer_class = ModifierGroupSerializer

    @extend_schema(summary="Read a modifier group", examples=_group_examples)
    def get(self, request, pk: int):
        return Response(ModifierGroupSerializer(api_object(selectors.modifier_group_get, pk)).data)

    @extend_schema(summary="Change a modifier group and its modifiers", examples=_group_examples)
    def patch(self, request, pk: int):
        group = api_object(selectors.modifier_group_get, pk)
        form = ModifierGroupSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.modifier_group_update(
            group=group,
            name=data.get("name", group.name),
            min_choices=data.get("min_choices", group.min_choices),
            max_choices=data.get("max_choices", group.max_choices),
            sort_order=data.get("sort_order", group.sort_order),
            is_archived=data.get("is_archived", group.is_archived),
            modifiers=_specs(data.get("modifiers", [])),
        )
        return Response(ModifierGroupSerializer(selectors.modifier_group_get(pk=group.pk)).data)


# --- Per-outlet price and availability ----------------------------------------------------------------------------


class OutletPriceSerializer(serializers.Serializer):
    outlet_id = serializers.IntegerField(read_only=True)
    variant_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=ID_MAX,
        help_text="A variant of the product, or null for the product itself.",
    )  # fmt: skip
    price_minor = serializers.IntegerField(allow_null=True, min_value=0, max_value=MONEY_MAX,
                                           help_text="The outlet's price, or null for the catalog's.")  # fmt: skip
    is_available = serializers.BooleanField(help_text="False: sold out at this outlet.")


OUTLET_EXAMPLE = {"outlet_id": 1, "variant_id": None, "price_minor": 30000, "is_available": True}


class ProductOutletList(Catalog):
    """What each outlet does differently for this product: its own price, or not selling it ("86'd"). Outlets
    not listed sell it at the catalog's price. Only the outlets the caller works at are listed."""

    @extend_schema(summary="List a product's outlet prices", responses={200: OutletPriceSerializer(many=True)},
                   examples=[OpenApiExample("At one outlet", value=[OUTLET_EXAMPLE], response_only=True)])  # fmt: skip
    def get(self, request, pk: int):
        product = api_object(selectors.product_get, pk)
        overrides = outlet_filter(selectors.outlet_overrides(product=product), request.user)  # one's outlets only
        return Response([{"outlet_id": o.outlet_id, "variant_id": o.variant_id, "price_minor": o.price_minor,
                          "is_available": o.is_available} for o in overrides])  # fmt: skip


class ProductOutletSet(Catalog):
    """Set one outlet's price and availability for the product (or one variant). The catalog's price and
    available removes the outlet's own line. A price change is audited, as on the back-office page."""

    @extend_schema(summary="Set an outlet's price and availability", request=OutletPriceSerializer,
                   responses={200: OutletPriceSerializer},
                   examples=[OpenApiExample("Dearer here", value=OUTLET_EXAMPLE)])  # fmt: skip
    def put(self, request, pk: int, outlet_id: int):
        product = api_object(selectors.product_get, pk)
        outlet = outlet_for(request.user, outlet_id if outlet_id <= ID_MAX else 0)
        form = OutletPriceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        variant = None
        if data.get("variant_id") is not None:
            variant = selectors.variant_get(pk=data["variant_id"])
            if variant is None:
                raise _refused("variant_id", _("No such variant."))
        services.outlet_override_set(outlet=outlet, product=product, variant=variant, price_minor=data["price_minor"],
                                     is_available=data["is_available"], actor=request.user)  # fmt: skip
        return Response({"outlet_id": outlet.pk, "variant_id": variant.pk if variant else None,
                         "price_minor": data["price_minor"], "is_available": data["is_available"]})  # fmt: skip


urlpatterns = [
    path("categories/", CategoryList.as_view(), name="category-list"),
    path("categories/<int:pk>/", CategoryDetail.as_view(), name="category-detail"),
    path("products/", ProductList.as_view(), name="product-list"),
    path("products/<int:pk>/", ProductDetail.as_view(), name="product-detail"),
    path("products/<int:pk>/variants/", ProductVariantCreate.as_view(), name="product-variant-create"),
    path("products/<int:pk>/outlets/", ProductOutletList.as_view(), name="product-outlet-list"),
    path("products/<int:pk>/outlets/<int:outlet_id>/", ProductOutletSet.as_view(), name="product-outlet-set"),
    path("variants/<int:pk>/", VariantDetail.as_view(), name="variant-detail"),
    path("modifier-groups/", ModifierGroupList.as_view(), name="modifier-group-list"),
    path("modifier-groups/<int:pk>/", ModifierGroupDetail.as_view(), name="modifier-group-detail"),
]
