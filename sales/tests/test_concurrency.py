"""Races on real parallel connections (committed data, cleaned up afterwards)."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from catalog.models import Category, Product
from core.models import OutboxEvent
from pos_project.testing.locks import wait_for_lock_waiters
from sales.models import Order, OrderCounter, OrderLine, Payment, Register, Shift
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.shifts import register_create, shift_close, shift_open


def _clean_up_race(alpha, shift, outlet_code: str, register_name: str, *, since=None) -> None:
    """What a committed race test made: its shift's money and orders, its outlet, register and events."""
    with tenant_context(alpha.tenant):
        Payment.objects.filter(shift=shift).delete()
        OrderLine.objects.filter(order__shift=shift).delete()
        Order.objects.filter(shift=shift).delete()
        OrderCounter.objects.filter(outlet__code=outlet_code).delete()
        Shift.objects.filter(pk=shift.pk).delete()
        Register.objects.filter(name=register_name).delete()
        Outlet.objects.filter(code=outlet_code).delete()
        if since is not None:
            OutboxEvent.objects.filter(created_at__gte=since).delete()


def _race(n: int, fn) -> tuple[list, list]:
    results, errors, barrier = [], [], threading.Barrier(n)

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_the_same_order_and_payment_submitted_twice_at_once_make_one_each(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        cashier = alpha.users[Role.CASHIER]
        product = Product.objects.create(
            category=Category.objects.create(name="Race"), name="Race tea", sku="RACE-1", price_minor=10_000
        )
        shift = shift_open(
            register=register_create(outlet=Outlet.objects.create(name="Race outlet", code="RACE-1"), name="Race"),
            user=cashier,
            opening_float_minor=0,
        )
    try:

        def submit():
            with tenant_context(alpha.tenant):
                return order_submit(
                    shift=shift, user=cashier, idempotency_key="race-order", lines=[LineRequest(product.pk)]
                ).pk

        orders, errors = _race(4, submit)
        assert errors == [] and len(set(orders)) == 1

        def pay():
            with tenant_context(alpha.tenant):
                order = Order.objects.get(pk=orders[0])
                return payment_add(
                    order=order,
                    user=cashier,
                    tender="card",
                    amount_minor=order.total_minor,
                    idempotency_key="race-pay",
                    reference="R",
                ).pk

        payments, errors = _race(4, pay)
        assert errors == [] and len(set(payments)) == 1
        with tenant_context(alpha.tenant):
            assert Payment.objects.filter(order_id=orders[0]).count() == 1
            assert Order.objects.get(pk=orders[0]).status == Order.Status.PAID
    finally:
        _clean_up_race(alpha, shift, "RACE-1", "Race")
        with tenant_context(alpha.tenant):
            Product.objects.filter(pk=product.pk).delete()
            Category.objects.filter(name="Race").delete()


def test_a_payment_racing_the_shift_close_waits_for_it_and_is_refused(committed_db):
    """The close holds the shift row; a payment on one of its orders must queue behind it (the lock order:
    shift, then order) and then find the shift closed, never land on a shift whose cash was already counted."""
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        cashier = alpha.users[Role.CASHIER]
        product = Product.objects.create(
            category=Category.objects.create(name="Close race"), name="Close tea", sku="RACE-CL", price_minor=10_000
        )
        outlet = Outlet.objects.create(name="Close race outlet", code="RACE-2")  # its own numbering
        shift = shift_open(register=register_create(outlet=outlet, name="Close race"),
                           user=cashier, opening_float_minor=0)  # fmt: skip
        order = order_submit(shift=shift, user=cashier, idempotency_key="close-race-order",
                             lines=[LineRequest(product.pk)])  # fmt: skip
    closing, release, outcome = threading.Event(), threading.Event(), {}
    started = timezone.now()

    def close():
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                Shift.objects.select_for_update().get(pk=shift.pk)  # the close has begun: counting the drawer
                closing.set()
                release.wait(30)
                # The order is still an open tab while the drawer is counted: a supervisor lets it stay.
                shift_close(shift=shift, user=cashier, denominations={},
                            leave_tabs_approved_by=alpha.users[Role.SUPERVISOR])  # fmt: skip
        finally:
            connection.close()

    def pay():
        try:
            with tenant_context(alpha.tenant):
                outcome["payment"] = payment_add(
                    order=order,
                    user=cashier,
                    tender="card",
                    reference="R",
                    amount_minor=order.total_minor,
                    idempotency_key="close-race-pay",
                )
        except ValidationError as exc:
            outcome["refused"] = " ".join(exc.messages)
        finally:
            connection.close()

    closer, payer = threading.Thread(target=close), threading.Thread(target=pay)
    try:
        closer.start()
        assert closing.wait(10)
        payer.start()
        waited = wait_for_lock_waiters(query_contains="sales_shift", timeout=20)
        release.set()
        closer.join(30)
        payer.join(30)
        assert waited, "the payment did not wait for the shift being closed"
        assert "payment" not in outcome and "closed" in outcome["refused"]
        with tenant_context(alpha.tenant):
            assert not Payment.objects.filter(order=order).exists()
            assert Shift.objects.get(pk=shift.pk).status == Shift.Status.CLOSED
    finally:
        release.set()
        closer.join(30)
        payer.join(30)
        _clean_up_race(alpha, shift, "RACE-2", "Close race", since=started)
        with tenant_context(alpha.tenant):
            Product.objects.filter(pk=product.pk).delete()
            Category.objects.filter(name="Close race").delete()
