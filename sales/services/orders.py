"""Submitting orders, adding to tabs and taking payments. Each is keyed: the till sends a key it made for that one
action, and a retry with the same key gets the first result back instead of a second order or payment
(core/idempotency.py, docs/adr/0006). Locks follow the one order: key, shift, order (docs/adr/0007)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.selectors import TaxSetting, TenantSettings, outlet_sends_on_pay, tenant_settings
from catalog.selectors import LineChoice, ResolvedLine, catalog_lines_resolve, product_category_ids
from core.idempotency import idempotency_claim, idempotent_write
from inventory.services.stock import SoldLine, stock_consume_for_sale, stock_usage_for_sale
from kitchen.services import KitchenLine, SentOrder, tickets_create, tickets_handed_over, tickets_rush
from pos_project.errors import CONFLICT, ServiceError
from pos_project.money import AMOUNT_MAX

from ..lock_objects import order_lock, shift_lock, table_lock
from ..models import DiningTable, Order, OrderLine, Payment, Shift
from ..pricing import (
    Discount,
    LineInput,
    OrderTotals,
    PricingError,
    PricingSettings,
    TaxRule,
    cash_due,
    order_totals_compute,
)
from ..transitions import ORDER, order_transition
from .floor import table_for_label
from .shifts import business_date_now, order_number_assign

MAX_LINES = 200
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineRequest:
    """One cart line as the till sends it: ids and choices only; prices always come from the server."""

    product_id: int
    quantity: int = 1
    variant_id: int | None = None
    modifier_ids: tuple[int, ...] = ()
    note: str = ""
    discount: Discount | None = None


@dataclass(frozen=True)
class _PricedLine:
    request: LineRequest
    item: ResolvedLine


def pricing_settings_for(settings: TenantSettings, taxes: tuple[TaxSetting, ...] | None = None) -> PricingSettings:
    """The pricing engine's settings from the tenant's (its active taxes, or the `taxes` given)."""
    try:
        return PricingSettings(
            currency=settings.currency,
            taxes=tuple(
                TaxRule(t.code, t.name, t.rate, t.inclusive, t.applies_to_service_charge)
                for t in (settings.active_taxes if taxes is None else taxes)
                if t.is_active
            ),
            service_charge_rate=settings.service_charge_rate,
            cash_rounding_unit=settings.cash_rounding_unit,
            cash_rounding_mode=settings.cash_rounding_mode,
        )
    except PricingError as exc:
        raise ServiceError(
            "settings.invalid", _("The sales settings need fixing before selling: %(error)s") % {"error": exc}
        ) from None


def _pricing_refused(exc: PricingError) -> ServiceError:
    return ServiceError("order.pricing_invalid", str(exc))


def _price_lines(lines: list[LineRequest], outlet_id: int) -> tuple[list[_PricedLine], dict[str, list[str]]]:
    """Price the lines through the catalog (what they name, at this outlet) and check what is the till's own
    business: the quantity and the note. A line's own messages come before the catalog's."""
    found = catalog_lines_resolve(
        outlet_id=outlet_id,
        lines=[LineChoice(line.product_id, line.variant_id, tuple(line.modifier_ids)) for line in lines],
    )
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines, start=1):
        where = f"lines.{index}"
        own = []
        name = found.product_names.get(line.product_id)
        if name is not None:  # a product not on the menu is the catalog's message alone
            if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
                own.append(
                    _("Line %(index)s (%(name)s): the quantity must be 1 to %(max)s.")
                    % {"index": index, "name": name, "max": MAX_QUANTITY}
                )
            if len(line.note) > 200:
                own.append(
                    _("Line %(index)s (%(name)s): the note can be at most 200 characters.")
                    % {"index": index, "name": name}
                )
        if messages := own + found.errors.get(where, []):
            errors[where] = messages
    if errors:
        return [], errors
    return [_PricedLine(request=r, item=item) for r, item in zip(lines, found.lines, strict=True)], errors


def _totals_fields(totals: OrderTotals) -> dict:
    """The order's stored totals, from the engine's result (submit and add-to-tab store the same fields)."""
    return {
        "subtotal_minor": totals.subtotal_minor,
        "discount_minor": totals.discount_minor,
        "service_charge_minor": totals.service_charge_minor,
        "tax_minor": totals.tax_minor,
        "tax_included_minor": totals.tax_included_minor,
        "total_minor": totals.total_minor,
        "tax_breakdown": [
            {
                "code": t.code,
                "name": t.name,
                "rate": str(t.rate),
                "inclusive": t.inclusive,
                "amount_minor": t.amount_minor,
            }
            for t in totals.taxes
        ],
    }


def _line_row(order: Order, position: int, p: _PricedLine, t, *, stock_usage: dict[str, str]) -> OrderLine:
    """The snapshot row of a priced cart line, with what one unit takes from stock (for refunds to give back)."""
    return OrderLine(
        stock_usage=stock_usage,
        order=order,
        position=position,
        product_id=p.item.product_id,
        variant_id=p.item.variant_id,
        name=p.item.name,
        sku=p.item.sku,
        unit_price_minor=p.item.unit_price_minor,
        quantity=p.request.quantity,
        modifiers=list(p.item.modifiers),
        taxes=list(p.item.taxes),
        note=p.request.note.strip(),
        discount_kind=p.request.discount.kind if p.request.discount else "",
        discount_value=Decimal(p.request.discount.value) if p.request.discount else None,
        gross_minor=t.gross_minor,
        discount_minor=t.discount_minor,
        net_minor=t.net_minor,
    )


def _lines_refused(errors: dict[str, list[str]]) -> ServiceError:
    return ServiceError("order.lines_invalid", _("Some items cannot be sold as chosen."), fields=errors)


def _price_cart(
    lines: list[LineRequest], outlet_id: int, order_discount: Discount | None, settings: TenantSettings
) -> tuple[list[_PricedLine], OrderTotals]:
    pricing = pricing_settings_for(settings)
    priced, line_errors = _price_lines(lines, outlet_id)
    if line_errors:
        raise _lines_refused(line_errors)
    known = {rule.code for rule in pricing.taxes}
    try:
        totals = order_totals_compute(
            lines=[
                LineInput(
                    key=str(i),
                    quantity=p.request.quantity,
                    unit_price_minor=p.item.unit_price_minor,
                    tax_codes=tuple(t["code"] for t in p.item.taxes if t["code"] in known),
                    discount=p.request.discount,
                )
                for i, p in enumerate(priced)
            ],
            settings=pricing,
            order_discount=order_discount,
        )
    except PricingError as exc:
        raise _pricing_refused(exc) from None
    return priced, totals


@dataclass(frozen=True)
class CartPreview:
    lines: list[dict]
    totals: OrderTotals
    cash_due_minor: int


def order_preview(*, outlet_id: int, lines: list[LineRequest], order_discount: Discount | None = None) -> CartPreview:
    """What the cart costs, computed exactly as order_submit will: the till shows it after every change."""
    if not lines:
        raise ServiceError("order.empty", _("The order has no items."), field="lines")
    settings = tenant_settings()
    priced, totals = _price_cart(lines, outlet_id, order_discount, settings)
    rows = [
        {
            "name": p.item.name,
            "modifiers": [m["name"] for m in p.item.modifiers],
            "unit_price_minor": p.item.unit_price_minor,
            "quantity": p.request.quantity,
            "gross_minor": t.gross_minor,
            "discount_minor": t.line_discount_minor,
            "net_minor": t.gross_minor - t.line_discount_minor,
        }
        for p, t in zip(priced, totals.lines, strict=True)
    ]
    due, _rounding = cash_due(totals.total_minor, pricing_settings_for(settings, ()))
    return CartPreview(lines=rows, totals=totals, cash_due_minor=due)


def _discount_needs_approval(discount: Discount | None, base_minor: int, limit_percent: Decimal) -> bool:
    if discount is None:
        return False
    if discount.kind == "percent":
        return Decimal(discount.value) > limit_percent
    return base_minor > 0 and Decimal(discount.value) * 100 > limit_percent * base_minor


def _discounts_together_need_approval(totals: OrderTotals, limit_percent: Decimal) -> bool:
    """All of an order's discounts, line and order, against what it would cost without them."""
    return totals.subtotal_minor > 0 and totals.discount_minor * 100 > limit_percent * totals.subtotal_minor


def _discount_approval_audit(order: Order, *, approved_by: User, cashier: User, items: list[str],
                             totals: OrderTotals) -> None:  # fmt: skip
    audit_record(
        action=AuditAction.ORDER_DISCOUNT_APPROVED,
        actor=approved_by,
        target=order,
        label=f"order {order.number}",
        data={"cashier": cashier.pk, "items": items, "discount_minor": totals.discount_minor},
    )


def _approval_refused(settings: TenantSettings, what: list[str]) -> ServiceError:
    return ServiceError(
        "discount.approval_needed",
        _("A discount above %(limit)s%% on %(what)s needs a supervisor's approval.")
        % {"limit": format(settings.discount_limit_percent.normalize(), "f"), "what": ", ".join(what)},
        field="discount",
    )


def _lines_fingerprint(lines: list[LineRequest]) -> list:
    return [
        [line.product_id, line.quantity, line.variant_id, sorted(line.modifier_ids), line.note,
         [line.discount.kind, str(line.discount.value)] if line.discount else None]
        for line in lines
    ]  # fmt: skip


def order_submit(
    *,
    shift: Shift,
    user: User,
    idempotency_key: str,
    lines: list[LineRequest],
    order_type: str = Order.Type.TAKEAWAY,
    table_label: str = "",
    customer_name: str = "",
    order_discount: Discount | None = None,
    approved_by: User | None = None,
    table: DiningTable | None = None,
    send_to_kitchen: bool = False,
    rush: bool = False,
) -> Order:
    """Create an order from the till's cart. Prices, taxes and totals are computed here, never trusted from
    the client. A retry with the same key and cart returns the order the first attempt made; the same key with
    another cart (or sent where the first was not) is refused (422)."""
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = [_("The order has no items.")]
    elif len(lines) > MAX_LINES:
        errors["lines"] = [_("An order can have at most %(max)s lines.") % {"max": MAX_LINES}]
    if order_type not in Order.Type.values:
        errors["order_type"] = [_("“%(type)s” is not an order type.") % {"type": order_type}]
    if table is None and order_type == Order.Type.DINE_IN and table_label.strip():
        table = table_for_label(outlet_id=shift.outlet_id, label=table_label)  # the floor plan's, or refused
    if table is not None:
        order_type, table_label = Order.Type.DINE_IN, table.name
    if order_type == Order.Type.DINE_IN and not table_label.strip():
        errors["table_label"] = [_("A dine-in order needs a table number.")]
    if errors:
        raise ServiceError("order.invalid", _("The order needs fixing."), fields=errors)
    settings = tenant_settings().loaded()  # from the cache, before the transaction
    request = {
        "shift": shift.pk, "user": user.pk, "lines": _lines_fingerprint(lines), "order_type": order_type,
        "table": table.pk if table else None, "table_label": table_label.strip(), "customer": customer_name.strip(),
        "discount": [order_discount.kind, str(order_discount.value)] if order_discount else None,
        "send": send_to_kitchen, "rush": rush,
    }  # fmt: skip

    def write() -> Order:
        nonlocal shift
        if table is not None and (table.area.outlet_id != shift.outlet_id or not table.is_active):
            raise ServiceError("table.elsewhere", _("That table is not on this outlet's floor."), field="table")
        priced, totals = _price_cart(lines, shift.outlet_id, order_discount, settings)
        needs_approval = [
            p.item.product_name
            for p, t in zip(priced, totals.lines, strict=True)
            if _discount_needs_approval(p.request.discount, t.gross_minor, settings.discount_limit_percent)
        ]
        if _discount_needs_approval(order_discount, totals.subtotal_minor, settings.discount_limit_percent):
            needs_approval.append(_("the order"))
        elif not needs_approval and _discounts_together_need_approval(totals, settings.discount_limit_percent):
            # Each within the limit, but stacked past it (10% on a line and 10% on the order is 19% off)
            needs_approval.append(_("the whole order (line and order discounts together)"))
        if needs_approval and not can(approved_by, "discount.over_limit"):
            raise _approval_refused(settings, needs_approval)
        shift = shift_lock(shift.pk)
        if not shift.is_open:
            raise ServiceError("shift.closed", _("This shift is closed; open a shift to sell."), status=CONFLICT)
        if table is not None:
            # Two tills seating the same free table at once: the table's lock (after the shift's, docs/adr/0007)
            # makes the second wait, see the first's tab and be refused.
            table_lock(table.pk)
            busy = Order.objects.filter(table=table, status=Order.Status.OPEN).first()
            if busy is not None:
                raise ServiceError(
                    "table.busy",
                    _("Table %(table)s already has tab #%(number)s; add the items to it instead.")
                    % {"table": table.name, "number": busy.number},
                    field="table",
                    status=CONFLICT,
                )
        business_date = business_date_now()
        usages = _stock_usages(priced)
        # Contended rows last: the order and its lines first (new rows nobody else waits on), then the stock
        # levels (shared by the outlet's tills), then the outlet's order number, so both are held for as short
        # as possible before the commit (docs/adr/0007).
        order = Order.objects.create(
            outlet_id=shift.outlet_id,
            shift=shift,
            business_date=business_date,
            order_type=order_type,
            table_label=table_label.strip()[:20],
            table=table,
            sent_to_kitchen_at=timezone.now() if send_to_kitchen else None,
            is_rush=rush,
            customer_name=customer_name.strip()[:80],
            created_by=user,
            currency=totals.currency,
            order_discount_kind=order_discount.kind if order_discount else "",
            order_discount_value=Decimal(order_discount.value) if order_discount else None,
            **_totals_fields(totals),
        )
        created = OrderLine.objects.bulk_create(
            [
                _line_row(order, position, p, t, stock_usage=usage)
                for position, (p, t, usage) in enumerate(zip(priced, totals.lines, usages, strict=True), start=1)
            ]
        )
        _take_stock(order, created, user)
        order.number = order_number_assign(order_id=order.pk, outlet_id=order.outlet_id, business_date=business_date)
        if send_to_kitchen:
            _send_to_kitchen(order, created, is_addon=False, is_rush=rush, categories=_categories_of(priced))
        if needs_approval:
            _discount_approval_audit(order, approved_by=approved_by, cashier=user, items=needs_approval, totals=totals)
        return order

    return idempotent_write(key=idempotency_key, action="order.submit", request=request, model=Order, write=write)


def payment_add(
    *,
    order: Order,
    user: User,
    tender: str,
    amount_minor: int,
    idempotency_key: str,
    tendered_minor: int | None = None,
    tip_minor: int = 0,
    reference: str = "",
) -> Payment:
    """Take one tender towards an order (split payments are several calls). Keyed like every till write.

    Cash that settles the whole balance is rounded to the business's cash unit; the difference is recorded on
    the payment, and the change is what was handed over minus what was due. The order's shift is locked
    before the order, so a payment racing the shift's close waits for it and is then refused.
    """
    errors: dict[str, list[str]] = {}
    if tender not in (Payment.Tender.CASH, Payment.Tender.CARD):
        errors["tender"] = [_("“%(tender)s” payments are taken through their own flow.") % {"tender": tender}]
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        errors["amount_minor"] = [_("The amount must be more than zero.")]
    if isinstance(tip_minor, bool) or not isinstance(tip_minor, int) or tip_minor < 0:
        errors["tip_minor"] = [_("The tip must be zero or more.")]
    for field, value in (("amount_minor", amount_minor), ("tip_minor", tip_minor), ("tendered_minor", tendered_minor)):
        if isinstance(value, int) and value > AMOUNT_MAX:  # money.AMOUNT_MAX: no sum of them can overflow
            errors.setdefault(field, []).append(_("That amount is too large."))
    if tender == Payment.Tender.CARD and not reference.strip():
        errors["reference"] = [_("Enter the card terminal's approval code.")]
    if errors:
        raise ServiceError("payment.invalid", _("The payment needs fixing."), fields=errors)
    # Cash rounding needs the settings (cached; read before the transaction); a card payment needs none.
    pricing = pricing_settings_for(tenant_settings(), ()) if tender == Payment.Tender.CASH else None
    request = {"order": order.pk, "user": user.pk, "tender": tender, "amount": amount_minor,
               "tendered": tendered_minor, "tip": tip_minor, "reference": reference.strip()}  # fmt: skip

    def write() -> Payment:
        nonlocal order, tendered_minor
        shift = shift_lock(order.shift_id)
        order = order_lock(order.pk)
        if not ORDER.can_start(order, "pay"):
            raise ServiceError(
                "order.not_open",
                _("Order #%(number)s is %(status)s; it takes no more payments.")
                % {"number": order.number, "status": order.get_status_display().lower()},
                status=CONFLICT,
            )
        if not shift.is_open:
            raise ServiceError("shift.closed", _("The order's shift is closed."), status=CONFLICT)
        balance = order.total_minor - order.paid_minor
        if amount_minor > balance:
            raise ServiceError(
                "payment.over_balance",
                _("That is more than the %(balance)s still owed.") % {"balance": balance},
                field="amount_minor",
            )
        rounding = 0
        due = amount_minor
        if tender == Payment.Tender.CASH and amount_minor == balance:
            due, rounding = cash_due(balance, pricing)
        change = 0
        if tender == Payment.Tender.CASH:
            handed = due + tip_minor if tendered_minor is None else tendered_minor
            if handed < due + tip_minor:
                raise ServiceError(
                    "payment.cash_short",
                    _("The cash handed over is less than the %(due)s due.") % {"due": due + tip_minor},
                    field="tendered_minor",
                )
            change = handed - due - tip_minor
            tendered_minor = handed
        payment = Payment.objects.create(
            order=order,
            shift=shift,
            tender=tender,
            amount_minor=amount_minor,
            tip_minor=tip_minor,
            tendered_minor=tendered_minor,
            change_minor=change,
            rounding_minor=rounding,
            reference=reference.strip()[:100],
            created_by=user,
        )
        order_payment_apply(order, amount_minor=amount_minor, actor=user)
        return payment

    return idempotent_write(key=idempotency_key, action="payment.add", request=request, model=Payment, write=write)


def cash_due_for(amount_minor: int, settings: TenantSettings | None = None) -> int:
    """What a customer settling `amount_minor` in cash hands over, after the business's cash rounding (`settings`:
    the ones a caller pricing many orders read once)."""
    return cash_due(amount_minor, pricing_settings_for(settings or tenant_settings(), ()))[0]


def order_payment_apply(order: Order, *, amount_minor: int, actor: User | None) -> None:
    """Count a taken payment on its (locked) order, in the payment's transaction: the order is paid when nothing
    is owed, and the kitchen gets what it has not had yet (a takeaway paid at once), unless the outlet has no
    kitchen (`Outlet.send_to_kitchen_on_pay`). Every way of paying (cash, card, a captured QR) comes here."""
    order.paid_minor += amount_minor
    if order.paid_minor == order.total_minor:
        order_transition(order, "pay", actor=actor, also=("paid_minor",))
    else:
        order.save(update_fields=["paid_minor", "updated_at"])
    if order.sent_to_kitchen_at is None and outlet_sends_on_pay(order.outlet_id):
        _send_unsent(order, skip_unrouted=True)


def _send_unsent(order: Order, *, skip_unrouted: bool) -> bool:
    """Send a (locked) order the kitchen has never had, whole. Marked sent only if a station took something:
    an order of shelf items makes no ticket and stays off the kitchen's and the ready strip's lists."""
    lines = list(order.lines.filter(is_voided=False).order_by("position"))
    tickets = _send_to_kitchen(order, lines, is_addon=False, is_rush=order.is_rush, categories={},
                               skip_unrouted=skip_unrouted)  # fmt: skip
    if not tickets:
        return False
    order.sent_to_kitchen_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(sent_to_kitchen_at=order.sent_to_kitchen_at, updated_at=timezone.now())
    return True


def order_send(*, order: Order, user: User, idempotency_key: str) -> Order:
    """Send an order already made (a tab kept without sending, or an order whose first answer the till never
    got) to the kitchen. Keyed like every till write; an order the kitchen already has is returned as it is, so
    the till reads `sent` from the answer rather than assuming it."""
    request = {"order": order.pk, "user": user.pk}

    def write() -> Order:
        locked = order_lock(order.pk)
        if locked.status != Order.Status.OPEN and locked.status != Order.Status.PAID:
            raise ServiceError(
                "order.not_open",
                _("Order #%(number)s is %(status)s; it cannot go to the kitchen.")
                % {"number": locked.number, "status": locked.get_status_display().lower()},
                status=CONFLICT,
            )
        if locked.sent_to_kitchen_at is None:
            _send_unsent(locked, skip_unrouted=False)
            if locked.sent_to_kitchen_at is None:  # no station at this outlet: nothing to make, nothing waits
                locked.sent_to_kitchen_at = timezone.now()
                Order.objects.filter(pk=locked.pk).update(sent_to_kitchen_at=locked.sent_to_kitchen_at,
                                                          updated_at=timezone.now())  # fmt: skip
            audit_record(action=AuditAction.ORDER_SEND, actor=user, target=locked, label=f"order {locked.number}")
        return locked

    return idempotent_write(key=idempotency_key, action="order.send", request=request, model=Order, write=write)


def _stock_usages(priced: list[_PricedLine]) -> list[dict[str, str]]:
    """What one unit of each priced line takes from stock, read before its line is written."""
    return stock_usage_for_sale(
        [
            SoldLine(order_line_id=None, product_id=p.item.product_id, variant_id=p.item.variant_id,
                     modifier_ids=tuple(p.request.modifier_ids), quantity=p.request.quantity)
            for p in priced
        ]
    )  # fmt: skip


def _take_stock(order: Order, created: list[OrderLine], user: User) -> None:
    """Take the new lines' stock (their `stock_usage`, kept on the line so a refund gives back exactly that).
    Under the "block" policy an item that would go below zero raises OutOfStock (a ValidationError naming it)
    and the order is not made."""
    stock_consume_for_sale(
        outlet_id=order.outlet_id,
        order_id=order.pk,
        lines=[
            SoldLine(order_line_id=line.pk, product_id=line.product_id, variant_id=line.variant_id,
                     quantity=line.quantity)
            for line in created
        ],
        usages=[line.stock_usage for line in created],
        user=user,
    )  # fmt: skip


def _categories_of(priced: list[_PricedLine]) -> dict[int, int]:
    return {p.item.product_id: p.item.category_id for p in priced}


def _send_to_kitchen(
    order: Order,
    lines: list[OrderLine],
    *,
    is_addon: bool,
    is_rush: bool = False,
    categories: dict[int, int],
    skip_unrouted: bool = False,
) -> list:
    """Tell the kitchen (its service, in this transaction) which lines to prepare. `categories` maps the
    products just priced to their category; others (lines already on a tab) are looked up in one query."""
    missing = {line.product_id for line in lines if line.product_id is not None} - categories.keys()
    categories = {**categories, **product_category_ids(product_ids=missing)}

    return tickets_create(
        order=SentOrder(
            outlet_id=order.outlet_id,
            order_id=order.pk,
            order_number=order.number,
            order_type=order.order_type,
            table_label=order.table_label,
            customer_name=order.customer_name,
        ),
        lines=[
            KitchenLine(
                order_line_id=line.pk,
                product_id=line.product_id,
                category_id=categories.get(line.product_id) if line.product_id is not None else None,
                name=line.name,
                quantity=line.quantity,
                modifiers=tuple(m["name"] for m in line.modifiers),
                note=line.note,
            )
            for line in lines
        ],
        is_addon=is_addon,
        is_rush=is_rush,
        skip_unrouted=skip_unrouted,
    )


def _snapshot_input(line: OrderLine) -> LineInput:
    discount = None
    if line.discount_kind == "percent":
        discount = Discount("percent", line.discount_value)
    elif line.discount_kind == "amount":
        discount = Discount("amount", int(line.discount_value))
    return LineInput(
        key=f"s{line.pk}",
        quantity=line.quantity,
        unit_price_minor=line.unit_price_minor,
        tax_codes=tuple(t["code"] for t in line.taxes),
        discount=discount,
    )


def _tab_pricing(order: Order, lines: list[OrderLine], settings: TenantSettings) -> PricingSettings:
    """Today's settings, plus the rules of any tax a line was sold with that no longer exists."""
    known = {t.code for t in settings.taxes}
    snapshot_rules = {
        t["code"]: TaxRule(t["code"], t["name"], Decimal(t["rate"]), t["inclusive"], t["applies_to_service_charge"])
        for line in lines
        for t in line.taxes
        if t["code"] not in known
    }
    pricing = pricing_settings_for(settings)
    return PricingSettings(
        currency=order.currency,
        taxes=pricing.taxes + tuple(snapshot_rules.values()),
        service_charge_rate=pricing.service_charge_rate,
        cash_rounding_unit=pricing.cash_rounding_unit,
        cash_rounding_mode=pricing.cash_rounding_mode,
    )


def _order_discount_of(order: Order) -> Discount | None:
    if order.order_discount_kind == "percent":
        return Discount("percent", order.order_discount_value)
    if order.order_discount_kind == "amount":
        return Discount("amount", int(order.order_discount_value))
    return None


def order_retotal(order: Order) -> Order:
    """Compute a (locked) open order's totals again from its stored lines, at the prices they were sold at.
    Used when lines move between tabs (merge, split) or one is voided; voided lines count for nothing."""
    lines = list(order.lines.filter(is_voided=False))
    try:
        totals = order_totals_compute(
            lines=[_snapshot_input(line) for line in lines],
            settings=_tab_pricing(order, lines, tenant_settings()),
            order_discount=_order_discount_of(order),
        )
    except PricingError as exc:
        raise _pricing_refused(exc) from None
    for line, t in zip(lines, totals.lines, strict=True):
        line.gross_minor, line.discount_minor, line.net_minor = t.gross_minor, t.discount_minor, t.net_minor
    OrderLine.objects.bulk_update(lines, ["gross_minor", "discount_minor", "net_minor"])
    for name, value in _totals_fields(totals).items():
        setattr(order, name, value)
    order.version += 1
    order.save()
    return order


def order_add_lines(
    *,
    order: Order,
    user: User,
    lines: list[LineRequest],
    expected_version: int,
    idempotency_key: str,
    approved_by: User | None = None,
    rush: bool = False,
) -> Order:
    """Add items to an open tab. Lines already on it keep the prices they were sold at; the totals are
    computed again over the whole tab. `expected_version` is the version the till last saw: if another till
    changed the tab since, this is refused (409, nothing saved) and the till reloads it — nobody wins silently.
    A retry of a call that succeeded (same key) gets the tab back, and the items are never added twice."""
    if not lines:
        raise ServiceError("order.empty", _("Nothing to add."), field="lines")
    settings = tenant_settings().loaded()  # from the cache, before the transaction
    request = {"order": order.pk, "user": user.pk, "lines": _lines_fingerprint(lines), "version": expected_version,
               "rush": rush}  # fmt: skip

    def write() -> Order:
        nonlocal order
        order = order_lock(order.pk)
        if not ORDER.can_start(order, "add_items"):
            raise ServiceError(
                "order.not_open",
                _("Order #%(number)s is %(status)s; start a new one.")
                % {"number": order.number, "status": order.get_status_display().lower()},
                status=CONFLICT,
            )
        if order.version != expected_version:
            raise ServiceError(
                "order.changed_elsewhere",
                _("Tab #%(number)s was changed on another till since you opened it. Reload it and try again.")
                % {"number": order.number},
                status=CONFLICT,
            )
        existing = list(order.lines.filter(is_voided=False))
        pricing = _tab_pricing(order, existing, settings)
        priced, line_errors = _price_lines(lines, order.outlet_id)
        if line_errors:
            raise _lines_refused(line_errors)
        codes = {rule.code for rule in pricing.taxes}
        new_inputs = [
            LineInput(
                key=f"n{i}",
                quantity=p.request.quantity,
                unit_price_minor=p.item.unit_price_minor,
                tax_codes=tuple(t["code"] for t in p.item.taxes if t["code"] in codes),
                discount=p.request.discount,
            )
            for i, p in enumerate(priced)
        ]
        order_discount = _order_discount_of(order)
        needs_approval = [
            p.item.product_name
            for p, t in zip(priced, new_inputs, strict=True)
            if _discount_needs_approval(p.request.discount, t.quantity * t.unit_price_minor,
                                        settings.discount_limit_percent)
        ]  # fmt: skip
        if needs_approval and not can(approved_by, "discount.over_limit"):
            raise _approval_refused(settings, needs_approval)
        try:
            totals = order_totals_compute(
                lines=[_snapshot_input(line) for line in existing] + new_inputs,
                settings=pricing,
                order_discount=order_discount,
            )
        except PricingError as exc:
            raise _pricing_refused(exc) from None
        # A discounted item on a discounted tab: the whole tab's discounts together, as at submit. Items without a
        # discount only lower the tab's share, so they never need anyone.
        discounted = any(p.request.discount is not None for p in priced)
        if (
            not needs_approval
            and discounted
            and _discounts_together_need_approval(totals, settings.discount_limit_percent)
        ):
            needs_approval.append(_("the whole order (line and order discounts together)"))
            if not can(approved_by, "discount.over_limit"):
                raise _approval_refused(settings, needs_approval)
        if totals.total_minor < order.paid_minor:
            raise ServiceError("order.below_paid", _("The tab would cost less than what was already paid."))
        by_key = {t.key: t for t in totals.lines}
        for line in existing:
            t = by_key[f"s{line.pk}"]
            line.gross_minor, line.discount_minor, line.net_minor = t.gross_minor, t.discount_minor, t.net_minor
        OrderLine.objects.bulk_update(existing, ["gross_minor", "discount_minor", "net_minor"])
        start = order.lines.aggregate(m=Max("position"))["m"] or 0
        usages = _stock_usages(priced)
        created = OrderLine.objects.bulk_create(
            [
                _line_row(order, start + i, p, by_key[f"n{i - 1}"], stock_usage=usages[i - 1])
                for i, p in enumerate(priced, start=1)
            ]
        )
        _take_stock(order, created, user)
        # Items added to a tab the kitchen already has arrive as an add-on ticket; a tab never sent goes whole.
        was_sent = order.sent_to_kitchen_at is not None
        _send_to_kitchen(
            order,
            created if was_sent else existing + created,
            is_addon=was_sent,
            is_rush=rush,
            categories=_categories_of(priced),
        )
        if not was_sent:
            order.sent_to_kitchen_at = timezone.now()
        for name, value in _totals_fields(totals).items():
            setattr(order, name, value)
        order.version += 1
        order.save()
        audit_record(
            action=AuditAction.ORDER_ADD_LINES,
            actor=user,
            target=order,
            label=f"order {order.number}",
            data={"lines": len(priced), "version": order.version},
        )
        if needs_approval:
            _discount_approval_audit(order, approved_by=approved_by, cashier=user, items=needs_approval, totals=totals)
        return order

    return idempotent_write(key=idempotency_key, action="order.add_lines", request=request, model=Order, write=write)


def order_rush(*, order: Order, idempotency_key: str = "") -> int:
    """Ask the kitchen for a sent order first; returns how many of its tickets moved to the front (a retry with
    the key of a rush already made moves nothing again and answers 0; the till replays the first answer)."""
    if order.status != Order.Status.OPEN and order.served_at is not None:
        raise ServiceError(
            "order.handed_over",
            _("Order #%(number)s has already been handed over.") % {"number": order.number},
            status=CONFLICT,
        )
    if order.sent_to_kitchen_at is None:
        raise ServiceError(
            "order.not_sent",
            _("Order #%(number)s has not been sent to the kitchen yet.") % {"number": order.number},
            status=CONFLICT,
        )
    with transaction.atomic():
        once = None
        if idempotency_key.strip():
            once = idempotency_claim(key=idempotency_key, action="order.rush", request={"order": order.pk})
            if once.replayed:
                return 0
        Order.objects.filter(pk=order.pk).update(is_rush=True, updated_at=timezone.now())
        moved = tickets_rush(outlet_id=order.outlet_id, order_id=order.pk)
        if once is not None:
            once.remember(order)
        return moved


@transaction.atomic
def order_mark_served(*, order: Order, at: datetime | None = None) -> Order:
    """The order was handed to the guest: it leaves the till's ready strip and the kitchen's expo view. `at` is
    when, if not now (the expo's tap, heard later through the outbox)."""
    # updated_at too (an .update() skips auto_now): the API's `updated_since` hears of every change
    if Order.objects.filter(pk=order.pk, served_at__isnull=True).update(served_at=at or timezone.now(),
                                                                        updated_at=timezone.now()):  # fmt: skip
        tickets_handed_over(outlet_id=order.outlet_id, order_id=order.pk)
    order.refresh_from_db(fields=["served_at"])
    return order
