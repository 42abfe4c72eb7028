"""Staff limited to their outlets at the till (issue 12, point 17): the register and shift one works, the shifts
one may resume, take over or close, and the orders one sees belong to one's outlets; another outlet's answer 404,
as unknown ones, and nothing changes. Staff with no outlet assigned work everywhere, as before."""

import json
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry
from accounts.tests.factories import CashierFactory, SupervisorFactory
from business.models import Outlet
from catalog.services import category_create, product_create
from inventory.models import StockAdjustment
from mailer.models import Message
from sales.models import CashMovement, Order, Payment, Register, Shift
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


# --- Receipts, shift reports and the console's lists (issue 12, point 17) ---------------------------------------


def test_another_outlets_receipt_is_not_shown_printed_or_emailed(two_shops, django_assert_max_num_queries):
    """A receipt's uid is printed on paper and typed into URLs: a MAIN person asking for HARBOUR's gets 404."""
    order = two_shops["harbour_order"]
    for who in ("cashier", "supervisor"):
        client = two_shops[who]
        with django_assert_max_num_queries(8):
            assert client.get(f"/till/receipts/{order.uid}/").status_code == 404, who
        assert client.get(f"/till/receipts/{order.uid}/escpos/").status_code == 404, who
        refused = client.post(f"/till/receipts/{order.uid}/email/", {"email": "guest@example.test"})
        assert refused.status_code == 404, who
    assert mail.outbox == []
    with tenant_context(two_shops["fixture"].tenant):
        assert not Message.objects.exists()  # nothing queued either
    anyone = _client(two_shops["fixture"], CashierFactory())  # no outlet assigned: every outlet, as before
    assert anyone.get(f"/till/receipts/{order.uid}/").status_code == 200


def test_another_outlets_shift_report_is_not_shown(two_shops, django_assert_max_num_queries):
    shift = two_shops["harbour_shift"]
    with django_assert_max_num_queries(12):
        assert two_shops["supervisor"].get(f"/shifts/{shift.pk}/report/").status_code == 404
    anyone = _client(two_shops["fixture"], SupervisorFactory())
    assert anyone.get(f"/shifts/{shift.pk}/report/").status_code == 200


def test_the_console_lists_only_ones_outlets_shifts_refunds_and_stock(two_shops, django_assert_max_num_queries):
    harbour, somebody = two_shops["harbour"], two_shops["somebody"]
    bar = Register.objects.create(outlet=harbour, name="Harbour bar")
    closed = Shift.objects.create(register=bar, outlet=harbour, status=Shift.Status.CLOSED, opened_by=somebody,
                                  closed_by=somebody, closed_at=timezone.now(), opening_float_minor=0,
                                  counted_cash_minor=0, expected_cash_minor=0, variance_minor=0)  # fmt: skip
    payment = Payment.objects.create(order=two_shops["harbour_order"], shift=two_shops["harbour_shift"],
                                     tender=Payment.Tender.QR, status=Payment.Status.REFUND_DUE, amount_minor=10_000,
                                     reference="QR-HARBOUR-1", created_by=somebody)  # fmt: skip
    StockAdjustment.objects.create(outlet=harbour, reason="waste", status=StockAdjustment.Status.PENDING,
                                   created_by=somebody)  # fmt: skip
    supervisor = two_shops["supervisor"]
    with django_assert_max_num_queries(20):
        page = supervisor.get("/supervisor/")
    text = page.content.decode()
    assert "Harbour bar" not in text and "QR-HARBOUR-1" not in text
    assert page.context["stock"]["pending"] == 0
    assert f"/shifts/{closed.pk}/report/" not in supervisor.get("/till/history/").content.decode()
    refused = supervisor.post(f"/supervisor/payments/{payment.pk}/refunded/", {"note": "given back"})
    assert refused.status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUND_DUE
    everyone = _client(two_shops["fixture"], SupervisorFactory()).get("/supervisor/")
    assert "QR-HARBOUR-1" in everyone.content.decode() and everyone.context["stock"]["pending"] == 1


def test_cash_movements_and_tables_follow_the_tills_shift_at_ones_outlet(two_shops):
    """Cash in/out and the table map work on the till's shift, which is none on another outlet's register."""
    cashier = two_shops["cashier"]
    session = cashier.session
    session[SESSION_REGISTER] = two_shops["harbour_shift"].register_id
    session.save()
    before = CashMovement.objects.count()
    refused = cashier.post("/till/shift/cash/", {"kind": "in", "amount": "5000", "reason": "float"})
    assert refused.status_code == 302 and refused["Location"] == "/till/shift/open/"
    assert CashMovement.objects.count() == before
    assert "Harbour" not in cashier.get("/till/tables/").content.decode()


def test_a_supervisor_of_one_outlet_cannot_pay_send_or_poll_another_outlets_order_at_the_till(two_shops):
    supervisor, order = two_shops["supervisor"], two_shops["harbour_order"]
    card = {"tender": "card", "amount_minor": order.total_minor, "reference": "A1", "idempotency_key": "p1"}
    paid = supervisor.post(f"/till/orders/{order.pk}/payments/", json.dumps(card), content_type="application/json")
    assert paid.status_code == 404, paid.content
    assert supervisor.post(f"/till/orders/{order.pk}/send/").status_code == 404
    assert supervisor.get(f"/till/orders/{order.pk}/status/").status_code == 404
    after = Order.objects.get(pk=order.pk)
    assert (after.status, after.paid_minor, after.sent_to_kitchen_at) == (order.status, 0, order.sent_to_kitchen_at)
    assert not Payment.objects.filter(order=order).exists()
