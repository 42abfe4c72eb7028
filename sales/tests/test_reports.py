import json
from datetime import timedelta
from decimal import Decimal

from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet, Tax
from catalog.services import category_create, product_create
from sales.models import Order
from sales.selectors import order_history, shift_report
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund, order_void
from sales.services.shifts import cash_movement_record, register_create, shift_close, shift_open


def _sell(resto, n: int, prefix: str = "o") -> list[Order]:
    """n orders of 2 × Es teh: 20.000; service 1.000; PB1 2.100; total 23.100 (a multiple of Rp 100, so cash
    is not rounded). Even ones by card, odd ones in cash."""
    orders = []
    for i in range(n):
        order = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"{prefix}{i}",
                             lines=[LineRequest(resto["menu"]["teh"].pk, 2)])  # fmt: skip
        tender = {"tender": "cash"} if i % 2 else {"tender": "card", "reference": "R"}
        payment_add(order=order, user=resto["cashier"], amount_minor=order.total_minor,
                    idempotency_key=f"{prefix}p{i}", **tender)  # fmt: skip
        orders.append(order)
    return orders


def _refund(resto, order, lines=None, key="r"):
    return order_refund(order=order, user=resto["cashier"], approved_by=resto["fixture"].users[Role.SUPERVISOR],
                        reason="complaint", idempotency_key=key, lines=lines, shift=resto["shift"])  # fmt: skip


def _void(resto, order):
    return order_void(order=order, user=resto["cashier"], approved_by=resto["fixture"].users[Role.SUPERVISOR],
                      reason="wrong order")  # fmt: skip


def test_x_then_z_report_with_hand_checked_figures(resto):
    cashier, m = resto["cashier"], resto["menu"]
    teh_orders = _sell(resto, 4)  # 2 card + 2 cash, 23.100 each
    # Nasi goreng 45.000; service 2.250; PB1 4.725 → 51.975; cash rounds it to 52.000 (+25); tip 5.000.
    nasi = order_submit(shift=resto["shift"], user=cashier, idempotency_key="nasi", lines=[LineRequest(m["nasi"].pk)])
    payment_add(order=nasi, user=cashier, tender="cash", amount_minor=51_975, tip_minor=5_000,
                tendered_minor=60_000, idempotency_key="nasi-p")  # fmt: skip
    # Cake 22.200 with PPN 11% included: PPN 2.200, pre-tax 20.000, service 1.000 → 23.200, by card.
    ppn = Tax.objects.create(code="PPN", name="PPN", rate=Decimal(11), inclusive=True)
    cake = product_create(category=category_create(name="Cakes"), name="Cake", sku="CK", price_minor=22_200,
                          taxes=[ppn])  # fmt: skip
    cake_order = order_submit(shift=resto["shift"], user=cashier, idempotency_key="cake", lines=[LineRequest(cake.pk)])
    assert (cake_order.tax_included_minor, cake_order.service_charge_minor, cake_order.total_minor) == (
        2_200, 1_000, 23_200)  # fmt: skip
    payment_add(order=cake_order, user=cashier, tender="card", amount_minor=23_200, idempotency_key="cake-p",
                reference="R")  # fmt: skip
    # An open tab, a voided order, a whole card refund and one teh refunded in cash (11.550).
    order_submit(shift=resto["shift"], user=cashier, idempotency_key="tab", lines=[LineRequest(m["nasi"].pk)])
    _void(resto, order_submit(shift=resto["shift"], user=cashier, idempotency_key="void",
                              lines=[LineRequest(m["teh"].pk)]))  # fmt: skip
    _refund(resto, teh_orders[0], key="r-card")
    _refund(resto, teh_orders[1], {teh_orders[1].lines.get().pk: 1}, key="r-cash")
    cash_movement_record(shift=resto["shift"], user=cashier, kind="pay_in", amount_minor=100_000, reason="float")
    cash_movement_record(shift=resto["shift"], user=cashier, kind="pay_out", amount_minor=5_000, reason="ice")

    x = shift_report(shift=resto["shift"])
    assert x["kind"] == "X"
    o = x["orders"]
    assert (o["paid_count"], o["open_count"], o["voided_count"], o["refunded_count"]) == (5, 1, 1, 1)
    # Sold: 4 × 20.000 + 45.000 + 22.200 = 147.200; service 4 × 1.000 + 2.250 + 1.000 = 7.250;
    # PB1 4 × 2.100 + 4.725 = 13.125 added; PPN 2.200 included; total 4 × 23.100 + 51.975 + 23.200 = 167.575.
    assert (o["gross"], o["discounts"], o["service"], o["tax"], o["tax_included"], o["total"]) == (
        147_200, 0, 7_250, 13_125, 2_200, 167_575)  # fmt: skip
    assert o["refunded"] == 23_100 + 11_550 and o["open_balance"] == 51_975
    assert x["net_sales_minor"] == 147_200
    assert x["taxes"] == [
        {"code": "PB1", "name": "PB1", "rate": "10.00", "inclusive": False, "amount_minor": 13_125},
        {"code": "PPN", "name": "PPN", "rate": "11.00", "inclusive": True, "amount_minor": 2_200},
    ]
    assert [t["code"] for t in x["taxes_exclusive"]] == ["PB1"]
    assert [t["code"] for t in x["taxes_inclusive"]] == ["PPN"]
    tenders = [(t["tender"], t["count"], t["amount_minor"], t["tip_minor"], t["rounding_minor"]) for t in x["tenders"]]
    assert tenders == [("card", 3, 2 * 23_100 + 23_200, 0, 0), ("cash", 3, 2 * 23_100 + 51_975, 5_000, 25)]
    assert (x["tips_minor"], x["cash_rounding_minor"]) == (5_000, 25)
    assert [(r["tender"], r["count"], r["amount_minor"]) for r in x["refunds"]] == [
        ("card", 1, 23_100), ("cash", 1, 11_550)]  # fmt: skip
    assert x["refunds_minor"] == 34_650
    assert (x["opening_float_minor"], x["pay_in_minor"], x["pay_out_minor"]) == (0, 100_000, 5_000)
    # 0 + 100.000 − 5.000 + 98.175 cash taken + 5.000 tip + 25 rounding − 11.550 refunded = 186.650
    assert x["expected_cash_minor"] == 186_650
    assert (x["counted_cash_minor"], x["variance_minor"], x["denominations"]) == (None, None, [])

    counted = {"100000": 1, "50000": 1, "20000": 1, "10000": 1, "5000": 1, "1000": 1, "500": 0}  # 186.000
    supervisor = resto["fixture"].users[Role.SUPERVISOR]  # the open order stays open: approved
    shift_close(shift=resto["shift"], user=cashier, denominations=counted, leave_tabs_approved_by=supervisor)
    resto["shift"].refresh_from_db()
    z = shift_report(shift=resto["shift"])
    assert z["kind"] == "Z" and z["orders"] == o and z["tenders"] == x["tenders"] and z["refunds"] == x["refunds"]
    assert (z["expected_cash_minor"], z["counted_cash_minor"], z["variance_minor"]) == (186_650, 186_000, -650)
    assert z["denominations"] == [(100_000, 1), (50_000, 1), (20_000, 1), (10_000, 1), (5_000, 1), (1_000, 1)]


def test_an_empty_shift_reports_zeros(resto):
    report = shift_report(shift=resto["shift"])
    assert report["orders"]["paid_count"] == 0 and report["orders"]["total"] == 0
    assert (report["taxes"], report["tenders"], report["refunds"], report["expected_cash_minor"]) == ([], [], [], 0)


def _activity(resto, n: int, prefix: str) -> None:
    orders = _sell(resto, n, prefix)
    _refund(resto, orders[0], key=f"{prefix}-r")
    _void(resto, order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"{prefix}-v",
                              lines=[LineRequest(resto["menu"]["teh"].pk)]))  # fmt: skip


def test_reports_and_history_use_a_fixed_number_of_queries(resto, django_assert_max_num_queries):
    _activity(resto, 5, "a")
    with django_assert_max_num_queries(8) as report_queries:
        shift_report(shift=resto["shift"])
    with django_assert_max_num_queries(1):
        page = list(order_history(shift=resto["shift"]))
        assert {o.created_by.username for o in page} == {"cashier"} and page[0].shift.register.name == "Till 1"
        assert page[0].outlet.code == "MAIN" and [o.tenders for o in page[-2:]] == [["cash"], ["card"]]
    _activity(resto, 45, "b")
    with django_assert_max_num_queries(len(report_queries.captured_queries)):
        report = shift_report(shift=resto["shift"])
    assert report["orders"]["paid_count"] + report["orders"]["refunded_count"] == 50
    with django_assert_max_num_queries(1):
        page = list(order_history(shift=resto["shift"]))
        assert len(page) == 50 and all(o.created_by.username and o.shift.register.name for o in page)
        assert sum(len(o.tenders) for o in page) == 48  # 2 voided orders have no payment


def test_history_filters(resto):
    orders = _sell(resto, 4)
    open_tab = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key="tab",
                            lines=[LineRequest(resto["menu"]["teh"].pk)])  # fmt: skip
    payment_add(order=open_tab, user=resto["cashier"], tender="card", amount_minor=1_000, idempotency_key="part",
                reference="R")  # fmt: skip
    payment_add(order=open_tab, user=resto["cashier"], tender="card", amount_minor=1_000, idempotency_key="part2",
                reference="R")  # fmt: skip
    shift = resto["shift"]
    today = orders[0].business_date
    assert order_history(shift=shift).count() == 5
    assert order_history(number=2).get().pk == orders[1].pk
    assert [o.pk for o in order_history(tender="cash")] == [orders[3].pk, orders[1].pk]
    assert order_history(tender="card").count() == 3  # the tab paid twice by card is listed once
    assert order_history(tender="card", status="open").get().tenders == ["card", "card"]
    assert order_history(status="paid").count() == 4
    assert order_history(date_from=today, date_to=today).count() == 5
    assert not order_history(date_from=today + timedelta(days=1)).exists()
    assert not order_history(date_to=today - timedelta(days=1)).exists()
    assert order_history(outlet=resto["outlet"]).count() == 5
    other_outlet = Outlet.objects.create(name="Branch", code="BR")
    assert not order_history(outlet=other_outlet).exists()
    assert [o.pk for o in order_history(limit=2, offset=1)] == [orders[3].pk, orders[2].pk]  # newest first
    assert order_history(limit=None).count() == 5
    # Another shift's orders stay out of this shift's history.
    other = shift_open(register=register_create(outlet=resto["outlet"], name="Till 2"),
                       user=resto["fixture"].users[Role.SUPERVISOR], opening_float_minor=0)  # fmt: skip
    order_submit(shift=other, user=resto["cashier"], idempotency_key="t2", lines=[LineRequest(resto["menu"]["teh"].pk)])
    assert order_history(shift=shift).count() == 5 and order_history(shift=other).count() == 1


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_merged_tab_is_not_counted_as_a_void(till):
    """Merging two tabs voids nothing: the Z report's voids are only orders somebody cancelled."""
    client, teh = till["client"], till["teh"]
    first = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "mg-a"}).json()
    second = post_json(client, "/till/orders/", {"lines": [{"product_id": teh.pk}], "idempotency_key": "mg-b"}).json()
    merged = client.post(f"/till/history/{first['id']}/", {"action": "merge", "source": second["id"], "key": "mg-m"})
    assert merged.status_code == 302
    with tenant_context(till["tenant"].tenant):
        assert Order.objects.get(pk=second["id"]).status != Order.Status.VOIDED
        report = shift_report(shift=till["shift"])
    assert report["orders"]["voided_count"] == 0
    assert report["orders"]["open_count"] == 1 and report["orders"]["open_balance"] == 2 * first["total_minor"]
