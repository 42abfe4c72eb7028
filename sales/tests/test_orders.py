from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry, Role
from catalog.models import OutletProductOverride
from sales.models import Order, OrderLine, Payment
from sales.pricing import Discount
from sales.selectors import shift_expected_cash
from sales.services.orders import LineRequest, order_add_lines, order_submit, payment_add
from sales.services.shifts import shift_close


def submit(resto, lines, key="k-1", **kwargs):
    return order_submit(shift=resto["shift"], user=resto["cashier"], idempotency_key=key, lines=lines, **kwargs)


def test_an_order_is_priced_by_the_server_and_snapshotted(resto):
    m = resto["menu"]
    order = submit(resto, [LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk, 1, note="less ice")])
    # 2 × 45.000 + 10.000 = 100.000; service 5% = 5.000; PB1 10% of 105.000 = 10.500; total 115.500
    assert (order.subtotal_minor, order.service_charge_minor, order.tax_minor, order.total_minor) == (
        100_000, 5_000, 10_500, 115_500)  # fmt: skip
    assert order.number == 1 and order.status == Order.Status.OPEN and order.currency == "IDR"
    assert order.tax_breakdown == [{"code": "PB1", "name": "PB1", "rate": "10.00", "inclusive": False,
                                    "amount_minor": 10_500}]  # fmt: skip
    lines = list(order.lines.all())
    assert [(line.name, line.quantity, line.unit_price_minor, line.net_minor) for line in lines] == [
        ("Nasi goreng", 2, 45_000, 90_000), ("Es teh", 1, 10_000, 10_000)]  # fmt: skip
    assert lines[1].note == "less ice"
    # A later price change does not touch history.
    m["nasi"].price_minor = 50_000
    m["nasi"].save()
    assert OrderLine.objects.get(pk=lines[0].pk).unit_price_minor == 45_000
    assert submit(resto, [LineRequest(m["teh"].pk)], key="k-2").number == 2


def test_the_same_key_twice_makes_one_order(resto):
    line = [LineRequest(resto["menu"]["teh"].pk)]
    first, second = submit(resto, line, key="tap-1"), submit(resto, line, key="tap-1")
    assert first.pk == second.pk
    assert Order.objects.filter(shift=resto["shift"]).count() == 1
    assert OrderLine.objects.filter(order=first).count() == 1


def test_variants_and_modifiers_set_the_price_and_are_checked(resto):
    m = resto["menu"]
    order = submit(resto, [LineRequest(m["latte"].pk, 1, variant_id=m["large"].pk,
                                       modifier_ids=(m["less"].pk, m["shot"].pk))])  # fmt: skip
    line = order.lines.get()
    assert line.name == "Latte (Large)" and line.sku == "LT-L"
    assert line.unit_price_minor == 42_000 + 8_000
    assert [mod["name"] for mod in line.modifiers] == ["Less", "Extra shot"]

    cases = [
        (LineRequest(m["latte"].pk), "choose one of Regular, Large"),
        (LineRequest(m["latte"].pk, variant_id=m["regular"].pk), "choose at least 1 for “Sugar”"),
        (LineRequest(m["latte"].pk, variant_id=m["regular"].pk,
                     modifier_ids=(m["less"].pk, m["shot"].pk, m["oat"].pk, m["shot"].pk)), "choose at most 2"),
        (LineRequest(m["teh"].pk, modifier_ids=(m["shot"].pk,)), "does not belong to it"),
        (LineRequest(m["teh"].pk, quantity=0), "quantity must be 1 to 999"),
        (LineRequest(999_999), "not on the menu"),
    ]  # fmt: skip
    for index, (line_request, message) in enumerate(cases):
        with pytest.raises(ValidationError, match=message):
            submit(resto, [line_request], key=f"bad-{index}")
    assert Order.objects.count() == 1  # nothing saved by the refused ones


def test_outlet_overrides_sell_out_and_reprice(resto):
    m = resto["menu"]
    OutletProductOverride.objects.create(outlet=resto["outlet"], product=m["teh"], price_minor=12_000)
    assert submit(resto, [LineRequest(m["teh"].pk)], key="o-1").lines.get().unit_price_minor == 12_000
    OutletProductOverride.objects.create(outlet=resto["outlet"], product=m["nasi"], is_available=False)
    with pytest.raises(ValidationError, match="Nasi goreng is sold out at this outlet"):
        submit(resto, [LineRequest(m["nasi"].pk)], key="o-2")


def test_a_big_discount_needs_a_supervisor(resto):
    m = resto["menu"]
    lines = [LineRequest(m["nasi"].pk, 1, discount=Discount("percent", Decimal(20)))]
    with pytest.raises(ValidationError, match="above 10% on Nasi goreng needs a supervisor"):
        submit(resto, lines, key="d-1")
    with pytest.raises(ValidationError, match="needs a supervisor"):
        submit(resto, lines, key="d-2", approved_by=resto["cashier"])
    assert not Order.objects.exists()
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    order = submit(resto, lines, key="d-3", approved_by=supervisor)
    assert order.discount_minor == 9_000
    entry = AuditEntry.objects.get(action="order.discount_approved")
    assert entry.actor == supervisor and entry.data["cashier"] == resto["cashier"].pk
    # Within the limit no approval is asked.
    assert (
        submit(resto, [LineRequest(m["teh"].pk, 1, discount=Discount("amount", 1_000))], key="d-4").discount_minor
        == 1_000
    )


def test_discounts_that_stack_past_the_limit_need_a_supervisor(resto):
    """Issue 12, point 5: with a 10% limit, 10% on a line plus 10% on the order (19% in all) went through."""
    m = resto["menu"]
    lines = [LineRequest(m["nasi"].pk, 1, discount=Discount("percent", Decimal(10)))]
    order_discount = Discount("percent", Decimal(10))
    with pytest.raises(ValidationError, match="above 10% on the whole order"):
        submit(resto, lines, key="stack-1", order_discount=order_discount)
    assert not Order.objects.exists()
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    order = submit(resto, lines, key="stack-2", order_discount=order_discount, approved_by=supervisor)
    assert order.discount_minor == 4_500 + 4_050  # 10% of 45.000, then 10% of the 40.500 left
    # Each alone stays within the limit and needs nobody.
    assert submit(resto, lines, key="stack-3").discount_minor == 4_500
    tea = submit(resto, [LineRequest(m["teh"].pk)], key="stack-4", order_discount=order_discount)
    assert tea.discount_minor == 1_000


def test_a_discounted_line_added_to_a_discounted_tab_is_checked_with_the_tab(resto):
    """Issue 12, point 5 for tabs: a tab with 10% off the order, then a line with 10% off added to it, is 19% off
    in all: adding it needs a supervisor (only the new line's own 10% was checked)."""
    m = resto["menu"]
    tab = submit(resto, [LineRequest(m["nasi"].pk)], key="tab-1", order_type="dine_in", table_label="4",
                 order_discount=Discount("percent", Decimal(10)))  # fmt: skip
    discounted = [LineRequest(m["nasi"].pk, 1, discount=Discount("percent", Decimal(10)))]
    with pytest.raises(ValidationError, match="above 10% on the whole order"):
        order_add_lines(order=tab, user=resto["cashier"], lines=discounted, expected_version=1,
                        idempotency_key="tab-add-1")  # fmt: skip
    tab.refresh_from_db()
    assert tab.version == 1 and tab.lines.count() == 1 and tab.discount_minor == 4_500
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    tab = order_add_lines(order=tab, user=resto["cashier"], lines=discounted, expected_version=1,
                          idempotency_key="tab-add-2", approved_by=supervisor)  # fmt: skip
    assert tab.lines.count() == 2 and tab.discount_minor == 4_500 + 4_500 + 4_050
    entry = AuditEntry.objects.get(action="order.discount_approved")
    assert entry.actor == supervisor and entry.data["discount_minor"] == 13_050
    # Items without a discount added to the tab need nobody: they only lower the tab's share of discount.
    tab = order_add_lines(order=tab, user=resto["cashier"], lines=[LineRequest(m["teh"].pk)], expected_version=2,
                          idempotency_key="tab-add-3")  # fmt: skip
    assert tab.lines.count() == 3


def test_bad_orders_are_refused_with_field_messages(resto):
    for kwargs, field in [
        ({"lines": []}, "lines"),
        ({"lines": [LineRequest(resto["menu"]["teh"].pk)], "order_type": "drive-thru"}, "order_type"),
        ({"lines": [LineRequest(resto["menu"]["teh"].pk)], "order_type": "dine_in"}, "table_label"),
        ({"lines": [LineRequest(resto["menu"]["teh"].pk)], "idempotency_key": ""}, "idempotency_key"),
    ]:
        kwargs.setdefault("idempotency_key", "x")
        with pytest.raises(ValidationError) as excinfo:
            order_submit(shift=resto["shift"], user=resto["cashier"], **kwargs)
        assert field in excinfo.value.message_dict
    assert not Order.objects.exists()


def test_split_payment_half_cash_half_card_with_cash_rounding(resto):
    m = resto["menu"]
    # 3 × Es teh = 30.000; service 1.500; PB1 3.150; total 34.650
    order = submit(resto, [LineRequest(m["teh"].pk, 3)])
    assert order.total_minor == 34_650
    card = payment_add(order=order, user=resto["cashier"], tender="card", amount_minor=17_000,
                       idempotency_key="p-1", reference="APPR 123456")  # fmt: skip
    # The rest, 17.650, in cash: rounded to the nearest Rp 100 → 17.700; 20.000 handed over → 2.300 change.
    cash = payment_add(order=order, user=resto["cashier"], tender="cash", amount_minor=17_650,
                       idempotency_key="p-2", tendered_minor=20_000)  # fmt: skip
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_minor == 34_650
    assert (cash.rounding_minor, cash.change_minor, card.reference) == (50, 2_300, "APPR 123456")
    assert shift_expected_cash(resto["shift"]) == 17_700
    closed = shift_close(shift=resto["shift"], user=resto["cashier"], denominations={"10000": 1, "5000": 1, "2000": 1})
    assert closed.variance_minor == 17_000 - 17_700


def test_payments_are_idempotent_and_never_overpay(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])  # total 11.550
    first = payment_add(order=order, user=resto["cashier"], tender="card", amount_minor=5_000,
                        idempotency_key="same", reference="A1")  # fmt: skip
    again = payment_add(order=order, user=resto["cashier"], tender="card", amount_minor=5_000,
                        idempotency_key="same", reference="A1")  # fmt: skip
    assert first.pk == again.pk and Payment.objects.filter(order=order).count() == 1
    with pytest.raises(ValidationError, match="more than the 6550 still owed"):
        payment_add(order=order, user=resto["cashier"], tender="card", amount_minor=7_000,
                    idempotency_key="over", reference="A2")  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        payment_add(order=order, user=resto["cashier"], tender="card", amount_minor=100, idempotency_key="noref")
    assert "reference" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        payment_add(order=order, user=resto["cashier"], tender="cash", amount_minor=6_550, idempotency_key="short",
                    tendered_minor=1_000)  # fmt: skip
    assert "tendered_minor" in excinfo.value.message_dict
    order.refresh_from_db()
    assert order.paid_minor == 5_000


def test_no_sale_on_a_closed_shift(resto):
    shift_close(shift=resto["shift"], user=resto["cashier"], denominations={})
    with pytest.raises(ValidationError, match="shift is closed"):
        submit(resto, [LineRequest(resto["menu"]["teh"].pk)])
    assert not Order.objects.exists()


def test_items_added_to_an_open_tab_keep_old_prices_and_retotal(resto):
    m = resto["menu"]
    order = submit(resto, [LineRequest(m["nasi"].pk)], order_type="dine_in", table_label="7")
    assert order.total_minor == 51_975  # 45.000 + service 2.250 + PB1 4.725
    payment_add(
        order=order, user=resto["cashier"], tender="card", amount_minor=20_000, idempotency_key="part", reference="P"
    )
    m["nasi"].price_minor = 60_000  # a price change after the first round was sent
    m["nasi"].save()
    order = order_add_lines(order=order, user=resto["cashier"], lines=[LineRequest(m["teh"].pk, 2)], expected_version=1,
                            idempotency_key="add-1")  # fmt: skip
    # 45.000 (old price kept) + 2 × 10.000 = 65.000; service 3.250; PB1 6.825; total 75.075
    assert (order.subtotal_minor, order.service_charge_minor, order.tax_minor, order.total_minor) == (
        65_000,
        3_250,
        6_825,
        75_075,
    )
    assert order.version == 2 and order.paid_minor == 20_000 and order.status == Order.Status.OPEN
    assert [(line.name, line.unit_price_minor) for line in order.lines.all()] == [
        ("Nasi goreng", 45_000),
        ("Es teh", 10_000),
    ]


def test_two_tills_editing_one_tab_cannot_both_win(resto):
    m = resto["menu"]
    order = submit(resto, [LineRequest(m["nasi"].pk)])
    seen_by_both = order.version
    order_add_lines(order=order, user=resto["cashier"], lines=[LineRequest(m["teh"].pk)], expected_version=seen_by_both,
                    idempotency_key="till-a")  # fmt: skip
    with pytest.raises(ValidationError, match="changed on another till"):
        order_add_lines(order=order, user=resto["cashier"], lines=[LineRequest(m["teh"].pk, 5)],
                        expected_version=seen_by_both, idempotency_key="till-b")  # fmt: skip
    order.refresh_from_db()
    assert order.lines.count() == 2 and order.version == 2
    assert sum(line.quantity for line in order.lines.all()) == 2


def test_a_paid_order_takes_no_more_items(resto):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk)])
    payment_add(
        order=order,
        user=resto["cashier"],
        tender="card",
        amount_minor=order.total_minor,
        idempotency_key="all",
        reference="P",
    )
    with pytest.raises(ValidationError, match="is paid; start a new one"):
        order_add_lines(order=order, user=resto["cashier"], lines=[LineRequest(resto["menu"]["teh"].pk)],
                        expected_version=1, idempotency_key="after-paid")  # fmt: skip


def test_two_tabs_merge_into_one_with_their_payments(resto):
    from sales.services.tabs import order_merge

    m = resto["menu"]
    a = submit(resto, [LineRequest(m["nasi"].pk)], key="a", order_type="dine_in", table_label="1")
    b = submit(resto, [LineRequest(m["teh"].pk, 2)], key="b", order_type="dine_in", table_label="2")
    paid_on_b = payment_add(order=b, user=resto["cashier"], tender="card", amount_minor=5_000, idempotency_key="bp",
                            reference="X")  # fmt: skip
    merged = order_merge(target=a, source=b, user=resto["cashier"], idempotency_key="merge")
    # 45.000 + 20.000 = 65.000; service 3.250; PB1 6.825; total 75.075; the 5.000 paid on b comes along
    assert (merged.total_minor, merged.paid_minor, merged.lines.count()) == (75_075, 5_000, 2)
    b.refresh_from_db()
    assert b.status == Order.Status.MERGED and b.void_reason == f"Merged into #{a.number}" and b.lines.count() == 0
    assert Payment.objects.get(pk=paid_on_b.pk).order_id == a.pk
    # A double-posted merge answers with the merged tab and changes nothing more.
    again = order_merge(target=a, source=b, user=resto["cashier"], idempotency_key="merge")
    assert again.pk == a.pk and Order.objects.get(pk=a.pk).total_minor == 75_075


def test_a_bill_splits_by_items_and_both_sides_add_up(resto):
    from sales.services.tabs import order_split

    m = resto["menu"]
    order = submit(resto, [LineRequest(m["nasi"].pk), LineRequest(m["teh"].pk, 3)], key="s")
    teh_line = order.lines.get(name="Es teh")
    new = order_split(order=order, user=resto["cashier"], quantities={teh_line.pk: 2}, idempotency_key="split-1")
    order.refresh_from_db()
    # left: 45.000 + 10.000 = 55.000 → 55.000 + 2.750 + 5.775 = 63.525; new: 20.000 → 20.000 + 1.000 + 2.100 = 23.100
    assert (order.total_minor, new.total_minor) == (63_525, 23_100)
    assert new.number == order.number + 1 and [(x.name, x.quantity) for x in new.lines.all()] == [("Es teh", 2)]
    with pytest.raises(ValidationError, match="Leave at least one item"):
        order_split(order=new, user=resto["cashier"], quantities={new.lines.get().pk: 2}, idempotency_key="split-2")


def test_a_bill_on_a_closed_shift_is_not_split(resto):
    """A split racing the shift's close takes the shift's lock first: after the close it is refused, and no new
    open bill lands on the closed shift."""
    from sales.services.shifts import shift_close
    from sales.services.tabs import order_split

    m = resto["menu"]
    order = submit(resto, [LineRequest(m["teh"].pk, 3)], key="closed-split")
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    shift_close(shift=resto["shift"], user=resto["cashier"], denominations={}, leave_tabs_approved_by=supervisor)
    with pytest.raises(ValidationError, match="shift is closed"):
        order_split(order=order, user=resto["cashier"], quantities={order.lines.get().pk: 1}, idempotency_key="cs")
    assert Order.objects.filter(shift=resto["shift"]).count() == 1
