"""Shared fixtures of the sales tests."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet, SalesSettings, Tax
from catalog.services import (
    ModifierSpec,
    category_create,
    modifier_group_create,
    product_create,
    product_set_modifier_groups,
    variant_create,
)
from sales.models import Shift
from sales.services.shifts import register_create, shift_open


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


@pytest.fixture
def till(tenant):
    """A cashier's client with an open shift on this device, and a one-item restaurant menu."""
    client = tenant.client(Role.CASHIER)
    response = client.post(
        "/till/shift/open/", {"register": "new", "register_name": "Front", "opening_float": "200.000"}
    )
    assert response.status_code == 302 and response["Location"] == "/till/"
    with tenant_context(tenant.tenant):
        shift = Shift.objects.get(register__name="Front", status="open")
        from decimal import Decimal

        from business.models import SalesSettings, Tax
        from catalog.services import category_create, product_create

        SalesSettings.objects.update_or_create(
            pk=1, defaults={"service_charge_rate": Decimal(5), "cash_rounding_unit": 100}
        )
        pb1 = Tax.objects.create(code="PB1", name="PB1", rate=Decimal(10), applies_to_service_charge=True)
        drinks = category_create(name="Drinks")
        teh = product_create(
            category=drinks, name="Es teh", sku="ET", price_minor=10000, barcode="8991234", taxes=[pb1]
        )
    assert shift.opening_float_minor == 200_000
    return {"client": client, "shift": shift, "teh": teh, "tenant": tenant}
