"""Staff limited to their outlets at the till (issue 12, point 17): the register and shift one works, the shifts
one may resume, take over or close, and the orders one sees belong to one's outlets; another outlet's answer 404,
as unknown ones, and nothing changes. Staff with no outlet assigned work everywhere, as before."""

import json
import uuid

import pytest
from django.test import Client

from accounts.models import AuditEntry
from accounts.tests.factories import CashierFactory, SupervisorFactory
from business.models import Outlet
from catalog.services import category_create, product_create
from sales.models import Order, Register, Shift
from sales.services.orders import LineRequest, order_submit
from sales.services.shifts import register_create, shift_open
from sales.views.till import SESSION_REGISTER


def _client(tenant, user) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    client.force_login(user)
    return client


@pytest.fixture
def two_shops(in_tenant):
    """MAIN and HARBOUR, a shift open at HARBOUR with an order on it, and a supervisor and a cashier of MAIN."""
    main = Outlet.objects.get(code="MAIN")
    harbour = Outlet.objects.create(name="Harbour", code="HARBOUR")
    tea = product_create(category=category_create(name="Tea"), name="Es teh", sku="ET", price_minor=10_000)
    somebody = CashierFactory()
    harbour_shift = shift_open(register=register_create(outlet=harbour, name="Harbour till"), user=somebody,
                               opening_float_minor=0)  # fmt: skip
    order = order_submit(shift=harbour_shift, user=somebody, idempotency_key=uuid.uuid4().hex,
                         lines=[LineRequest(tea.pk)])  # fmt: skip
    return {
        "main": main,
        "harbour": harbour,
        "tea": tea,
        "harbour_shift": harbour_shift,
        "harbour_order": order,
        "somebody": somebody,
        "supervisor": _client(in_tenant, SupervisorFactory(outlet_ids=[main.pk])),
        "cashier": _client(in_tenant, CashierFactory(outlet_ids=[main.pk])),
        "fixture": in_tenant,
    }


def test_a_supervisor_of_one_outlet_cannot_take_over_or_close_another_outlets_shift(two_shops):
    supervisor, shift = two_shops["supervisor"], two_shops["harbour_shift"]
    page = supervisor.get("/till/shift/open/").content.decode()
    assert "Harbour till" not in page
    assert supervisor.post("/till/shift/open/", {"action": "take_over", "shift": shift.pk}).status_code == 404
    assert supervisor.post(f"/supervisor/shifts/{shift.pk}/take-over/").status_code == 404
    assert supervisor.get(f"/till/shift/{shift.pk}/close/").status_code == 404
    assert "Harbour till" not in supervisor.get("/supervisor/").content.decode()
    after = Shift.objects.get(pk=shift.pk)
    assert (after.status, after.holder_id) == (Shift.Status.OPEN, two_shops["somebody"].pk)
    assert not AuditEntry.objects.filter(action="shift.take_over").exists()


def test_a_supervisor_of_one_outlet_does_not_see_another_outlets_orders(two_shops):
    supervisor, order = two_shops["supervisor"], two_shops["harbour_order"]
    assert supervisor.get(f"/till/history/{order.pk}/").status_code == 404
    refused = supervisor.post(f"/till/history/{order.pk}/", {"action": "void", "reason": "x"})
    assert refused.status_code == 404 and Order.objects.get(pk=order.pk).status == Order.Status.OPEN
    assert f"/till/history/{order.pk}/" not in supervisor.get("/till/history/").content.decode()


def test_a_till_left_on_another_outlets_register_sells_nothing_for_a_cashier_of_one_outlet(two_shops):
    """A PIN switch keeps the till's register: a cashier of MAIN signing in on HARBOUR's till gets no shift."""
    cashier = two_shops["cashier"]
    session = cashier.session
    session[SESSION_REGISTER] = two_shops["harbour_shift"].register_id
    session.save()
    assert cashier.get("/till/")["Location"] == "/till/shift/open/"
    body = {"lines": [{"product_id": two_shops["tea"].pk}], "idempotency_key": "k"}
    sold = cashier.post("/till/orders/", json.dumps(body), content_type="application/json")
    assert sold.status_code == 409 and sold.json()["error"]["code"] == "shift.none"
    assert Order.objects.count() == 1  # the harbour order only


def test_the_till_opens_a_shift_at_the_outlet_the_person_works_at(two_shops):
    fixture, harbour = two_shops["fixture"], two_shops["harbour"]
    cashier = _client(fixture, CashierFactory(outlet_ids=[harbour.pk]))
    assert "Harbour till — shift open" in cashier.get("/till/shift/open/").content.decode()  # its registers
    opened = cashier.post("/till/shift/open/", {"register": "new", "register_name": "Quay", "opening_float": "0"})
    assert opened.status_code == 302
    assert Register.objects.get(name="Quay").outlet_id == harbour.pk


def test_staff_with_no_outlet_assigned_work_at_every_outlet(two_shops):
    fixture = two_shops["fixture"]
    supervisor = _client(fixture, SupervisorFactory())
    assert supervisor.get(f"/till/history/{two_shops['harbour_order'].pk}/").status_code == 200
    taken = supervisor.post(f"/supervisor/shifts/{two_shops['harbour_shift'].pk}/take-over/")
    assert taken.status_code == 302
