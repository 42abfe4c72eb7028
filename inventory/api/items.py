"""Stock items, stock levels per outlet, the movement ledger and suppliers in the JSON API (read; items also
written), over inventory's selectors and the item services the back-office pages call."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from catalog.models import Category

from ..models import StockItem, StockMovement
from ..selectors import items as item_selectors
from ..selectors import purchasing as purchasing_selectors
from ..selectors import stock_reports
from ..services import items as item_services
from .common import (
    ID_MAX,
    DecimalText,
    StockApiView,
    currency,
    not_found,
    query_bool,
    query_choice,
    query_id,
    query_outlet,
)

# --- Stock items ----------------------------------------------------------------------------------------------


class ItemLevelSerializer(serializers.Serializer):
    outlet = serializers.IntegerField(source="outlet.pk")
    quantity = DecimalText()
    reorder_point = DecimalText()
    reorder_quantity = DecimalText()


class StockItemSerializer(serializers.Serializer):
    """A stock item. Quantities are in its base unit; it is bought in `purchase_unit`, holding `purchase_factor`
    base units. Its cost is kept per base unit in minor units with six decimals (a gram of coffee costs a fraction
    of a cent), as a string; `cost_per_purchase_unit_minor` is the same rounded to a whole minor unit per purchase
    unit, as the back office shows it."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200, allow_blank=True)
    sku = serializers.CharField(max_length=80, allow_blank=True)
    barcode = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=StockItem.Kind.choices, default=StockItem.Kind.INGREDIENT)
    category = serializers.IntegerField(source="category_id", required=False, allow_null=True, min_value=1,
                                        max_value=ID_MAX, default=None)  # fmt: skip
    base_unit = serializers.ChoiceField(choices=StockItem.Unit.choices, default=StockItem.Unit.PCS)
    purchase_unit = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    purchase_factor = serializers.DecimalField(max_digits=30, decimal_places=10, default=Decimal(1),
                                               coerce_to_string=True)  # fmt: skip
    cost_per_purchase_unit_minor = serializers.IntegerField(min_value=0, default=0)
    cost_per_base_unit_minor = DecimalText(source="cost")
    currency = serializers.SerializerMethodField()
    default_supplier = serializers.IntegerField(source="default_supplier_id", required=False, allow_null=True,
                                                min_value=1, max_value=ID_MAX, default=None)  # fmt: skip
    product = serializers.IntegerField(source="product_id", read_only=True, allow_null=True)
    is_archived = serializers.BooleanField(required=False, default=False)
    on_hand = DecimalText(
        places=3, help_text="Across every outlet (lists only; the item's levels are on its own page)."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_currency(self, item) -> str:
        return self.context["currency"]

    def to_representation(self, item):
        data = super().to_representation(item)
        data["cost_per_purchase_unit_minor"] = item_services.cost_per_purchase_unit(item)
        data["purchase_factor"] = f"{item.purchase_factor:f}"  # as stored (three decimals), not the input's ten
        return data


class StockItemDetailSerializer(StockItemSerializer):
    levels = serializers.SerializerMethodField()

    def get_levels(self, item) -> list[dict]:
        return ItemLevelSerializer(item_selectors.stock_item_levels(item), many=True).data


ITEM_EXAMPLE = {
    "id": 7, "name": "Espresso beans", "sku": "BEANS", "barcode": "", "kind": "ingredient", "category": None,
    "base_unit": "g", "purchase_unit": "kg", "purchase_factor": "1000.000", "cost_per_purchase_unit_minor": 250000,
    "cost_per_base_unit_minor": "250.000000", "currency": "IDR", "default_supplier": 2, "product": None,
    "is_archived": False, "on_hand": "12500.000", "created_at": "2026-11-20T08:00:00Z",
    "updated_at": "2026-12-01T08:00:00Z",
}  # fmt: skip
_item_examples = [
    OpenApiExample("Beans", value=ITEM_EXAMPLE, response_only=True),
    OpenApiExample("New item", request_only=True, value={
        "name": "Espresso beans", "sku": "BEANS", "kind": "ingredient", "base_unit": "g", "purchase_unit": "kg",
        "purchase_factor": "1000", "cost_per_purchase_unit_minor": 250000}),
]  # fmt: skip


def _item_data(values: dict, item: StockItem | None) -> item_services.StockItemData:
    """The service's input from the request, each field left as the item has it where PATCH does not send it."""

    def given(name: str, current):
        return values.get(name, current)

    category_id = given("category_id", item.category_id if item else None)
    supplier_id = given("default_supplier_id", item.default_supplier_id if item else None)
    errors: dict[str, list[str]] = {}
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    if category_id and category is None:
        errors["category"] = [str(_("There is no such category."))]
    supplier = purchasing_selectors.supplier_get(supplier_id) if supplier_id else None
    if supplier_id and supplier is None:
        errors["default_supplier"] = [str(_("There is no such supplier."))]
    if errors:
        raise serializers.ValidationError(errors)
    return item_services.StockItemData(
        name=given("name", item.name if item else ""),
        sku=given("sku", item.sku if item else ""),
        kind=given("kind", item.kind if item else StockItem.Kind.INGREDIENT),
        base_unit=given("base_unit", item.base_unit if item else StockItem.Unit.PCS),
        purchase_unit=given("purchase_unit", item.purchase_unit if item else ""),
        purchase_factor=given("purchase_factor", item.purchase_factor if item else Decimal(1)),
        cost_per_purchase_minor=given(
            "cost_per_purchase_unit_minor", item_services.cost_per_purchase_unit(item) if item else 0
        ),
        barcode=given("barcode", item.barcode if item else ""),
        category=category,
        default_supplier=supplier,
    )


def _item_with_on_hand(pk: int) -> StockItem | None:
    """One item as the list shows it (with its total on hand), archived or not."""
    return item_selectors.stock_item_list(archived="all").filter(pk=pk).first()


def _item_or_404(pk: int) -> StockItem:
    item = _item_with_on_hand(pk)
    if item is None:
        raise not_found()
    return item


class _ItemView(StockApiView):
    api_resource = "stock_items"
    api_capability_read = "stock.view"
    api_capability_write = "stock.setup"
    serializer_class = StockItemSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "currency": currency()}


class StockItemList(_ItemView):
    api_list = True
    ordering = ("id",)
    ordering_fields = ("id", "name", "sku", "updated_at")

    @extend_schema(
        summary="List stock items",
        parameters=[
            OpenApiParameter("q", str, description="Name, SKU or barcode contains."),
            OpenApiParameter("kind", str, enum=StockItem.Kind.values),
            OpenApiParameter(
                "archived",
                str,
                enum=["", "archived", "all"],
                description="Active items only (default), archived ones, or all.",
            ),
        ],  # fmt: skip
        examples=_item_examples,
    )
    def get(self, request):
        """Stock items with their total on hand across outlets, active ones unless `archived` says otherwise;
        `q` searches name, SKU and barcode."""
        items = item_selectors.stock_item_list(
            query=(request.query_params.get("q") or "")[:100],
            kind=query_choice(request, "kind", StockItem.Kind.values),
            archived=query_choice(request, "archived", ("archived", "all")),
        )
        return self.paginated(items)

    @extend_schema(summary="Create a stock item", request=StockItemSerializer,
                   responses={201: StockItemDetailSerializer}, examples=_item_examples)  # fmt: skip
    def post(self, request):
        """A new stock item, checked by the same rules as the back-office form (SKU unique and upper-cased,
        units, a positive purchase factor, a cost of zero or more); audited."""
        serializer = StockItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        item = item_services.stock_item_create(data=_item_data(values, None), actor=request.user)
        if values.get("is_archived"):
            item = item_services.stock_item_archive(item=item, archived=True, actor=request.user)
        item = _item_with_on_hand(item.pk)
        body = StockItemDetailSerializer(item, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class StockItemDetail(_ItemView):
    serializer_class = StockItemDetailSerializer

    @extend_schema(summary="Read a stock item, with its level at every outlet", examples=_item_examples)
    def get(self, request, pk: int):
        """One stock item with its level (quantity and reorder settings) at every open outlet."""
        return Response(StockItemDetailSerializer(_item_or_404(pk), context=self.get_serializer_context()).data)

    @extend_schema(summary="Change a stock item (any of its fields; is_archived archives or restores it)",
                   request=StockItemSerializer, examples=_item_examples)  # fmt: skip
    def patch(self, request, pk: int):
        """Change any of the item's fields; fields left out keep their value. A changed cost is audited;
        `is_archived` archives or restores it. Quantities never change here: stock moves only through
        adjustments, transfers, receiving and sales."""
        item = _item_or_404(pk)
        serializer = StockItemSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        actor = request.user
        if set(values) - {"is_archived"}:
            item = item_services.stock_item_update(item=item, data=_item_data(values, item), actor=actor)
        if "is_archived" in values:
            item = item_services.stock_item_archive(item=item, archived=values["is_archived"], actor=actor)
        item = _item_with_on_hand(item.pk)
        return Response(StockItemDetailSerializer(item, context=self.get_serializer_context()).data)


# --- Stock levels ---------------------------------------------------------------------------------------------


class StockLevelSerializer(serializers.Serializer):
    """What an outlet holds of an item: always the sum of the item's movements there. `status` is "ok", "low" (at
    or below a reorder point that is set) or "negative"; `value_minor` is quantity × the item's cost, rounded once."""

    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    sku = serializers.CharField(source="item.sku")
    name = serializers.CharField(source="item.name")
    base_unit = serializers.CharField(source="item.base_unit")
    outlet = serializers.IntegerField(source="outlet_id")
    quantity = DecimalText()
    reorder_point = DecimalText()
    reorder_quantity = DecimalText()
    status = serializers.SerializerMethodField()
    value_minor = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_status(self, level) -> str:
        return stock_reports.level_status(level)

    def get_value_minor(self, level) -> int:
        return stock_reports.level_value_minor(level)

    def get_currency(self, level) -> str:
        return self.context["currency"]


LEVEL_EXAMPLE = {
    "id": 31, "item": 7, "sku": "BEANS", "name": "Espresso beans", "base_unit": "g", "outlet": 1,
    "quantity": "1800.000", "reorder_point": "2000.000", "reorder_quantity": "5000.000", "status": "low",
    "value_minor": 450000, "currency": "IDR", "updated_at": "2026-12-01T08:00:00Z",
}  # fmt: skip


class StockLevelList(StockApiView):
    api_list = True
    api_resource = "stock_levels"
    api_capability_read = "stock.view"
    api_capability_write = "stock.adjust"  # nothing is written here: levels move only through the ledger
    serializer_class = StockLevelSerializer
    ordering = ("id",)
    ordering_fields = ("id", "updated_at")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "currency": currency()}

    @extend_schema(
        summary="List stock levels (item × outlet) at the outlets you work at",
        parameters=[
            OpenApiParameter("outlet", int),
            OpenApiParameter("item", int),
            OpenApiParameter(
                "below_reorder", bool, description="Only levels at or below their reorder point, or below zero."
            ),
        ],  # fmt: skip
        examples=[OpenApiExample("Low beans", value=LEVEL_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        """Each item's level at each outlet you work at: always the sum of its movements there. Filter by
        outlet, item or `below_reorder`; sync with `updated_since`."""
        levels = stock_reports.stock_on_hand(
            outlet_id=query_outlet(request),
            item_id=query_id(request, "item"),
            below_reorder=query_bool(request, "below_reorder"),
            user=request.user,
        )
        return self.paginated(levels)


# --- Movements --------------------------------------------------------------------------------------------------


class MovementSerializer(serializers.Serializer):
    """One change of stock, never edited. `quantity` is signed (+ in, − out) in the item's base unit and
    `balance_after` is the level right after it; `source_type`/`source_id` name the document it came from ("order",
    "transfer", "adjustment", "receipt", "count")."""

    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    sku = serializers.CharField(source="item.sku")
    outlet = serializers.IntegerField(source="outlet_id")
    kind = serializers.ChoiceField(choices=StockMovement.Kind.choices)
    quantity = DecimalText()
    balance_after = DecimalText()
    unit_cost_minor = DecimalText(source="unit_cost", help_text="Minor units per base unit, six decimals.")
    value_minor = serializers.IntegerField()
    currency = serializers.SerializerMethodField()
    reason = serializers.CharField()
    note = serializers.CharField()
    user = serializers.IntegerField(source="user_id", allow_null=True)
    source_type = serializers.CharField()
    source_id = serializers.IntegerField(allow_null=True)
    source_line_id = serializers.IntegerField(allow_null=True)
    went_negative = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_currency(self, movement) -> str:
        return self.context["currency"]


MOVEMENT_EXAMPLE = {
    "id": 901, "item": 7, "sku": "BEANS", "outlet": 1, "kind": "sale", "quantity": "-18.000",
    "balance_after": "1800.000", "unit_cost_minor": "250.000000", "value_minor": -4500, "currency": "IDR",
    "reason": "", "note": "", "user": 4, "source_type": "order", "source_id": 5521, "source_line_id": 8810,
    "went_negative": False, "created_at": "2026-12-01T08:00:00Z",
}  # fmt: skip


class MovementList(StockApiView):
    api_list = True
    api_resource = "stock_movements"
    api_capability_read = "stock.view"
    api_capability_write = "stock.adjust"  # read-only: the ledger is written by the stock services alone
    serializer_class = MovementSerializer
    # The ledger only grows: a client syncs by the moment a movement was made (`updated_since` reads created_at).
    updated_since_field = "created_at"
    ordering = ("id",)
    ordering_fields = ("id",)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "currency": currency()}

    @extend_schema(
        summary="List stock movements (the ledger) at the outlets you work at",
        parameters=[
            OpenApiParameter("item", int),
            OpenApiParameter("outlet", int),
            OpenApiParameter("kind", str, enum=StockMovement.Kind.values),
            OpenApiParameter("date_from", str, description="First day (YYYY-MM-DD, the business's time zone)."),
            OpenApiParameter("date_to", str, description="Last day, included."),
        ],
        examples=[OpenApiExample("A sale", value=MOVEMENT_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        """The ledger: every change of stock at the outlets you work at, oldest first (`ordering=-id` for
        newest first), never edited. Filter by item, outlet, kind and days; sync with `updated_since` (a
        movement's moment)."""
        serializer = _DateRange(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        movements = stock_reports.movement_history(
            item_id=query_id(request, "item"),
            outlet_id=query_outlet(request),
            kind=query_choice(request, "kind", StockMovement.Kind.values),
            date_from=serializer.validated_data.get("date_from"),
            date_to=serializer.validated_data.get("date_to"),
            user=request.user,
        )
        return self.paginated(movements)


class _DateRange(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if "date_from" in attrs and "date_to" in attrs and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("The last day comes before the first.")]})
        return attrs


# --- Suppliers --------------------------------------------------------------------------------------------------


class SupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    contact_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    notes = serializers.CharField()
    is_archived = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


SUPPLIER_EXAMPLE = {
    "id": 2, "name": "Kopi Jaya", "contact_name": "Budi", "email": "orders@kopijaya.example", "phone": "",
    "notes": "", "is_archived": False, "updated_at": "2026-12-01T08:00:00Z",
}  # fmt: skip
_supplier_examples = [OpenApiExample("Kopi Jaya", value=SUPPLIER_EXAMPLE, response_only=True)]


class _SupplierView(StockApiView):
    api_resource = "suppliers"
    api_capability_read = "stock.purchase"
    api_capability_write = "stock.purchase"
    serializer_class = SupplierSerializer


class SupplierList(_SupplierView):
    api_list = True
    ordering = ("id",)
    ordering_fields = ("id", "name", "updated_at")

    @extend_schema(summary="List suppliers", parameters=[OpenApiParameter("archived", bool)],
                   examples=_supplier_examples)  # fmt: skip
    def get(self, request):
        """Suppliers, active and archived unless `archived` says which."""
        archived = request.query_params.get("archived")
        return self.paginated(purchasing_selectors.supplier_list(
            archived=None if archived is None else query_bool(request, "archived")))  # fmt: skip


class SupplierDetail(_SupplierView):
    @extend_schema(summary="Read a supplier", examples=_supplier_examples)
    def get(self, request, pk: int):
        """One supplier."""
        supplier = purchasing_selectors.supplier_get(pk)
        if supplier is None:
            raise not_found()
        return Response(SupplierSerializer(supplier).data)
