"""Writes of the till: registers, shifts and cash. Orders and payments build on these (till issue)."""

from collections.abc import Collection
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import can, limit_check
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from pos_project.errors import CONFLICT, FORBIDDEN, ServiceError
from pos_project.money import AMOUNT_MAX, format_money

from ..lock_objects import shift_lock
from ..models import CashMovement, Order, Register, Shift
from ..selectors import shift_expected_cash, variance_needs_review
from ..transitions import shift_transition


def business_date_now() -> date:
    """Today in the business's own time zone: an order at 00:30 in Jakarta belongs to that day, not UTC's."""
    return datetime.now(tz=ZoneInfo(connection.tenant.timezone)).date()


@transaction.atomic
def register_create(*, outlet: Outlet, name: str) -> Register:
    """A new till; the plan may limit how many active registers a business has (`plan.limit_reached`)."""
    limit_check("registers", Register.objects.filter(is_active=True).count())
    name = (name or "").strip()
    if not name:
        raise ServiceError("register.name_missing", _("A register needs a name."), field="name")
    taken = ServiceError(
        "register.name_taken",
        _("%(outlet)s already has a register called “%(name)s”.") % {"outlet": outlet, "name": name},
        field="name",
    )
    if Register.objects.filter(outlet=outlet, name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():  # two tills naming the same new register at once: one gets it
            return Register.objects.create(outlet=outlet, name=name)
    except IntegrityError:
        raise taken from None


def shift_open(*, register: Register, user: User, opening_float_minor: int) -> Shift:
    """Open a shift with the cash in the drawer. A register has at most one open shift (a database rule, the
    partial unique index `sales_one_open_shift`): of two people opening the same register at once, one gets
    the shift and the other a `shift.already_open` that says whose it is and what to do."""
    if not isinstance(opening_float_minor, int) or not 0 <= opening_float_minor <= AMOUNT_MAX:
        raise ServiceError(
            "shift.float_invalid", _("The opening float must be zero or more."), field="opening_float_minor"
        )
    if not register.is_active:
        raise ServiceError("register.inactive", _("This register is switched off; ask a supervisor."))
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                register=register,
                outlet_id=register.outlet_id,
                opened_by=user,
                held_by=user,
                opening_float_minor=opening_float_minor,
            )
            audit_record(action=AuditAction.SHIFT_OPEN, actor=user, target=shift, label=str(register),
                         data={"float": opening_float_minor})  # fmt: skip
    except IntegrityError:
        current = Shift.objects.select_related("opened_by").get(register=register, status=Shift.Status.OPEN)
        mine = current.holder_id == user.pk
        message = (
            _("%(register)s already has an open shift, opened by %(who)s at %(time)s: it is yours, resume it.")
            if mine
            else _(
                "%(register)s already has an open shift, opened by %(who)s at %(time)s. Choose another register, "
                "or ask a supervisor to take it over or close it."
            )
        )
        opened_at = f"{timezone.localtime(current.opened_at):%H:%M}"
        message %= {"register": register, "who": current.opened_by, "time": opened_at}
        raise ServiceError("shift.already_open", message, status=CONFLICT) from None
    return shift


def _lock_open_shift(shift: Shift) -> Shift:
    locked = shift_lock(shift.pk)
    if not locked.is_open:
        raise ServiceError("shift.closed", _("This shift is already closed."), status=CONFLICT)
    return locked


def _holder_name(shift: Shift) -> str:
    return str(User.objects.filter(pk=shift.holder_id).first() or "?")


@transaction.atomic
def shift_resume(*, shift: Shift, user: User) -> Shift:
    """Pick up one's own open shift on this device (after signing in again, or in another browser). Only its
    holder may; anyone else is told whose it is (a supervisor takes it over instead: `shift_take_over`)."""
    shift = _lock_open_shift(shift)
    if shift.holder_id != user.pk:
        raise ServiceError(
            "shift.not_yours",
            _("This shift is %(who)s's. A supervisor can take it over from the supervisor console.")
            % {"who": _holder_name(shift)},
            status=FORBIDDEN,
        )
    return shift_transition(shift, "resume", actor=user, data={"shift": shift.pk, "register": shift.register_id})


@transaction.atomic
def shift_take_over(*, shift: Shift, user: User) -> Shift:
    """A supervisor becomes the holder of someone else's open shift (the cashier went home without closing it,
    or their device broke): from now on they sell on it, resume it and close it as their own. Audited with who
    held it before. The till's cached open shift is forgotten when the row is saved (sales/apps.py)."""
    shift = _lock_open_shift(shift)
    if shift.holder_id == user.pk:
        return shift
    before = shift.holder_id
    shift.held_by = user
    return shift_transition(shift, "take_over", actor=user, also=("held_by",),
                            data={"shift": shift.pk, "register": shift.register_id, "from_user": before,
                                  "to_user": user.pk})  # fmt: skip


@transaction.atomic
def cash_movement_record(*, shift: Shift, user: User, kind: str, amount_minor: int, reason: str) -> CashMovement:
    errors: dict[str, list[str]] = {}
    if kind not in CashMovement.Kind.values:
        errors["kind"] = [_("“%(kind)s” is neither a pay-in nor a pay-out.") % {"kind": kind}]
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        errors["amount_minor"] = [_("The amount must be more than zero.")]
    elif amount_minor > AMOUNT_MAX:
        errors["amount_minor"] = [_("That amount is too large.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the cash goes in or out.")]
    if errors:
        raise ServiceError("cash_movement.invalid", _("Some details need fixing."), fields=errors)
    shift = _lock_open_shift(shift)
    movement = CashMovement.objects.create(
        shift=shift, kind=kind, amount_minor=amount_minor, reason=reason.strip()[:200], created_by=user
    )
    action = AuditAction.SHIFT_PAY_IN if kind == CashMovement.Kind.PAY_IN else AuditAction.SHIFT_PAY_OUT
    audit_record(action=action, actor=user, target=shift, label=f"shift {shift.pk}",
                 data={"amount": amount_minor, "reason": movement.reason})  # fmt: skip
    return movement


def _not_a_count(value, count) -> ServiceError:
    return ServiceError(
        "shift.count_invalid",
        _("“%(value)s: %(count)s” is not a count of notes or coins.") % {"value": value, "count": count},
        field="denominations",
    )


def _count_denominations(denominations: dict) -> int:
    total = 0
    for value, count in denominations.items():
        try:
            value_int, count_int = int(value), int(count)
        except (TypeError, ValueError):
            raise _not_a_count(value, count) from None
        if value_int <= 0 or count_int < 0:
            raise _not_a_count(value, count)
        total += value_int * count_int
    return total


def _open_tabs_refused(tabs: list[Order], changed: bool) -> ServiceError:
    balance = sum(tab.balance_minor for tab in tabs)
    if changed:
        message = _("The open tabs of this shift changed while you were closing it; check them again.")
    else:
        message = ngettext(
            "%(count)d open tab (%(balance)s unpaid) is still on this shift: move it to another open shift, "
            "or have a supervisor approve leaving it open.",
            "%(count)d open tabs (%(balance)s unpaid) are still on this shift: move them to another open shift, "
            "or have a supervisor approve leaving them open.",
            len(tabs),
        ) % {"count": len(tabs), "balance": format_money(balance, tabs[0].currency)}
    return ServiceError("shift.open_tabs_changed" if changed else "shift.open_tabs", message, status=CONFLICT)


@transaction.atomic
def shift_close(
    *,
    shift: Shift,
    user: User,
    denominations: dict,
    note: str = "",
    leave_tabs_approved_by: User | None = None,
    tabs_seen: Collection[int] | None = None,
) -> Shift:
    """Close with the cash counted by denomination; records expected cash and the variance. The shift row is
    locked first, so a payment or refund in flight on it finishes before (and counts) or waits and is refused.

    Unpaid tabs never stay behind silently: with any open order on the shift the close is refused
    (`shift.open_tabs`) unless a supervisor (`shift.leave_tabs`, the closer or someone lending it with their PIN)
    approved leaving them, which is audited (`shift.tabs_left`) with the tabs and what they owe. `tabs_seen`
    (the tabs the page showed) must include every open tab, or the close is refused so that nobody approves
    leaving a tab they never saw. Moving them is `sales.services.tabs.tabs_move_to_shift`."""
    counted = _count_denominations(denominations)
    shift = _lock_open_shift(shift)
    # New orders, payments and tabs moved in all lock the shift first: these are the tabs, and stay so.
    tabs = list(Order.objects.filter(shift=shift, status=Order.Status.OPEN).order_by("created_at", "pk"))
    if tabs:
        if tabs_seen is not None and {tab.pk for tab in tabs} - set(tabs_seen):
            raise _open_tabs_refused(tabs, changed=True)
        if not can(leave_tabs_approved_by, "shift.leave_tabs"):
            raise _open_tabs_refused(tabs, changed=False)
        audit_record(action=AuditAction.SHIFT_TABS_LEFT, actor=user, target=shift, label=f"Shift {shift.pk}",
                     data={"shift": shift.pk, "orders": [tab.number for tab in tabs], "order_ids": [t.pk for t in tabs],
                           "balance_minor": sum(tab.balance_minor for tab in tabs),
                           "approved_by": leave_tabs_approved_by.pk})  # fmt: skip
    expected = shift_expected_cash(shift)
    shift.closed_by = user
    shift.closed_at = timezone.now()
    shift.counted_cash_minor = counted
    shift.expected_cash_minor = expected
    shift.variance_minor = counted - expected
    shift.denominations = {str(int(v)): int(c) for v, c in denominations.items() if int(c)}
    shift.close_note = note.strip()
    shift_transition(shift, "close", actor=user,
                     also=("closed_by", "closed_at", "counted_cash_minor", "expected_cash_minor", "variance_minor",
                           "denominations", "close_note"),
                     data={"expected": expected, "counted": counted, "variance": counted - expected,
                           "review": variance_needs_review(expected_minor=expected,
                                                           variance_minor=counted - expected)})  # fmt: skip
    return shift


# The outlet's next number of the day, race-free: one UPSERT that increments and returns it.
_NEXT_NUMBER = """
    INSERT INTO sales_ordercounter (outlet_id, business_date, last_number) VALUES (%s, %s, 1)
    ON CONFLICT (outlet_id, business_date) DO UPDATE SET last_number = sales_ordercounter.last_number + 1
    RETURNING last_number
"""


def order_number_assign(*, order_id: int, outlet_id: int, business_date: date) -> int:
    """Number a new order: the counter's UPSERT and the order's UPDATE in one statement, run as the sale's last
    write. The counter row stays locked until the sale commits, so the numbers are gap-free per outlet and day;
    taken last, it is held for the commit alone, not for the whole sale (docs/adr/0004)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH counter AS ({_NEXT_NUMBER}) UPDATE sales_order SET number = counter.last_number FROM counter "  # noqa: S608 - constant SQL
            "WHERE sales_order.id = %s RETURNING sales_order.number",
            [outlet_id, business_date, order_id],
        )
        return cursor.fetchone()[0]


def order_number_next(*, outlet_id: int, business_date: date) -> int:
    """Next order number of the outlet's day, for an order made with its number (a split bill)."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [outlet_id, business_date])
        return cursor.fetchone()[0]
