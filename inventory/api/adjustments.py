"""Stock adjustments (corrections and waste) in the JSON API, through inventory/services/adjustments.py.

Whether an adjustment posts at once or waits for a second person is the service's decision, by the caller's role
and the day's total (as on the pages); an API caller cannot lend a supervisor's PIN, so one that must wait is
created waiting: 202 with `"status": "pending"`, and nothing moves until a supervisor or the owner other than its
author approves it (on the approvals page, or here with a supervisor's key). Waste is an adjustment whose reason
is "waste" (its movements are of kind "waste"); anyone who may report waste submits one line at a time, as on the
one-line form; several lines at once are the supervisors' and the owner's (the bulk form)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import can, outlet_allowed, outlet_filter
from pos_project.errors import FORBIDDEN, ServiceError
from pos_project.money import round_minor

from ..models import StockAdjustment, StockAdjustmentLine
from ..selectors import adjustments as selectors
from ..services import adjustments as services
from .common import (
    DecimalText,
    LineInputSerializer,
    StockApiView,
    clean_note,
    currency,
    line_inputs,
    not_found,
    outlet_of,
    query_choice,
    query_outlet,
)

Status = StockAdjustment.Status
LISTED = [s for s in Status.values if s != Status.NEW]
STATUS_CHOICES = [(value, label) for value, label in Status.choices if value != Status.NEW]


class AdjustmentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    sku = serializers.CharField(source="item.sku")
    quantity = DecimalText()
    unit_cost_minor = DecimalText(source="unit_cost", help_text="Minor units per base unit when submitted.")
    value_minor = serializers.SerializerMethodField()

    def get_value_minor(self, line) -> int:
        return round_minor(abs(line.quantity * line.unit_cost))


class AdjustmentSerializer(serializers.Serializer):
    """An adjustment: "posted" (stock moved), "pending" (waits for a second person) or "rejected" (nothing moved).
    `value_minor` is the sum of |quantity × cost| of its lines."""

    id = serializers.IntegerField()
    outlet = serializers.IntegerField(source="outlet_id")
    reason = serializers.ChoiceField(choices=StockAdjustment.Reason.choices)
    note = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
    value_minor = serializers.IntegerField()
    currency = serializers.SerializerMethodField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    lines = AdjustmentLineSerializer(many=True, source="api_lines")

    def get_currency(self, adjustment) -> str:
        return self.context["currency"]


class AdjustmentCreateSerializer(serializers.Serializer):
    outlet = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.ChoiceField(choices=StockAdjustment.Reason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=services.MAX_LINES)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


_LINES = Prefetch("lines", queryset=StockAdjustmentLine.objects.select_related("item").order_by("pk"),
                  to_attr="api_lines")  # fmt: skip

EXAMPLE = {
    "id": 41, "outlet": 1, "reason": "waste", "note": "Dropped tray", "status": "posted", "value_minor": 4500,
    "currency": "IDR", "created_by": 3, "created_at": "2026-12-01T08:00:00Z", "decided_by": 3,
    "decided_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:00Z",
    "lines": [{"id": 90, "item": 7, "sku": "MILK-1L", "quantity": "-3.000", "unit_cost_minor": "1500.000000",
               "value_minor": 4500}],
}  # fmt: skip
_examples = [
    OpenApiExample("Posted", value=EXAMPLE, response_only=True, status_codes=["201"]),
    OpenApiExample(
        "Waiting for approval",
        value={**EXAMPLE, "status": "pending", "decided_by": None, "decided_at": None},
        response_only=True,
        status_codes=["202"],
    ),  # fmt: skip
    OpenApiExample(
        "Waste",
        request_only=True,
        value={"outlet": 1, "reason": "waste", "note": "Dropped tray", "lines": [{"sku": "MILK-1L", "quantity": "-3"}]},
    ),  # fmt: skip
]


_read_examples = [OpenApiExample("Posted", value=EXAMPLE, response_only=True, status_codes=["200"]),
                  OpenApiExample("Waiting for approval", value={**EXAMPLE, "status": "pending", "decided_by": None,
                                 "decided_at": None}, response_only=True, status_codes=["200"])]  # fmt: skip


def _with_lines(pk: int) -> StockAdjustment:
    return selectors.adjustment_list().prefetch_related(_LINES).get(pk=pk)


def _get_or_404(request, pk: int) -> StockAdjustment:
    """An adjustment at an outlet the caller works at; another outlet's is a 404, like one that does not exist."""
    adjustment = selectors.adjustment_get(pk)
    if adjustment is None or not outlet_allowed(request.user, adjustment.outlet_id):
        raise not_found()
    return adjustment


class _AdjustmentView(StockApiView):
    api_resource = "stock_adjustments"
    api_capability_read = "stock.adjust"
    # Anyone who may report waste submits (the service decides who waits); the list is the supervisors'.
    api_capability_write = "stock.report_waste"
    serializer_class = AdjustmentSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "currency": currency()}

    def _render(self, adjustment: StockAdjustment, code: int = 200) -> Response:
        body = AdjustmentSerializer(_with_lines(adjustment.pk), context=self.get_serializer_context()).data
        return Response(body, status=code)


class AdjustmentList(_AdjustmentView):
    api_list = True
    ordering = ("id",)
    ordering_fields = ("id", "updated_at")

    @extend_schema(
        summary="List adjustments at the outlets you work at",
        parameters=[
            OpenApiParameter("status", str, enum=LISTED),
            OpenApiParameter("outlet", int),
            OpenApiParameter("reason", str, enum=StockAdjustment.Reason.values),
        ],
        examples=_read_examples,
    )
    def get(self, request):
        """Adjustments at the outlets you work at, with their lines; filter by status, outlet and reason
        (waste reports are adjustments with reason waste)."""
        adjustments = selectors.adjustment_list(
            status=query_choice(request, "status", LISTED), outlet_id=query_outlet(request)
        )
        reason = query_choice(request, "reason", StockAdjustment.Reason.values)
        if reason:
            adjustments = adjustments.filter(reason=reason)
        return self.paginated(outlet_filter(adjustments, request.user).prefetch_related(_LINES))

    @extend_schema(
        summary="Submit an adjustment (or a waste report)",
        description="Posted at once (201) or, when the business's approval rule says a second person must look at "
        "it, created waiting (202, status pending; no stock moves until approved). A line that would take stock "
        "below zero refuses the whole adjustment (409 stock.insufficient).",
        request=AdjustmentCreateSerializer,
        responses={201: AdjustmentSerializer, 202: AdjustmentSerializer},
        examples=_examples,
    )
    def post(self, request):
        serializer = AdjustmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if len(data["lines"]) > 1 and not can(user, "stock.adjust"):
            raise ServiceError(
                "access.denied",
                _("Report one line at a time; several lines at once are for supervisors and the owner."),
                status=FORBIDDEN,
            )
        adjustment = services.adjustment_submit(
            outlet=outlet_of(request.user, data["outlet"]),
            user=user,
            reason=data["reason"],
            note=clean_note(data["note"]),
            lines=line_inputs(data["lines"]),
        )
        return self._render(adjustment, status.HTTP_202_ACCEPTED if adjustment.is_pending else status.HTTP_201_CREATED)


class AdjustmentDetail(_AdjustmentView):
    @extend_schema(summary="Read an adjustment", examples=_read_examples)
    def get(self, request, pk: int):
        """One adjustment with its lines."""
        return self._render(_get_or_404(request, pk))


class _Decision(_AdjustmentView):
    api_capability_write = "stock.approve"
    serializer_class = DecisionSerializer


class AdjustmentApprove(_Decision):
    @extend_schema(
        summary="Approve a waiting adjustment (posts it)",
        description="Four eyes: never by its author. Stock is checked again now: if it would go below zero, it is "
        "refused (409) and keeps waiting. Approving one already posted returns it.",
        request=None,
        responses={200: AdjustmentSerializer},
        examples=_read_examples[:1],
    )
    def post(self, request, pk: int):
        adjustment = services.adjustment_approve(adjustment=_get_or_404(request, pk), approver=request.user)
        return self._render(adjustment)


class AdjustmentReject(_Decision):
    @extend_schema(summary="Reject a waiting adjustment (no stock moves)", request=DecisionSerializer,
                   responses={200: AdjustmentSerializer}, examples=_read_examples[1:])  # fmt: skip
    def post(self, request, pk: int):
        """Refuse a waiting adjustment: nothing moves. Never by its author; the comment goes to the audit log."""
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adjustment = services.adjustment_reject(
            adjustment=_get_or_404(request, pk),
            approver=request.user,
            comment=clean_note(serializer.validated_data["comment"]),
        )
        return self._render(adjustment)
