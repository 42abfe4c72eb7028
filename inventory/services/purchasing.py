"""Suppliers and purchase orders: ordering stock and receiving it.

A purchase order is written in each item's purchase unit (a kg of beans, a case of 24) at a cost per purchase
unit, in minor units. Stock only moves when goods arrive: each delivery is a GoodsReceipt, posted through the
ledger as RECEIVING movements at the PO's outlet in base units (quantity × purchase_factor). A PO goes
draft → sent → partial → received, or is cancelled while nothing has arrived (inventory/transitions.py, which
also writes the audit entries and the `purchase_order.sent` / `purchase_order.received` events). Every receipt
claims the form's idempotency key (core/idempotency.py), so a double submit posts once. Receiving also re-prices
the items by the tenant's cost method ("last" purchase cost, or the weighted "average" of what is on hand and
what arrived), in Decimal, never float. Locks: the key, the order, its lines, the items, then the levels
(docs/adr/0007).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from core.idempotency import idempotent_write
from mailer.models import Message
from mailer.services import mail_queue
from pos_project.errors import CONFLICT, ServiceError
from pos_project.money import MoneyError, parse_amount

from ..emails import purchase_order_text
from ..lock_objects import outlet_queue_lock, purchase_order_lines_lock, purchase_order_lock, stock_items_lock
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
from ..selectors.purchasing import OPEN_STATUSES, outstanding, purchase_order_document, purchase_order_get
from ..transitions import PURCHASE_ORDER, purchase_order_transition
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
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = [_("Enter the supplier's name.")]
    elif len(data["name"]) > 120:
        errors["name"] = [_("Keep the name under 120 characters.")]
    elif Supplier.objects.filter(name__iexact=data["name"]).exclude(pk=exclude_pk).exists():
        errors["name"] = [_duplicate_message(data["name"])]
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = [_("“%(email)s” is not an e-mail address.") % {"email": data["email"]}]
    if len(data["contact_name"]) > 120:
        errors["contact_name"] = [_("Keep the contact name under 120 characters.")]
    if len(data["phone"]) > 40:
        errors["phone"] = [_("Keep the phone number under 40 characters.")]
    if errors:
        raise ServiceError("supplier.invalid", _("The supplier needs fixing."), fields=errors)
    return data


def _duplicate_message(name: str) -> str:
    return _("A supplier called “%(name)s” already exists.") % {"name": name}


def _duplicate_name(name: str) -> ServiceError:
    return ServiceError("supplier.name_taken", _duplicate_message(name), field="name", status=CONFLICT)


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
    audit_record(action=AuditAction.STOCK_SUPPLIER_CREATE, actor=actor, target=supplier)
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
            supplier.save(update_fields=[*data, "updated_at"])
    except IntegrityError:
        raise _duplicate_name(data["name"]) from None
    audit_record(action=AuditAction.STOCK_SUPPLIER_UPDATE, actor=actor, target=supplier)
    return supplier


@transaction.atomic
def supplier_archive(*, supplier: Supplier, archived: bool = True, actor: User | None = None) -> Supplier:
    """Archived suppliers keep their history but cannot be chosen for new orders. Repeating is harmless."""
    if supplier.is_archived != archived:
        supplier.is_archived = archived
        supplier.save(update_fields=["is_archived", "updated_at"])
        audit_record(
            action=AuditAction.STOCK_SUPPLIER_ARCHIVE if archived else AuditAction.STOCK_SUPPLIER_RESTORE,
            actor=actor,
            target=supplier,
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
    return base if abs(base) <= QTY_MAX and base == base.quantize(QTY_PLACES) else None


def _parse_cost(text: str, currency: str) -> Decimal:
    """A cost as typed, in minor units; refused with one clause to fold into a line's message."""
    try:
        minor = parse_amount(text, currency)
    except MoneyError as exc:
        raise ServiceError("cost.invalid", str(exc).rstrip(".")) from None
    if minor < 0:
        raise ServiceError("cost.negative", _("the cost cannot be negative"))
    if minor > COST_MAX:
        raise ServiceError("cost.too_large", _("that cost is too large"))
    return Decimal(minor)


def _clause(message: str) -> str:
    """ "The quantity cannot be negative." → "the quantity cannot be negative", to join several in one line."""
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def default_unit_cost(item: StockItem) -> Decimal:
    """What one purchase unit costs at the item's current cost per base unit."""
    return (item.cost * item.purchase_factor).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def _checked_lines(lines: Sequence[POLineInput], currency: str) -> tuple[list[_CheckedLine], list[str]]:
    """Every filled-in row checked, and one message per bad row by its number (or for the whole order)."""
    numbered = [
        (line.row or number, line)
        for number, line in enumerate(lines, start=1)
        if line.item_id or (line.quantity or "").strip() or (line.unit_cost or "").strip()
    ]
    if not numbered:
        return [], [_("Add at least one line: an item and a quantity.")]
    if len(numbered) > MAX_LINES:
        return [], [_("At most %(max)s lines per order; split it in two.") % {"max": MAX_LINES}]
    items = StockItem.objects.in_bulk({line.item_id for _n, line in numbered if line.item_id})
    errors: list[str] = []
    seen: dict[int, int] = {}
    checked = []
    for number, line in numbered:
        problems: list[str] = []
        item = items.get(line.item_id) if line.item_id else None
        if item is None:
            problems.append(_("unknown stock item") if line.item_id else _("choose an item"))
        elif item.is_archived:
            problems.append(_("%(item)s is archived") % {"item": item.name})
            item = None
        elif item.pk in seen:
            problems.append(_("%(item)s is already on line %(line)s") % {"item": item.name, "line": seen[item.pk]})
            item = None
        else:
            seen[item.pk] = number
        quantity = cost = None
        try:
            quantity = parse_quantity(line.quantity)
        except ServiceError as exc:
            problems.extend(_clause(m) for m in exc.messages)
        if item is not None and quantity is not None and _base_quantity(item, quantity) is None:
            problems.append(
                _("%(quantity)s %(unit)s is not a whole number of thousandths of a %(base)s; round the quantity")
                % {"quantity": format_quantity(quantity), "unit": item.purchase_unit, "base": item.base_unit}
            )
        if (line.unit_cost or "").strip():
            try:
                cost = _parse_cost(line.unit_cost, currency)
            except ServiceError as exc:
                problems.append(_("unit cost: %(problem)s") % {"problem": exc.messages[0]})
        elif item is not None:
            cost = default_unit_cost(item)
        if problems:
            text = "; ".join(problems)
            text = text[0].upper() + text[1:]
            errors.append(_("Line %(number)s: %(problems)s.") % {"number": number, "problems": text})
        elif item is not None and quantity is not None and cost is not None:
            checked.append(_CheckedLine(item=item, quantity=quantity, unit_cost=cost))
    return checked, errors


def _header_errors(*, supplier: Supplier, outlet: Outlet, note: str) -> list[str]:
    errors = []
    if supplier.is_archived:
        errors.append(
            _("%(supplier)s is archived; restore the supplier or choose another.") % {"supplier": supplier.name}
        )
    if not outlet.is_active:
        errors.append(_("%(outlet)s is closed; order for an open outlet.") % {"outlet": outlet.name})
    if len(note) > NOTE_MAX:
        errors.append(_("Keep the note under %(max)s characters.") % {"max": NOTE_MAX})
    return errors


def _validate(*, supplier, outlet, note, lines, currency) -> list[_CheckedLine]:
    """The order's lines checked, or one ServiceError with every problem of the header and the lines."""
    errors = _header_errors(supplier=supplier, outlet=outlet, note=note)
    checked, line_errors = _checked_lines(lines, currency)
    errors += line_errors
    if errors:
        raise ServiceError("purchase_order.invalid", _("The purchase order needs fixing."), fields={"__all__": errors})
    return checked


def _save_lines(po: PurchaseOrder, checked: Sequence[_CheckedLine]) -> None:
    PurchaseOrderLine.objects.bulk_create(
        [PurchaseOrderLine(purchase_order=po, item=c.item, quantity=c.quantity, unit_cost=c.unit_cost) for c in checked]
    )


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
    """Write a draft order. The same form sent twice (its key) returns the first draft; the key with another
    form is refused (422)."""
    note = (note or "").strip()
    request = {"supplier": supplier.pk, "outlet": outlet.pk, "user": user.pk, "currency": currency,
               "expected_on": expected_on, "note": note,
               "lines": [[line.item_id, line.quantity, line.unit_cost, line.row] for line in lines]}  # fmt: skip

    def write() -> PurchaseOrder:
        checked = _validate(supplier=supplier, outlet=outlet, note=note, lines=lines, currency=currency)
        po = PurchaseOrder.objects.create(
            supplier=supplier, outlet=outlet, expected_on=expected_on, note=note, created_by=user
        )
        _save_lines(po, checked)
        return po

    # Without a key (a script, a page from before keys) the write simply runs unprotected.
    return idempotent_write(
        key=idempotency_key,
        action="purchase_order.create",
        request=request,
        model=PurchaseOrder,
        write=write,
        required=False,
    )


def _state_refused(po: PurchaseOrder, code: str, message: str) -> ServiceError:
    """A move the order's status does not allow: a conflict with its state (409)."""
    return ServiceError(code, message % {"po": po, "status": po.get_status_display().lower()}, status=CONFLICT)


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
    po = purchase_order_lock(purchase_order.pk)
    if not PURCHASE_ORDER.can_start(po, "edit"):
        raise _state_refused(po, "purchase_order.not_draft", _("%(po)s is %(status)s; only a draft can be edited."))
    note = (note or "").strip()
    if supplier.pk == po.supplier_id:
        supplier = po.supplier  # the locked row: its archived flag is current
    checked = _validate(supplier=supplier, outlet=outlet, note=note, lines=lines, currency=currency)
    po.supplier, po.outlet, po.expected_on, po.note = supplier, outlet, expected_on, note
    po.save(update_fields=["supplier", "outlet", "expected_on", "note", "updated_at"])
    po.lines.all().delete()
    _save_lines(po, checked)
    return po


# --- Sending and cancelling ---------------------------------------------------------------------------------------


@transaction.atomic
def purchase_order_send(*, purchase_order: PurchaseOrder, user: User) -> PurchaseOrder:
    """Draft → sent; the supplier's e-mail (when they have an address) hangs off the `purchase_order.sent` event
    the move writes (inventory/subscribers.py). Sending twice is harmless: the second finds it sent."""
    po = purchase_order_lock(purchase_order.pk)
    if po.status in (Status.SENT, Status.PARTIAL, Status.RECEIVED):
        return po
    if not PURCHASE_ORDER.can_start(po, "send"):
        raise _state_refused(po, "purchase_order.cancelled", _("%(po)s was cancelled; it cannot be sent."))
    if not po.lines.exists():
        raise ServiceError("purchase_order.empty", _("%(po)s has no lines; add what to order first.") % {"po": po})
    if po.supplier.is_archived:
        raise ServiceError(
            "supplier.archived",
            _("%(supplier)s is archived; restore the supplier first.") % {"supplier": po.supplier.name},
            status=CONFLICT,
        )
    po.sent_at = timezone.now()
    return purchase_order_transition(po, "send", actor=user, also=("sent_at",), data={"supplier": po.supplier_id})


@transaction.atomic
def purchase_order_email_queue(*, purchase_order_id: int) -> bool:
    """Put the PO (text + HTML) for the supplier's address in the mail outbox, once: `emailed_at` is claimed by a
    conditional update in this transaction, so a second call (a relay run twice) queues nothing. False when there
    is nothing to send (a draft or cancelled PO, no address, already queued). The audit entry says whose it was."""
    claimed = (
        PurchaseOrder.objects.filter(pk=purchase_order_id, emailed_at__isnull=True)
        .exclude(status__in=(Status.DRAFT, Status.CANCELLED))
        .exclude(supplier__email="")
        .update(emailed_at=timezone.now(), updated_at=timezone.now())
    )
    if not claimed:
        return False
    po = purchase_order_get(purchase_order_id)
    tenant = connection.tenant
    document = purchase_order_document(po)
    context = {"doc": document, "po": po, "tenant": tenant, "currency": tenant.currency}
    mail_queue(
        to=[po.supplier.email],
        subject=f"{tenant.name}: purchase order {po}",
        text=purchase_order_text(document, tenant_name=tenant.name, currency=tenant.currency),
        html=render_to_string("inventory/stock/purchasing_email.html", context),
        kind=Message.Kind.PURCHASE_ORDER,
    )
    # The supplier's address is on the supplier's row; the entry keeps only whose it was.
    audit_record(action=AuditAction.STOCK_PURCHASE_ORDER_EMAILED, target=po, label=str(po),
                 data={"supplier": po.supplier_id})  # fmt: skip
    return True


@transaction.atomic
def purchase_order_cancel(*, purchase_order: PurchaseOrder, user: User) -> PurchaseOrder:
    """A draft or sent order with nothing received can be cancelled; cancelling twice is harmless."""
    po = purchase_order_lock(purchase_order.pk)
    if po.status == Status.CANCELLED:
        return po
    if not PURCHASE_ORDER.can_start(po, "cancel") or po.receipts.exists():
        raise _state_refused(
            po, "purchase_order.has_receipts", _("Goods have already arrived against %(po)s; it cannot be cancelled.")
        )
    return purchase_order_transition(po, "cancel", actor=user, data={"supplier": po.supplier_id})


# --- Receiving ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLineInput:
    """What arrived of one PO line, in purchase units as typed (blank or 0: not in this delivery); `unit_cost`
    blank keeps the order's cost, otherwise it is the invoiced cost per purchase unit as typed."""

    po_line_id: int
    quantity: str
    unit_cost: str = ""


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
    po: PurchaseOrder,
    po_lines: Sequence[PurchaseOrderLine],
    lines: Sequence[ReceiptLineInput],
    currency: str,
    allow_over: bool,
) -> list[_ReceivedLine]:
    by_id = {line.pk: line for line in po_lines}
    errors: list[str] = []
    result = []
    seen: set[int] = set()
    for entry in lines:
        po_line = by_id.get(entry.po_line_id)
        if po_line is None:
            errors.append(_("A line of the form is not on %(po)s; reload the page.") % {"po": po})
            continue
        item = po_line.item
        if po_line.pk in seen:  # each line's outstanding quantity is checked once, against one entry
            errors.append(_("%(item)s is given twice; give each line once.") % {"item": item.name})
            continue
        seen.add(po_line.pk)
        if not (entry.quantity or "").strip():
            continue
        problems: list[str] = []
        quantity = cost = None
        try:
            quantity = parse_quantity(entry.quantity, allow_zero=True)
        except ServiceError as exc:
            problems.extend(_clause(m) for m in exc.messages)
        if quantity == 0:
            continue
        if quantity is not None:
            left = outstanding(po_line)
            if quantity > left and not allow_over:
                problems.append(
                    _("%(quantity)s %(unit)s is more than the %(left)s still to come; tick “Accept more than "
                      "ordered” if the supplier really delivered more")
                    % {"quantity": format_quantity(quantity), "unit": item.purchase_unit,
                       "left": format_quantity(left)}
                )  # fmt: skip
            elif _base_quantity(item, quantity) is None:
                problems.append(_("that quantity does not convert to whole thousandths of a base unit"))
        if (entry.unit_cost or "").strip():
            try:
                cost = _parse_cost(entry.unit_cost, currency)
            except ServiceError as exc:
                problems.append(_("unit cost: %(problem)s") % {"problem": exc.messages[0]})
        else:
            cost = po_line.unit_cost
        if problems:
            errors.append(_("%(item)s: %(problems)s.") % {"item": item.name, "problems": "; ".join(problems)})
        else:
            result.append(_ReceivedLine(po_line, quantity, cost, _base_quantity(item, quantity)))
    if errors:
        raise ServiceError("goods_receipt.invalid", _("The delivery needs fixing."), fields={"__all__": errors})
    if not result:
        raise ServiceError("goods_receipt.empty", _("Enter the quantity that arrived for at least one line."))
    return result


def _reprice(received: Sequence[_ReceivedLine]) -> list[StockItem]:
    """New costs for the received items, from the stock on hand before this delivery moves it."""
    item_ids = sorted(r.po_line.item_id for r in received)
    items = stock_items_lock(item_ids)
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


def _status_after(po_lines: Sequence[PurchaseOrderLine]) -> str:
    """Received in full once every line has all it ordered; partly received until then."""
    if all(line.quantity_received >= line.quantity for line in po_lines):
        return Status.RECEIVED
    return Status.PARTIAL


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
    The key is claimed first: the same delivery sent again returns the first receipt and posts nothing more (a
    twin submitted at the same moment waits on the key, then gets the first receipt); the key with another
    delivery is refused (422)."""
    note = (note or "").strip()
    request = {"purchase_order": purchase_order.pk, "user": user.pk, "currency": currency, "note": note,
               "allow_over": allow_over,
               "lines": [[line.po_line_id, line.quantity, line.unit_cost] for line in lines]}  # fmt: skip

    def write() -> GoodsReceipt:
        po = purchase_order_lock(purchase_order.pk)
        if not PURCHASE_ORDER.can_start(po, "receive"):
            reason = {
                Status.DRAFT: _("%(po)s is still a draft; send it before receiving against it."),
                Status.RECEIVED: _("%(po)s has been received in full."),
                Status.CANCELLED: _("%(po)s was cancelled."),
            }[po.status]
            raise _state_refused(po, "purchase_order.not_receivable", reason)
        if len(note) > 200:
            raise ServiceError("goods_receipt.note_too_long", _("Keep the note under 200 characters."), field="note")
        po_lines = purchase_order_lines_lock(po)
        received = _checked_receipt(po, po_lines, lines, currency, allow_over)
        receipt = GoodsReceipt.objects.create(purchase_order=po, received_by=user, note=note)
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
                    unit_cost=(r.unit_cost / r.po_line.item.purchase_factor).quantize(
                        COST_PLACES, rounding=ROUND_HALF_UP
                    ),
                    source_line_id=saved.pk,
                )
                for r, saved in zip(received, receipt_lines, strict=True)
            ],
            user=user,
            source_type="receipt",
            source_id=receipt.pk,
            note=f"{po} from {po.supplier.name}",
        )
        repriced_at = timezone.now()
        for item in items:
            item.updated_at = repriced_at  # bulk_update skips auto_now; a new cost is a change API clients sync
        StockItem.objects.bulk_update(items, ["cost", "updated_at"])
        for r in received:
            r.po_line.quantity_received += r.quantity
        PurchaseOrderLine.objects.bulk_update([r.po_line for r in received], ["quantity_received"])
        after = _status_after(po_lines)
        purchase_order_transition(po, "receive", actor=user, to=after,
                                  data={"receipt": receipt.pk, "lines": len(received), "status": after,
                                        "over": allow_over})  # fmt: skip
        return receipt

    return idempotent_write(
        key=idempotency_key, action="goods_receipt.receive", request=request, model=GoodsReceipt, write=write
    )


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
    outlet_queue_lock(outlet.pk)
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
            action=AuditAction.STOCK_PURCHASE_ORDER_SUGGEST,
            actor=user,
            target=outlet,
            label=outlet.code,
            data={"orders": [po.pk for po in result.orders], "no_supplier": [i.pk for i in result.no_supplier]},
        )
    return result
