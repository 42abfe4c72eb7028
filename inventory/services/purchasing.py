"""Suppliers and purchase orders: ordering stock and receiving it.

A purchase order is written in each item's purchase unit (a kg of beans, a case of 24) at a cost per purchase
unit, in minor units. Stock only moves when goods arrive: each delivery is a GoodsReceipt, posted through the
ledger as RECEIVING movements at the PO's outlet in base units (quantity × purchase_factor). A PO goes
draft → sent → partial → received, or is cancelled while nothing has arrived. Every receipt carries the form's
idempotency key, so a double submit posts once. Receiving also re-prices the items by the tenant's cost method
("last" purchase cost, or the weighted "average" of what is on hand and what arrived), in Decimal, never float.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from core.outbox import event_emit
from pos_project.money import MoneyError, parse_amount

from ..models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockItem,
    StockLevel,
    StockMovement,
    StockSettings,
    Supplier,
)
from ..quantities import QTY_MAX, QTY_PLACES, format_quantity, parse_quantity
from ..selectors.purchasing import OPEN_STATUSES, outstanding
from .stock import MovementLine, movements_post, stock_settings_get

Status = PurchaseOrder.Status
COST_PLACES = Decimal("0.000001")
COST_MAX = Decimal("999999999999")  # 18 digits, 6 of them decimals
MAX_LINES = 200
NOTE_MAX = 2000


# --- Suppliers --------------------------------------------------------------------------------------------------


def _supplier_clean(
    *, name: str, contact_name: str, email: str, phone: str, notes: str, exclude_pk: int | None = None
) -> dict[str, str]:
    """The fields trimmed and checked; every problem at once, by field."""
    data = {
        "name": (name or "").strip(),
        "contact_name": (contact_name or "").strip(),
        "email": (email or "").strip(),
        "phone": (phone or "").strip(),
        "notes": (notes or "").strip(),
    }
    errors: dict[str, str] = {}
    if not data["name"]:
        errors["name"] = "Enter the supplier's name."
    elif len(data["name"]) > 120:
        errors["name"] = "Keep the name under 120 characters."
    elif Supplier.objects.filter(name__iexact=data["name"]).exclude(pk=exclude_pk).exists():
        errors["name"] = f"A supplier called “{data['name']}” already exists."
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = f"“{data['email']}” is not an e-mail address."
    if len(data["contact_name"]) > 120:
        errors["contact_name"] = "Keep the contact name under 120 characters."
    if len(data["phone"]) > 40:
        errors["phone"] = "Keep the phone number under 40 characters."
    if errors:
        raise ValidationError(errors)
    return data


def _duplicate_name(name: str) -> ValidationError:
    return ValidationError({"name": f"A supplier called “{name}” already exists."})


@transaction.atomic
def supplier_create(
    *, name: str, contact_name: str = "", email: str = "", phone: str = "", notes: str = "", actor: User | None = None
) -> Supplier:
    data = _supplier_clean(name=name, contact_name=contact_name, email=email, phone=phone, notes=notes)
    try:
        with transaction.atomic():  # a twin submitted at the same moment loses on the unique name
            supplier = Supplier.objects.create(**data)
    except IntegrityError:
        raise _duplicate_name(data["name"]) from None
    audit_record(action="stock.supplier_create", actor=actor, target=supplier.name, data={"pk": supplier.pk})
    return supplier


@transaction.atomic
def supplier_update(
    *,
    supplier: Supplier,
    name: str,
    contact_name: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
    actor: User | None = None,
) -> Supplier:
    data = _supplier_clean(
        name=name, contact_name=contact_name, email=email, phone=phone, notes=notes, exclude_pk=supplier.pk
    )
    for key, value in data.items():
        setattr(supplier, key, value)
    try:
        with transaction.atomic():
            supplier.save(update_fields=list(data))
    except IntegrityError:
        raise _duplicate_name(data["name"]) from None
    audit_record(action="stock.supplier_update", actor=actor, target=supplier.name, data={"pk": supplier.pk})
    return supplier


@transaction.atomic
def supplier_archive(*, supplier: Supplier, archived: bool = True, actor: User | None = None) -> Supplier:
    """Archived suppliers keep their history but cannot be chosen for new orders. Repeating is harmless."""
    if supplier.is_archived != archived:
        supplier.is_archived = archived
        supplier.save(update_fields=["is_archived"])
        audit_record(
            action="stock.supplier_archive" if archived else "stock.supplier_restore",
            actor=actor,
            target=supplier.name,
            data={"pk": supplier.pk},
        )
    return supplier


# --- Purchase orders: drafts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class POLineInput:
    """One row of the order form. `unit_cost` is money as typed, per purchase unit; blank takes the item's
    cost × purchase factor. `row` is the row's number on the form, for the error messages."""

    item_id: int | None
    quantity: str
    unit_cost: str = ""
    row: int | None = None


@dataclass(frozen=True)
class _CheckedLine:
    item: StockItem
    quantity: Decimal  # purchase units
    unit_cost: Decimal  # minor units per purchase unit


def _base_quantity(item: StockItem, quantity: Decimal) -> Decimal | None:
    """The purchase quantity in base units, or None when it is not a whole thousandth of a base unit."""
    base = quantity * item.purchase_factor
    return base if base == base.quantize(QTY_PLACES) and base <= QTY_MAX else None


def _parse_cost(text: str, currency: str) -> Decimal:
    try:
        minor = parse_amount(text, currency)
    except MoneyError as exc:
        raise ValidationError(str(exc).rstrip(".")) from None
    if minor < 0:
        raise ValidationError("the cost cannot be negative")
    if minor > COST_MAX:
        raise ValidationError("that cost is too large")
    return Decimal(minor)


def _clause(message: str) -> str:
    """ "The quantity cannot be negative." → "the quantity cannot be negative", to join several in one line."""
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def default_unit_cost(item: StockItem) -> Decimal:
    """What one purchase unit costs at the item's current cost per base unit."""
    return (item.cost * item.purchase_factor).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def _checked_lines(lines: Sequence[POLineInput], currency: str) -> list[_CheckedLine]:
    """Every filled-in row checked, or one ValidationError listing every bad row by its number."""
    numbered = [
        (line.row or number, line)
        for number, line in enumerate(lines, start=1)
        if line.item_id or (line.quantity or "").strip() or (line.unit_cost or "").strip()
    ]
    if not numbered:
        raise ValidationError("Add at least one line: an item and a quantity.", code="empty")
    if len(numbered) > MAX_LINES:
        raise ValidationError(f"At most {MAX_LINES} lines per order; split it in two.", code="too_many_lines")
    items = StockItem.objects.in_bulk({line.item_id for _, line in numbered if line.item_id})
    errors: list[str] = []
    seen: dict[int, int] = {}
    checked = []
    for number, line in numbered:
        problems: list[str] = []
        item = items.get(line.item_id) if line.item_id else None
        if item is None:
            problems.append("unknown stock item" if line.item_id else "choose an item")
        elif item.is_archived:
            problems.append(f"{item.name} is archived")
            item = None
        elif item.pk in seen:
            problems.append(f"{item.name} is already on line {seen[item.pk]}")
            item = None
        else:
            seen[item.pk] = number
        quantity = cost = None
        try:
            quantity = parse_quantity(line.quantity)
        except ValidationError as exc:
            problems.extend(_clause(m) for m in exc.messages)
        if item is not None and quantity is not None and _base_quantity(item, quantity) is None:
            problems.append(
                f"{format_quantity(quantity)} {item.purchase_unit} is not a whole number of thousandths of a "
                f"{item.base_unit}; round the quantity"
            )
        if (line.unit_cost or "").strip():
            try:
                cost = _parse_cost(line.unit_cost, currency)
            except ValidationError as exc:
                problems.append(f"unit cost: {exc.messages[0]}")
        elif item is not None:
            cost = default_unit_cost(item)
        if problems:
            text = "; ".join(problems)
            errors.append(f"Line {number}: {text[0].upper()}{text[1:]}.")
        elif item is not None and quantity is not None and cost is not None:
            checked.append(_CheckedLine(item=item, quantity=quantity, unit_cost=cost))
    if errors:
        raise ValidationError(errors, code="bad_lines")
    return checked


def _header_errors(*, supplier: Supplier, outlet: Outlet, note: str) -> list[str]:
    errors = []
    if supplier.is_archived:
        errors.append(f"{supplier.name} is archived; restore the supplier or choose another.")
    if not outlet.is_active:
        errors.append(f"{outlet.name} is closed; order for an open outlet.")
    if len(note) > NOTE_MAX:
        errors.append(f"Keep the note under {NOTE_MAX} characters.")
    return errors


def _validate(*, supplier, outlet, note, lines, currency) -> list[_CheckedLine]:
    errors = _header_errors(supplier=supplier, outlet=outlet, note=note)
    checked: list[_CheckedLine] = []
    try:
        checked = _checked_lines(lines, currency)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors, code="invalid")
    return checked


def _save_lines(po: PurchaseOrder, checked: Sequence[_CheckedLine]) -> None:
    PurchaseOrderLine.objects.bulk_create(
        [PurchaseOrderLine(purchase_order=po, item=c.item, quantity=c.quantity, unit_cost=c.unit_cost) for c in checked]
    )


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    outlet: Outlet,
    user: User,
    lines: Sequence[POLineInput],
    currency: str,
    expected_on: date | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> PurchaseOrder:
    """Write a draft order. The same form sent twice (its key) returns the first draft."""
    key = (idempotency_key or "").strip()[:64]
    existing = PurchaseOrder.objects.filter(idempotency_key=key).first() if key else None
    if existing is not None:
        return existing
    note = (note or "").strip()
    checked = _validate(supplier=supplier, outlet=outlet, note=note, lines=lines, currency=currency)
    try:
        with transaction.atomic():  # a racing twin with the same key loses here and gets the first draft
            po = PurchaseOrder.objects.create(
                supplier=supplier,
                outlet=outlet,
                expected_on=expected_on,
                note=note,
                created_by=user,
                idempotency_key=key or None,
            )
    except IntegrityError:
        existing = PurchaseOrder.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    _save_lines(po, checked)
    return po


def _locked(po: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related("supplier", "outlet").get(pk=po.pk)


@transaction.atomic
def purchase_order_update(
    *,
    purchase_order: PurchaseOrder,
    supplier: Supplier,
    outlet: Outlet,
    lines: Sequence[POLineInput],
    currency: str,
    expected_on: date | None = None,
    note: str = "",
) -> PurchaseOrder:
    """Rewrite a draft: header and lines. Once sent, the supplier has it: it can only be received or cancelled."""
    po = _locked(purchase_order)
    if po.status != Status.DRAFT:
        raise ValidationError(f"{po} is {po.get_status_display().lower()}; only a draft can be edited.", code="state")
    note = (note or "").strip()
    if supplier.pk == po.supplier_id:
        supplier = po.supplier  # the locked row: its archived flag is current
    checked = _validate(supplier=supplier, outlet=outlet, note=note, lines=lines, currency=currency)
    po.supplier, po.outlet, po.expected_on, po.note = supplier, outlet, expected_on, note
    po.save(update_fields=["supplier", "outlet", "expected_on", "note"])
    po.lines.all().delete()
    _save_lines(po, checked)
    return po


# --- Sending and cancelling ---------------------------------------------------------------------------------------


@transaction.atomic
def purchase_order_send(*, purchase_order: PurchaseOrder, user: User) -> PurchaseOrder:
    """Draft → sent, and e-mail it to the supplier (when they have an address). Sending twice is harmless."""
    po = _locked(purchase_order)
    if po.status in (Status.SENT, Status.PARTIAL, Status.RECEIVED):
        return po
    if po.status == Status.CANCELLED:
        raise ValidationError(f"{po} was cancelled; it cannot be sent.", code="state")
    if not po.lines.exists():
        raise ValidationError(f"{po} has no lines; add what to order first.", code="empty")
    if po.supplier.is_archived:
        raise ValidationError(f"{po.supplier.name} is archived; restore the supplier first.", code="archived")
    po.status = Status.SENT
    po.sent_at = timezone.now()
    po.save(update_fields=["status", "sent_at"])
    audit_record(
        action="stock.purchase_order_send",
        actor=user,
        target=str(po),
        data={"supplier": po.supplier_id, "email": po.supplier.email},
    )
    # The e-mail to the supplier hangs off this event (inventory/subscribers.py), queued after the commit.
    event_emit("purchase_order.sent", {"purchase_order": po.pk})
    return po


@transaction.atomic
def purchase_order_cancel(*, purchase_order: PurchaseOrder, user: User) -> PurchaseOrder:
    """A draft or sent order with nothing received can be cancelled; cancelling twice is harmless."""
    po = _locked(purchase_order)
    if po.status == Status.CANCELLED:
        return po
    if po.status not in (Status.DRAFT, Status.SENT) or po.receipts.exists():
        raise ValidationError(f"Goods have already arrived against {po}; it cannot be cancelled.", code="state")
    po.status = Status.CANCELLED
    po.save(update_fields=["status"])
    audit_record(action="stock.purchase_order_cancel", actor=user, target=str(po), data={"supplier": po.supplier_id})
    return po


# --- Receiving ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLineInput:
    """What arrived of one PO line, in purchase units as typed (blank or 0: not in this delivery); `unit_cost`
    blank keeps the order's cost, otherwise it is the invoiced cost per purchase unit as typed."""

    po_line_id: int
    quantity: str
    unit_cost: str = ""


def _receipt_by_key(key: str) -> GoodsReceipt | None:
    return GoodsReceipt.objects.filter(idempotency_key=key).first() if key else None


def new_item_cost(
    *, method: str, on_hand: Decimal, current_cost: Decimal, received_base: Decimal, received_value: Decimal
) -> Decimal:
    """The item's cost per base unit after a delivery of `received_base` base units worth `received_value`
    minor units. "last": what this delivery cost per base unit. "average": on-hand units (all outlets, negative
    counted as none) at the current cost, blended with the delivery; six decimals, half up."""
    if received_base <= 0:
        return current_cost
    if method == StockSettings.CostMethod.LAST:
        cost = received_value / received_base
    else:
        on_hand = max(on_hand, Decimal(0))
        cost = (on_hand * current_cost + received_value) / (on_hand + received_base)
    return cost.quantize(COST_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _ReceivedLine:
    po_line: PurchaseOrderLine
    quantity: Decimal  # purchase units
    unit_cost: Decimal  # per purchase unit
    base_quantity: Decimal


def _checked_receipt(
    po: PurchaseOrder, lines: Sequence[ReceiptLineInput], currency: str, allow_over: bool
) -> list[_ReceivedLine]:
    po_lines = {line.pk: line for line in po.lines.select_related("item").order_by("pk")}
    errors: list[str] = []
    result = []
    for entry in lines:
        po_line = po_lines.get(entry.po_line_id)
        if po_line is None:
            errors.append(f"A line of the form is not on {po}; reload the page.")
            continue
        item = po_line.item
        if not (entry.quantity or "").strip():
            continue
        problems: list[str] = []
        quantity = cost = None
        try:
            quantity = parse_quantity(entry.quantity, allow_zero=True)
        except ValidationError as exc:
            problems.extend(_clause(m) for m in exc.messages)
        if quantity == 0:
            continue
        if quantity is not None:
            left = outstanding(po_line)
            if quantity > left and not allow_over:
                problems.append(
                    f"{format_quantity(quantity)} {item.purchase_unit} is more than the {format_quantity(left)} "
                    f"still to come; tick “Accept more than ordered” if the supplier really delivered more"
                )
            elif _base_quantity(item, quantity) is None:
                problems.append("that quantity does not convert to whole thousandths of a base unit")
        if (entry.unit_cost or "").strip():
            try:
                cost = _parse_cost(entry.unit_cost, currency)
            except ValidationError as exc:
                problems.append(f"unit cost: {exc.messages[0]}")
        else:
            cost = po_line.unit_cost
        if problems:
            errors.append(f"{item.name}: {'; '.join(problems)}.")
        else:
            result.append(_ReceivedLine(po_line, quantity, cost, _base_quantity(item, quantity)))
    if errors:
        raise ValidationError(errors, code="bad_lines")
    if not result:
        raise ValidationError("Enter the quantity that arrived for at least one line.", code="empty")
    return result


def _reprice(received: Sequence[_ReceivedLine]) -> list[StockItem]:
    """New costs for the received items, from the stock on hand before this delivery moves it."""
    item_ids = sorted(r.po_line.item_id for r in received)
    items = {i.pk: i for i in StockItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk")}
    on_hand = dict(
        StockLevel.objects.filter(item_id__in=item_ids)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    method = stock_settings_get().cost_method
    for r in received:
        item = items[r.po_line.item_id]
        item.cost = new_item_cost(
            method=method,
            on_hand=on_hand.get(item.pk) or Decimal(0),
            current_cost=item.cost,
            received_base=r.base_quantity,
            received_value=r.quantity * r.unit_cost,
        )
    return list(items.values())


def _status_after(po: PurchaseOrder) -> str:
    lines = list(po.lines.all())
    if all(line.quantity_received >= line.quantity for line in lines):
        return Status.RECEIVED
    return Status.PARTIAL if any(line.quantity_received > 0 for line in lines) else po.status


@transaction.atomic
def goods_receive(
    *,
    purchase_order: PurchaseOrder,
    user: User,
    lines: Sequence[ReceiptLineInput],
    currency: str,
    idempotency_key: str,
    note: str = "",
    allow_over: bool = False,
) -> GoodsReceipt:
    """Record one delivery: stock in at the PO's outlet (base units, at the cost per base unit), the lines'
    received quantities, the PO's status and the items' costs, all in one transaction.

    More than is still outstanding is refused unless `allow_over` (the person confirmed an over-delivery).
    The same idempotency key returns the first receipt and posts nothing more: the PO row is locked first,
    so a twin submitted at the same moment waits, then finds the first receipt."""
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationError("The form's key is missing; reload the page.", code="bad_key")
    if len(key) > 64:
        raise ValidationError("The form's key is too long; reload the page.", code="bad_key")
    existing = _receipt_by_key(key)
    if existing is not None:
        return existing
    po = _locked(purchase_order)
    existing = _receipt_by_key(key)
    if existing is not None:
        return existing
    if po.status not in (Status.SENT, Status.PARTIAL):
        reason = {
            Status.DRAFT: f"{po} is still a draft; send it before receiving against it.",
            Status.RECEIVED: f"{po} has been received in full.",
            Status.CANCELLED: f"{po} was cancelled.",
        }[po.status]
        raise ValidationError(reason, code="state")
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError("Keep the note under 200 characters.", code="note")
    received = _checked_receipt(po, lines, currency, allow_over)
    receipt = GoodsReceipt.objects.create(purchase_order=po, received_by=user, note=note, idempotency_key=key)
    receipt_lines = GoodsReceiptLine.objects.bulk_create(
        [
            GoodsReceiptLine(receipt=receipt, po_line=r.po_line, quantity=r.quantity, unit_cost=r.unit_cost)
            for r in received
        ]  # fmt: skip
    )
    items = _reprice(received)
    movements_post(
        outlet_id=po.outlet_id,
        kind=StockMovement.Kind.RECEIVING,
        lines=[
            MovementLine(
                item_id=r.po_line.item_id,
                quantity=r.base_quantity,
                unit_cost=(r.unit_cost / r.po_line.item.purchase_factor).quantize(COST_PLACES, rounding=ROUND_HALF_UP),
                source_line_id=saved.pk,
            )
            for r, saved in zip(received, receipt_lines, strict=True)
        ],
        user=user,
        source_type="receipt",
        source_id=receipt.pk,
        note=f"{po} from {po.supplier.name}",
    )
    StockItem.objects.bulk_update(items, ["cost"])
    for r in received:
        r.po_line.quantity_received += r.quantity
    PurchaseOrderLine.objects.bulk_update([r.po_line for r in received], ["quantity_received"])
    po.status = _status_after(po)
    po.save(update_fields=["status"])
    audit_record(
        action="stock.goods_receive",
        actor=user,
        target=str(po),
        data={"receipt": receipt.pk, "lines": len(received), "status": po.status, "over": allow_over},
    )
    return receipt


# --- Suggesting orders from low stock ----------------------------------------------------------------------------


@dataclass
class Suggestion:
    orders: list[PurchaseOrder] = field(default_factory=list)
    no_supplier: list[StockItem] = field(default_factory=list)
    already_ordered: list[StockItem] = field(default_factory=list)


def suggested_quantity(level: StockLevel) -> Decimal:
    """Whole purchase units covering the reorder quantity (or, without one, the gap up to the reorder point)."""
    item = level.item
    base = level.reorder_quantity if level.reorder_quantity > 0 else level.reorder_point - level.quantity
    units = (base / item.purchase_factor).to_integral_value(rounding=ROUND_CEILING)
    return Decimal(max(int(units), 1))


@transaction.atomic
def purchase_orders_suggest(*, outlet: Outlet, user: User) -> Suggestion:
    """Draft one PO per default supplier for the outlet's items at or below their reorder point.

    Items already on an open order for the outlet are left out, so pressing the button twice makes no second
    set of drafts (the outlet row is locked to queue a twin press behind the first)."""
    Outlet.objects.select_for_update().filter(pk=outlet.pk).first()
    levels = (
        StockLevel.objects.filter(
            outlet=outlet, reorder_point__gt=0, quantity__lte=F("reorder_point"), item__is_archived=False
        )
        .select_related("item__default_supplier")
        .order_by("item__name", "item_id")
    )
    on_order = set(
        PurchaseOrderLine.objects.filter(
            purchase_order__outlet=outlet,
            purchase_order__status__in=OPEN_STATUSES,
            quantity_received__lt=F("quantity"),
        ).values_list("item_id", flat=True)
    )
    result = Suggestion()
    groups: dict[int, list[StockLevel]] = defaultdict(list)
    suppliers: dict[int, Supplier] = {}
    for level in levels:
        item = level.item
        if item.pk in on_order:
            result.already_ordered.append(item)
        elif item.default_supplier is None or item.default_supplier.is_archived:
            result.no_supplier.append(item)
        else:
            groups[item.default_supplier_id].append(level)
            suppliers[item.default_supplier_id] = item.default_supplier
    today = timezone.localdate()
    for supplier_id in sorted(groups, key=lambda pk: suppliers[pk].name):
        po = PurchaseOrder.objects.create(
            supplier=suppliers[supplier_id],
            outlet=outlet,
            created_by=user,
            note=f"Suggested from low stock at {outlet.name} on {today.isoformat()}.",
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    purchase_order=po,
                    item=level.item,
                    quantity=suggested_quantity(level),
                    unit_cost=default_unit_cost(level.item),
                )
                for level in groups[supplier_id]
            ]
        )
        result.orders.append(po)
    if result.orders:
        audit_record(
            action="stock.purchase_order_suggest",
            actor=user,
            target=outlet.name,
            data={"orders": [po.pk for po in result.orders], "no_supplier": [i.pk for i in result.no_supplier]},
        )
    return result
