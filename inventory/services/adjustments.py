"""Stock adjustments: corrections made by hand (damage, theft, expiry, a miscount, waste), one line or a thousand.

A submission is checked as a whole before anything is saved: one bad line refuses the batch, and the refusal
lists every bad line by its number, so a 1,000-line paste is fixed in one pass instead of one error at a time.
Stock only moves through the ledger (`movements_post`) and never below zero: a correction that would leave a
negative level is itself a mistake.

Who may post directly: supervisors and the owner. Anyone else's adjustment worth more than the tenant's
`adjustment_approval_minor` waits (PENDING, no movements) for a supervisor or the owner other than its author;
approving re-checks stock at that moment, because sales went on while it waited.
"""

import csv
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import can
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from pos_project.money import round_minor

from ..models import StockAdjustment, StockAdjustmentLine, StockItem, StockLevel, StockMovement
from ..quantities import format_quantity
from .stock import MovementLine, OutOfStock, movements_post, stock_settings_get
from .stock_lines import StockLineInput, lines_check, lines_normalise

Status = StockAdjustment.Status
Reason = StockAdjustment.Reason
MAX_LINES = 1000
MAX_CSV_BYTES = 256 * 1024  # 1,000 lines of "sku,quantity" fit many times over


AdjustmentLineInput = StockLineInput  # one line as submitted (pk or SKU, quantity as typed)


def adjustment_csv_parse(text: str) -> list[AdjustmentLineInput]:
    """Read pasted or uploaded "sku,quantity" lines. Line numbers are the lines of the text as the person sees
    them (blank lines and an optional "sku,quantity" header count), so "Line 17" points at line 17 in the box.
    A semicolon or tab may separate the fields instead of a comma (spreadsheets in comma-decimal locales)."""
    rows = text.splitlines()
    first = next((row for row in rows if row.strip()), "")
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    lines = []
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        fields = [field.strip() for field in next(csv.reader([row], delimiter=delimiter), [])]
        if not lines and len(fields) >= 1 and fields[0].lower() == "sku":
            continue  # a header row
        if len(fields) != 2 or not fields[0]:
            lines.append(AdjustmentLineInput(item=None, quantity="", line_number=number,
                                             error="expected “sku,quantity”"))  # fmt: skip
            continue
        lines.append(AdjustmentLineInput(item=fields[0], quantity=fields[1], line_number=number))
    return lines


def _validated_lines(
    lines: Sequence[AdjustmentLineInput | tuple],
) -> list[tuple[int, StockItem, Decimal]]:
    """(line number, item, signed quantity) for every line, or a ValidationError listing every bad line."""
    lines = lines_normalise(lines)
    if not lines:
        raise ValidationError("Add at least one line.", code="empty")
    if len(lines) > MAX_LINES:
        raise ValidationError(
            f"At most {MAX_LINES} lines per adjustment; this one has {len(lines)}. Split it in parts.",
            code="too_many_lines",
        )
    result, errors = lines_check(lines, allow_negative=True)
    if errors:
        raise ValidationError(errors, code="bad_lines")
    return result


def _movement_kind(reason: str) -> str:
    return StockMovement.Kind.WASTE if reason == Reason.WASTE else StockMovement.Kind.ADJUSTMENT


def _post(adjustment: StockAdjustment, lines: list[StockAdjustmentLine], numbers: dict[int, int]) -> None:
    """Move the stock; if any item would go below zero, refuse with the line, the item and what is left."""
    try:
        movements_post(
            outlet_id=adjustment.outlet_id,
            kind=_movement_kind(adjustment.reason),
            lines=[
                MovementLine(
                    item_id=line.item_id, quantity=line.quantity, unit_cost=line.unit_cost, source_line_id=line.pk
                )  # fmt: skip
                for line in lines
            ],
            user=adjustment.created_by,
            source_type="adjustment",
            source_id=adjustment.pk,
            reason=adjustment.reason,
            note=adjustment.note,
            block_negative=True,
        )
    except OutOfStock:
        takes = {line.item_id: line for line in lines if line.quantity < 0}
        have = dict(
            StockLevel.objects.filter(outlet_id=adjustment.outlet_id, item_id__in=takes).values_list(
                "item_id", "quantity"
            )
        )
        items = StockItem.objects.in_bulk(takes)
        messages = []
        for item_id, line in sorted(takes.items(), key=lambda kv: numbers[kv[1].pk]):
            left = have.get(item_id, Decimal(0))
            if left + line.quantity < 0:
                item = items[item_id]
                messages.append(
                    f"Line {numbers[line.pk]}: only {format_quantity(max(left, Decimal(0)))} {item.base_unit} of "
                    f"{item.name} left at {adjustment.outlet.name}; an adjustment cannot take out "
                    f"{format_quantity(-line.quantity)} and leave stock below zero."
                )
        raise OutOfStock(messages or ["This adjustment would take stock below zero."], code="out_of_stock") from None


def _by_key(key: str) -> StockAdjustment | None:
    return StockAdjustment.objects.filter(idempotency_key=key).first() if key else None


@transaction.atomic
def adjustment_submit(
    *,
    outlet: Outlet,
    user: User,
    reason: str,
    note: str = "",
    lines: Sequence[AdjustmentLineInput | tuple[int | str, str]],
    idempotency_key: str = "",
) -> StockAdjustment:
    """Record an adjustment of 1 to 1,000 lines and post it, or leave it waiting for approval.

    `lines` are (item pk or SKU, quantity as typed) pairs or `AdjustmentLineInput`s. A retry with the same
    idempotency key returns the first adjustment and changes nothing."""
    key = (idempotency_key or "").strip()
    if len(key) > 64:
        raise ValidationError("The form's key is too long; reload the page.", code="bad_key")
    existing = _by_key(key)
    if existing is not None:
        return existing
    errors = []
    if reason not in Reason.values:
        errors.append("Choose a reason.")
    if not outlet.is_active:
        errors.append(f"{outlet.name} is closed; adjust stock at an open outlet.")
    note = (note or "").strip()
    if len(note) > 200:
        errors.append("Keep the note under 200 characters.")
    try:
        checked = _validated_lines(lines)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors, code="invalid")

    value = round_minor(sum((abs(quantity * item.cost) for _, item, quantity in checked), Decimal(0)))
    threshold = stock_settings_get().adjustment_approval_minor
    # Above the owner's threshold every adjustment but the owner's own waits for a second person (four eyes).
    waits = threshold is not None and value > threshold and not can(user, "stock.adjust_unreviewed")
    try:
        with transaction.atomic():  # a racing retry with the same key loses here and gets the first one
            adjustment = StockAdjustment.objects.create(
                outlet=outlet,
                reason=reason,
                note=note,
                status=Status.PENDING if waits else Status.POSTED,
                value_minor=value,
                created_by=user,
                decided_by=None if waits else user,
                decided_at=None if waits else timezone.now(),
                idempotency_key=key or None,
            )
    except IntegrityError:
        existing = _by_key(key)
        if existing is None:
            raise
        return existing
    saved = StockAdjustmentLine.objects.bulk_create(
        [
            StockAdjustmentLine(adjustment=adjustment, item=item, quantity=quantity, unit_cost=item.cost)
            for _, item, quantity in checked
        ],
        batch_size=MAX_LINES,
    )
    if not waits:
        _post(adjustment, saved, {line.pk: number for line, (number, _, _) in zip(saved, checked, strict=True)})
    audit_record(
        action="stock.adjustment_submit",
        actor=user,
        target=str(adjustment),
        data={
            "outlet": outlet.pk,
            "reason": reason,
            "lines": len(saved),
            "value_minor": value,
            "status": adjustment.status,
        },  # fmt: skip
    )
    return adjustment


def _may_decide(approver: User, verb: str) -> None:
    if not can(approver, "stock.approve"):
        raise ValidationError(f"Only a supervisor or the owner can {verb} adjustments.", code="not_allowed")


def _not_own(adjustment: StockAdjustment, approver: User, verb: str) -> None:
    if adjustment.created_by_id == approver.pk:
        raise ValidationError(
            f"You cannot {verb} your own adjustment: ask another supervisor or the owner.", code="own"
        )


def _locked(adjustment: StockAdjustment) -> StockAdjustment:
    return StockAdjustment.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=adjustment.pk)


@transaction.atomic
def adjustment_approve(*, adjustment: StockAdjustment, approver: User) -> StockAdjustment:
    """Post a waiting adjustment. Pressing Approve twice is harmless: the second finds it posted and returns
    it; if stock fell meanwhile so that it would go below zero, it is refused and keeps waiting."""
    _may_decide(approver, "approve")
    adjustment = _locked(adjustment)
    if adjustment.status == Status.POSTED:
        return adjustment
    if adjustment.status == Status.REJECTED:
        raise ValidationError(f"{adjustment} was rejected; it cannot be approved.", code="rejected")
    _not_own(adjustment, approver, "approve")
    lines = list(adjustment.lines.order_by("pk"))
    _post(adjustment, lines, {line.pk: number for number, line in enumerate(lines, start=1)})
    adjustment.status = Status.POSTED
    adjustment.decided_by = approver
    adjustment.decided_at = timezone.now()
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="stock.adjustment_approve",
        actor=approver,
        target=str(adjustment),
        data={"outlet": adjustment.outlet_id, "lines": len(lines), "value_minor": adjustment.value_minor},
    )
    return adjustment


@transaction.atomic
def adjustment_reject(*, adjustment: StockAdjustment, approver: User, comment: str = "") -> StockAdjustment:
    """Refuse a waiting adjustment: no stock moves. The comment goes to the audit log (the adjustment has no
    field for it). Rejecting twice is harmless."""
    _may_decide(approver, "reject")
    adjustment = _locked(adjustment)
    if adjustment.status == Status.REJECTED:
        return adjustment
    if adjustment.status == Status.POSTED:
        raise ValidationError(f"{adjustment} is already posted; correct it with a new adjustment.", code="posted")
    _not_own(adjustment, approver, "reject")
    adjustment.status = Status.REJECTED
    adjustment.decided_by = approver
    adjustment.decided_at = timezone.now()
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="stock.adjustment_reject",
        actor=approver,
        target=str(adjustment),
        data={"outlet": adjustment.outlet_id, "value_minor": adjustment.value_minor, "comment": comment[:200]},
    )
    return adjustment
