"""Report summaries in the JSON API (`/api/v1/reports/...`, docs/api.md): read-only views over reports/selectors.py,
the same roll-ups the report pages read, so a figure here is the figure on the page.

Every report takes a period of business dates (`date_from`, `date_to`, both included, at most MAX_DAYS days; the
business's own days, not UTC's) and the outlets to include (`outlet`, repeatable; by default every outlet the
caller works at, and an outlet that is not one of the caller's is refused). Roll-ups follow the sales through
the outbox, within seconds of each sale. Money is integer minor units of `currency`.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.access import outlets_of
from business.selectors import outlets_for
from core.api import ApiView
from pos_project.errors import ServiceError

from . import selectors
from .forms import MAX_DATE, MAX_DAYS, MIN_DATE
from .selectors import PRODUCT_GROUPS, PRODUCT_MEASURES, SALES_DIMENSIONS, SALES_MEASURES, Period


class ReportFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text=_("First business date (default: today)."))
    date_to = serializers.DateField(required=False, help_text=_("Last business date, included (default: date_from)."))
    outlet = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=100,
        help_text=_("Outlet ids to include (repeat the parameter); default: every outlet you work at."),
    )  # fmt: skip

    def validate(self, attrs: dict) -> dict:
        today = datetime.now(ZoneInfo(connection.tenant.timezone)).date()
        start = attrs.get("date_from") or today
        end = attrs.get("date_to") or start
        if not (MIN_DATE <= start <= MAX_DATE and MIN_DATE <= end <= MAX_DATE):
            raise serializers.ValidationError({"date_from": [_("Choose dates between 2000 and 2100.")]})
        if start > end:
            raise serializers.ValidationError({"date_to": [_("The end must be on or after the start.")]})
        if (end - start).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"date_to": [_("Choose at most %(days)s days.") % {"days": MAX_DAYS}]})
        return {**attrs, "period": Period(start, end)}


class ProductFilterSerializer(ReportFilterSerializer):
    by = serializers.ChoiceField(choices=sorted(PRODUCT_GROUPS), default="product")
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


def _filters(request, serializer_class=ReportFilterSerializer) -> tuple[dict, frozenset[int] | None]:
    """The checked filter and the outlets it reads: those asked for, each one of the caller's, or all of theirs."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    asked = data.get("outlet")
    if not asked:
        return data, outlets_of(request.user)
    mine = set(outlets_for(request.user, active_only=False).values_list("pk", flat=True))
    if not set(asked) <= mine:
        raise ServiceError("report.outlet_not_yours", _("Choose among your outlets."), field="outlet")
    return data, frozenset(asked)


def _head(data: dict, outlets) -> dict:
    return {
        "date_from": data["period"].start,
        "date_to": data["period"].end,
        "outlets": sorted(outlets) if outlets is not None else None,
        "currency": connection.tenant.currency,
    }


class SalesFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text=_("Orders paid (sold) in the period."))
    gross_minor = serializers.IntegerField(help_text=_("Sales at menu prices, before discounts."))
    discount_minor = serializers.IntegerField()
    service_charge_minor = serializers.IntegerField()
    tax_minor = serializers.IntegerField(help_text=_("Exclusive taxes, added."))
    tax_included_minor = serializers.IntegerField(help_text=_("Inclusive taxes, inside the prices."))
    total_minor = serializers.IntegerField(help_text=_("What customers were charged."))
    net_minor = serializers.IntegerField(help_text=_("The total less taxes and service charge."))
    tips_minor = serializers.IntegerField()
    average_ticket_minor = serializers.IntegerField()
    refunds = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    after_refunds_minor = serializers.IntegerField(help_text=_("The total less what was refunded."))
    voids = serializers.IntegerField()
    voided_minor = serializers.IntegerField()
    line_voids = serializers.IntegerField()
    line_voided_minor = serializers.IntegerField()


class ReportHeadSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    outlets = serializers.ListField(child=serializers.IntegerField(), allow_null=True,
                                    help_text=_("The outlets included; null for all of them."))  # fmt: skip
    currency = serializers.CharField()


class SalesSummarySerializer(ReportHeadSerializer):
    totals = SalesFiguresSerializer()


class SalesRowSerializer(SalesFiguresSerializer):
    key = serializers.CharField(
        help_text=_("The day (YYYY-MM-DD), hour (0-23), ISO weekday (1 Monday..7 Sunday), outlet id or order type.")
    )


class SalesBySerializer(ReportHeadSerializer):
    rows = SalesRowSerializer(many=True)


class ProductRowSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(required=False, allow_null=True)
    variant_id = serializers.IntegerField(required=False, allow_null=True)
    category_id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(allow_null=True, help_text=_("As last sold (categories: null)."))
    quantity = serializers.IntegerField()
    gross_minor = serializers.IntegerField()
    discount_minor = serializers.IntegerField()
    net_minor = serializers.IntegerField()
    refunded_quantity = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()


class ProductReportSerializer(ReportHeadSerializer):
    rows = ProductRowSerializer(many=True)


class PaymentRowSerializer(serializers.Serializer):
    tender = serializers.CharField()
    payments = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    tips_minor = serializers.IntegerField()
    refunds = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    net_minor = serializers.IntegerField(help_text=_("Taken less refunded."))


class PaymentReportSerializer(ReportHeadSerializer):
    rows = PaymentRowSerializer(many=True)


def _sales(row: dict) -> dict:
    return {name: row[name] for name in (*SALES_MEASURES, "net_minor", "average_ticket_minor", "after_refunds_minor")}


class ReportView(ApiView):
    api_resource = "reports"
    api_capability_read = "reports.view"
    api_capability_write = "reports.view"


SUMMARY_EXAMPLE = {
    "date_from": "2026-11-01", "date_to": "2026-11-30", "outlets": None, "currency": "IDR",
    "totals": {"orders": 1240, "gross_minor": 98_500_000, "discount_minor": 1_200_000,
               "service_charge_minor": 4_865_000,
               "tax_minor": 10_216_500, "tax_included_minor": 0, "total_minor": 112_381_500, "net_minor": 97_300_000,
               "tips_minor": 350_000, "average_ticket_minor": 90_630, "refunds": 6, "refunded_minor": 420_000,
               "after_refunds_minor": 111_961_500, "voids": 9, "voided_minor": 610_000, "line_voids": 14,
               "line_voided_minor": 455_000},
}  # fmt: skip


_FIGURES = SUMMARY_EXAMPLE["totals"]
_HEAD = {k: v for k, v in SUMMARY_EXAMPLE.items() if k != "totals"}
BY_DAY_EXAMPLE = {**_HEAD, "rows": [{**_FIGURES, "key": "2026-11-01"}]}
PRODUCTS_EXAMPLE = {**_HEAD, "rows": [{"product_id": 9, "name": "Latte", "quantity": 310, "gross_minor": 13_950_000,
                                       "discount_minor": 150_000, "net_minor": 13_800_000, "refunded_quantity": 2,
                                       "refunded_minor": 90_000}]}  # fmt: skip
PAYMENTS_EXAMPLE = {**_HEAD, "rows": [{"tender": "cash", "payments": 800, "amount_minor": 70_000_000,
                                       "tips_minor": 200_000, "refunds": 4, "refunded_minor": 300_000,
                                       "net_minor": 69_700_000}]}  # fmt: skip


class SalesSummary(ReportView):
    """Sales of a period at some outlets, in one row."""

    serializer_class = SalesSummarySerializer

    @extend_schema(summary="Sales totals", parameters=[ReportFilterSerializer],
                   examples=[OpenApiExample("November", value=SUMMARY_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request):
        data, outlets = _filters(request)
        totals = selectors.sales_totals(period=data["period"], outlets=outlets)
        return Response(SalesSummarySerializer({**_head(data, outlets), "totals": _sales(totals)}).data)


class SalesBy(ReportView):
    """Sales of a period per day, hour, weekday, outlet or order type: one row per value that had any."""

    serializer_class = SalesBySerializer
    dimension = "day"

    def get(self, request):
        data, outlets = _filters(request)
        rows = selectors.sales_by(dimension=self.dimension, period=data["period"], outlets=outlets)
        body = {**_head(data, outlets), "rows": [{**_sales(row), "key": str(row["key"])} for row in rows]}
        return Response(SalesBySerializer(body).data)


def _sales_by(dimension: str):
    """SalesBy for one dimension: a view (and an operation in the schema) of its own."""

    @extend_schema(summary=f"Sales by {dimension.replace('_', ' ')}", parameters=[ReportFilterSerializer],
                   operation_id=f"reports_sales_by_{dimension}",
                   examples=[OpenApiExample("By day", value=BY_DAY_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request):
        return SalesBy.get(self, request)

    name = f"SalesBy{dimension.title().replace('_', '')}"
    return type(name, (SalesBy,), {"dimension": dimension, "get": get, "__doc__": SalesBy.__doc__}).as_view()


class ProductReport(ReportView):
    """Units and money per product, variant or category (`by`), best sellers (by net) first."""

    serializer_class = ProductReportSerializer

    @extend_schema(summary="Sales by product", parameters=[ProductFilterSerializer],
                   examples=[OpenApiExample("Best seller", value=PRODUCTS_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request):
        data, outlets = _filters(request, ProductFilterSerializer)
        rows = selectors.product_sales(period=data["period"], outlets=outlets, by=data["by"], limit=data["limit"])
        keys = PRODUCT_GROUPS[data["by"]]
        body = {**_head(data, outlets),
                "rows": [{**{k: row[k] for k in keys}, "name": row.get("name") if data["by"] != "category" else None,
                          **{m: row[m] or 0 for m in PRODUCT_MEASURES}} for row in rows]}  # fmt: skip
        return Response(ProductReportSerializer(body).data)


class PaymentReport(ReportView):
    """Per payment method (tender): payments taken, tips, refunds given back to it, and the net."""

    serializer_class = PaymentReportSerializer

    @extend_schema(summary="Sales by payment method", parameters=[ReportFilterSerializer],
                   examples=[OpenApiExample("Cash", value=PAYMENTS_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request):
        data, outlets = _filters(request)
        rows = selectors.payment_mix(period=data["period"], outlets=outlets)
        return Response(PaymentReportSerializer({**_head(data, outlets), "rows": rows}).data)


urlpatterns = [
    path("reports/sales/", SalesSummary.as_view(), name="report-sales"),
    *(
        path(f"reports/sales/by-{d.replace('_', '-')}/", _sales_by(d), name=f"report-sales-by-{d}")
        for d in SALES_DIMENSIONS
    ),  # fmt: skip
    path("reports/products/", ProductReport.as_view(), name="report-products"),
    path("reports/payment-methods/", PaymentReport.as_view(), name="report-payment-methods"),
]
