"""Reads for the adjustment pages. Each returns everything its page shows in a fixed number of queries."""

from django.db.models import Count, QuerySet

from ..models import StockAdjustment, StockAdjustmentLine, StockItem


def adjustment_list(*, status: str = "", outlet_id: int | None = None) -> QuerySet[StockAdjustment]:
    qs = StockAdjustment.objects.select_related("outlet", "created_by", "decided_by").annotate(
        line_count=Count("lines")
    )
    if status:
        qs = qs.filter(status=status)
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.order_by("-created_at", "-pk")


def adjustment_pending() -> QuerySet[StockAdjustment]:
    """Oldest first: the approvals page is a queue."""
    return adjustment_list(status=StockAdjustment.Status.PENDING).order_by("created_at", "pk")


def adjustment_get(pk: int) -> StockAdjustment | None:
    return StockAdjustment.objects.select_related("outlet", "created_by", "decided_by").filter(pk=pk).first()


def adjustment_lines(adjustment: StockAdjustment) -> QuerySet[StockAdjustmentLine]:
    return adjustment.lines.select_related("item").order_by("pk")


def adjustment_item_choices() -> QuerySet:
    """Items that can be adjusted, for the single form's search box (SKU, name, unit)."""
    return StockItem.objects.filter(is_archived=False).order_by("name").values_list("sku", "name", "base_unit")
