"""Stock counts (stocktakes): freeze what the books say, let people count, turn the differences into movements.

The sheet is frozen when the count starts (one line per item, with the outlet's level at that moment and the
item's cost), so counters work against a fixed list while the till keeps selling. Posting moves stock only
through the ledger (`movements_post`, kind COUNT) by counted − expected for each counted line; lines nobody
counted are left alone (the review page says so before posting).

There is no unique constraint for "one open count per outlet" on the model (overlapping categories cannot be
expressed as one), so starting a count locks the outlet row: two people pressing Start at once queue, and the
second is refused.

Statuses change only through the count's transition table (inventory/transitions.py): posting writes the audit
entry and `stock_count.posted`. A scan claims its key in the database (core/idempotency.py) in the scan's own
transaction: a retried scan is counted once whether or not Redis is up, and a refused scan keeps no key.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from business.models import Outlet
from catalog.models import Category
from core.idempotency import idempotency_claim
from pos_project.errors import CONFLICT, ServiceError
from pos_project.money import round_minor

from ..lock_objects import count_lines_lock, count_lock, outlet_queue_lock
from ..models import StockCount, StockCountLine, StockItem, StockLevel, StockMovement
from ..quantities import QTY_MAX, format_quantity, parse_quantity
from ..transitions import STOCK_COUNT, stock_count_transition
from .stock import MovementLine, movements_post

Status = StockCount.Status


@dataclass(frozen=True)
class ScanResult:
    line: StockCountLine
    added: Decimal
    replayed: bool = False  # the same scan arrived twice (double Enter, network retry): counted once


def _require_open(count: StockCount) -> None:
    """Typing, scanning, posting and cancelling all need an open sheet; say why not (409)."""
    if STOCK_COUNT.can_start(count, "count"):
        return
    if count.status == Status.POSTED:
        raise ServiceError(
            "stock_count.posted", _("This count has been posted; it can no longer be changed."), status=CONFLICT
        )
    raise ServiceError(
        "stock_count.cancelled", _("This count was cancelled; it can no longer be changed."), status=CONFLICT
    )


@transaction.atomic
def count_start(*, outlet: Outlet, user: User, category: Category | None = None, note: str = "") -> StockCount:
    """Freeze a count sheet: every item not archived (of the category, if given) with the outlet's level now.

    A count overlapping an open one at the same outlet (same category, or either covering every item) is refused:
    both would correct the same difference when posted."""
    outlet = outlet_queue_lock(outlet.pk)
    if not outlet.is_active:
        raise ServiceError(
            "outlet.inactive", _("%(outlet)s is closed; counts are for open outlets.") % {"outlet": outlet.name},
            field="outlet",
        )  # fmt: skip
    if category is not None and category.is_archived:
        raise ServiceError(
            "category.archived", _("The category %(category)s is archived.") % {"category": category.name},
            field="category",
        )  # fmt: skip
    overlapping = StockCount.objects.filter(outlet=outlet, status=Status.OPEN)
    if category is not None:
        overlapping = overlapping.filter(Q(category=category) | Q(category__isnull=True))
    clash = overlapping.select_related("category").first()
    if clash is not None:
        scope = clash.category.name if clash.category else _("all items")
        raise ServiceError(
            "stock_count.open_exists",
            _("There is already an open count at %(outlet)s (%(count)s, %(scope)s). Post or cancel it first.")
            % {"outlet": outlet.name, "count": clash, "scope": scope},
            status=CONFLICT,
        )
    items = StockItem.objects.filter(is_archived=False)
    if category is not None:
        items = items.filter(category=category)
    level = StockLevel.objects.filter(item=OuterRef("pk"), outlet=outlet).values("quantity")[:1]
    rows = list(items.annotate(level=Subquery(level)).values_list("pk", "cost", "level"))
    if not rows:
        message = (
            _("There are no stock items in %(category)s.") % {"category": category.name}
            if category is not None
            else _("There are no stock items to count.")
        )
        raise ServiceError("stock_count.no_items", message)
    count = StockCount.objects.create(outlet=outlet, category=category, note=note.strip()[:200], created_by=user)
    StockCountLine.objects.bulk_create(
        [
            StockCountLine(count=count, item_id=pk, expected=level or Decimal(0), unit_cost=cost)
            for pk, cost, level in rows
        ]
    )
    return count


@transaction.atomic
def count_enter(*, count: StockCount, entries: dict[int, str]) -> int:
    """Save counted quantities typed on the sheet ({line id: text}; blank means not counted yet). Any bad value
    stops the whole batch; the error is keyed by line id, each message naming the item. Returns how many lines
    changed."""
    count = count_lock(count.pk)
    _require_open(count)
    ids = {int(pk) for pk in entries}
    lines = {line.pk: line for line in StockCountLine.objects.filter(count=count, pk__in=ids).select_related("item")}
    errors: dict[str, list[str]] = {}
    if ids - lines.keys():
        errors["__all__"] = [_("Some lines are not on this count sheet; reload the page.")]
    changed = []
    for pk, text in entries.items():
        line = lines.get(int(pk))
        if line is None:
            continue
        if not str(text if text is not None else "").strip():
            value = None
        else:
            try:
                value = parse_quantity(text, allow_zero=True)
            except ServiceError as exc:
                errors[str(line.pk)] = [
                    _("%(item)s: %(problem)s") % {"item": line.item.name, "problem": " ".join(exc.messages)}
                ]
                continue
        if value != line.counted:
            line.counted = value
            changed.append(line)
    if errors:
        raise ServiceError("stock_count.invalid", _("Nothing was saved: some quantities need fixing."), fields=errors)
    StockCountLine.objects.bulk_update(changed, ["counted"])
    return len(changed)


def _line_for_code(count: StockCount, code: str) -> StockCountLine:
    if not code:
        raise ServiceError("stock_count.code_missing", _("Scan or type a barcode or SKU."), field="code")
    matches = count_lines_lock(count, code=code)
    if not matches:
        raise ServiceError(
            "stock_count.code_unknown",
            _("No item on this count sheet has the barcode or SKU “%(code)s”.") % {"code": code},
            field="code",
        )
    if len(matches) > 1:
        by_sku = [line for line in matches if line.item.sku.lower() == code.lower()]
        if len(by_sku) == 1:
            return by_sku[0]
        names = ", ".join(line.item.name for line in matches)
        raise ServiceError(
            "stock_count.code_ambiguous",
            _("“%(code)s” matches several items (%(names)s); enter their quantities on the sheet.")
            % {"code": code, "names": names},
            field="code",
        )
    return matches[0]


def count_scan(*, count: StockCount, code: str, quantity: Decimal | str = 1, idempotency_key: str = "") -> ScanResult:
    """Add `quantity` to the counted quantity of the line whose item has this barcode or SKU.

    Each scan form carries a fresh key, claimed in this transaction: a repeat of the same scan is answered with
    the line as it stands and adds nothing; the key with another scan is refused (422)."""
    code = (code or "").strip()
    request = {"count": count.pk, "code": code, "quantity": str(quantity)}
    with transaction.atomic():
        once = None  # without a key (a script, a page from before keys) the write is simply unprotected
        if (idempotency_key or "").strip():
            once = idempotency_claim(key=idempotency_key, action="stock_count.scan", request=request)
        if once is not None and once.replayed:
            line = StockCountLine.objects.select_related("item").get(pk=once.result_pk)
            return ScanResult(line=line, added=Decimal(0), replayed=True)
        count = count_lock(count.pk)
        _require_open(count)
        amount = parse_quantity(quantity)
        line = _line_for_code(count, code)
        total = (line.counted or Decimal(0)) + amount
        if total > QTY_MAX:
            raise ServiceError(
                "quantity.too_large", _("%(item)s: that quantity is too large.") % {"item": line.item.name},
                field="quantity",
            )  # fmt: skip
        line.counted = total
        line.save(update_fields=["counted"])
        if once is not None:
            once.remember(line)
    return ScanResult(line=line, added=amount)


@transaction.atomic
def count_post(*, count: StockCount, user: User) -> list[StockMovement]:
    """Post an open count once: a COUNT movement of counted − expected for each counted line that differs.
    Uncounted lines are left as they are. A second post (double click, two supervisors) is refused (409,
    `stock_count.posted`) and moves nothing."""
    count = count_lock(count.pk)
    _require_open(count)
    lines = list(
        StockCountLine.objects.filter(count=count, counted__isnull=False)
        .exclude(counted=F("expected"))
        .order_by("item_id")
    )
    movements = movements_post(
        outlet_id=count.outlet_id,
        kind=StockMovement.Kind.COUNT,
        lines=[
            MovementLine(item_id=line.item_id, quantity=line.variance, unit_cost=line.unit_cost, source_line_id=line.pk)
            for line in lines
        ],
        user=user,
        source_type="count",
        source_id=count.pk,
        note=f"Stock count {count}",
    )
    count.posted_by, count.posted_at = user, timezone.now()
    stock_count_transition(
        count,
        "post",
        actor=user,
        also=("posted_by", "posted_at"),
        data={
            "outlet": count.outlet_id,
            "category": count.category_id,
            "lines_moved": len(lines),
            "value_minor": sum(round_minor(line.variance * line.unit_cost) for line in lines),
            "variances": {str(line.item_id): format_quantity(line.variance) for line in lines[:200]},
        },
    )
    return movements


@transaction.atomic
def count_cancel(*, count: StockCount, user: User) -> StockCount:
    """Drop an open count: nothing moves. Cancelling twice is harmless; a posted count cannot be cancelled."""
    count = count_lock(count.pk)
    if count.status == Status.CANCELLED:
        return count
    _require_open(count)
    return stock_count_transition(count, "cancel", actor=user, data={"outlet": count.outlet_id})
