"""Paying sends the kitchen what it has not had (issue 11, point 1), sending an order already made, and the keyed
rush: the rules behind the till's buttons, through the sales services."""

import json
import threading

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from business.services import outlet_update
from catalog.models import Category, Product
from kitchen.models import Station, Ticket
from pos_project.errors import ServiceError
from sales.models import Order, OrderCounter, OrderLine, Payment, Register, Shift
from sales.services.orders import LineRequest, order_rush, order_send, order_submit, payment_add
from sales.services.refunds import order_void
from sales.services.shifts import register_create, shift_open


@pytest.fixture
def kitchen(resto):
    bar = Station.objects.create(outlet=resto["outlet"], name="Bar")
    grill = Station.objects.create(outlet=resto["outlet"], name="Grill")
    bar.products.add(resto["menu"]["teh"])
    grill.products.add(resto["menu"]["nasi"])
    return {"bar": bar, "grill": grill, **resto}


def _order(k, key="o1", lines=None, **kwargs) -> Order:
    lines = lines or [LineRequest(k["menu"]["teh"].pk, quantity=2), LineRequest(k["menu"]["nasi"].pk)]
    return order_submit(shift=k["shift"], user=k["cashier"], idempotency_key=key, lines=lines, **kwargs)


def _pay(k, order, amount=None, key="p1") -> Payment:
    order.refresh_from_db()
    return payment_add(order=order, user=k["cashier"], tender="card", reference="A", idempotency_key=key,
                       amount_minor=amount or order.total_minor - order.paid_minor)  # fmt: skip


def test_paying_sends_the_order_to_the_kitchen_once(kitchen):
    order = _order(kitchen)
    assert order.sent_to_kitchen_at is None and not Ticket.objects.exists()
    _pay(kitchen, order, amount=10_000)  # the first payment, even a part, sends it
    order.refresh_from_db()
    assert order.sent_to_kitchen_at is not None
    tickets = {t.station.name: [line.name for line in t.lines.all()] for t in Ticket.objects.all()}
    assert tickets == {"Bar": ["Es teh"], "Grill": ["Nasi goreng"]}
    _pay(kitchen, order, key="p2")  # settling it sends nothing again
    assert Ticket.objects.count() == 2
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_lines_no_station_takes_are_skipped_and_an_order_of_only_those_stays_unsent(kitchen):
    menu = kitchen["menu"]
    latte = LineRequest(menu["latte"].pk, variant_id=menu["regular"].pk, modifier_ids=(menu["less"].pk,))
    order = _order(kitchen, lines=[LineRequest(menu["teh"].pk), latte])
    _pay(kitchen, order)
    assert [line.name for t in Ticket.objects.all() for line in t.lines.all()] == ["Es teh"]

    shelf_only = _order(kitchen, key="o2", lines=[latte])
    _pay(kitchen, shelf_only, key="p2")
    shelf_only.refresh_from_db()
    assert shelf_only.sent_to_kitchen_at is None  # no ticket: off the kitchen's and the ready strip's lists
    assert Ticket.objects.filter(order_id=shelf_only.pk).count() == 0


def test_an_outlet_without_a_kitchen_turns_it_off(kitchen):
    outlet_update(actor=kitchen["fixture"].users[Role.ADMIN_TENANT], outlet=kitchen["outlet"], name="Main",
                  send_to_kitchen_on_pay=False)  # fmt: skip
    order = _order(kitchen)
    _pay(kitchen, order)
    assert Order.objects.get(pk=order.pk).sent_to_kitchen_at is None and not Ticket.objects.exists()


def test_an_order_sent_before_it_is_paid_is_not_sent_again(kitchen):
    order = _order(kitchen, send_to_kitchen=True)
    assert Ticket.objects.count() == 2
    _pay(kitchen, order)
    assert Ticket.objects.count() == 2


def test_a_rushed_cart_paid_at_once_reaches_the_kitchen_rushed(kitchen):
    order = _order(kitchen, rush=True)
    _pay(kitchen, order)
    assert set(Ticket.objects.values_list("is_rush", flat=True)) == {True}


def test_order_send_sends_once_and_answers_what_was_done(kitchen):
    order = _order(kitchen)
    sent = order_send(order=order, user=kitchen["cashier"], idempotency_key="s1")
    assert sent.sent_to_kitchen_at is not None and Ticket.objects.count() == 2
    assert order_send(order=order, user=kitchen["cashier"], idempotency_key="s1").pk == order.pk  # a retry
    assert order_send(order=order, user=kitchen["cashier"], idempotency_key="s2").sent_to_kitchen_at is not None
    assert Ticket.objects.count() == 2  # sending a sent order again sends nothing


def test_order_send_refuses_a_voided_order_and_changes_nothing(kitchen):
    order = _order(kitchen)
    supervisor = kitchen["fixture"].users[Role.SUPERVISOR]
    order_void(order=order, user=supervisor, approved_by=supervisor, reason="test")
    with pytest.raises(ServiceError) as refused:
        order_send(order=order, user=kitchen["cashier"], idempotency_key="s1")
    assert refused.value.code == "order.not_open"
    assert not Ticket.objects.exists() and Order.objects.get(pk=order.pk).sent_to_kitchen_at is None


def test_a_keyed_rush_moves_tickets_once_and_remembers_the_order_is_rushed(kitchen):
    order = _order(kitchen, send_to_kitchen=True)
    assert order_rush(order=order, idempotency_key="r1") == 2
    assert order_rush(order=order, idempotency_key="r1") == 0  # the retry of the same press
    assert Order.objects.get(pk=order.pk).is_rush


def test_the_till_sends_an_order_and_its_answer_says_so(till):
    client = till["client"]
    with tenant_context(till["tenant"].tenant):
        Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Bar")
    body = {"lines": [{"product_id": till["teh"].pk, "quantity": 1}], "idempotency_key": "k1"}
    order = client.post("/till/orders/", json.dumps(body), content_type="application/json").json()
    assert order["sent"] is False
    answer = client.post(f"/till/orders/{order['id']}/send/", json.dumps({"idempotency_key": "k2"}),
                         content_type="application/json")  # fmt: skip
    assert answer.status_code == 200 and answer.json()["sent"] is True
    # The same key with another request (a send where an order was made) is refused, never taken for done.
    reused = client.post(
        "/till/orders/", json.dumps({**body, "idempotency_key": "k2"}), content_type="application/json"
    )
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency.key_reused"


def test_the_pay_answer_offers_quick_cash_in_the_currency_notes(till):
    client = till["client"]
    body = {"lines": [{"product_id": till["teh"].pk, "quantity": 7}], "idempotency_key": "q1"}
    order = client.post("/till/orders/", json.dumps(body), content_type="application/json").json()
    # 7 × 10.000 + 5% service + PB1 10% on both = 80.850; cash rounded to Rp 100 -> 80.900 (nearest)
    assert order["total_minor"] == 80_850 and order["cash_due_minor"] == 80_900
    assert order["quick_cash"] == [85_000, 90_000, 100_000]


def test_two_tills_paying_parts_of_an_unsent_order_at_once_send_it_once(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        cashier = alpha.users[Role.CASHIER]
        outlet = Outlet.objects.create(name="Race kitchen", code="RACE-K")
        category = Category.objects.create(name="Race K")
        product = Product.objects.create(category=category, name="Race soup", sku="RACE-K1", price_minor=10_000)
        station = Station.objects.create(outlet=outlet, name="Race pot")
        station.categories.add(category)
        shift = shift_open(register=register_create(outlet=outlet, name="Race K"), user=cashier, opening_float_minor=0)
        order = order_submit(shift=shift, user=cashier, idempotency_key="race-k", lines=[LineRequest(product.pk, 2)])
    errors, barrier = [], threading.Barrier(2)

    def pay(key):
        try:
            barrier.wait()
            with tenant_context(alpha.tenant):
                payment_add(order=order, user=cashier, tender="card", reference=key, amount_minor=10_000,
                            idempotency_key=key)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(f"race-k-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with tenant_context(alpha.tenant):
            assert Ticket.objects.filter(order_id=order.pk).count() == 1
            assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    finally:
        with tenant_context(alpha.tenant):
            Ticket.objects.filter(order_id=order.pk).delete()
            Payment.objects.filter(shift=shift).delete()
            OrderLine.objects.filter(order__shift=shift).delete()
            Order.objects.filter(shift=shift).delete()
            OrderCounter.objects.filter(outlet=outlet).delete()
            Shift.objects.filter(pk=shift.pk).delete()
            Register.objects.filter(name="Race K").delete()
            station.delete()
            outlet.delete()
            product.delete()
            category.delete()
