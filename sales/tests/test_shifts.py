import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.models import Outlet
from sales.models import OrderCounter, Shift
from sales.services.shifts import cash_movement_record, order_number_next, register_create, shift_close, shift_open


@pytest.fixture
def register(in_tenant):
    return register_create(outlet=Outlet.objects.get(code="MAIN"), name="Till 1")


@pytest.fixture
def cashier(in_tenant):
    return in_tenant.users[Role.CASHIER]


def test_a_shift_opens_takes_pay_ins_and_outs_and_closes_with_its_variance(register, cashier):
    shift = shift_open(register=register, user=cashier, opening_float_minor=200_000)
    cash_movement_record(shift=shift, user=cashier, kind="pay_in", amount_minor=50_000, reason="change from bank")
    cash_movement_record(shift=shift, user=cashier, kind="pay_out", amount_minor=30_000, reason="ice delivery")
    # expected = 200.000 + 50.000 - 30.000 = 220.000; counted 2×100.000 + 1×10.000 + 3×2.000 = 216.000
    closed = shift_close(shift=shift, user=cashier, denominations={"100000": 2, "10000": 1, "2000": 3, "500": 0})

    assert closed.status == Shift.Status.CLOSED
    assert (closed.expected_cash_minor, closed.counted_cash_minor, closed.variance_minor) == (220_000, 216_000, -4_000)
    assert closed.denominations == {"100000": 2, "10000": 1, "2000": 3}
    actions = list(AuditEntry.objects.filter(target_label__contains="hift").values_list("action", flat=True))
    assert {"shift.pay_in", "shift.pay_out", "shift.close"} <= set(actions)


def test_a_register_cannot_have_two_open_shifts(register, cashier):
    shift_open(register=register, user=cashier, opening_float_minor=0)
    with pytest.raises(ValidationError, match="already has an open shift, opened by Cashier"):
        shift_open(register=register, user=cashier, opening_float_minor=0)
    assert Shift.objects.filter(register=register).count() == 1


def test_a_closed_shift_takes_no_more_cash(register, cashier):
    shift = shift_open(register=register, user=cashier, opening_float_minor=0)
    shift_close(shift=shift, user=cashier, denominations={})
    with pytest.raises(ValidationError, match="already closed"):
        cash_movement_record(shift=shift, user=cashier, kind="pay_in", amount_minor=1, reason="late")
    with pytest.raises(ValidationError, match="already closed"):
        shift_close(shift=shift, user=cashier, denominations={})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "pay_in", "amount_minor": 0, "reason": "x"}, "amount_minor"),
        ({"kind": "pay_in", "amount_minor": -5, "reason": "x"}, "amount_minor"),
        ({"kind": "steal", "amount_minor": 5, "reason": "x"}, "kind"),
        ({"kind": "pay_out", "amount_minor": 5, "reason": "  "}, "reason"),
    ],
)
def test_bad_cash_movements_are_refused_by_field(register, cashier, kwargs, field):
    shift = shift_open(register=register, user=cashier, opening_float_minor=0)
    with pytest.raises(ValidationError) as excinfo:
        cash_movement_record(shift=shift, user=cashier, **kwargs)
    assert field in excinfo.value.message_dict
    assert not shift.cash_movements.exists()


def test_bad_denominations_and_floats_are_refused(register, cashier):
    with pytest.raises(ValidationError, match="zero or more"):
        shift_open(register=register, user=cashier, opening_float_minor=-1)
    shift = shift_open(register=register, user=cashier, opening_float_minor=0)
    for bad in ({"abc": 1}, {"1000": -1}, {"0": 3}):
        with pytest.raises(ValidationError, match="not a count of notes or coins"):
            shift_close(shift=shift, user=cashier, denominations=bad)
    shift.refresh_from_db()
    assert shift.status == Shift.Status.OPEN


def test_order_numbers_are_unique_under_concurrency(committed_db):
    """Twenty tills ask for numbers at once on real parallel connections: 1..N, no gaps, no repeats."""
    alpha, _ = committed_db
    day = date(2031, 1, 2)
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.get(code="MAIN")
    numbers, errors, barrier = [], [], threading.Barrier(20)

    def till():
        try:
            with tenant_context(alpha.tenant):
                barrier.wait()
                for _ in range(10):
                    numbers.append(order_number_next(outlet_id=outlet.pk, business_date=day))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=till) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with tenant_context(alpha.tenant):
        OrderCounter.objects.filter(business_date=day).delete()
    assert errors == []
    assert sorted(numbers) == list(range(1, 201))
