"""Two tills seat the same free table at the same moment (real parallel connections, committed data)."""

import threading

from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from catalog.models import Category, Product
from pos_project.errors import ServiceError
from sales.models import Area, DiningTable, Order, OrderCounter, OrderLine, Register, Shift
from sales.services.orders import LineRequest, order_submit
from sales.services.shifts import register_create, shift_open


def test_two_tills_seating_one_free_table_at_once_make_one_tab(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.create(name="Race tables", code="RACE-T")
        category = Category.objects.create(name="Race T")
        product = Product.objects.create(category=category, name="Race rice", sku="RACE-T1", price_minor=10_000)
        area = Area.objects.create(outlet=outlet, name="Race floor", columns=2, rows=1)
        table = DiningTable.objects.create(area=area, name="R7", seats=2, column=0, row=0)
        shifts = [
            shift_open(register=register_create(outlet=outlet, name=f"Race T{i}"), user=alpha.users[role],
                       opening_float_minor=0)
            for i, role in enumerate((Role.CASHIER, Role.SUPERVISOR))
        ]  # fmt: skip
    made, refused, barrier = [], [], threading.Barrier(2)

    def seat(shift, key):
        try:
            barrier.wait()
            with tenant_context(alpha.tenant):
                made.append(order_submit(shift=shift, user=shift.opened_by, idempotency_key=key, table=table,
                                         lines=[LineRequest(product.pk)]).pk)  # fmt: skip
        except ServiceError as exc:
            refused.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=seat, args=(shift, f"race-t-{i}")) for i, shift in enumerate(shifts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(made) == 1 and refused == ["table.busy"]
        with tenant_context(alpha.tenant):
            assert Order.objects.filter(table=table, status=Order.Status.OPEN).count() == 1
    finally:
        with tenant_context(alpha.tenant):
            OrderLine.objects.filter(order__outlet=outlet).delete()
            Order.objects.filter(outlet=outlet).delete()
            OrderCounter.objects.filter(outlet=outlet).delete()
            Shift.objects.filter(pk__in=[s.pk for s in shifts]).delete()
            Register.objects.filter(outlet=outlet).delete()
            table.delete()
            area.delete()
            product.delete()
            category.delete()
            outlet.delete()
