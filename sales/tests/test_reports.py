from decimal import Decimal

from sales.selectors import order_history, shift_report
from sales.services import cash_movement_record, shift_close
from sales.services.orders import LineRequest, order_submit, payment_add


def _sell(resto, n: int, prefix: str = "o") -> None:
    for i in range(n):
        order = order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=f"{prefix}{i}",
                             lines=[LineRequest(resto["menu"]["teh"].pk, 2)])  # fmt: skip
        # 2 × 10.000 = 20.000; service 1.000; PB1 2.100; total 23.100 (cash: 23.100, already a multiple of 100)
        tender = {"tender": "cash"} if i % 2 else {"tender": "card", "reference": "R"}
        payment_add(order=order, user=resto["cashier"], amount_minor=order.total_minor,
                    idempotency_key=f"{prefix}p{i}", **tender)  # fmt: skip


def test_x_then_z_report_with_hand_checked_figures(resto):
    _sell(resto, 4)
    order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key="open-tab",
                 lines=[LineRequest(resto["menu"]["nasi"].pk)])  # fmt: skip
    cash_movement_record(shift=resto["shift"], user=resto["cashier"], kind="pay_out", amount_minor=5_000, reason="ice")
    x = shift_report(shift=resto["shift"])
    assert x["kind"] == "X"
    assert (x["orders"]["paid_count"], x["orders"]["open_count"]) == (4, 1)
    assert (x["orders"]["gross"], x["orders"]["service"], x["orders"]["total"]) == (
        80_000, 4_000, 92_400)  # fmt: skip
    assert x["taxes"] == [{"code": "PB1", "name": "PB1", "rate": "10.00", "inclusive": False, "amount_minor": 8_400}]
    assert [(t["tender"], t["count"], t["amount_minor"]) for t in x["tenders"]] == [
        ("card", 2, 46_200),
        ("cash", 2, 46_200),
    ]
    assert x["expected_cash_minor"] == 46_200 - 5_000

    shift_close(shift=resto["shift"], user=resto["cashier"], denominations={"20000": 2})
    resto["shift"].refresh_from_db()
    z = shift_report(shift=resto["shift"])
    assert z["kind"] == "Z" and z["counted_cash_minor"] == 40_000 and z["variance_minor"] == 40_000 - 41_200
    assert z["denominations"] == [(20000, 2)]


def test_reports_and_history_use_a_fixed_number_of_queries(resto, django_assert_max_num_queries):
    _sell(resto, 3, "a")
    with django_assert_max_num_queries(8) as few:
        shift_report(shift=resto["shift"])
        list(order_history(shift=resto["shift"])[:50])
    _sell(resto, 20, "b")
    with django_assert_max_num_queries(len(few.captured_queries)):
        shift_report(shift=resto["shift"])
        list(order_history(shift=resto["shift"])[:50])


def test_history_filters(resto):
    _sell(resto, 4)
    assert order_history(shift=resto["shift"]).count() == 4
    assert order_history(number=2).get().number == 2
    assert order_history(tender="cash").count() == 2
    assert order_history(status="open").count() == 0
    assert Decimal(order_history().first().total_minor) == Decimal(23_100)
