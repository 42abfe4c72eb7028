"""Writes of the till: registers, shifts and cash. Orders and payments build on these (till issue)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import limit_check
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import shift_lock
from ..models import CashMovement, Register, Shift
from ..selectors import shift_expected_cash
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
    if Register.objects.filter(outlet=outlet, name__iexact=name).exists():
        raise ServiceError(
            "register.name_taken",
            _("%(outlet)s already has a register called “%(name)s”.") % {"outlet": outlet, "name": name},
            field="name",
        )
    return Register.objects.create(outlet=outlet, name=name)


def shift_open(*, register: Register, user: User, opening_float_minor: int) -> Shift:
    """Open a shift with the cash in the drawer. A register has at most one open shift (a database rule)."""
    if not isinstance(opening_float_minor, int) or opening_float_minor < 0:
        raise ServiceError(
            "shift.float_invalid", _("The opening float must be zero or more."), field="opening_float_minor"
        )
    if not register.is_active:
        raise ServiceError("register.inactive", _("This register is switched off; ask a supervisor."))
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                register=register, outlet_id=register.outlet_id, opened_by=user, opening_float_minor=opening_float_minor
            )
            audit_record(action="shift.open", actor=user, target=str(register), data={"float": opening_float_minor})
    except IntegrityError:
        current = Shift.objects.select_related("opened_by").get(register=register, status=Shift.Status.OPEN)
        raise ServiceError(
            "shift.already_open",
            _("%(register)s already has an open shift, opened by %(who)s at %(time)s. Close it first.")
            % {
                "register": register,
                "who": current.opened_by,
                "time": f"{timezone.localtime(current.opened_at):%H:%M}",
            },
            status=CONFLICT,
        ) from None
    return shift


def _lock_open_shift(shift: Shift) -> Shift:
    locked = shift_lock(shift.pk)
    if not locked.is_open:
        raise ServiceError("shift.closed", _("This shift is already closed."), status=CONFLICT)
    return locked


@transaction.atomic
def cash_movement_record(*, shift: Shift, user: User, kind: str, amount_minor: int, reason: str) -> CashMovement:
    errors: dict[str, list[str]] = {}
    if kind not in CashMovement.Kind.values:
        errors["kind"] = [_("“%(kind)s” is neither a pay-in nor a pay-out.") % {"kind": kind}]
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        errors["amount_minor"] = [_("The amount must be more than zero.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the cash goes in or out.")]
    if errors:
        raise ServiceError("cash_movement.invalid", _("Some details need fixing."), fields=errors)
    shift = _lock_open_shift(shift)
    movement = CashMovement.objects.create(
        shift=shift, kind=kind, amount_minor=amount_minor, reason=reason.strip()[:200], created_by=user
    )
    audit_record(action=f"shift.{kind}", actor=user, target=f"shift {shift.pk}",
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


@transaction.atomic
def shift_close(*, shift: Shift, user: User, denominations: dict, note: str = "") -> Shift:
    """Close with the cash counted by denomination; records expected cash and the variance. The shift row is
    locked first, so a payment or refund in flight on it finishes before (and counts) or waits and is refused."""
    counted = _count_denominations(denominations)
    shift = _lock_open_shift(shift)
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
                     data={"expected": expected, "counted": counted, "variance": counted - expected})  # fmt: skip
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
