"""Reads for the transfer pages. Each returns what its page shows in a fixed number of queries."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.access import outlet_allowed, outlets_of

from ..models import StockItem, StockLevel, Transfer, TransferLine


def transfer_either_end(queryset: QuerySet, user, prefix: str = "") -> QuerySet:
    """`queryset` narrowed to the transfers `user` sees: those leaving or reaching an outlet they work at
    (accounts.access.outlets_of; everyone's for owners and staff assigned no outlet). `prefix` leads from its
    rows to the transfer ("transfer__")."""
    allowed = outlets_of(user)
    if allowed is None:
        return queryset
    ids = sorted(allowed)
    return queryset.filter(Q(**{f"{prefix}from_outlet_id__in": ids}) | Q(**{f"{prefix}to_outlet_id__in": ids}))


# Staff limited to some outlets (issue 12, point 17): a transfer is theirs to see when either end is one of their
# outlets; they send, edit and cancel it only from their end (the stock leaves there) and receive it only at
# their end. Pages and the API ask the same question; anything else is answered as a transfer that does not exist.
EITHER, SENDING, RECEIVING = "either", "from", "to"
END_OF_ACTION = {"send": SENDING, "edit": SENDING, "cancel": SENDING, "receive": RECEIVING}


def transfer_end_allowed(user, transfer: Transfer, end: str = EITHER) -> bool:
    """Whether `user` works at the transfer's `end` (EITHER, SENDING or RECEIVING)."""
    sending = outlet_allowed(user, transfer.from_outlet_id)
    receiving = outlet_allowed(user, transfer.to_outlet_id)
    return {EITHER: sending or receiving, SENDING: sending, RECEIVING: receiving}[end]


def transfer_list(*, status: str = "", outlet_id: int | None = None, user=None) -> QuerySet[Transfer]:
    """Newest first. An outlet filter matches both ends: a transfer concerns the outlet it leaves and the one
    it reaches. With `user`, only the transfers with an end at an outlet that person works at."""
    qs = Transfer.objects.select_related("from_outlet", "to_outlet", "created_by").annotate(line_count=Count("lines"))
    if user is not None:
        qs = transfer_either_end(qs, user)
    if status:
        qs = qs.filter(status=status)
    if outlet_id:
        qs = qs.filter(Q(from_outlet_id=outlet_id) | Q(to_outlet_id=outlet_id))
    return qs.order_by("-created_at", "-pk")


def transfer_get(pk: int) -> Transfer | None:
    return (
        Transfer.objects.select_related(
            "from_outlet", "to_outlet", "created_by", "sent_by", "received_by", "cancelled_by"
        )
        .filter(pk=pk)
        .first()
    )


def transfer_lines(transfer: Transfer) -> QuerySet[TransferLine]:
    return transfer.lines.select_related("item").order_by("pk")


def transfer_lines_with_levels(transfer: Transfer) -> list[tuple[TransferLine, Decimal, Decimal]]:
    """Each line with what the source and the destination hold now (can a draft be sent? did it arrive?).
    Two queries."""
    lines = list(transfer_lines(transfer))
    held: dict[tuple[int, int], Decimal] = {
        (outlet_id, item_id): quantity
        for outlet_id, item_id, quantity in StockLevel.objects.filter(
            outlet_id__in=[transfer.from_outlet_id, transfer.to_outlet_id],
            item_id__in=[line.item_id for line in lines],
        )
        .order_by()
        .values_list("outlet_id", "item_id", "quantity")
    }
    zero = Decimal(0)
    return [
        (
            line,
            held.get((transfer.from_outlet_id, line.item_id), zero),
            held.get((transfer.to_outlet_id, line.item_id), zero),
        )
        for line in lines
    ]


def in_transit_quantities(*, to_outlet_id: int | None = None) -> dict[int, Decimal]:
    """Item pk → base units sent and not yet received (or cancelled), optionally only those heading to one
    outlet: stock that exists but sits on no shelf."""
    qs = TransferLine.objects.filter(transfer__status=Transfer.Status.SENT)
    if to_outlet_id:
        qs = qs.filter(transfer__to_outlet_id=to_outlet_id)
    return {row["item_id"]: row["total"] for row in qs.values("item_id").annotate(total=Sum("quantity"))}


def in_transit_rows(*, limit: int = 100, user=None) -> list[dict]:
    """In-transit quantities per item and destination, with the item's name and unit, for the list page; with
    `user`, of the transfers with an end at an outlet that person works at."""
    lines = TransferLine.objects.filter(transfer__status=Transfer.Status.SENT)
    if user is not None:
        lines = transfer_either_end(lines, user, prefix="transfer__")
    rows = (
        lines.values("item_id", "item__name", "item__sku", "item__base_unit", "transfer__to_outlet__name")
        .annotate(total=Sum("quantity"), transfers=Count("transfer", distinct=True))
        .order_by("item__name", "transfer__to_outlet__name")[:limit]
    )
    return list(rows)


def transfer_item_choices() -> QuerySet:
    """Items that can be transferred, for the form's search list (SKU, name, unit)."""
    return StockItem.objects.filter(is_archived=False).order_by("name").values_list("sku", "name", "base_unit")
