from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry, Role
from catalog.services import category_create, product_create
from sales.models import Order, OrderLine, Payment, Refund, RefundLine
from sales.pricing import Discount
from sales.selectors import shift_expected_cash
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import _rerun_totals, line_shares, order_refund, order_void
from sales.services.shifts import register_create, shift_close, shift_open


def submit(resto, lines, key="k-1", **kwargs) -> Order:
    return order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=key, lines=lines, **kwargs)


def pay(resto, order, tender="card", amount=None, key=None, **kwargs) -> Payment:
    if tender == "card":
        kwargs.setdefault("reference", "APPR 1")
    return payment_add(order=order, user=resto["cashier"], tender=tender, idempotency_key=key or f"pay-{order.pk}",
                       amount_minor=order.total_minor if amount is None else amount, **kwargs)  # fmt: skip


def supervisor(resto):
    return resto["fixture"].users[Role.SUPERVISOR]


def refund(resto, order, lines=None, key="r-1", **kwargs) -> Refund:
    kwargs.setdefault("approved_by", supervisor(resto))
    kwargs.setdefault("reason", "cold food")
    kwargs.setdefault("shift", resto["shift"])
    return order_refund(order=order, user=resto["cashier"], idempotency_key=key, lines=lines, **kwargs)


def restaurant_order(resto, key="k-1") -> Order:
    """2 × Nasi goreng (45.000) + 1 × Es teh (10.000) = 100.000; service 5% = 5.000; PB1 10% of 105.000 =
    10.500; total 115.500. Service split 4.500 / 500; PB1 split 9.450 / 1.050; so the nasi line's share is
    90.000 + 4.500 + 9.450 = 103.950 and the teh line's 10.000 + 500 + 1.050 = 11.550."""
    m = resto["menu"]
    order = submit(resto, [LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk, 1)], key=key)
    assert order.total_minor == 115_500
    return order


# --- Voids --------------------------------------------------------------------------------------------------


def test_void_needs_a_supervisor_and_a_reason_and_changes_nothing_when_refused(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])
    for approver, reason, field in [
        (resto["cashier"], "mistake", "approved_by"),
        (None, "mistake", "approved_by"),
        (supervisor(resto), "  ", "reason"),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            order_void(order=order, user=resto["cashier"], approved_by=approver, reason=reason)
        assert field in excinfo.value.message_dict
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and order.voided_at is None
    assert not AuditEntry.objects.filter(action="order.void").exists()


def test_void_an_open_order_twice_is_a_no_op(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])
    owner = resto["fixture"].users[Role.ADMIN_TENANT]
    voided = order_void(order=order, user=resto["cashier"], approved_by=owner, reason=" wrong table ")
    assert voided.status == Order.Status.VOIDED and voided.void_reason == "wrong table"
    assert (voided.voided_by, voided.void_approved_by) == (resto["cashier"], owner) and voided.voided_at
    again = order_void(order=order, user=resto["cashier"], approved_by=supervisor(resto), reason="again")
    assert again.pk == order.pk and again.void_approved_by == owner and again.void_reason == "wrong table"
    entry = AuditEntry.objects.get(action="order.void")
    assert entry.actor == resto["cashier"] and entry.data["approved_by"] == owner.pk
    with pytest.raises(ValidationError, match="takes no more payments"):
        pay(resto, order)


def test_void_is_refused_once_money_is_taken(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])  # 11.550
    pay(resto, order, amount=5_000, key="part")
    with pytest.raises(ValidationError, match="already has 5000 paid.*refund the order instead"):
        order_void(order=order, user=resto["cashier"], approved_by=supervisor(resto), reason="left")
    pay(resto, order, amount=6_550, key="rest")
    with pytest.raises(ValidationError, match="is paid: only an open, unpaid order can be voided"):
        order_void(order=order, user=resto["cashier"], approved_by=supervisor(resto), reason="left")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not AuditEntry.objects.filter(action="order.void").exists()


# --- Refunds: amounts ---------------------------------------------------------------------------------------


def test_refund_one_line_then_the_rest_sums_to_the_total(resto):
    order = restaurant_order(resto)
    pay(resto, order)
    nasi, teh = order.lines.order_by("position")
    first = refund(resto, order, {nasi.pk: 1}, key="r-1")
    # One of two nasi: half the line's 103.950.
    assert (first.amount_minor, first.tender) == (51_975, "card")
    assert list(first.lines.values_list("order_line", "quantity", "amount_minor")) == [(nasi.pk, 1, 51_975)]
    order.refresh_from_db()
    assert (order.status, order.refunded_minor) == (Order.Status.PAID, 51_975)

    rest = refund(resto, order, None, key="r-2")
    assert rest.amount_minor == 51_975 + 11_550
    order.refresh_from_db()
    assert (order.status, order.refunded_minor) == (Order.Status.REFUNDED, 115_500)
    assert list(OrderLine.objects.filter(order=order).values_list("refunded_quantity", flat=True)) == [2, 1]
    entry = AuditEntry.objects.filter(action="order.refund").latest("pk")
    assert entry.data["amount_minor"] == 63_525 and entry.data["approved_by"] == supervisor(resto).pk
    with pytest.raises(ValidationError, match="already fully refunded"):
        refund(resto, order, None, key="r-3")


def test_whole_refund(resto):
    order = restaurant_order(resto)
    pay(resto, order)
    whole = refund(resto, order)
    assert whole.amount_minor == 115_500 and whole.reason == "cold food"
    assert sorted(whole.lines.values_list("quantity", "amount_minor")) == [(1, 11_550), (2, 103_950)]
    order.refresh_from_db()
    assert (order.status, order.refunded_minor) == (Order.Status.REFUNDED, 115_500)


def test_refunding_unit_by_unit_returns_exactly_the_total(resto):
    """Awkward numbers: an order discount of 7%, a modifier, and quantities that do not divide the shares."""
    m = resto["menu"]
    order = submit(resto, [
        LineRequest(m["nasi"].pk, 3),
        LineRequest(m["teh"].pk, 7, discount=Discount("amount", 1_001)),
        LineRequest(m["latte"].pk, 3, variant_id=m["large"].pk, modifier_ids=(m["less"].pk, m["oat"].pk)),
    ], order_discount=Discount("percent", Decimal(7)))  # fmt: skip
    pay(resto, order)
    lines = list(order.lines.order_by("position"))
    assert _rerun_totals(order, lines) is not None  # the engine reproduced the stored snapshot
    shares = line_shares(order, lines)
    assert sum(s.total_minor for s in shares) == order.total_minor
    amounts = []
    for line in lines:
        for unit in range(line.quantity):
            amounts.append(refund(resto, order, {line.pk: 1}, key=f"u-{line.pk}-{unit}").amount_minor)
    order.refresh_from_db()
    assert sum(amounts) == order.total_minor == order.refunded_minor
    assert order.status == Order.Status.REFUNDED
    assert Refund.objects.filter(order=order).count() == 13


def test_shares_follow_the_engine_and_fall_back_to_net_when_it_cannot_reproduce_the_snapshot(resto):
    """Nasi goreng (45.000, PB1) + water (10.000, no tax): service 2.750 split 2.250 / 500; PB1 10% of 47.250 =
    4.725 on the nasi only; total 62.475. The engine's shares: 51.975 and 10.500 (the water carries no tax)."""
    water = product_create(category=category_create(name="Water"), name="Water", sku="W", price_minor=10_000)
    order = submit(resto, [LineRequest(resto["menu"]["nasi"].pk), LineRequest(water.pk)])
    assert order.total_minor == 62_475
    lines = list(order.lines.order_by("position"))
    assert [s.total_minor for s in line_shares(order, lines)] == [51_975, 10_500]
    # A breakdown the engine does not reproduce (here, a changed rate): 62.475 split 45 : 10 by largest
    # remainder = 51.115,9 and 11.359,1 → 51.116 and 11.359.
    order.tax_breakdown[0]["rate"] = "11"
    assert [s.total_minor for s in line_shares(order, lines)] == [51_116, 11_359]


# --- Refunds: tenders and cash ------------------------------------------------------------------------------


def test_refund_goes_back_to_the_original_tenders_of_a_split_payment(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk, 3)])  # 34.650
    card = pay(resto, order, "card", amount=17_000, key="p-card")
    cash = pay(resto, order, "cash", amount=17_650, key="p-cash", tendered_minor=20_000)  # rounded: 17.700 in
    assert shift_expected_cash(resto["shift"]) == 17_700
    teh = order.lines.get()
    first = refund(resto, order, {teh.pk: 2}, key="split")  # 2 × 11.550 = 23.100: 17.000 card, 6.100 cash
    rows = list(Refund.objects.filter(order=order).order_by("pk").values_list("payment", "tender", "amount_minor"))
    assert rows == [(card.pk, "card", 17_000), (cash.pk, "cash", 6_100)]
    assert first.payment_id == card.pk and RefundLine.objects.get().refund_id == first.pk
    assert shift_expected_cash(resto["shift"]) == 17_700 - 6_100
    refund(resto, order, None, key="split-rest")  # the last 11.550: all cash now, the card is fully refunded
    assert Refund.objects.filter(order=order, tender="cash").count() == 2
    assert shift_expected_cash(resto["shift"]) == 17_700 - 17_650  # the rounding stays in the drawer
    assert Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).count() == 2


def test_expected_cash_after_a_cash_refund_and_at_close(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk, 2)])  # 23.100
    pay(resto, order, "cash", tendered_minor=25_000)
    teh = order.lines.get()
    refund(resto, order, {teh.pk: 1})
    assert shift_expected_cash(resto["shift"]) == 23_100 - 11_550
    closed = shift_close(shift=resto["shift"], user=resto["cashier"], denominations={"10000": 1, "1000": 1})
    assert (closed.expected_cash_minor, closed.variance_minor) == (11_550, 11_000 - 11_550)


def test_a_later_shift_pays_a_cash_refund_out_of_its_own_drawer(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])  # 11.550
    pay(resto, order, "cash")  # 11.600 after rounding
    other = shift_open(register=register_create(outlet=resto["outlet"], name="Till 2"), user=resto["cashier"],
                       opening_float_minor=50_000)  # fmt: skip
    refund(resto, order, shift=other)
    assert shift_expected_cash(other) == 50_000 - 11_550
    assert shift_expected_cash(resto["shift"]) == 11_600


# --- Refunds: refusals and idempotency ----------------------------------------------------------------------


def _assert_nothing_refunded(order):
    order.refresh_from_db()
    assert order.refunded_minor == 0 and order.status == Order.Status.PAID
    assert not Refund.objects.exists() and not RefundLine.objects.exists()
    assert not OrderLine.objects.filter(order=order, refunded_quantity__gt=0).exists()
    assert not AuditEntry.objects.filter(action="order.refund").exists()


def test_refund_over_the_quantity_and_other_refusals_change_nothing(resto):
    order = restaurant_order(resto)
    pay(resto, order)
    nasi, teh = order.lines.order_by("position")
    stranger = submit(resto, [LineRequest(resto["menu"]["teh"].pk)], key="other").lines.get()
    cases = [
        ({"lines": {nasi.pk: 3}}, "lines", "3 asked, but only 2 of 2"),
        ({"lines": {nasi.pk: 1, teh.pk: 2}}, "lines", "only 1 of 1"),
        ({"lines": {stranger.pk: 1}}, "lines", "is not on order"),
        ({"lines": {nasi.pk: 0}}, "lines", "at least one item"),
        ({"lines": {nasi.pk: -1}}, "lines", "whole number"),
        ({"lines": {}}, "lines", "at least one item"),
        ({"reason": ""}, "reason", "Say why"),
        ({"approved_by": resto["cashier"]}, "approved_by", "supervisor"),
        ({"key": ""}, "idempotency_key", "key"),
        ({"key": "x" * 256}, "idempotency_key", "1 to 255"),
    ]
    for index, (kwargs, field, message) in enumerate(cases):
        kwargs.setdefault("key", f"bad-{index}")
        with pytest.raises(ValidationError, match=message) as excinfo:
            refund(resto, order, **kwargs)
        assert field in excinfo.value.message_dict, kwargs
    _assert_nothing_refunded(order)


def test_refund_refused_on_a_closed_shift_and_an_unpaid_order(resto):
    unpaid = submit(resto, [LineRequest(resto["menu"]["teh"].pk)], key="unpaid")
    with pytest.raises(ValidationError, match="only a paid order can be refunded. Void it instead"):
        refund(resto, unpaid)
    order = restaurant_order(resto)
    pay(resto, order)
    supervisor = resto["fixture"].users[Role.SUPERVISOR]  # the unpaid order stays open: approved
    shift_close(shift=resto["shift"], user=resto["cashier"], denominations={}, leave_tabs_approved_by=supervisor)
    with pytest.raises(ValidationError) as excinfo:
        refund(resto, order)
    assert "shift is closed" in excinfo.value.message_dict["shift"][0]
    _assert_nothing_refunded(order)


def test_the_same_key_twice_refunds_once(resto):
    order = restaurant_order(resto)
    pay(resto, order)
    nasi = order.lines.order_by("position").first()
    first = refund(resto, order, {nasi.pk: 1}, key="tap")
    again = refund(resto, order, {nasi.pk: 1}, key="tap")
    assert first.pk == again.pk and Refund.objects.count() == 1
    order.refresh_from_db()
    assert order.refunded_minor == 51_975 and OrderLine.objects.get(pk=nasi.pk).refunded_quantity == 1
    assert AuditEntry.objects.filter(action="order.refund").count() == 1
    other = restaurant_order(resto, key="k-2")
    pay(resto, other)
    with pytest.raises(ValidationError) as excinfo:
        refund(resto, other, key="tap")
    assert excinfo.value.code == "idempotency.key_reused" and excinfo.value.status == 422
