"""Transfers between outlets in the JSON API, through inventory/services/transfers.py.

draft → sent → received, or cancelled, as on the pages: a caller limited to some outlets sees a transfer with an
end at one of them, sends, edits and cancels it from its source only and receives it at its destination only (the
selectors' `transfer_end_allowed`); anything else is a 404, like a transfer that does not exist."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from business.models import Outlet
from pos_project.errors import ServiceError

from ..models import Transfer, TransferLine
from ..selectors import transfers as selectors
from ..services import transfers as services
from .common import (
    ID_MAX,
    DecimalText,
    LineInputSerializer,
    QuantityField,
    StockApiView,
    clean_note,
    line_inputs,
    not_found,
    outlet_of,
    query_choice,
    query_outlet,
)

Status = Transfer.Status


class TransferLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    sku = serializers.CharField(source="item.sku")
    quantity = DecimalText(help_text="Sent (or to send), base units.")
    quantity_received = DecimalText(allow_null=True)
    discrepancy = DecimalText(allow_null=True, help_text="Sent and not arrived (negative: more arrived).")
    unit_cost_minor = DecimalText(source="unit_cost", help_text="Minor units per base unit, frozen when sent.")


class TransferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_outlet = serializers.IntegerField(source="from_outlet_id")
    to_outlet = serializers.IntegerField(source="to_outlet_id")
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    lines = TransferLineSerializer(many=True, source="api_lines")


class TransferCreateSerializer(serializers.Serializer):
    from_outlet = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    to_outlet = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class TransferUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=400)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class ReceivedLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The transfer line's id.")
    quantity_received = QuantityField(help_text="What arrived, base units (0 if none did).")


class TransferReceiveSerializer(serializers.Serializer):
    lines = ReceivedLineSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES,
                                   help_text="Every line of the transfer, each once.")  # fmt: skip


_LINES = Prefetch("lines", queryset=TransferLine.objects.select_related("item").order_by("pk"), to_attr="api_lines")

EXAMPLE = {
    "id": 12, "from_outlet": 1, "to_outlet": 2, "status": "sent", "note": "", "created_by": 3,
    "created_at": "2026-12-01T08:00:00Z", "sent_at": "2026-12-01T08:05:00Z", "received_at": None,
    "cancelled_at": None, "updated_at": "2026-12-01T08:05:00Z",
    "lines": [{"id": 30, "item": 7, "sku": "MILK-1L", "quantity": "12.000", "quantity_received": None,
               "discrepancy": None, "unit_cost_minor": "1500.000000"}],
}  # fmt: skip
_examples = [
    OpenApiExample("In transit", value=EXAMPLE, response_only=True),
    OpenApiExample(
        "New draft",
        request_only=True,
        value={"from_outlet": 1, "to_outlet": 2, "note": "", "lines": [{"sku": "MILK-1L", "quantity": "12"}]},
    ),  # fmt: skip
]


def _get_or_404(request, pk: int, end: str = selectors.EITHER) -> Transfer:
    transfer = selectors.transfer_get(pk)
    if transfer is None or not selectors.transfer_end_allowed(request.user, transfer, end):
        raise not_found()
    return transfer


class _TransferView(StockApiView):
    api_resource = "stock_transfers"
    api_capability_read = "stock.transfer"
    api_capability_write = "stock.transfer"
    serializer_class = TransferSerializer

    def _render(self, transfer: Transfer, code: int = 200) -> Response:
        transfer = Transfer.objects.prefetch_related(_LINES).get(pk=transfer.pk)
        return Response(TransferSerializer(transfer).data, status=code)


class TransferList(_TransferView):
    api_list = True
    ordering = ("id",)
    ordering_fields = ("id", "updated_at")

    @extend_schema(
        summary="List transfers with an end at an outlet you work at",
        parameters=[
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("outlet", int, description="Leaving or reaching this outlet."),
        ],  # fmt: skip
        examples=_examples,
    )
    def get(self, request):
        """Transfers leaving or reaching an outlet you work at, with their lines."""
        transfers = selectors.transfer_list(
            status=query_choice(request, "status", Status.values), outlet_id=query_outlet(request),
            user=request.user,
        )  # fmt: skip
        return self.paginated(transfers.prefetch_related(_LINES))

    @extend_schema(summary="Create a draft transfer (nothing moves until it is sent)",
                   request=TransferCreateSerializer, responses={201: TransferSerializer},
                   examples=_examples)  # fmt: skip
    def post(self, request):
        """A draft transfer from an outlet you work at to any other outlet: every bad line is reported at once
        and nothing is saved."""
        serializer = TransferCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Stock leaves only an outlet the caller works at; it may go to any outlet of the business.
        to_outlet = Outlet.objects.filter(pk=data["to_outlet"]).first()
        if to_outlet is None:
            raise ServiceError("outlet.unknown", _("There is no such outlet."), field="to_outlet")
        transfer = services.transfer_create(
            from_outlet=outlet_of(request.user, data["from_outlet"], field="from_outlet"),
            to_outlet=to_outlet,
            user=request.user,
            note=clean_note(data["note"]),
            lines=line_inputs(data["lines"]),
        )
        return self._render(transfer, status.HTTP_201_CREATED)


class TransferDetail(_TransferView):
    @extend_schema(summary="Read a transfer", examples=_examples)
    def get(self, request, pk: int):
        """One transfer with its lines, what was received and any discrepancy."""
        return self._render(_get_or_404(request, pk))

    @extend_schema(summary="Replace a draft's lines (and note)", request=TransferUpdateSerializer,
                   responses={200: TransferSerializer}, examples=_examples[:1])  # fmt: skip
    def patch(self, request, pk: int):
        """Replace a draft's lines (and its note, if given); a sent transfer's lines are what left the shelf,
        so it is refused (409)."""
        transfer = _get_or_404(request, pk, selectors.SENDING)
        serializer = TransferUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        transfer = services.transfer_update_lines(
            transfer=transfer,
            user=request.user,
            lines=line_inputs(data["lines"]),
            note=clean_note(data["note"]) if "note" in data else None,
        )
        return self._render(transfer)


class TransferSend(_TransferView):
    @extend_schema(summary="Send a draft: its stock leaves the source (refused, 409, if the source holds less)",
                   request=None, responses={200: TransferSerializer}, examples=_examples[:1])  # fmt: skip
    def post(self, request, pk: int):
        """Take the lines out of the source and mark the transfer in transit, the cost of each line frozen.
        Sending twice returns it."""
        transfer = services.transfer_send(transfer=_get_or_404(request, pk, selectors.SENDING),
                                          user=request.user)  # fmt: skip
        return self._render(transfer)


class TransferReceive(_TransferView):
    @extend_schema(summary="Receive a sent transfer at its destination, in full or in part",
                   description="Give what arrived of every line (0 if none did); more than was sent is refused. "
                   "Whatever did not arrive is the line's discrepancy.",
                   request=TransferReceiveSerializer, responses={200: TransferSerializer},
                   examples=_examples[:1])  # fmt: skip
    def post(self, request, pk: int):
        """Put what arrived into the destination, line by line."""
        transfer = _get_or_404(request, pk, selectors.RECEIVING)
        serializer = TransferReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        received: dict[int, str] = {}
        for line in serializer.validated_data["lines"]:
            if line["id"] in received:
                raise ServiceError("transfer.receipt_invalid", _("Give each line once."), field="lines")
            received[line["id"]] = line["quantity_received"]
        transfer = services.transfer_receive(transfer=transfer, user=request.user, received=received)
        return self._render(transfer)


class TransferCancel(_TransferView):
    @extend_schema(summary="Cancel a draft, or call back a sent transfer (its stock returns to the source)",
                   request=None, responses={200: TransferSerializer}, examples=_examples[:1])  # fmt: skip
    def post(self, request, pk: int):
        """Drop a draft (nothing moved) or call back a sent transfer (its stock goes back to the source); a
        received one is refused (409)."""
        transfer = services.transfer_cancel(transfer=_get_or_404(request, pk, selectors.SENDING),
                                            user=request.user)  # fmt: skip
        return self._render(transfer)
