"""The sales resources of the JSON API (sales/api): orders made, paid, voided and refunded through the till's own
services, idempotency on real connections, approvals, scopes, outlets, query budgets and bad input."""

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from business.models import Outlet
from catalog.models import Category, Product
from core.models import IdempotencyKey, OutboxEvent
from kitchen.models import Station, Ticket
from pos_project.testing.api import ApiClient, api_key_make
from sales.models import Order, OrderCounter, OrderLine, Payment, Refund, Register, Shift
from sales.selectors import shift_report
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.shifts import register_create, shift_open
from sales.tests.factories import OrderFactory, PaymentFactory, ShiftFactory

ORDERS = "/api/v1/orders/"


def create(client, resto, lines=None, key=None, **body):
    lines = lines if lines is not None else [{"product_id": resto["menu"]["teh"].pk, "quantity": 3}]
    return client.post(ORDERS, {"register_id": resto["shift"].register_id, "lines": lines, **body},
                       idempotency_key=key)  # fmt: skip


def pay(client, order_id, payments, key=None):
    return client.post(f"{ORDERS}{order_id}/payments/", {"payments": payments}, idempotency_key=key)


def test_an_order_made_through_the_api_is_priced_numbered_and_sent_as_at_the_till(api, resto):
    """3 × Es teh 10.000 = 30.000; service 5% = 1.500; PB1 10% of 31.500 = 3.150: 34.650, as test_orders has it.
    A latte Large with an extra shot and the sugar choice: 42.000 + 8.000."""
    m = resto["menu"]
    Station.objects.create(outlet=resto["outlet"], name="Bar")
    lines = [
        {"product_id": m["teh"].pk, "quantity": 3, "note": "less ice"},
        {"product_id": m["latte"].pk, "variant_id": m["large"].pk, "modifier_ids": [m["less"].pk, m["shot"].pk]},
    ]
    response = create(api(), resto, lines, order_type="takeaway", customer_name="Ann", send=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["status"] == "open" and body["currency"] == "IDR"
    assert body["register_id"] == resto["shift"].register_id and body["shift_id"] == resto["shift"].pk
    assert [line["gross_minor"] for line in body["lines"]] == [30_000, 50_000]
    assert body["lines"][1]["name"] == "Latte (Large)" and body["lines"][0]["note"] == "less ice"
    assert [mod["name"] for mod in body["lines"][1]["modifiers"]] == ["Less", "Extra shot"]
    # 80.000 + 4.000 service + PB1 8.400
    assert (body["subtotal_minor"], body["service_charge_minor"], body["tax_minor"]) == (80_000, 4_000, 8_400)
    assert body["total_minor"] == body["balance_minor"] == 92_400 and body["sent_to_kitchen_at"] is not None
    order = Order.objects.get(pk=body["id"])
    assert order.created_by == resto["fixture"].users[Role.ADMIN_TENANT] and order.shift == resto["shift"]
    assert Ticket.objects.filter(order_id=order.pk).count() == 1  # the kitchen has it, as from the till


def test_create_with_the_same_key_twice_makes_one_order_and_another_body_is_422(api, resto):
    client = api()
    first = create(client, resto, key="same")
    again = create(client, resto, key="same")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = create(client, resto, lines=[{"product_id": resto["menu"]["nasi"].pk}], key="same")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency.key_reused"
    assert Order.objects.count() == 1
    # the same key from another integration is its own: it makes its own order
    assert create(api(), resto, key="same").json()["id"] != first.json()["id"]


def test_pay_twice_with_the_same_key_is_one_payment_with_the_tills_cash_rounding(api, resto):
    client = api()
    order = create(client, resto).json()  # 34.650: cash to Rp 100 -> 34.700 (nearest), rounding +50
    cash = [{"tender": "cash", "amount_minor": 34_650, "tendered_minor": 50_000}]
    first = pay(client, order["id"], cash, key="pay-1")
    again = pay(client, order["id"], cash, key="pay-1")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    body = first.json()
    assert body["order"]["status"] == "paid" and body["order"]["balance_minor"] == 0
    payment = body["payments"][0]
    assert (payment["rounding_minor"], payment["change_minor"]) == (50, 15_300)
    assert Payment.objects.count() == 1 and Order.objects.get().paid_minor == 34_650
    assert pay(client, order["id"], cash).json()["error"]["code"] == "order.not_open"


def test_split_payment_in_one_call_is_all_or_nothing(api, resto):
    client = api()
    order = create(client, resto).json()
    too_much = [{"tender": "card", "amount_minor": 20_000, "reference": "A1"},
                {"tender": "card", "amount_minor": 20_000, "reference": "A2"}]  # fmt: skip
    refused = pay(client, order["id"], too_much)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "payment.over_balance"
    assert not Payment.objects.exists() and Order.objects.get().paid_minor == 0
    split = [{"tender": "card", "amount_minor": 20_000, "reference": "A1"},
             {"tender": "cash", "amount_minor": 14_650, "tendered_minor": 20_000}]  # fmt: skip
    body = pay(client, order["id"], split).json()
    assert [p["tender"] for p in body["payments"]] == ["card", "cash"] and body["order"]["status"] == "paid"
    assert body["payments"][1]["rounding_minor"] == 50  # the cash that settled it, rounded as at the till


def _audit_and_events(since) -> tuple[list[str], list[str]]:
    actions = list(AuditEntry.objects.filter(created_at__gte=since).order_by("pk").values_list("action", flat=True))
    events = list(OutboxEvent.objects.filter(created_at__gte=since).order_by("pk").values_list("name", flat=True))
    return actions, events


def test_void_and_refund_through_the_api_write_what_the_tills_pages_write(api, resto, tenant):
    """The same order voided (and another refunded) from the supervisor's order page and through the API with a
    supervisor's key: the same audit entries and outbox events, in the same order."""
    teh = resto["menu"]["teh"].pk
    client = api(role=Role.SUPERVISOR)
    page = tenant.client(Role.SUPERVISOR)
    written = {}
    for how in ("page", "api"):
        open_order = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"o-{how}",
                                  lines=[LineRequest(teh)])  # fmt: skip
        paid = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"p-{how}",
                            lines=[LineRequest(teh, 2)])  # fmt: skip
        payment_add(order=paid, user=resto["cashier"], tender="card", amount_minor=paid.total_minor,
                    idempotency_key=f"pay-{how}", reference="X")  # fmt: skip
        since = timezone.now()
        if how == "page":
            assert page.post(f"/till/history/{open_order.pk}/", {"action": "void", "reason": "left"}).status_code == 302
            refund = {"action": "refund", "reason": "cold", "whole": "1", "key": "r-page",
                      "payout_shift": resto["shift"].pk}  # fmt: skip
            assert page.post(f"/till/history/{paid.pk}/", refund).status_code == 302
        else:
            voided = client.post(f"{ORDERS}{open_order.pk}/void/", {"reason": "left"})
            assert voided.status_code == 200 and voided.json()["status"] == "voided", voided.content
            refunded = client.post(f"{ORDERS}{paid.pk}/refunds/", {"reason": "cold"})
            assert refunded.status_code == 201, refunded.content
            body = refunded.json()
            assert body["order"]["status"] == "refunded" and body["refunds"][0]["amount_minor"] == paid.total_minor
            assert body["refunds"][0]["approved_by_id"] == tenant.users[Role.SUPERVISOR].pk
        written[how] = _audit_and_events(since)
    assert written["api"] == written["page"]
    actions, events = written["api"]
    assert actions == [AuditAction.ORDER_VOID, AuditAction.ORDER_REFUND]
    void, refund = AuditEntry.objects.filter(action__in=actions).order_by("-pk")[:2][::-1]
    assert void.data["approved_by"] == refund.data["approved_by"] == tenant.users[Role.SUPERVISOR].pk
    assert "order.voided" in events and "order.refunded" in events


def test_a_refund_of_some_lines_and_its_payout_drawer(api, resto):
    client = api(role=Role.SUPERVISOR)
    m = resto["menu"]
    order = create(client, resto, [{"product_id": m["nasi"].pk, "quantity": 2}, {"product_id": m["teh"].pk}]).json()
    pay(client, order["id"], [{"tender": "card", "amount_minor": order["total_minor"], "reference": "C"}])
    teh_line = order["lines"][1]["id"]
    other = shift_open(register=register_create(outlet=resto["outlet"], name="Back"), user=resto["cashier"],
                       opening_float_minor=0)  # fmt: skip
    body = {"reason": "wrong drink", "lines": [{"line_id": teh_line, "quantity": 1}], "register_id": other.register_id}
    response = client.post(f"{ORDERS}{order['id']}/refunds/", body)
    assert response.status_code == 201, response.content
    refund = response.json()["refunds"][0]
    assert refund["shift_id"] == other.pk and refund["amount_minor"] == 11_550  # the teh line's share (test_refunds)
    assert refund["lines"] == [{"order_line_id": teh_line, "quantity": 1, "amount_minor": 11_550}]
    assert response.json()["order"]["status"] == "paid"  # the nasi is not refunded


@pytest.mark.parametrize("action", ["void", "refunds"])
def test_a_caller_that_cannot_approve_is_refused_403_and_nothing_changes(api, resto, action):
    cashier_key = api(role=Role.CASHIER)
    order = create(cashier_key, resto).json()
    if action == "refunds":
        pay(cashier_key, order["id"], [{"tender": "card", "amount_minor": order["total_minor"], "reference": "C"}])
    before = AuditEntry.objects.count(), OutboxEvent.objects.count()
    response = cashier_key.post(f"{ORDERS}{order['id']}/{action}/", {"reason": "please"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "approval.required"
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == before
    assert not Refund.objects.exists() and Order.objects.get().status != "voided"
    # an owner-made key acting as a cashier may not approve either: the key's role counts, not only its maker's
    owner_as_cashier = api(role=Role.CASHIER, user=resto["fixture"].users[Role.ADMIN_TENANT])
    refused = owner_as_cashier.post(f"{ORDERS}{order['id']}/{action}/", {"reason": "please"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approval.required"


def test_a_discount_over_the_limit_needs_the_callers_own_approval(api, resto):
    line = [{"product_id": resto["menu"]["nasi"].pk, "discount": {"kind": "percent", "value": "50"}}]
    cashier = api(role=Role.CASHIER)
    refused = create(cashier, resto, line)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "discount.approval_needed"
    assert create(cashier, resto, line, approve_discount=True).json()["error"]["code"] == "approval.required"
    approved = create(api(role=Role.SUPERVISOR), resto, line, approve_discount=True)
    assert approved.status_code == 201 and approved.json()["discount_minor"] == 22_500
    assert AuditEntry.objects.filter(action=AuditAction.ORDER_DISCOUNT_APPROVED).count() == 1
    assert Order.objects.count() == 1


def test_a_read_only_key_is_refused_on_every_write_and_nothing_is_made(api, resto):
    reader = api(scopes={"orders": "read"})
    refused = create(reader, resto)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.scope_missing"
    order = create(api(), resto).json()
    for path, body in ((f"{ORDERS}{order['id']}/payments/", {"payments": [{"tender": "card", "amount_minor": 1,
                                                                            "reference": "R"}]}),
                       (f"{ORDERS}{order['id']}/void/", {"reason": "x"})):  # fmt: skip
        assert reader.post(path, body).status_code == 403
    assert Order.objects.count() == 1 and not Payment.objects.exists() and Order.objects.get().status == "open"
    assert reader.get(f"{ORDERS}{order['id']}/").status_code == 200


def test_an_outlet_limited_caller_sees_and_sells_only_at_its_outlets(api, resto, tenant):
    north = Outlet.objects.create(name="North", code="NORTH")
    north_shift = ShiftFactory(register__outlet=north)
    theirs = OrderFactory(shift=north_shift)
    ours = create(api(), resto).json()
    supervisor = tenant.users[Role.SUPERVISOR]
    supervisor.outlet_ids = [resto["outlet"].pk]
    supervisor.save(update_fields=["outlet_ids"])
    limited = api(role=Role.SUPERVISOR)
    listed = limited.get(ORDERS).json()["results"]
    assert [o["id"] for o in listed] == [ours["id"]]
    assert limited.get(f"{ORDERS}{theirs.pk}/").status_code == 404
    assert limited.get(f"{ORDERS}{theirs.pk}/payments/").status_code == 404
    assert limited.get(ORDERS, {"outlet": north.pk}).json()["results"] == []
    assert [s["id"] for s in limited.get("/api/v1/shifts/").json()["results"]] == [resto["shift"].pk]
    assert limited.get(f"/api/v1/shifts/{north_shift.pk}/").status_code == 404
    elsewhere = limited.post(ORDERS, {"register_id": north_shift.register_id, "lines": [{"product_id": 1}]})
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["code"] == "register.unknown"
    assert limited.post(f"{ORDERS}{theirs.pk}/void/", {"reason": "x"}).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == "open"


def test_list_filters_and_updated_since(api, resto):
    client = api()
    first = create(client, resto).json()
    second = create(client, resto).json()
    pay(client, second["id"], [{"tender": "card", "amount_minor": second["total_minor"], "reference": "C"}])
    assert [o["id"] for o in client.get(ORDERS, {"status": "paid"}).json()["results"]] == [second["id"]]
    today = str(timezone.localdate())
    dated = client.get(ORDERS, {"business_date_from": today, "business_date_to": today}).json()["results"]
    assert {o["id"] for o in dated} == {first["id"], second["id"]}
    assert client.get(ORDERS, {"business_date_from": "2000-01-01", "business_date_to": "2000-01-02"}).json()[
        "results"] == []  # fmt: skip
    later = Order.objects.get(pk=second["id"]).updated_at
    Order.objects.filter(pk=first["id"]).update(updated_at=later.replace(year=2020))
    assert [o["id"] for o in client.get(ORDERS, {"updated_since": later.isoformat()}).json()["results"]] == [
        second["id"]]  # fmt: skip
    page = client.get(ORDERS, {"limit": 1}).json()
    assert len(page["results"]) == 1 and page["next"]
    assert client.get(page["next"]).json()["results"][0]["id"] == second["id"]


def test_payments_of_an_order_and_one_payment(api, resto):
    client = api()
    order = create(client, resto).json()
    paid = pay(client, order["id"], [{"tender": "card", "amount_minor": 10_000, "reference": "C1"},
                                     {"tender": "card", "amount_minor": 24_650, "reference": "C2"}]).json()  # fmt: skip
    listed = client.get(f"{ORDERS}{order['id']}/payments/").json()["results"]
    assert [p["reference"] for p in listed] == ["C1", "C2"] and listed == paid["payments"]
    one = client.get(f"/api/v1/payments/{listed[0]['id']}/").json()
    assert one == listed[0] and one["currency"] == "IDR"


def test_a_shift_reads_with_the_x_report_of_the_printed_page(api, resto):
    client = api()
    order = create(client, resto).json()
    pay(client, order["id"], [{"tender": "cash", "amount_minor": order["total_minor"], "tendered_minor": 50_000}])
    body = client.get(f"/api/v1/shifts/{resto['shift'].pk}/").json()
    report = shift_report(shift=Shift.objects.get(pk=resto["shift"].pk))
    assert body["status"] == "open" and body["report"]["kind"] == "X"
    assert body["report"]["orders"]["total_minor"] == report["orders"]["total"] == 34_650
    assert body["report"]["expected_cash_minor"] == report["expected_cash_minor"] == 34_700
    assert body["report"]["cash_rounding_minor"] == 50 and body["report"]["tenders"][0]["tender"] == "cash"
    listed = client.get("/api/v1/shifts/", {"status": "open"}).json()["results"]
    assert [s["id"] for s in listed] == [resto["shift"].pk] and "report" not in listed[0]
    assert api(role=Role.CASHIER).get("/api/v1/shifts/").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"product_id": "1"}]}, "lines.1.product_id"),  # text, not a JSON number
        ({"lines": [{"product_id": 1, "quantity": 0}]}, "lines.1.quantity"),
        ({"lines": [{"product_id": 1, "quantity": 1.0}]}, "lines.1.quantity"),
        ({"lines": [{"product_id": 10**20}]}, "lines.1.product_id"),
        ({"lines": "x"}, "lines"),
        ({"lines": [{"product_id": 1, "discount": {"kind": "percent", "value": "150"}}]}, "lines.1.discount.value"),
        ({"lines": [{"product_id": 1, "discount": {"kind": "amount", "value": "5"}}]}, "lines.1.discount.value"),
        ({"lines": [{"product_id": 1}], "order_type": "drive_in"}, "order_type"),
        ({"lines": [{"product_id": 1}], "register_id": None}, "register_id"),
        ({"lines": [{"product_id": 1}], "customer_name": "x" * 81}, "customer_name"),
    ],
)
def test_bad_input_is_a_400_in_the_error_format_and_nothing_is_made(api, resto, body, field):
    response = api().post(ORDERS, {"register_id": resto["shift"].register_id, **body})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"] and field in error["fields"], error
    assert not Order.objects.exists()


def test_the_till_and_the_api_refuse_a_bad_cart_alike(api, till):
    """The till's submit reads its body with the API's serializer: the same field named for the same mistake."""
    cart = {"lines": [{"product_id": "1", "quantity": 2}]}
    at_till = till["client"].post("/till/orders/", json.dumps({**cart, "idempotency_key": "k"}),
                                  content_type="application/json")  # fmt: skip
    through_api = api().post(ORDERS, {**cart, "register_id": till["shift"].register_id})
    assert at_till.status_code == through_api.status_code == 400
    assert set(at_till.json()["error"]["fields"]) == set(through_api.json()["error"]["fields"]) == {
        "lines.1.product_id"}  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"payments": [{"tender": "card", "amount_minor": NaN}]}',
        b"[]",
        b'{"payments": []}',
        b'{"payments": [{"tender": "card", "amount_minor": 100000000000000000000}]}',
    ],  # fmt: skip
)
def test_a_bad_payment_is_a_400_and_nothing_is_paid(api, resto, body):
    client = api()
    order = create(client, resto).json()
    response = client.post(f"{ORDERS}{order['id']}/payments/", body.decode())
    assert response.status_code == 400 and response.json()["error"]["code"], response.content
    assert not Payment.objects.exists()


def test_no_open_shift_and_unknown_things_are_named(api, resto):
    client = api()
    idle = register_create(outlet=resto["outlet"], name="Idle")
    response = client.post(ORDERS, {"register_id": idle.pk, "lines": [{"product_id": resto["menu"]["teh"].pk}]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "shift.none"
    assert create(client, resto, table_id=99_999_999).json()["error"]["code"] == "table.unknown"
    assert client.get(f"{ORDERS}99999999/").status_code == 404
    assert client.post(f"{ORDERS}99999999/void/", {"reason": "x"}).status_code == 404
    assert not Order.objects.exists()


# --- Query budgets: the same count for few rows as for many -----------------------------------------------------


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code < 300, response.content
    return len(queries)


def test_query_budgets_do_not_grow_with_rows(api, resto, django_assert_max_num_queries):
    client = api()
    client.get(ORDERS)  # the key's first use of the minute writes its last_used_at: not the endpoints' cost
    m = resto["menu"]
    few = [{"product_id": m["teh"].pk}]
    many = [{"product_id": p.pk, "quantity": 2} for p in (m["teh"], m["nasi"], m["teh"], m["nasi"], m["teh"])]
    create_few = _count(lambda: create(client, resto, few))
    create_many = _count(lambda: create(client, resto, many))
    assert create_many == create_few
    order = Order.objects.order_by("-pk").first()
    pay_one = _count(lambda: pay(client, order.pk, [{"tender": "card", "amount_minor": 1_000, "reference": "A"}]))
    two = [{"tender": "card", "amount_minor": 1_000, "reference": "B"},
           {"tender": "card", "amount_minor": 1_000, "reference": "C"}]  # fmt: skip
    pay_two = _count(lambda: pay(client, order.pk, two))
    read = _count(lambda: client.get(f"{ORDERS}{order.pk}/"))
    listed_two = _count(lambda: client.get(ORDERS))
    for _ in range(8):
        PaymentFactory(order=OrderFactory(shift=resto["shift"], lines=3), amount_minor=1)
    listed_ten = _count(lambda: client.get(ORDERS))
    assert listed_ten == listed_two
    report_few = _count(lambda: client.get(f"/api/v1/shifts/{resto['shift'].pk}/"))
    shifts_few = _count(lambda: client.get("/api/v1/shifts/"))
    for n in range(5):
        ShiftFactory(register__outlet=resto["outlet"], register__name=f"Extra {n}")
    assert _count(lambda: client.get("/api/v1/shifts/")) == shifts_few
    budgets = {"create": create_few, "pay one": pay_one, "read": read, "list": listed_two, "shift": report_few,
               "shifts": shifts_few}  # fmt: skip
    # Each: the tenant's domain and search path (3), the key (1), then the work. A write runs in one transaction
    # with its key's claim and stored response (+4, and +2 savepoints here inside the test's transaction), where
    # the sales settings come from the database (2), not the cache. Create: the register, its open shift, the
    # till's order_submit (its own claim, the catalog's version and, as this test's transaction wrote the
    # catalog, its 5 queries; shift lock, recipes, order, lines, number, remembered result: as the till's submit)
    # and the new order's lines, payments, refunds. Read and list: orders with their shift, lines, payments,
    # refunds (a refund's lines only when there are refunds).
    assert budgets == {"create": 30, "pay one": 27, "read": 8, "list": 8, "shift": 13, "shifts": 5}, budgets
    # each more tender: its savepoint, claim, locks, payment, order update, the kitchen's send-on-pay check...
    assert pay_two - pay_one == 14


# --- Concurrency: two connections, one key -------------------------------------------------------------------------


def test_the_same_create_sent_twice_at_once_makes_one_order(committed_db):
    alpha, _ = committed_db
    since = timezone.now()
    with tenant_context(alpha.tenant):
        product = Product.objects.create(category=Category.objects.create(name="Race API"), name="Race API tea",
                                         sku="RACE-API", price_minor=10_000)  # fmt: skip
        outlet = Outlet.objects.create(name="Race API outlet", code="RACE-API")
        shift = shift_open(register=register_create(outlet=outlet, name="Race API"),
                           user=alpha.users[Role.CASHIER], opening_float_minor=0)  # fmt: skip
    key, whole = api_key_make(alpha, name="race")
    body = {"register_id": shift.register_id, "lines": [{"product_id": product.pk, "quantity": 2}]}
    idempotency_key = str(uuid.uuid4())
    answers, errors, barrier = [], [], threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            answers.append(ApiClient(alpha.host, whole).post(ORDERS, body, idempotency_key=idempotency_key))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(a.status_code for a in answers) == [201, 201], [a.content for a in answers]
        assert answers[0].json()["id"] == answers[1].json()["id"]
        with tenant_context(alpha.tenant):
            assert Order.objects.filter(shift=shift).count() == 1
    finally:
        with tenant_context(alpha.tenant):
            OrderLine.objects.filter(order__shift=shift).delete()
            Order.objects.filter(shift=shift).delete()
            OrderCounter.objects.filter(outlet=outlet).delete()
            Shift.objects.filter(pk=shift.pk).delete()
            Register.objects.filter(outlet=outlet).delete()
            outlet.delete()
            product.delete()
            Category.objects.filter(name="Race API").delete()
            IdempotencyKey.objects.filter(created_at__gte=since).delete()
            OutboxEvent.objects.filter(created_at__gte=since).delete()
            key.delete()
