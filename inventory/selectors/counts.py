"""Reads for stock counts: the list, the sheet (a page of lines at a time), and the review of differences."""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from pos_project.money import round_minor

from ..models import StockCount, StockCountLine, StockMovement


def count_list(*, status: str = "", outlet_id: int | None = None) -> QuerySet[StockCount]:
    """Counts newest first, with how far each has got (one query, whatever the number of lines)."""
    qs = StockCount.objects.select_related("outlet", "category", "created_by", "posted_by").annotate(
        line_total=Count("lines"), line_counted=Count("lines", filter=Q(lines__counted__isnull=False))
    )
    if status:
        qs = qs.filter(status=status)
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.order_by("-created_at", "-pk")


def count_get(pk: int) -> StockCount:
    """Raises StockCount.DoesNotExist (the view's 404) for a pk that is not this tenant's."""
    return StockCount.objects.select_related("outlet", "category", "created_by", "posted_by").get(pk=pk)


def count_progress(count: StockCount) -> dict[str, int]:
    return StockCountLine.objects.filter(count=count).aggregate(
        total=Count("pk"), counted=Count("pk", filter=Q(counted__isnull=False))
    )


def count_sheet_lines(count: StockCount, *, query: str = "", uncounted_only: bool = False) -> QuerySet:
    """The sheet's lines in shelf order (item name), with the item, filtered by name, SKU or barcode."""
    qs = StockCountLine.objects.filter(count=count).select_related("item")
    query = query.strip()
    if query:
        qs = qs.filter(Q(item__name__icontains=query) | Q(item__sku__iexact=query) | Q(item__barcode=query))
    if uncounted_only:
        qs = qs.filter(counted__isnull=True)
    return qs.order_by("item__name", "pk")


@dataclass
class CountReview:
    lines: list[StockCountLine]  # counted lines whose count differs from the books, each with .value_minor
    total_minor: int = 0  # net value of all differences (gains minus losses)
    gain_minor: int = 0
    loss_minor: int = 0
    uncounted: int = 0  # lines nobody counted: left as they are when posted
    counted: int = 0
    moved_since: int = 0  # movements of the sheet's items at the outlet since the sheet was frozen


def count_review(count: StockCount) -> CountReview:
    """What posting would do: the differences and their value (each line rounded to a minor unit, the total
    the sum of the lines shown, so the page adds up)."""
    lines = list(
        StockCountLine.objects.filter(count=count, counted__isnull=False)
        .exclude(counted=F("expected"))
        .select_related("item")
        .order_by("item__name", "pk")
    )
    review = CountReview(lines=lines)
    for line in lines:
        line.value_minor = round_minor(line.variance * line.unit_cost)
        review.total_minor += line.value_minor
        if line.value_minor >= 0:
            review.gain_minor += line.value_minor
        else:
            review.loss_minor += line.value_minor
    progress = count_progress(count)
    review.counted = progress["counted"]
    review.uncounted = progress["total"] - progress["counted"]
    if count.status == StockCount.Status.OPEN:
        review.moved_since = (
            StockMovement.objects.filter(
                outlet_id=count.outlet_id,
                created_at__gte=count.created_at,
                item_id__in=StockCountLine.objects.filter(count=count).values("item_id"),
            )
            .exclude(source_type="count", source_id=count.pk)
            .count()
        )
    return review
