"""Stock counts (stocktakes): freeze what the books say, let people count, turn the differences into movements.

The sheet is frozen when the count starts (one line per item, with the outlet's level at that moment and the
item's cost), so counters work against a fixed list while the till keeps selling. Posting moves stock only
through the ledger (`movements_post`, kind COUNT) by counted − expected for each counted line; lines nobody
counted are left alone (the review page says so before posting).

There is no unique constraint for "one open count per outlet" on the model (and models are not ours to change
here), so starting a count locks the outlet row: two people pressing Start at once queue, and the second is
refused.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from catalog.models import Category
from pos_project.money import round_minor

from ..models import StockCount, StockCountLine, StockItem, StockLevel, StockMovement
from ..quantities import QTY_MAX, format_quantity, parse_quantity
from .stock import MovementLine, movements_post

Status = StockCount.Status
SCAN_KEY_TTL = 60 * 60 * 12  # a retried scan is recognised for the length of a working day


@dataclass(frozen=True)
class ScanResult:
    line: StockCountLine
    added: Decimal
    replayed: bool = False  # the same scan arrived twice (double Enter, network retry): counted once


def _locked(count: StockCount) -> StockCount:
    return StockCount.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=count.pk)


def _require_open(count: StockCount) -> None:
    if count.status == Status.POSTED:
        raise ValidationError("This count has been posted; it can no longer be changed.", code="already_posted")
    if count.status == Status.CANCELLED:
        raise ValidationError("This count was cancelled; it can no longer be changed.", code="cancelled")


@transaction.atomic
def count_start(*, outlet: Outlet, user: User, category: Category | None = None, note: str = "") -> StockCount:
    """Freeze a count sheet: every item not archived (of the category, if given) with the outlet's level now.

    A count overlapping an open one at the same outlet (same category, or either covering every item) is refused:
    both would correct the same difference when posted."""
    # NO KEY UPDATE: two starts at one outlet queue on it, while sales inserting rows that point at the outlet
    # (which take KEY SHARE) do not wait.
    outlet = Outlet.objects.select_for_update(no_key=True).get(pk=outlet.pk)
    if not outlet.is_active:
        raise ValidationError(f"{outlet.name} is closed; counts are for open outlets.", code="outlet_inactive")
    if category is not None and category.is_archived:
        raise ValidationError(f"The category {category.name} is archived.", code="category_archived")
    overlapping = StockCount.objects.filter(outlet=outlet, status=Status.OPEN)
    if category is not None:
        overlapping = overlapping.filter(Q(category=category) | Q(category__isnull=True))
    clash = overlapping.select_related("category").first()
    if clash is not None:
        scope = clash.category.name if clash.category else "all items"
        raise ValidationError(
            f"There is already an open count at {outlet.name} ({clash}, {scope}). Post or cancel it first.",
            code="open_count_exists",
        )
    items = StockItem.objects.filter(is_archived=False)
    if category is not None:
        items = items.filter(category=category)
    level = StockLevel.objects.filter(item=OuterRef("pk"), outlet=outlet).values("quantity")[:1]
    rows = list(items.annotate(level=Subquery(level)).values_list("pk", "cost", "level"))
    if not rows:
        where = f"in {category.name}" if category is not None else "to count"
        raise ValidationError(f"There are no stock items {where}.", code="no_items")
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
    count = _locked(count)
    _require_open(count)
    ids = {int(pk) for pk in entries}
    lines = {line.pk: line for line in StockCountLine.objects.filter(count=count, pk__in=ids).select_related("item")}
    errors: dict[str, list[str]] = {}
    if ids - lines.keys():
        errors["__all__"] = ["Some lines are not on this count sheet; reload the page."]
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
            except ValidationError as exc:
                errors[str(line.pk)] = [f"{line.item.name}: {' '.join(exc.messages)}"]
                continue
        if value != line.counted:
            line.counted = value
            changed.append(line)
    if errors:
        raise ValidationError(errors, code="invalid")
    StockCountLine.objects.bulk_update(changed, ["counted"])
    return len(changed)


def _line_for_code(count: StockCount, code: str) -> StockCountLine:
    code = (code or "").strip()
    if not code:
        raise ValidationError("Scan or type a barcode or SKU.", code="required")
    matches = list(
        StockCountLine.objects.select_for_update(of=("self",))
        .filter(count=count)
        .filter(Q(item__barcode=code) | Q(item__sku__iexact=code))
        .select_related("item")
        .order_by("pk")
    )
    if not matches:
        raise ValidationError(f"No item on this count sheet has the barcode or SKU “{code}”.", code="no_match")
    if len(matches) > 1:
        by_sku = [line for line in matches if line.item.sku.lower() == code.lower()]
        if len(by_sku) == 1:
            return by_sku[0]
        names = ", ".join(line.item.name for line in matches)
        raise ValidationError(
            f"“{code}” matches several items ({names}); enter their quantities on the sheet.", code="ambiguous"
        )
    return matches[0]


@transaction.atomic
def count_scan(*, count: StockCount, code: str, quantity: Decimal | str = 1, idempotency_key: str = "") -> ScanResult:
    """Add `quantity` to the counted quantity of the line whose item has this barcode or SKU.

    Each scan form carries a fresh key; a repeat of a key already seen is answered with the line as it stands
    and adds nothing (the model has no field for it, so the key is kept in the tenant-scoped cache)."""
    count = _locked(count)
    _require_open(count)
    amount = parse_quantity(quantity)
    line = _line_for_code(count, code)
    # The count's start time is in the key too, so a key can never meet another count that reuses the pk.
    stamp = int(count.created_at.timestamp() * 1_000_000)
    cache_key = f"stock-count-scan:{count.pk}:{stamp}:{idempotency_key[:64]}" if idempotency_key else ""
    # add() is atomic in Redis: of two identical requests only one gets True. False means seen before; None
    # (Redis down, errors ignored) means we cannot tell, and counting the scan is the lesser harm.
    if cache_key and cache.add(cache_key, line.pk, SCAN_KEY_TTL) is False:
        return ScanResult(line=line, added=Decimal(0), replayed=True)
    total = (line.counted or Decimal(0)) + amount
    if total > QTY_MAX:
        if cache_key:
            cache.delete(cache_key)
        raise ValidationError(f"{line.item.name}: that quantity is too large.", code="too_large")
    line.counted = total
    line.save(update_fields=["counted"])
    return ScanResult(line=line, added=amount)


@transaction.atomic
def count_post(*, count: StockCount, user: User) -> list[StockMovement]:
    """Post an open count once: a COUNT movement of counted − expected for each counted line that differs.
    Uncounted lines are left as they are. A second post (double click, two supervisors) is refused and moves
    nothing."""
    count = _locked(count)
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
    count.status = Status.POSTED
    count.posted_by = user
    count.posted_at = timezone.now()
    count.save(update_fields=["status", "posted_by", "posted_at"])
    audit_record(
        action="stock.count_post",
        actor=user,
        target=str(count),
        data={
            "outlet": count.outlet.name,
            "category_id": count.category_id,
            "lines_moved": len(lines),
            "value_minor": sum(round_minor(line.variance * line.unit_cost) for line in lines),
            "variances": {str(line.item_id): format_quantity(line.variance) for line in lines[:200]},
        },
    )
    return movements


@transaction.atomic
def count_cancel(*, count: StockCount, user: User) -> StockCount:
    """Drop an open count: nothing moves. Cancelling twice is harmless; a posted count cannot be cancelled."""
    count = _locked(count)
    if count.status == Status.CANCELLED:
        return count
    _require_open(count)
    count.status = Status.CANCELLED
    count.save(update_fields=["status"])
    audit_record(action="stock.count_cancel", actor=user, target=str(count), data={"outlet": count.outlet.name})
    return count
