"""The sales resources of the JSON API (`/api/v1/`, docs/api.md): orders, their payments, voids and refunds, and
shifts with their X/Z figures. Thin views on core/api.py's base (permission, Idempotency-Key, paging, errors)
calling the services and selectors the till calls: an order made here is priced, numbered, sent to the kitchen,
taken from stock and audited exactly as one rung up at a till.

Which register and shift: the caller names a `register_id`; it must be active, at an outlet the caller works
at, and have an open shift (opened at a till). The order belongs to that shift and its drawer, as if rung up
there; `created_by` is the caller (an API key acts as its maker, narrowed to the key's role and scopes).

Approvals: a void, a refund and a discount above the business's limit need a supervisor. Over the API the
caller approves as itself: its key's role and its maker must both hold the capability (order.void, order.refund,
discount.over_limit) and the business must allow approving one's own action; otherwise 403 `approval.required`
(or `approval.second_person`), and nothing is done. Supervisor PINs are only ever typed at a till: a PIN's
failed tries must be counted, and an API write is one transaction that a refusal rolls back.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.access import can, outlets_of
from accounts.models import User
from accounts.selectors import approval_self_allowed
from business.selectors import tenant_settings
from core.api import ApiView, api_object, service_idempotency_key
from pos_project.errors import CONFLICT, FORBIDDEN, ServiceError

from .. import selectors
from ..models import Order, Shift
from ..services.orders import order_submit, payment_add
from ..services.refunds import order_refund, order_void
from .serializers import (
    OrderCreateSerializer,
    OrderSerializer,
    PaymentSerializer,
    PayRequestSerializer,
    RefundRequestSerializer,
    RefundSerializer,
    ShiftDetailSerializer,
    ShiftSerializer,
    VoidRequestSerializer,
    validated,
)


def _outlets(request):
    """The outlets the caller works at (None: every one): a staff token's person, or an API key's maker."""
    return outlets_of(request.user)


def _approved_by(request, capability: str) -> User:
    """The caller approving `capability` as itself (see the module doc), as a signed-in supervisor approves their
    own void or refund on the order page (the action's audit entry names them as approver); a caller that
    cannot is refused with 403 before anything is written."""
    key_can = getattr(request.auth, "can", None)
    if key_can is None or (key_can(capability) and key_can("approval.give")):
        if approval_self_allowed(request.user, capability):
            return request.user
        if can(request.user, "approval.give") and can(request.user, capability):
            raise ServiceError(
                "approval.second_person",
                _("This business wants a second person to approve this: do it at a till, with another "
                  "supervisor's PIN."),
                status=FORBIDDEN,
            )  # fmt: skip
    raise ServiceError(
        "approval.required",
        _("This needs a supervisor's approval, which this caller cannot give: use a key whose role (and maker) "
          "may approve it, or do it at a till."),
        status=FORBIDDEN,
    )  # fmt: skip


class OrdersView(ApiView):
    """The orders resource: read by whoever may see all orders, written as at a till."""

    api_resource = "orders"
    api_capability_read = "orders.view_all"
    api_capability_write = "till.use"


class ShiftsView(ApiView):
    """The shifts resource (read only): as the supervisor's other-shifts pages."""

    api_resource = "shifts"
    api_capability_read = "shift.view_other"
    api_capability_write = "shift.view_other"


# --- Orders ---------------------------------------------------------------------------------------------------------


class OrderFilterSerializer(serializers.Serializer):
    outlet = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    business_date_from = serializers.DateField(required=False, help_text=_("Business dates from (included)."))
    business_date_to = serializers.DateField(required=False, help_text=_("Business dates to (included)."))


ORDER_EXAMPLE = {
    "id": 812, "uid": "7b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", "number": 42, "outlet_id": 1, "register_id": 3,
    "shift_id": 57, "business_date": "2026-12-01", "status": "paid", "order_type": "takeaway", "table_id": None,
    "table_label": "", "customer_name": "Ann", "sent_to_kitchen_at": "2026-12-01T08:00:01Z", "is_rush": False,
    "served_at": None, "created_by_id": 4, "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:05Z",
    "version": 1, "currency": "IDR", "order_discount": None, "subtotal_minor": 70000, "discount_minor": 0,
    "service_charge_minor": 3500, "tax_minor": 7350, "tax_included_minor": 0, "total_minor": 80850,
    "paid_minor": 80850, "balance_minor": 0, "refunded_minor": 0,
    "taxes": [{"code": "PB1", "name": "PB1", "rate": "10", "inclusive": False, "amount_minor": 7350}],
    "voided_at": None, "void_reason": "",
    "lines": [{"id": 2001, "position": 1, "product_id": 9, "variant_id": 12, "name": "Latte (Large)", "sku": "LT-L",
               "unit_price_minor": 50000, "quantity": 1,
               "modifiers": [{"id": 5, "name": "Extra shot", "price_delta_minor": 8000}], "note": "less ice",
               "discount": None, "gross_minor": 50000, "discount_minor": 0, "net_minor": 50000, "is_voided": False,
               "refunded_quantity": 0}],
    "payments": [{"id": 901, "order_id": 812, "shift_id": 57, "tender": "cash", "status": "captured",
                  "currency": "IDR", "amount_minor": 80850, "tip_minor": 0, "tendered_minor": 100000,
                  "change_minor": 19100, "rounding_minor": 50, "reference": "", "created_by_id": 4,
                  "created_at": "2026-12-01T08:00:05Z"}],
    "refunds": [],
}  # fmt: skip
CREATE_EXAMPLE = {
    "register_id": 3,
    "lines": [{"product_id": 9, "variant_id": 12, "modifier_ids": [5], "quantity": 1, "note": "less ice"},
              {"product_id": 14, "quantity": 2, "discount": {"kind": "percent", "value": "10"}}],
    "order_type": "takeaway", "customer_name": "Ann", "send": True,
}  # fmt: skip
_order_examples = [
    OpenApiExample("An order", value=ORDER_EXAMPLE, response_only=True),
    OpenApiExample("Two lines, sent to the kitchen", value=CREATE_EXAMPLE, request_only=True),
]


class OrderList(OrdersView):
    """Orders of the outlets the caller works at. `?updated_since=` returns what changed (paid, refunded,
    voided, items added...) at or after a moment, for a copy kept in sync."""

    api_list = True
    serializer_class = OrderSerializer
    ordering = ("id",)
    ordering_fields = ("id", "created_at", "updated_at", "business_date")

    @extend_schema(summary="List orders", parameters=[OrderFilterSerializer], examples=_order_examples[:1])
    def get(self, request):
        filters = validated(OrderFilterSerializer, request.query_params)
        return self.paginated(
            selectors.orders_list(
                outlets=_outlets(request),
                outlet_id=filters.get("outlet"),
                status=filters.get("status"),
                date_from=filters.get("business_date_from"),
                date_to=filters.get("business_date_to"),
            )
        )

    @extend_schema(
        summary="Create an order",
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
        examples=_order_examples,
    )
    def post(self, request):
        """Ring an order up on a register with an open shift (`register_id`), as the till does: prices, taxes,
        service charge and totals come from the server; with `send` the kitchen gets it at once; its stock is
        taken. Pay it with `POST /orders/{id}/payments/`. Refused: an item not on the menu at that outlet or
        sold out (400 `order.lines_invalid`), a discount above the limit without `approve_discount`
        (400 `discount.approval_needed`), a closed shift (409 `shift.closed`), a busy table (409 `table.busy`)."""
        data = validated(OrderCreateSerializer, request.data)
        known, shift = selectors.register_open_shift(register_id=data["register_id"], outlets=_outlets(request))
        if not known:
            raise ServiceError("register.unknown", _("There is no active register with that id at your outlets."),
                               field="register_id")  # fmt: skip
        if shift is None:
            raise ServiceError("shift.none", _("That register has no open shift: open one at its till first."),
                               field="register_id", status=CONFLICT)  # fmt: skip
        table = None
        if data["table_id"] is not None:
            table = selectors.table_get(pk=data["table_id"])
            if table is None:
                raise ServiceError("table.unknown", _("There is no table with that id."), field="table_id")
        approved_by = _approved_by(request, "discount.over_limit") if data["approve_discount"] else None
        order = order_submit(
            shift=shift,
            user=request.user,
            idempotency_key=service_idempotency_key(request),
            lines=data["lines"],
            order_type=data["order_type"],
            table_label=data["table_label"],
            customer_name=data["customer_name"],
            order_discount=data["order_discount"],
            approved_by=approved_by,
            table=table,
            send_to_kitchen=data["send"],
            rush=data["rush"],
        )
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetail(OrdersView):
    """One order with its lines, payments and refunds."""

    serializer_class = OrderSerializer

    @extend_schema(summary="Read an order", examples=_order_examples[:1])
    def get(self, request, pk: int):
        return Response(OrderSerializer(api_object(selectors.order_get, pk, outlets=_outlets(request))).data)


PAYMENT_EXAMPLE = ORDER_EXAMPLE["payments"][0]
PAID_EXAMPLE = {"order": ORDER_EXAMPLE, "payments": ORDER_EXAMPLE["payments"]}
PaidSerializer = inline_serializer("OrderPaid", {"order": OrderSerializer(), "payments": PaymentSerializer(many=True)})


class OrderPayments(OrdersView):
    """An order's payments (GET), or pay it (POST)."""

    api_list = True
    serializer_class = PaymentSerializer
    ordering = ("id",)
    updated_since_field = None

    @extend_schema(summary="List an order's payments",
                   examples=[OpenApiExample("A cash payment", value=PAYMENT_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request, pk: int):
        order = api_object(selectors.order_at, pk, outlets=_outlets(request))
        return self.paginated(selectors.payments_list(outlets=None, order_id=order.pk))

    @extend_schema(
        summary="Pay an order",
        request=PayRequestSerializer,
        responses={201: PaidSerializer},
        examples=[
            OpenApiExample(
                "Card and cash",
                request_only=True,
                value={
                    "payments": [
                        {"tender": "card", "amount_minor": 50000, "reference": "A1B2C3"},
                        {"tender": "cash", "amount_minor": 30850, "tendered_minor": 50000},
                    ]
                },
            ),  # fmt: skip
            OpenApiExample("Paid", response_only=True, status_codes=["201"], value=PAID_EXAMPLE),
        ],
    )
    def post(self, request, pk: int):
        """Take one or more tenders towards the order, all or none (split payments in one call), through the
        till's own payment service: cash that settles the whole balance is rounded to the business's cash unit
        (`rounding_minor`) and the change is worked out from `tendered_minor`. The order is paid when nothing is
        owed (and goes to the kitchen then if its outlet sends on payment). Refused: more than the balance
        (400 `payment.over_balance`), cash short (400 `payment.cash_short`), an order that is not open (409
        `order.not_open`), its shift closed (409 `shift.closed`). QR payments are started at a till."""
        order = api_object(selectors.order_at, pk, outlets=_outlets(request))
        data = validated(PayRequestSerializer, request.data)
        base = service_idempotency_key(request)
        taken = []
        for index, tender in enumerate(data["payments"], start=1):
            payment = payment_add(
                order=order,
                user=request.user,
                tender=tender["tender"],
                amount_minor=tender["amount_minor"],
                idempotency_key=f"{base}.{index}",
                tendered_minor=tender["tendered_minor"],
                tip_minor=tender["tip_minor"],
                reference=tender["reference"],
            )
            taken.append(payment)
            order = payment.order  # as the payment left it (locked, saved)
        order = selectors.order_get(pk=order.pk, outlets=None)
        body = {
            "order": OrderSerializer(order).data,
            "payments": PaymentSerializer(taken, many=True, context={"currency": order.currency}).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class OrderVoid(OrdersView):
    """Void an open order that has taken no money."""

    serializer_class = OrderSerializer

    @extend_schema(
        summary="Void an order",
        request=VoidRequestSerializer,
        responses={200: OrderSerializer},
        examples=[
            OpenApiExample("Void", request_only=True, value={"reason": "Guest left"}),
            OpenApiExample(
                "Voided",
                response_only=True,
                value={
                    **ORDER_EXAMPLE,
                    "status": "voided",
                    "payments": [],
                    "paid_minor": 0,
                    "balance_minor": 80850,
                    "voided_at": "2026-12-01T08:03:00Z",
                    "void_reason": "Guest left",
                },
            ),
        ],
    )
    def post(self, request, pk: int):
        """Cancel an open, unpaid order: its stock goes back, the kitchen strikes it out, and the void is audited
        with the caller as approver (see Approvals above: 403 `approval.required` when the caller may not).
        Money already taken is given back with a refund instead (409 `order.has_payments`)."""
        order = api_object(selectors.order_at, pk, outlets=_outlets(request))
        data = validated(VoidRequestSerializer, request.data)
        approved_by = _approved_by(request, "order.void")
        order_void(order=order, user=request.user, approved_by=approved_by, reason=data["reason"])
        return Response(OrderSerializer(selectors.order_get(pk=order.pk, outlets=None)).data)


REFUND_EXAMPLE = {"id": 55, "order_id": 812, "shift_id": 57, "payment_id": 901, "tender": "cash",
                  "amount_minor": 80850, "reason": "Cold coffee", "created_by_id": 4, "approved_by_id": 4,
                  "created_at": "2026-12-01T08:10:00Z",
                  "lines": [{"order_line_id": 2001, "quantity": 1, "amount_minor": 80850}]}  # fmt: skip
REFUNDED_EXAMPLE = {"order": {**ORDER_EXAMPLE, "status": "refunded", "refunded_minor": 80850,
                              "refunds": [REFUND_EXAMPLE]}, "refunds": [REFUND_EXAMPLE]}  # fmt: skip
RefundedSerializer = inline_serializer(
    "OrderRefunded", {"order": OrderSerializer(), "refunds": RefundSerializer(many=True)}
)


class OrderRefunds(OrdersView):
    """Refund a paid order, whole or some lines."""

    serializer_class = RefundSerializer

    @extend_schema(
        summary="Refund an order",
        request=RefundRequestSerializer,
        responses={201: RefundedSerializer},
        examples=[
            OpenApiExample("Whole order", request_only=True, value={"reason": "Cold coffee"}),
            OpenApiExample(
                "One item",
                request_only=True,
                value={"reason": "Wrong size", "lines": [{"line_id": 2001, "quantity": 1}]},
            ),
            OpenApiExample("Refunded", response_only=True, status_codes=["201"], value=REFUNDED_EXAMPLE),
        ],
    )
    def post(self, request, pk: int):
        """Give money back to the tenders the order was paid with, out of an open shift's drawer (`register_id`'s,
        else the order's own shift if still open; 409 `refund.no_open_shift` when neither). The refunded items'
        stock goes back (or, with `return_to_stock: false`, is written off as waste). Audited with the caller
        as approver (403 `approval.required` when the caller may not approve refunds)."""
        order = api_object(selectors.order_at, pk, outlets=_outlets(request))
        data = validated(RefundRequestSerializer, request.data)
        shift = _payout_shift(request, order, data["register_id"])
        approved_by = _approved_by(request, "order.refund")
        first = order_refund(
            order=order,
            user=request.user,
            approved_by=approved_by,
            reason=data["reason"],
            idempotency_key=service_idempotency_key(request),
            lines=data["lines"],
            shift=shift,
            return_to_stock=data["return_to_stock"],
        )
        order = selectors.order_get(pk=order.pk, outlets=None)
        made = [refund for refund in order.refunds.all() if refund.pk >= first.pk]  # this call's rows
        body = {"order": OrderSerializer(order).data, "refunds": RefundSerializer(made, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED)


def _payout_shift(request, order: Order, register_id: int | None) -> Shift:
    """The open shift whose drawer pays a refund out (the service locks it and checks it again)."""
    if register_id is not None:
        known, shift = selectors.register_open_shift(register_id=register_id, outlets=_outlets(request))
        if not known:
            raise ServiceError("register.unknown", _("There is no active register with that id at your outlets."),
                               field="register_id")  # fmt: skip
        if shift is None:
            raise ServiceError("shift.none", _("That register has no open shift: open one at its till first."),
                               field="register_id", status=CONFLICT)  # fmt: skip
        return shift
    if order.shift.status != Shift.Status.OPEN:
        raise ServiceError(
            "refund.no_open_shift",
            _("The order's shift is closed: name the register whose open shift pays the refund out (register_id)."),
            field="register_id",
            status=CONFLICT,
        )
    return order.shift


# --- Payments -------------------------------------------------------------------------------------------------------


class PaymentDetail(ApiView):
    """One payment."""

    api_resource = "payments"
    api_capability_read = "orders.view_all"
    api_capability_write = "till.use"
    serializer_class = PaymentSerializer

    @extend_schema(summary="Read a payment",
                   examples=[OpenApiExample("A cash payment", value=PAYMENT_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request, pk: int):
        return Response(PaymentSerializer(api_object(selectors.payment_get, pk, outlets=_outlets(request))).data)


# --- Shifts ---------------------------------------------------------------------------------------------------------


SHIFT_EXAMPLE = {
    "id": 57, "outlet_id": 1, "register_id": 3, "register_name": "Front", "status": "open", "opened_by_id": 4,
    "holder_id": 4, "opened_at": "2026-12-01T07:00:00Z", "opening_float_minor": 200000, "closed_by_id": None,
    "closed_at": None, "expected_cash_minor": None, "counted_cash_minor": None, "variance_minor": None,
    "updated_at": "2026-12-01T07:00:00Z", "currency": "IDR",
}  # fmt: skip
SHIFT_DETAIL_EXAMPLE = {
    **SHIFT_EXAMPLE, "status": "closed", "closed_by_id": 4, "closed_at": "2026-12-01T15:00:00Z",
    "expected_cash_minor": 280900, "counted_cash_minor": 281000, "variance_minor": 100,
    "report": {
        "kind": "Z",
        "orders": {"paid_count": 1, "open_count": 0, "voided_count": 0, "refunded_count": 0, "gross_minor": 70000,
                   "discounts_minor": 0, "service_charge_minor": 3500, "tax_minor": 7350, "tax_included_minor": 0,
                   "total_minor": 80850, "refunded_minor": 0, "open_balance_minor": 0},
        "net_sales_minor": 70000,
        "taxes": [{"code": "PB1", "name": "PB1", "rate": "10", "inclusive": False, "amount_minor": 7350}],
        "tenders": [{"tender": "cash", "label": "Cash", "count": 1, "amount_minor": 80850, "tip_minor": 0,
                     "rounding_minor": 50}],
        "tips_minor": 0, "cash_rounding_minor": 50, "refunds": [], "refunds_minor": 0, "pay_in_minor": 0,
        "pay_out_minor": 0, "opening_float_minor": 200000, "expected_cash_minor": 280900,
        "counted_cash_minor": 281000, "variance_minor": 100, "variance_review": False,
        "denominations": [{"value_minor": 100000, "count": 2}, {"value_minor": 50000, "count": 1}],
    },
}  # fmt: skip


class ShiftFilterSerializer(serializers.Serializer):
    outlet = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=Shift.Status.choices, required=False)


class ShiftList(ShiftsView):
    """Shifts of the outlets the caller works at; each one's X/Z figures are on `GET /shifts/{id}/`."""

    api_list = True
    serializer_class = ShiftSerializer
    ordering = ("id",)
    ordering_fields = ("id", "opened_at", "updated_at")

    @extend_schema(summary="List shifts", parameters=[ShiftFilterSerializer],
                   examples=[OpenApiExample("An open shift", value=SHIFT_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request):
        filters = validated(ShiftFilterSerializer, request.query_params)
        shifts = selectors.shifts_list(outlets=_outlets(request), outlet_id=filters.get("outlet"),
                                       status=filters.get("status"))  # fmt: skip
        return self.paginated(shifts, currency=tenant_settings().currency)


class ShiftDetail(ShiftsView):
    """One shift with its report: X while it is open (so far), Z once closed, the same figures as the printed
    report (sales.selectors.shift_report)."""

    serializer_class = ShiftDetailSerializer

    @extend_schema(summary="Read a shift and its X/Z report",
                   examples=[OpenApiExample("A closed shift's Z report", value=SHIFT_DETAIL_EXAMPLE,
                                            response_only=True)])  # fmt: skip
    def get(self, request, pk: int):
        shift = api_object(selectors.shift_get, pk, outlets=_outlets(request))
        context = {"currency": tenant_settings().currency, "report": selectors.shift_report(shift=shift)}
        return Response(ShiftDetailSerializer(shift, context=context).data)
