"""Shared fixtures of the sales tests."""

from decimal import Decimal

import pytest

from accounts.models import Role
from business.models import Outlet, SalesSettings, Tax
from inventory.services import (
    ModifierSpec,
    category_create,
    modifier_group_create,
    product_create,
    product_set_modifier_groups,
    variant_create,
)
from sales.services import register_create, shift_open


@pytest.fixture
def resto(in_tenant):
    """An Indonesian restaurant: 5% service, PB1 10% exclusive on subtotal plus service, cash to Rp 100."""
    SalesSettings.objects.update_or_create(
        pk=1, defaults={"service_charge_rate": Decimal(5), "cash_rounding_unit": 100, "discount_limit_percent": 10}
    )
    pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
    food, drinks = category_create(name="Food"), category_create(name="Drinks")
    menu = {
        "nasi": product_create(category=food, name="Nasi goreng", sku="NG", price_minor=45000, taxes=[pb1]),
        "teh": product_create(category=drinks, name="Es teh", sku="ET", price_minor=10000, taxes=[pb1]),
        "latte": product_create(category=drinks, name="Latte", sku="LT", price_minor=35000, taxes=[pb1]),
    }
    menu["regular"] = variant_create(product=menu["latte"], name="Regular", sku="LT-R", price_minor=35000)
    menu["large"] = variant_create(product=menu["latte"], name="Large", sku="LT-L", price_minor=42000)
    sugar = modifier_group_create(name="Sugar", min_choices=1, max_choices=1,
                                  modifiers=[ModifierSpec("Normal"), ModifierSpec("Less")])  # fmt: skip
    extra_options = [ModifierSpec("Extra shot", 8000), ModifierSpec("Oat milk", 6000)]
    extras = modifier_group_create(name="Extras", min_choices=0, max_choices=2, modifiers=extra_options)
    product_set_modifier_groups(product=menu["latte"], groups=[sugar, extras])
    menu["less"] = sugar.modifiers.get(name="Less")
    menu["shot"] = extras.modifiers.get(name="Extra shot")
    menu["oat"] = extras.modifiers.get(name="Oat milk")
    outlet = Outlet.objects.get(code="MAIN")
    cashier = in_tenant.users[Role.CASHIER]
    shift = shift_open(register=register_create(outlet=outlet, name="Till 1"), user=cashier, opening_float_minor=0)
    return {"menu": menu, "shift": shift, "cashier": cashier, "outlet": outlet, "fixture": in_tenant}
