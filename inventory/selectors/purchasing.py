"""Reads for suppliers and purchase orders: lists with their totals in one query, and a PO as a document
(lines with money already rounded to minor units) shared by the detail page, the print page and the e-mail."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Sum

from pos_project.money import round_minor

from ..models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, StockItem, Supplier
from ..quantities import format_quantity

OPEN_STATUSES = (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIAL)
_LINE_VALUE = ExpressionWrapper(
    F("lines__quantity") * F("lines__unit_cost"), output_field=DecimalField(max_digits=32, decimal_places=9)
)


def supplier_list(*, archived: bool | None = None) -> QuerySet[Supplier]:
    qs = Supplier.objects.annotate(
        open_orders=Count("purchase_orders", filter=Q(purchase_orders__status__in=OPEN_STATUSES))
    ).order_by("is_archived", "name")
    return qs if archived is None else qs.filter(is_archived=archived)


def supplier_choices() -> QuerySet[Supplier]:
    return Supplier.objects.filter(is_archived=False).order_by("name")


def supplier_get(pk: int) -> Supplier | None:
    return Supplier.objects.filter(pk=pk).first()


def purchase_order_list(
    *, status: str = "", supplier_id: int | None = None, outlet_id: int | None = None
) -> QuerySet[PurchaseOrder]:
    """Newest first, each with its line count and total (Decimal minor units) annotated."""
    qs = PurchaseOrder.objects.select_related("supplier", "outlet", "created_by").annotate(
        line_count=Count("lines"), total_value=Sum(_LINE_VALUE)
    )
    if status:
        qs = qs.filter(status=status)
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.order_by("-created_at", "-pk")


def purchase_order_get(pk: int) -> PurchaseOrder | None:
    return PurchaseOrder.objects.select_related("supplier", "outlet", "created_by").filter(pk=pk).first()


def outstanding(line: PurchaseOrderLine) -> Decimal:
    """Purchase units still to come on a line (never negative: more may have come than was ordered)."""
    return max(line.quantity - line.quantity_received, Decimal(0))


@dataclass(frozen=True)
class DocumentLine:
    line: PurchaseOrderLine
    item: StockItem
    quantity: str
    received: str
    outstanding: Decimal
    outstanding_shown: str
    unit_cost_minor: int
    total_minor: int
    base_quantity: str


@dataclass(frozen=True)
class Document:
    purchase_order: PurchaseOrder
    lines: list[DocumentLine]
    total_minor: int


def purchase_order_document(po: PurchaseOrder) -> Document:
    """The PO's lines as people read them: quantities in purchase units, money rounded once per line."""
    rows = []
    for line in PurchaseOrderLine.objects.filter(purchase_order=po).select_related("item").order_by("pk"):
        left = outstanding(line)
        rows.append(
            DocumentLine(
                line=line,
                item=line.item,
                quantity=format_quantity(line.quantity),
                received=format_quantity(line.quantity_received),
                outstanding=left,
                outstanding_shown=format_quantity(left),
                unit_cost_minor=round_minor(line.unit_cost),
                total_minor=round_minor(line.quantity * line.unit_cost),
                base_quantity=format_quantity(line.quantity * line.item.purchase_factor),
            )
        )
    return Document(purchase_order=po, lines=rows, total_minor=sum(r.total_minor for r in rows))


def purchase_order_receipts(po: PurchaseOrder) -> list[GoodsReceipt]:
    """Deliveries against the PO, oldest first, with their lines and items (three queries whatever the size)."""
    lines = GoodsReceiptLine.objects.select_related("po_line__item").order_by("pk")
    return list(
        GoodsReceipt.objects.filter(purchase_order=po)
        .select_related("received_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("received_at", "pk")
    )


def po_item_choices() -> list[StockItem]:
    """Items that can be ordered, for the order form's selects."""
    return list(
        StockItem.objects.filter(is_archived=False)
        .only("pk", "name", "sku", "purchase_unit", "purchase_factor", "base_unit", "cost")
        .order_by("name", "pk")
    )
