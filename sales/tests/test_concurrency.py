"""Races on real parallel connections (committed data, cleaned up afterwards)."""

import threading

from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from catalog.models import Category, Product
from sales.models import Order, OrderCounter, OrderLine, Payment, Register, Shift
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.shifts import register_create, shift_open


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
            register=register_create(outlet=Outlet.objects.get(code="MAIN"), name="Race"),
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
        with tenant_context(alpha.tenant):
            Payment.objects.filter(shift=shift).delete()
            OrderLine.objects.filter(order__shift=shift).delete()
            Order.objects.filter(shift=shift).delete()
            OrderCounter.objects.all().delete()
            Shift.objects.filter(pk=shift.pk).delete()
            Register.objects.filter(name="Race").delete()
            Product.objects.filter(pk=product.pk).delete()
            Category.objects.filter(name="Race").delete()
