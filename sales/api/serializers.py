"""What the till's JSON endpoints and the API read and answer: one set of serializers for both.

Input serializers turn a body into what the services take (`LineRequest`, `Discount`, plain values) and refuse
what is not what it claims to be with a 400 before any service runs: numbers must be JSON numbers (never text,
a float or a boolean, as pos_project/parsing.py reads them), amounts stay within money.AMOUNT_MAX, text loses
its control characters. Business rules (what is on the menu, discount limits, the balance, approvals) stay in
the services; a serializer never decides them.

Output serializers are plain `Serializer`s over the models (no introspection per request); money fields are
integers in minor units named `*_minor`, beside the order's `currency`.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pos_project import parsing
from pos_project.errors import ServiceError
from pos_project.money import AMOUNT_MAX

from ..models import Order, Payment, Shift
from ..pricing import Discount, PricingError
from ..services.orders import MAX_LINES, MAX_QUANTITY, LineRequest

# --- Fields -------------------------------------------------------------------------------------------------------


class JsonIntegerField(serializers.IntegerField):
    """A whole number sent as a JSON number: text ("12"), a float (12.0) or a boolean is refused, as the till's
    own parsing always did (`"²".isdigit()` is true; `int("٣")` is 3)."""

    default_error_messages = {"invalid": _("A whole number is required (a JSON number).")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class IdField(JsonIntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", parsing.ID_MAX)
        super().__init__(**kwargs)


class AmountField(JsonIntegerField):
    """An amount in minor units of the business's currency (IDR: rupiah; USD: cents), 0 to money.AMOUNT_MAX."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", AMOUNT_MAX)
        super().__init__(**kwargs)


class TextField(serializers.CharField):
    """Text as it may be stored and printed (parsing.clean_text: no control characters, trimmed); null is ""."""

    def __init__(self, *, multiline: bool = False, **kwargs) -> None:
        self.multiline = multiline
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if data is None:
            return ""
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool | dict | list):
            self.fail("invalid")
        return parsing.clean_text(data, multiline=self.multiline)


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "example": "10.5"}, {"type": "integer"}],
        "description": "percent: a number of percent (text or number, up to 2 decimals, 0-100); amount: minor units.",
    }
)
class DiscountValueField(serializers.Field):
    """Read as the discount's kind says (DiscountSerializer.validate)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool | dict | list) or data is None:
            raise serializers.ValidationError(_("A discount's value is a number."))
        return data

    def to_representation(self, value: Any) -> Any:
        return value


# --- Cart (the till's submit, add-to-tab, preview; the API's order create) ---------------------------------------


class DiscountSerializer(serializers.Serializer):
    """`{"kind": "percent", "value": "10"}` or `{"kind": "amount", "value": 5000}`; becomes a pricing `Discount`
    (whose own checks, e.g. at most 100%, answer 400 here). Whether it needs a supervisor is the service's."""

    kind = serializers.ChoiceField(choices=[("percent", _("Percent")), ("amount", _("Amount"))])
    value = DiscountValueField()

    def validate(self, attrs: dict) -> Discount:
        value = attrs["value"]
        try:
            if attrs["kind"] == "percent":
                if isinstance(value, float) or len(str(value)) > 20:
                    value = str(value)[:21]
                return Discount("percent", Decimal(str(value)))
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= AMOUNT_MAX:
                raise serializers.ValidationError(
                    {"value": [_("An amount discount is whole minor units from 0 to %(max)s.") % {"max": AMOUNT_MAX}]}
                )
            return Discount("amount", value)
        except (InvalidOperation, PricingError) as exc:
            raise serializers.ValidationError({"value": [str(exc) or _("The discount is not valid.")]}) from None

    def to_representation(self, instance):
        return {"kind": instance.kind, "value": str(instance.value)}


class CartLineSerializer(serializers.Serializer):
    """One line of a cart: ids and choices only. Prices, taxes and totals always come from the server."""

    product_id = IdField()
    quantity = JsonIntegerField(
        min_value=1, max_value=MAX_QUANTITY, default=1, help_text=_("1 to %(max)s.") % {"max": MAX_QUANTITY}
    )
    variant_id = IdField(required=False, allow_null=True, default=None, help_text=_("The size or variant chosen."))
    modifier_ids = serializers.ListField(
        child=IdField(), required=False, allow_null=True, default=list, max_length=50,
        help_text=_("Options chosen from the product's modifier groups (their min and max apply)."),
    )  # fmt: skip
    note = TextField(max_length=200, default="", help_text=_("For the kitchen."))
    discount = DiscountSerializer(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict) -> LineRequest:
        return LineRequest(
            product_id=attrs["product_id"],
            quantity=attrs["quantity"],
            variant_id=attrs.get("variant_id"),
            modifier_ids=tuple(attrs.get("modifier_ids") or ()),
            note=attrs.get("note") or "",
            discount=attrs.get("discount"),
        )


class CartSerializer(serializers.Serializer):
    """A cart as the till's script sends it (submit and preview)."""

    lines = CartLineSerializer(
        many=True, max_length=MAX_LINES, error_messages={"not_a_list": _("The request needs a list of lines.")}
    )
    order_type = serializers.ChoiceField(choices=Order.Type.choices, default=Order.Type.TAKEAWAY)
    table_id = IdField(
        required=False, allow_null=True, default=None, help_text=_("A table of the outlet's floor plan (dine-in).")
    )
    table_label = TextField(max_length=20, default="", help_text=_("A table number where there is no floor plan."))
    customer_name = TextField(max_length=80, default="")
    order_discount = DiscountSerializer(required=False, allow_null=True, default=None)
    send = serializers.BooleanField(default=False, help_text=_("Send the order to the kitchen now."))
    rush = serializers.BooleanField(default=False, help_text=_("The kitchen makes it first."))


class ApproverSerializer(serializers.Serializer):
    """Who approves what needs a supervisor, at the till: `{"self": true}` (the signed-in supervisor's tap) or a
    supervisor's `id` (or `username`) and `pin`."""

    self = serializers.BooleanField(required=False)
    id = IdField(required=False)
    username = serializers.CharField(required=False, max_length=150)
    pin = serializers.CharField(required=False, max_length=32, trim_whitespace=False)


class TillCartSerializer(CartSerializer):
    """The till's submit and add-to-tab: the cart, the supervisor's approval if one was asked, and (adding to a
    tab) the version of the tab the till last saw."""

    approver = ApproverSerializer(required=False, allow_null=True, default=None)
    version = JsonIntegerField(required=False, allow_null=True, min_value=1, default=None)


# --- Payments -----------------------------------------------------------------------------------------------------


class TenderSerializer(serializers.Serializer):
    """One payment: `amount_minor` is what it pays off the balance. Cash that settles the whole balance is rounded
    to the business's cash unit (the payment's `rounding_minor`); `tendered_minor` is the cash handed over (the
    change is worked out); a card payment needs the terminal's approval code as `reference`."""

    tender = serializers.ChoiceField(choices=[Payment.Tender.CASH, Payment.Tender.CARD])
    amount_minor = AmountField(min_value=1)
    tendered_minor = AmountField(required=False, allow_null=True, default=None)
    tip_minor = AmountField(default=0)
    reference = TextField(max_length=100, default="")


class TillTenderSerializer(TenderSerializer):
    """The till's pay: a QR payment too (started here, paid on the customer's phone)."""

    tender = serializers.ChoiceField(choices=Payment.Tender.choices)


# --- Errors for the till's own (non-DRF) endpoints ----------------------------------------------------------------


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as `{"lines.1.quantity": [...]}`, lines counted from 1 as the services count them."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            if isinstance(name, int):  # a list's errors, by position (DRF counts from 0)
                name = name + 1
            key = prefix if name == "non_field_errors" else f"{prefix}.{name}" if prefix else str(name)
            for sub, messages in _flatten(value, key).items():
                out.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail, start=1):
            if item:
                for sub, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        out.setdefault(prefix, []).extend(str(item) for item in detail)
    else:
        out.setdefault(prefix, []).append(str(detail))
    return out


def validated(serializer_class: type[serializers.Serializer], data: Any, *, code: str = "invalid",
              till: bool = False) -> Any:  # fmt: skip
    """`data` validated by `serializer_class`, or a 400 ServiceError in the one error format whose `fields` are
    keyed as the services key theirs (`lines.1.quantity`: lines counted from 1), so a cart's errors read the same
    whether the serializer or the catalog found them. For the till (`till=True`) each message names its field,
    since the cashier reads the message alone."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data
    fields = {name or "request": texts for name, texts in _flatten(serializer.errors).items()}
    if till:
        fields = {name: [f"{name}: {text}" for text in texts] for name, texts in fields.items()}
        raise ServiceError(code, " ".join(t for texts in fields.values() for t in texts), fields=fields)
    raise ServiceError(code, _("Some fields need fixing."), fields=fields)


class OrderCreateSerializer(CartSerializer):
    """An order made through the API: the till's cart, on a register the caller names."""

    register_id = IdField(
        help_text=_(
            "The register (till) the order is rung up on: it must be active, at an outlet the caller works at, and "
            "have an open shift; the order belongs to that shift (its X/Z report, its drawer) and to the outlet's "
            "numbering of the day. Keep a register of its own (e.g. 'Online') for an integration."
        )
    )
    approve_discount = serializers.BooleanField(
        default=False,
        help_text=_(
            "Approve a discount above the business's limit as the caller: needs the discount.over_limit capability "
            "(the key's role and its maker both). PIN approvals are only taken at a till."
        ),
    )


class PayRequestSerializer(serializers.Serializer):
    payments = TenderSerializer(many=True, min_length=1, max_length=10)


class RefundLineRequestSerializer(serializers.Serializer):
    line_id = IdField(help_text=_("An order line's id (the order's `lines[].id`)."))
    quantity = JsonIntegerField(min_value=1, max_value=MAX_QUANTITY)


class RefundRequestSerializer(serializers.Serializer):
    reason = TextField(max_length=200, default="", help_text=_("Why: required, kept in the audit log."))
    lines = RefundLineRequestSerializer(
        many=True, required=False, allow_null=True, default=None, max_length=MAX_LINES,
        help_text=_("Quantities of some lines; omitted or null for everything not yet refunded."),
    )  # fmt: skip
    return_to_stock = serializers.BooleanField(
        default=True, help_text=_("False when the items were eaten or spoiled: their stock is written off as waste.")
    )
    register_id = IdField(
        required=False, allow_null=True, default=None,
        help_text=_("The register whose open shift pays the refund out (its drawer); by default the order's own "
                    "shift, if still open."),
    )  # fmt: skip

    def validate_lines(self, value):
        if value is None:
            return None
        quantities: dict[int, int] = {}
        for line in value:
            quantities[line["line_id"]] = quantities.get(line["line_id"], 0) + line["quantity"]
        return quantities


class VoidRequestSerializer(serializers.Serializer):
    reason = TextField(max_length=200, default="", help_text=_("Why: required, kept in the audit log."))


# --- Output ---------------------------------------------------------------------------------------------------------


class TaxAmountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rate = serializers.CharField(help_text=_("Percent, as text (e.g. '10' or '11.5')."))
    inclusive = serializers.BooleanField()
    amount_minor = serializers.IntegerField()


class ModifierChosenSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField()
    price_delta_minor = serializers.IntegerField()


@extend_schema_field(DiscountSerializer(allow_null=True))
class StoredDiscountField(serializers.Field):
    """A stored discount (`<prefix>_kind`, `<prefix>_value`) as `{"kind", "value"}` (value as text), or null."""

    def __init__(self, prefix: str, **kwargs) -> None:
        self.prefix = prefix
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj) -> dict | None:
        kind = getattr(obj, f"{self.prefix}_kind")
        if not kind:
            return None
        value = getattr(obj, f"{self.prefix}_value")
        return {"kind": kind, "value": str(int(value)) if kind == "amount" else format(value.normalize(), "f")}


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    product_id = serializers.IntegerField(allow_null=True)
    variant_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(help_text=_("As sold (a later menu change never alters it)."))
    sku = serializers.CharField()
    unit_price_minor = serializers.IntegerField(help_text=_("Menu price plus the options' deltas, per unit."))
    quantity = serializers.IntegerField()
    modifiers = ModifierChosenSerializer(many=True)
    note = serializers.CharField()
    discount = StoredDiscountField("discount")
    gross_minor = serializers.IntegerField()
    discount_minor = serializers.IntegerField()
    net_minor = serializers.IntegerField()
    is_voided = serializers.BooleanField()
    refunded_quantity = serializers.IntegerField()


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    shift_id = serializers.IntegerField()
    tender = serializers.ChoiceField(choices=Payment.Tender.choices)
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    currency = serializers.SerializerMethodField()
    amount_minor = serializers.IntegerField(help_text=_("Applied to the order (cash: after rounding)."))
    tip_minor = serializers.IntegerField()
    tendered_minor = serializers.IntegerField(allow_null=True, help_text=_("Cash handed over."))
    change_minor = serializers.IntegerField()
    rounding_minor = serializers.IntegerField(help_text=_("The cash rounding adjustment (+/-)."))
    reference = serializers.CharField(help_text=_("Card approval code or provider reference."))
    created_by_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_currency(self, payment) -> str:
        return self.context.get("currency") or payment.order.currency


class RefundLineSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    amount_minor = serializers.IntegerField()


class RefundSerializer(serializers.Serializer):
    """Money given back: one row per payment it went back to; the first row of a refund carries its lines."""

    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    shift_id = serializers.IntegerField(help_text=_("The shift whose drawer paid it out."))
    payment_id = serializers.IntegerField()
    tender = serializers.ChoiceField(choices=Payment.Tender.choices)
    amount_minor = serializers.IntegerField()
    reason = serializers.CharField()
    created_by_id = serializers.IntegerField()
    approved_by_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    lines = RefundLineSerializer(many=True, source="lines.all")


class OrderSerializer(serializers.Serializer):
    """An order with its lines, payments and refunds. Money in minor units of `currency`."""

    id = serializers.IntegerField()
    uid = serializers.UUIDField()
    number = serializers.IntegerField(help_text=_("The outlet's number of the day."))
    outlet_id = serializers.IntegerField()
    register_id = serializers.IntegerField(source="shift.register_id")
    shift_id = serializers.IntegerField()
    business_date = serializers.DateField(help_text=_("The business's day (its time zone), not UTC's."))
    status = serializers.ChoiceField(choices=Order.Status.choices)
    order_type = serializers.ChoiceField(choices=Order.Type.choices)
    table_id = serializers.IntegerField(allow_null=True)
    table_label = serializers.CharField()
    customer_name = serializers.CharField()
    sent_to_kitchen_at = serializers.DateTimeField(allow_null=True)
    is_rush = serializers.BooleanField()
    served_at = serializers.DateTimeField(allow_null=True)
    created_by_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text=_("Bumped by every change of an open tab."))
    currency = serializers.CharField()
    order_discount = StoredDiscountField("order_discount")
    subtotal_minor = serializers.IntegerField()
    discount_minor = serializers.IntegerField()
    service_charge_minor = serializers.IntegerField()
    tax_minor = serializers.IntegerField(help_text=_("Exclusive taxes, added to the total."))
    tax_included_minor = serializers.IntegerField(help_text=_("Inclusive taxes, inside the prices."))
    total_minor = serializers.IntegerField()
    paid_minor = serializers.IntegerField()
    balance_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    taxes = TaxAmountSerializer(many=True, source="tax_breakdown")
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField()
    lines = OrderLineSerializer(many=True, source="lines.all")
    payments = serializers.SerializerMethodField()
    refunds = RefundSerializer(many=True, source="refunds.all")

    @extend_schema_field(PaymentSerializer(many=True))
    def get_payments(self, order) -> list[dict]:
        return PaymentSerializer(order.payments.all(), many=True, context={"currency": order.currency}).data


class ShiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outlet_id = serializers.IntegerField()
    register_id = serializers.IntegerField()
    register_name = serializers.CharField(source="register.name")
    status = serializers.ChoiceField(choices=Shift.Status.choices)
    opened_by_id = serializers.IntegerField()
    holder_id = serializers.IntegerField(help_text=_("Who works the drawer now (the opener, unless taken over)."))
    opened_at = serializers.DateTimeField()
    opening_float_minor = serializers.IntegerField()
    closed_by_id = serializers.IntegerField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    expected_cash_minor = serializers.IntegerField(allow_null=True, help_text=_("Set when the shift closes."))
    counted_cash_minor = serializers.IntegerField(allow_null=True)
    variance_minor = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()
    currency = serializers.SerializerMethodField()

    def get_currency(self, shift) -> str:
        return self.context["currency"]


class TenderTotalSerializer(serializers.Serializer):
    tender = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    tip_minor = serializers.IntegerField(required=False)
    rounding_minor = serializers.IntegerField(required=False)


class ShiftOrderFiguresSerializer(serializers.Serializer):
    paid_count = serializers.IntegerField()
    open_count = serializers.IntegerField()
    voided_count = serializers.IntegerField()
    refunded_count = serializers.IntegerField()
    gross_minor = serializers.IntegerField(source="gross")
    discounts_minor = serializers.IntegerField(source="discounts")
    service_charge_minor = serializers.IntegerField(source="service")
    tax_minor = serializers.IntegerField(source="tax")
    tax_included_minor = serializers.IntegerField(source="tax_included")
    total_minor = serializers.IntegerField(source="total")
    refunded_minor = serializers.IntegerField(source="refunded")
    open_balance_minor = serializers.IntegerField(source="open_balance")


class ShiftTaxSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rate = serializers.CharField()
    inclusive = serializers.BooleanField()
    amount_minor = serializers.IntegerField()


class DenominationSerializer(serializers.Serializer):
    value_minor = serializers.IntegerField()
    count = serializers.IntegerField()


class ShiftReportSerializer(serializers.Serializer):
    """The X (open shift) or Z (closed) report: the same figures as the printed report (sales.selectors
    .shift_report)."""

    kind = serializers.ChoiceField(choices=[("X", "X"), ("Z", "Z")])
    orders = ShiftOrderFiguresSerializer()
    net_sales_minor = serializers.IntegerField(help_text=_("Gross less discounts (inclusive taxes still inside)."))
    taxes = ShiftTaxSerializer(many=True)
    tenders = TenderTotalSerializer(many=True)
    tips_minor = serializers.IntegerField()
    cash_rounding_minor = serializers.IntegerField()
    refunds = TenderTotalSerializer(many=True)
    refunds_minor = serializers.IntegerField()
    pay_in_minor = serializers.IntegerField()
    pay_out_minor = serializers.IntegerField()
    opening_float_minor = serializers.IntegerField()
    expected_cash_minor = serializers.IntegerField()
    counted_cash_minor = serializers.IntegerField(allow_null=True)
    variance_minor = serializers.IntegerField(allow_null=True)
    variance_review = serializers.BooleanField(help_text=_("The count is off by more than the review threshold."))
    denominations = serializers.SerializerMethodField()

    @extend_schema_field(DenominationSerializer(many=True))
    def get_denominations(self, report) -> list[dict]:
        return [{"value_minor": value, "count": count} for value, count in report["denominations"]]


class ShiftDetailSerializer(ShiftSerializer):
    report = serializers.SerializerMethodField()

    @extend_schema_field(ShiftReportSerializer)
    def get_report(self, shift) -> dict:
        return ShiftReportSerializer(self.context["report"]).data
