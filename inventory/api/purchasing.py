"""Purchase orders and their deliveries in the JSON API, through inventory/services/purchasing.py.

draft → sent → partly received → received, or cancelled while nothing has arrived. Quantities are in each item's
purchase unit; costs are whole minor units per purchase unit (`unit_cost_minor`), read by the same service as the
order form's typed amounts. Each delivery (`receive`) is a goods receipt: partial deliveries are the rule, more
than is still to come is refused unless `allow_over` says the supplier really delivered more."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import outlet_allowed, outlet_filter
from core.api import service_idempotency_key
from pos_project.errors import ServiceError
from pos_project.money import from_minor, round_minor

from ..models import GoodsReceipt, PurchaseOrder, PurchaseOrderLine
from ..selectors import purchasing as selectors
from ..services import purchasing as services
from .common import (
    ID_MAX,
    DecimalText,
    QuantityField,
    StockApiView,
    clean_note,
    currency,
    not_found,
    outlet_of,
    query_choice,
    query_id,
    query_outlet,
)

Status = PurchaseOrder.Status
MINOR_MAX = 10**18  # larger is refused here, before any sum; the service refuses anything above its own ceiling


class POLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    sku = serializers.CharField(source="item.sku")
    quantity = DecimalText(help_text="Ordered, purchase units.")
    quantity_received = DecimalText()
    outstanding = serializers.SerializerMethodField(help_text="Still to come, purchase units.")
    unit_cost_minor = serializers.SerializerMethodField(help_text="Per purchase unit, rounded to a minor unit.")
    total_minor = serializers.SerializerMethodField()

    def get_outstanding(self, line) -> str:
        return f"{selectors.outstanding(line):f}"

    def get_unit_cost_minor(self, line) -> int:
        return round_minor(line.unit_cost)

    def get_total_minor(self, line) -> int:
        return round_minor(line.quantity * line.unit_cost)


class PurchaseOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    supplier = serializers.IntegerField(source="supplier_id")
    outlet = serializers.IntegerField(source="outlet_id")
    status = serializers.ChoiceField(choices=Status.choices)
    expected_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    total_minor = serializers.SerializerMethodField(help_text="The lines' totals added up (each rounded once).")
    currency = serializers.SerializerMethodField()
    lines = POLineSerializer(many=True, source="api_lines")

    def get_total_minor(self, po) -> int:
        return sum(round_minor(line.quantity * line.unit_cost) for line in po.api_lines)

    def get_currency(self, po) -> str:
        return self.context["currency"]


class POLineInputSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    quantity = QuantityField(help_text="Purchase units.")
    unit_cost_minor = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MINOR_MAX,
        help_text="Per purchase unit; left out: the item's current cost.",
    )  # fmt: skip


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    outlet = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    expected_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX * 2)
    lines = POLineInputSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class ReceiptLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The purchase order line's id.")
    quantity = QuantityField(help_text="Arrived in this delivery, purchase units (0: none of it).")
    unit_cost_minor = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MINOR_MAX,
        help_text="Invoiced per purchase unit; left out: the order's.",
    )  # fmt: skip


class ReceiveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)
    allow_over = serializers.BooleanField(required=False, default=False,
                                          help_text="Accept more than is still to come on a line.")  # fmt: skip
    lines = ReceiptLineInputSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class ReceiptLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line = serializers.IntegerField(source="po_line_id")
    item = serializers.IntegerField(source="po_line.item_id")
    quantity = DecimalText(help_text="Purchase units.")
    unit_cost_minor = serializers.SerializerMethodField()

    def get_unit_cost_minor(self, line) -> int:
        return round_minor(line.unit_cost)


class ReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purchase_order = serializers.IntegerField(source="purchase_order_id")
    purchase_order_status = serializers.ChoiceField(choices=Status.choices, source="purchase_order.status")
    received_by = serializers.IntegerField(source="received_by_id")
    received_at = serializers.DateTimeField()
    note = serializers.CharField()
    lines = ReceiptLineSerializer(many=True, source="lines.all")


_LINES = Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("item").order_by("pk"),
                  to_attr="api_lines")  # fmt: skip

EXAMPLE = {
    "id": 5, "supplier": 2, "outlet": 1, "status": "partial", "expected_on": "2026-12-03", "note": "",
    "created_by": 1, "created_at": "2026-12-01T08:00:00Z", "sent_at": "2026-12-01T08:10:00Z",
    "updated_at": "2026-12-02T09:00:00Z", "total_minor": 500000, "currency": "IDR",
    "lines": [{"id": 11, "item": 7, "sku": "BEANS", "quantity": "2.000", "quantity_received": "1.000",
               "outstanding": "1.000", "unit_cost_minor": 250000, "total_minor": 500000}],
}  # fmt: skip
_examples = [
    OpenApiExample("Partly received", value=EXAMPLE, response_only=True),
    OpenApiExample(
        "New order",
        request_only=True,
        value={
            "supplier": 2,
            "outlet": 1,
            "expected_on": "2026-12-03",
            "lines": [{"item": 7, "quantity": "2", "unit_cost_minor": 250000}],
        },
    ),  # fmt: skip
]


def _money_text(minor: int | None, code: str) -> str:
    """A cost in minor units as the order form's service reads typed amounts ("" keeps the default)."""
    return "" if minor is None else f"{from_minor(minor, code):f}"


def _get_or_404(request, pk: int) -> PurchaseOrder:
    po = selectors.purchase_order_get(pk)
    if po is None or not outlet_allowed(request.user, po.outlet_id):
        raise not_found()
    return po


class _POView(StockApiView):
    api_resource = "purchase_orders"
    api_capability_read = "stock.purchase"
    api_capability_write = "stock.purchase"
    serializer_class = PurchaseOrderSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "currency": currency()}

    def _render(self, po: PurchaseOrder, code: int = 200) -> Response:
        po = PurchaseOrder.objects.prefetch_related(_LINES).get(pk=po.pk)
        return Response(PurchaseOrderSerializer(po, context=self.get_serializer_context()).data, status=code)


class PurchaseOrderList(_POView):
    api_list = True
    ordering = ("id",)
    ordering_fields = ("id", "updated_at")

    @extend_schema(
        summary="List purchase orders for the outlets you work at",
        parameters=[
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("supplier", int),
            OpenApiParameter("outlet", int),
        ],  # fmt: skip
        examples=_examples,
    )
    def get(self, request):
        """Purchase orders for the outlets you work at, with their lines; filter by status, supplier and
        outlet."""
        orders = selectors.purchase_order_list(
            status=query_choice(request, "status", Status.values),
            supplier_id=query_id(request, "supplier"),
            outlet_id=query_outlet(request),
        )
        return self.paginated(outlet_filter(orders, request.user).prefetch_related(_LINES))

    @extend_schema(summary="Create a draft purchase order", request=PurchaseOrderCreateSerializer,
                   responses={201: PurchaseOrderSerializer}, examples=_examples)  # fmt: skip
    def post(self, request):
        """A draft purchase order for an outlet you work at: quantities in each item's purchase unit, costs
        per purchase unit (left out: the item's current cost). Every bad line is reported at once."""
        serializer = PurchaseOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = selectors.supplier_get(data["supplier"])
        if supplier is None:
            raise ServiceError("supplier.unknown", _("There is no such supplier."), field="supplier")
        code = currency()
        po = services.purchase_order_create(
            supplier=supplier,
            outlet=outlet_of(request.user, data["outlet"]),
            user=request.user,
            lines=[
                services.POLineInput(
                    item_id=line["item"],
                    quantity=line["quantity"],
                    unit_cost=_money_text(line.get("unit_cost_minor"), code),
                    row=n,
                )
                for n, line in enumerate(data["lines"], start=1)
            ],  # fmt: skip
            currency=code,
            expected_on=data["expected_on"],
            note=clean_note(data["note"]),
        )
        return self._render(po, status.HTTP_201_CREATED)


class PurchaseOrderDetail(_POView):
    @extend_schema(summary="Read a purchase order", examples=_examples)
    def get(self, request, pk: int):
        """One purchase order with its lines, what has arrived and what is still to come."""
        return self._render(_get_or_404(request, pk))


class PurchaseOrderSend(_POView):
    @extend_schema(summary="Send a draft to its supplier (e-mailed when the supplier has an address)", request=None,
                   responses={200: PurchaseOrderSerializer}, examples=_examples[:1])  # fmt: skip
    def post(self, request, pk: int):
        """Draft to sent; the supplier is e-mailed after the commit when they have an address. Sending twice
        returns it."""
        po = services.purchase_order_send(purchase_order=_get_or_404(request, pk), user=request.user)
        return self._render(po)


class PurchaseOrderCancel(_POView):
    @extend_schema(summary="Cancel an order nothing has arrived against", request=None,
                   responses={200: PurchaseOrderSerializer}, examples=_examples[:1])  # fmt: skip
    def post(self, request, pk: int):
        """Cancel a draft or sent order against which nothing has arrived; cancelling twice returns it."""
        po = services.purchase_order_cancel(purchase_order=_get_or_404(request, pk), user=request.user)
        return self._render(po)


class PurchaseOrderReceive(_POView):
    serializer_class = ReceiptSerializer

    @extend_schema(
        summary="Receive a delivery (in full or in part) into the order's outlet",
        description="Lines not given, or given 0, are not in this delivery. Stock comes in at the order's outlet in "
        "base units and the items are re-priced by the business's cost method. The order becomes partly received "
        "or received.",
        request=ReceiveSerializer,
        responses={201: ReceiptSerializer},
        examples=[
            OpenApiExample(
                "Part of the order",
                request_only=True,
                value={"note": "First crates", "lines": [{"line": 11, "quantity": "1"}]},
            ),
            OpenApiExample(
                "Received",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 3,
                    "purchase_order": 5,
                    "purchase_order_status": "partial",
                    "received_by": 1,
                    "received_at": "2026-12-02T09:00:00Z",
                    "note": "First crates",
                    "lines": [{"id": 4, "line": 11, "item": 7, "quantity": "1.000", "unit_cost_minor": 250000}],
                },
            ),
        ],
    )
    def post(self, request, pk: int):
        """One delivery against a sent or partly received order."""
        po = _get_or_404(request, pk)
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        code = currency()
        receipt = services.goods_receive(
            purchase_order=po,
            user=request.user,
            lines=[
                services.ReceiptLineInput(
                    po_line_id=line["line"],
                    quantity=line["quantity"],
                    unit_cost=_money_text(line.get("unit_cost_minor"), code),
                )
                for line in data["lines"]
            ],  # fmt: skip
            currency=code,
            # The request's own key is already claimed by the API (core/api.py); the service claims one from it.
            idempotency_key=service_idempotency_key(request),
            note=clean_note(data["note"]),
            allow_over=data["allow_over"],
        )
        receipt = (
            GoodsReceipt.objects.select_related("purchase_order").prefetch_related("lines__po_line").get(pk=receipt.pk)
        )
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)
