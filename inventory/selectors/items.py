"""Reads for the stock item pages: the searchable list, one item with its level at every outlet, the
settings form's choices."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from business.models import Outlet
from business.selectors import outlet_list
from catalog.models import Category

from ..models import StockItem, StockLevel, Supplier
from ..quantities import format_quantity

ARCHIVED_CHOICES = ("", "archived", "all")  # "": active items only


def stock_item_list(
    *, query: str = "", kind: str = "", category_id: int | None = None, archived: str = ""
) -> QuerySet[StockItem]:
    """Items matching the search (name, SKU or barcode), with their total on hand across outlets. One query
    per page whatever its size: category and supplier are joined, the total is a subquery."""
    on_hand = (
        StockLevel.objects.filter(item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    total = DecimalField(max_digits=18, decimal_places=3)
    qs = StockItem.objects.select_related("category", "default_supplier").annotate(
        on_hand=Coalesce(Subquery(on_hand), Value(Decimal(0)), output_field=total)
    )
    text = (query or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(sku__icontains=text.upper()) | Q(barcode=text))
    if kind in StockItem.Kind.values:
        qs = qs.filter(kind=kind)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if archived == "archived":
        qs = qs.filter(is_archived=True)
    elif archived != "all":
        qs = qs.filter(is_archived=False)
    return qs.order_by("name", "pk")


def stock_item_get(pk: int) -> StockItem | None:
    return StockItem.objects.select_related("category", "default_supplier", "product").filter(pk=pk).first()


@dataclass(frozen=True)
class OutletLevel:
    outlet: Outlet
    quantity: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal

    @property
    def quantity_text(self) -> str:
        return format_quantity(self.quantity)


def stock_item_levels(item: StockItem) -> list[OutletLevel]:
    """The item at every active outlet (zero where it has never been), in two queries."""
    levels = {lv.outlet_id: lv for lv in StockLevel.objects.filter(item=item)}
    rows = []
    for outlet in outlet_list().order_by("name", "pk"):
        level = levels.get(outlet.pk)
        zero = Decimal(0)
        rows.append(
            OutletLevel(
                outlet=outlet,
                quantity=level.quantity if level else zero,
                reorder_point=level.reorder_point if level else zero,
                reorder_quantity=level.reorder_quantity if level else zero,
            )
        )
    return rows


def stock_category_choices(*, include_pk: int | None = None) -> QuerySet[Category]:
    """Categories in use, plus the one an item already has even if it has since been archived."""
    return Category.objects.filter(Q(is_archived=False) | Q(pk=include_pk)).order_by("sort_order", "name")


def supplier_choices(*, include_pk: int | None = None) -> QuerySet[Supplier]:
    """Active suppliers, plus the one an item already names even if it has since been archived."""
    return Supplier.objects.filter(Q(is_archived=False) | Q(pk=include_pk)).order_by("name")
