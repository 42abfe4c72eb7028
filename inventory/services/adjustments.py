"""Stock adjustments: corrections made by hand (damage, theft, expiry, a miscount, waste), one line or a thousand.

A submission is checked as a whole before anything is saved: one bad line refuses the batch, and the refusal
lists every bad line by its number, so a 1,000-line paste is fixed in one pass instead of one error at a time.
Stock only moves through the ledger (`movements_post`) and never below zero: a correction that would leave a
negative level is itself a mistake.

Who may post directly: the owner, always. Everyone else's adjustments are added up per person and outlet over the
business day (the tenant's time zone): once the day's total, this adjustment included, is above the threshold
for their role, it waits (PENDING, no movements) for a supervisor or the owner other than its author. Cashiers and
kitchen staff have their own threshold, `staff_adjustment_approval_minor`, 0 by default: every one they report
waits unless the owner raises (or clears) it; supervisors have `adjustment_approval_minor` (empty by default:
never). It is the day's total that counts, not each adjustment alone, so ten small ones cannot slip under a
threshold that one big one would cross; the day's total counts what the person posted without a second person
(what a supervisor approved was reviewed, and what waits is in front of one). Two submissions by one person at
one outlet queue on an advisory lock, so a concurrent pair cannot both read the same total and both slip under.
Approving re-checks stock at that moment, because sales went on while it waited.

A submission carries the form's key: a double submit claims the same key (core/idempotency.py) and gets the
first adjustment back; the same key with other lines is refused (422). Statuses change only through the
adjustment's transition table (inventory/transitions.py), which writes the audit entry and, once stock has
moved, the `stock.adjusted` event. Locks: the key, the person's day at the outlet (advisory), the adjustment,
then the levels (docs/adr/0007).
"""

import csv
from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can, capability_check
from accounts.models import User
from business.models import Outlet
from business.selectors import tenant_settings
from core.idempotency import idempotent_write
from core.locks import advisory_xact_lock
from pos_project.errors import CONFLICT, FORBIDDEN, ServiceError
from pos_project.money import round_minor

from ..lock_objects import adjustment_lines_lock, adjustment_lock
from ..models import StockAdjustment, StockAdjustmentLine, StockItem, StockLevel, StockMovement, StockSettings
from ..quantities import format_quantity
from ..transitions import ADJUSTMENT, adjustment_transition
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
                                             error=_("expected “sku,quantity”")))  # fmt: skip
            continue
        lines.append(AdjustmentLineInput(item=fields[0], quantity=fields[1], line_number=number))
    return lines


def _validated_lines(lines: list[AdjustmentLineInput]) -> tuple[list[tuple[int, StockItem, Decimal]], list[str]]:
    """(line number, item, signed quantity) for every good line, and one message per bad one (or for the whole
    batch: empty, too long)."""
    if not lines:
        return [], [_("Add at least one line.")]
    if len(lines) > MAX_LINES:
        return [], [
            _("At most %(max)s lines per adjustment; this one has %(count)s. Split it in parts.")
            % {"max": MAX_LINES, "count": len(lines)}
        ]
    return lines_check(lines, allow_negative=True)


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
                    _("Line %(line)s: only %(left)s %(unit)s of %(item)s left at %(outlet)s; an adjustment cannot "
                      "take out %(out)s and leave stock below zero.")
                    % {"line": numbers[line.pk], "left": format_quantity(max(left, Decimal(0))),
                       "unit": item.base_unit, "item": item.name, "outlet": adjustment.outlet.name,
                       "out": format_quantity(-line.quantity)}
                )  # fmt: skip
        raise OutOfStock(messages or [_("This adjustment would take stock below zero.")]) from None


def _business_day_start() -> datetime:
    """Midnight today in the business's time zone: where "today's adjustments" begin."""
    try:
        tz = ZoneInfo(tenant_settings().timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.get_default_timezone()
    return datetime.combine(timezone.localdate(timezone.now(), tz), time.min, tzinfo=tz)


def _approval_threshold(user: User, settings: StockSettings) -> int | None:
    """The day's total above which this person's adjustments wait; None: they never wait."""
    if can(user, "stock.adjust_unreviewed"):
        return None  # the owner
    if can(user, "stock.adjust"):
        return settings.adjustment_approval_minor  # supervisors
    return settings.staff_adjustment_approval_minor  # cashiers and kitchen staff, who only report waste


def _day_total_unreviewed(*, user: User, outlet: Outlet) -> int:
    """What `user` posted at `outlet` today without a second person (rejected and waiting ones do not count; an
    approved one was reviewed). Read under the person's day lock (`adjustment_submit`)."""
    today = StockAdjustment.objects.filter(
        created_by=user, outlet=outlet, created_at__gte=_business_day_start(), status=Status.POSTED,
        decided_by=F("created_by"),
    )  # fmt: skip
    return today.aggregate(total=Sum("value_minor", default=0))["total"]


def _waits(*, user: User, outlet: Outlet, value: int) -> bool:
    """Whether this adjustment waits for a second person: its value plus the person's unreviewed total of the day
    is above their threshold (0: every one waits). The caller holds the person's day lock."""
    threshold = _approval_threshold(user, stock_settings_get())
    if threshold is None:
        return False
    return threshold == 0 or _day_total_unreviewed(user=user, outlet=outlet) + value > threshold


def _fingerprint_lines(lines: Sequence[AdjustmentLineInput]) -> list:
    return [[line.item, str(line.quantity), line.line_number, str(line.error)] for line in lines]


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

    `lines` are (item pk or SKU, quantity as typed) pairs or `AdjustmentLineInput`s. With a key (the forms
    send one per page load), a retry of the same submission returns the first adjustment and changes nothing,
    and the key with another submission is refused (422). A refused submission keeps no key, so the form can
    be corrected and sent again."""
    lines = lines_normalise(lines)
    note = (note or "").strip()
    request = {"outlet": outlet.pk, "user": user.pk, "reason": reason, "note": note,
               "lines": _fingerprint_lines(lines)}  # fmt: skip

    def write() -> StockAdjustment:
        errors: dict[str, list[str]] = {}
        if reason not in Reason.values:
            errors["reason"] = [_("Choose a reason.")]
        if not outlet.is_active:
            errors["outlet"] = [_("%(outlet)s is closed; adjust stock at an open outlet.") % {"outlet": outlet.name}]
        if len(note) > 200:
            errors["note"] = [_("Keep the note under 200 characters.")]
        checked, line_errors = _validated_lines(lines)
        if line_errors:
            errors["__all__"] = line_errors
        if errors:
            raise ServiceError("adjustment.invalid", _("The adjustment needs fixing."), fields=errors)

        value = round_minor(sum((abs(quantity * item.cost) for _n, item, quantity in checked), Decimal(0)))
        # One person's submissions at one outlet queue here, so two at once cannot both read the same day's total
        # and both slip under the threshold together (docs/adr/0007: advisory locks come right after the key).
        advisory_xact_lock(f"stock.adjustment_day:{user.pk}:{outlet.pk}")
        # Above the threshold, counted over the day, every adjustment but the owner's waits for a second person.
        waits = _waits(user=user, outlet=outlet, value=value)
        adjustment = StockAdjustment.objects.create(
            outlet=outlet, reason=reason, note=note, value_minor=value, created_by=user
        )
        saved = StockAdjustmentLine.objects.bulk_create(
            [
                StockAdjustmentLine(adjustment=adjustment, item=item, quantity=quantity, unit_cost=item.cost)
                for _n, item, quantity in checked
            ],
            batch_size=MAX_LINES,
        )
        if not waits:
            _post(adjustment, saved, {line.pk: number for line, (number, _i, _q) in zip(saved, checked, strict=True)})
            adjustment.decided_by, adjustment.decided_at = user, timezone.now()
        adjustment_transition(
            adjustment,
            "submit" if waits else "post",
            actor=user,
            also=() if waits else ("decided_by", "decided_at"),
            data={
                "outlet": outlet.pk,
                "reason": reason,
                "lines": len(saved),
                "value_minor": value,
                "status": Status.PENDING if waits else Status.POSTED,
            },
        )
        return adjustment

    # Without a key (a script, a page from before keys) the write simply runs unprotected.
    return idempotent_write(
        key=idempotency_key,
        action="adjustment.submit",
        request=request,
        model=StockAdjustment,
        write=write,
        required=False,
    )


def _may_decide(approver: User, message: str) -> None:
    capability_check(approver, "stock.approve", message)


def _not_own(adjustment: StockAdjustment, approver: User, message: str) -> None:
    """Four eyes: the second person is never the author."""
    if adjustment.created_by_id == approver.pk:
        raise ServiceError("adjustment.own", message, status=FORBIDDEN)


@transaction.atomic
def adjustment_approve(*, adjustment: StockAdjustment, approver: User) -> StockAdjustment:
    """Post a waiting adjustment. Pressing Approve twice is harmless: the second finds it posted and returns
    it; if stock fell meanwhile so that it would go below zero, it is refused and keeps waiting."""
    _may_decide(approver, _("Only a supervisor or the owner can approve adjustments."))
    adjustment = adjustment_lock(adjustment.pk)
    if adjustment.status == Status.POSTED:
        return adjustment
    if not ADJUSTMENT.can_start(adjustment, "approve"):
        raise ServiceError(
            "adjustment.not_pending",
            _("%(adjustment)s was rejected; it cannot be approved.") % {"adjustment": adjustment},
            status=CONFLICT,
        )
    _not_own(adjustment, approver, _("You cannot approve your own adjustment: ask another supervisor or the owner."))
    lines = adjustment_lines_lock(adjustment)
    _post(adjustment, lines, {line.pk: number for number, line in enumerate(lines, start=1)})
    adjustment.decided_by, adjustment.decided_at = approver, timezone.now()
    return adjustment_transition(adjustment, "approve", actor=approver, also=("decided_by", "decided_at"),
                                 data={"outlet": adjustment.outlet_id, "lines": len(lines),
                                       "value_minor": adjustment.value_minor})  # fmt: skip


@transaction.atomic
def adjustment_reject(*, adjustment: StockAdjustment, approver: User, comment: str = "") -> StockAdjustment:
    """Refuse a waiting adjustment: no stock moves. The comment goes to the audit log (the adjustment has no
    field for it). Rejecting twice is harmless."""
    _may_decide(approver, _("Only a supervisor or the owner can reject adjustments."))
    adjustment = adjustment_lock(adjustment.pk)
    if adjustment.status == Status.REJECTED:
        return adjustment
    if not ADJUSTMENT.can_start(adjustment, "reject"):
        raise ServiceError(
            "adjustment.not_pending",
            _("%(adjustment)s is already posted; correct it with a new adjustment.") % {"adjustment": adjustment},
            status=CONFLICT,
        )
    _not_own(adjustment, approver, _("You cannot reject your own adjustment: ask another supervisor or the owner."))
    adjustment.decided_by, adjustment.decided_at = approver, timezone.now()
    return adjustment_transition(adjustment, "reject", actor=approver, also=("decided_by", "decided_at"),
                                 data={"outlet": adjustment.outlet_id, "value_minor": adjustment.value_minor,
                                       "comment": comment[:200]})  # fmt: skip
