"""Every app's factories build their rows in the tenant's schema, with nothing of another tenant touched."""

from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from accounts.tests.factories import KitchenUserFactory, OwnerFactory, SupervisorFactory, UserFactory
from business.tests.factories import OutletFactory, TaxFactory
from catalog.tests.factories import (
    CategoryFactory,
    ModifierFactory,
    ModifierGroupFactory,
    ProductFactory,
    ProductVariantFactory,
)
from kitchen.models import Ticket
from kitchen.tests.factories import StationFactory, TicketFactory, TicketLineFactory
from sales.models import Order
from sales.tests.factories import OrderFactory, PaymentFactory, ShiftFactory


def test_factories_write_in_the_tenant_schema(in_tenant, other_tenant):
    assert {UserFactory().role, OwnerFactory().role, SupervisorFactory().role, KitchenUserFactory().role} == {
        Role.CASHIER, Role.ADMIN_TENANT, Role.SUPERVISOR, Role.KITCHEN,
    }  # fmt: skip
    cashier = UserFactory(username="fresh")
    assert cashier.check_password("correct-horse-battery") and cashier.is_active
    main = OutletFactory(code="MAIN")
    assert main.name and OutletFactory(code="MAIN") == main  # the tenant's own outlet, not a second one
    pb1 = TaxFactory(code="PB1")
    sugar = ModifierGroupFactory(modifiers=["Normal", ("Less", 0)], min_choices=1)
    latte = ProductFactory(category=CategoryFactory(name="Drinks"), taxes=[pb1], modifier_groups=[sugar])
    ProductVariantFactory(product=latte, name="Large")
    ModifierFactory(group=sugar, name="None")
    assert list(latte.taxes.all()) == [pb1]
    modifiers = [m.name for m in latte.modifier_groups.get().modifiers.all()]
    assert modifiers == ["None", "Normal", "Less"]  # sort order (as given; ModifierFactory's is 0), then name

    order = OrderFactory(shift=ShiftFactory(register__outlet=main), lines=[{"product": latte, "quantity": 2}, {}])
    assert order.outlet == main and order.lines.count() == 2
    assert order.total_minor == 2 * latte.price_minor + order.lines.get(position=2).net_minor
    PaymentFactory(order=order)
    assert order.payments.get().amount_minor == order.total_minor

    ticket = TicketFactory(station=StationFactory(outlet=main, categories=[latte.category]), lines=2)
    TicketLineFactory(ticket=ticket, name="Es teh", quantity=3)
    assert ticket.lines.count() == 3 and ticket.station.categories.get() == latte.category

    assert connection.schema_name == in_tenant.schema
    with tenant_context(other_tenant.tenant):
        assert not Order.objects.exists() and not Ticket.objects.exists()
        assert not User.objects.filter(username="fresh").exists()
