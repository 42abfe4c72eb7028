"""A sale takes its recipe out of stock in the order's transaction; refunds and voids give back what it took."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from inventory.models import RecipeComponent, StockMovement, StockSettings
from inventory.services.stock import MovementLine, movements_post
from inventory.tests.stock_helpers import assert_ledger_consistent, level_of, stock_item
from sales.models import Order
from sales.services.orders import LineRequest, order_add_lines
from sales.services.refunds import order_line_void, order_void
from sales.tests.test_refunds import pay, refund, submit, supervisor


@pytest.fixture
def kitchen_stock(resto):
    """A latte: 18 g beans and 200 ml milk (a large one 24 g and 300 ml); oat milk swaps the milk; an extra
    shot adds 9 g of beans. Es teh is sold as it is: one bottle."""
    m, outlet = resto["menu"], resto["outlet"]
    beans, milk, oat = (
        stock_item(name="Beans", unit="g", cost="0.25"),
        stock_item(name="Milk", unit="ml"),
        stock_item(name="Oat milk", unit="ml"),
    )
    bottle = stock_item(name="Teh bottle", kind="product")
    RecipeComponent.objects.bulk_create(
        [
            RecipeComponent(product=m["latte"], item=beans, quantity=Decimal(18)),
            RecipeComponent(product=m["latte"], item=milk, quantity=Decimal(200)),
            RecipeComponent(variant=m["large"], item=beans, quantity=Decimal(24)),
            RecipeComponent(variant=m["large"], item=milk, quantity=Decimal(300)),
            RecipeComponent(modifier=m["oat"], item=oat, quantity=Decimal(0), replaces=milk),
            RecipeComponent(modifier=m["shot"], item=beans, quantity=Decimal(9)),
            RecipeComponent(product=m["teh"], item=bottle, quantity=Decimal(1)),
        ]
    )
    movements_post(
        outlet_id=outlet.pk,
        kind=StockMovement.Kind.RECEIVING,
        lines=[MovementLine(i.pk, q) for i, q in ((beans, 1000), (milk, 5000), (oat, 2000), (bottle, 2))],
        source_type="test",
    )
    return {"beans": beans, "milk": milk, "oat": oat, "bottle": bottle, "outlet": outlet}


def latte(resto, variant="regular", modifiers=("less",), quantity=1) -> LineRequest:
    m = resto["menu"]
    return LineRequest(m["latte"].pk, quantity, variant_id=m[variant].pk,
                       modifier_ids=tuple(m[x].pk for x in modifiers))  # fmt: skip


def test_a_sale_takes_the_recipe_and_a_refund_puts_it_back(resto, kitchen_stock):
    s = kitchen_stock
    order = submit(resto, [latte(resto, quantity=2), latte(resto, "large", ("less", "oat", "shot"))])
    # 2 regular: 36 g beans, 400 ml milk; 1 large with oat and a shot: 24 + 9 g beans, 300 ml oat milk, no milk
    assert level_of(s["beans"], s["outlet"]) == 1000 - 36 - 33
    assert level_of(s["milk"], s["outlet"]) == 5000 - 400
    assert level_of(s["oat"], s["outlet"]) == 2000 - 300
    sale = StockMovement.objects.filter(source_type="order", source_id=order.pk, kind="sale")
    assert sale.count() == 4 and all(m.user == resto["cashier"] for m in sale)
    pay(resto, order)
    large = order.lines.get(variant=resto["menu"]["large"])
    refund(resto, order, lines={large.pk: 1})
    assert level_of(s["beans"], s["outlet"]) == 1000 - 36
    assert level_of(s["oat"], s["outlet"]) == 2000
    assert level_of(s["milk"], s["outlet"]) == 4600  # the regular lattes were not refunded
    # The recipe changing later does not change what a refund gives back.
    RecipeComponent.objects.filter(product=resto["menu"]["latte"], item=s["milk"]).update(quantity=Decimal(999))
    regular = order.lines.get(variant=resto["menu"]["regular"])
    refund(resto, order, lines={regular.pk: 1}, key="r-2")
    assert level_of(s["milk"], s["outlet"]) == 4800 and level_of(s["beans"], s["outlet"]) == 1000 - 18
    assert_ledger_consistent()


def test_voiding_an_order_or_one_item_gives_its_stock_back(resto, kitchen_stock):
    s = kitchen_stock
    order = submit(resto, [latte(resto), LineRequest(resto["menu"]["teh"].pk, 2)])
    assert level_of(s["bottle"], s["outlet"]) == 0
    teh = order.lines.get(product=resto["menu"]["teh"])
    order = order_line_void(order=order, line_id=teh.pk, user=resto["cashier"], approved_by=supervisor(resto),
                            reason="guest changed mind")  # fmt: skip
    assert level_of(s["bottle"], s["outlet"]) == 2
    assert order.total_minor < 115_000 and not order.lines.get(pk=teh.pk).net_minor
    again = order_line_void(order=order, line_id=teh.pk, user=resto["cashier"], approved_by=supervisor(resto),
                            reason="twice")  # fmt: skip
    assert again.total_minor == order.total_minor and level_of(s["bottle"], s["outlet"]) == 2  # once only
    order_void(order=order, user=resto["cashier"], approved_by=supervisor(resto), reason="left")
    assert level_of(s["beans"], s["outlet"]) == 1000 and level_of(s["milk"], s["outlet"]) == 5000
    assert level_of(s["bottle"], s["outlet"]) == 2  # the voided line is not given back twice
    assert_ledger_consistent()


def test_items_added_to_a_tab_take_their_stock_too(resto, kitchen_stock):
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk, 1)])
    order_add_lines(order=order, user=resto["cashier"], lines=[LineRequest(resto["menu"]["teh"].pk, 1)],
                    expected_version=order.version, idempotency_key="add-bottle")  # fmt: skip
    assert level_of(kitchen_stock["bottle"], kitchen_stock["outlet"]) == 0
    assert_ledger_consistent()


def test_block_policy_refuses_the_sale_with_a_clear_message_and_saves_nothing(resto, kitchen_stock):
    StockSettings.objects.update_or_create(pk=1, defaults={"negative_stock": StockSettings.NegativeStock.BLOCK})
    orders_before = Order.objects.count()
    with pytest.raises(ValidationError) as exc:
        submit(resto, [LineRequest(resto["menu"]["teh"].pk, 3)], key="too-many")
    assert "Out of stock: only 2 pcs of Teh bottle left at" in " ".join(exc.value.messages)
    assert Order.objects.count() == orders_before and level_of(kitchen_stock["bottle"], kitchen_stock["outlet"]) == 2
    submit(resto, [LineRequest(resto["menu"]["teh"].pk, 2)], key="just-enough")
    assert level_of(kitchen_stock["bottle"], kitchen_stock["outlet"]) == 0
    assert_ledger_consistent()


def test_allow_policy_sells_below_zero_and_flags_the_movement(resto, kitchen_stock):
    StockSettings.objects.update_or_create(pk=1, defaults={"negative_stock": StockSettings.NegativeStock.ALLOW})
    order = submit(resto, [LineRequest(resto["menu"]["teh"].pk, 3)])
    assert level_of(kitchen_stock["bottle"], kitchen_stock["outlet"]) == -1
    assert StockMovement.objects.get(source_id=order.pk, source_type="order").went_negative
    assert_ledger_consistent()


def test_the_till_shows_the_out_of_stock_message(till, tenant):
    import json

    from django_tenants.utils import tenant_context

    with tenant_context(tenant.tenant):
        StockSettings.objects.update_or_create(pk=1, defaults={"negative_stock": "block"})
        bottle = stock_item(name="Teh bottle", kind="product")
        RecipeComponent.objects.create(product=till["teh"], item=bottle, quantity=Decimal(1))
    body = {"lines": [{"product_id": till["teh"].pk, "quantity": 1}], "idempotency_key": "oos-1"}
    response = till["client"].post("/till/orders/", json.dumps(body), content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "stock.insufficient"
    assert "Out of stock: only 0 pcs of Teh bottle left" in response.json()["error"]["message"]


def test_an_item_voided_after_it_was_made_is_written_off_as_waste(resto, kitchen_stock, tenant):
    s = kitchen_stock
    order = submit(resto, [latte(resto), LineRequest(resto["menu"]["teh"].pk, 1)])
    line = order.lines.get(product=resto["menu"]["latte"])
    order_line_void(order=order, line_id=line.pk, user=resto["cashier"], approved_by=supervisor(resto),
                    reason="dropped it", made=True)  # fmt: skip
    assert level_of(s["beans"], s["outlet"]) == 1000 - 18  # not back on the shelf: it was made
    moves = list(StockMovement.objects.filter(source_type="order", source_id=order.pk, item=s["beans"])
                 .order_by("pk").values_list("kind", "quantity"))  # fmt: skip
    assert moves == [("sale", -18), ("void", 18), ("waste", -18)]
    assert_ledger_consistent()


def test_a_refund_of_something_eaten_is_written_off_not_put_back(resto, kitchen_stock):
    s = kitchen_stock
    order = submit(resto, [latte(resto)])
    pay(resto, order)
    refund(resto, order, return_to_stock=False)
    assert level_of(s["beans"], s["outlet"]) == 1000 - 18 and level_of(s["milk"], s["outlet"]) == 5000 - 200
    kinds = list(StockMovement.objects.filter(source_id=order.pk, source_type="order", item=s["milk"])
                 .order_by("pk").values_list("kind", flat=True))  # fmt: skip
    assert kinds == ["sale", "refund", "waste"]
    assert_ledger_consistent()
