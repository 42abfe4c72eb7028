"""Registers, shifts, orders (with their lines) and payments, written straight to the current schema (use inside
a tenant: `in_tenant` or `tenant_context`). Test data only: no pricing, numbering, stock or kitchen hand-off
happens here; tests of those rules go through `sales.services`.
"""

import factory
from django.db import connection
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import CashierFactory
from business.tests.factories import OutletFactory
from catalog.tests.factories import ProductFactory
from sales.models import Order, OrderLine, Payment, QrProviderSettings, Register, Shift


class RegisterFactory(DjangoModelFactory):
    class Meta:
        model = Register

    outlet = factory.SubFactory(OutletFactory)
    name = factory.Sequence(lambda n: f"Till {n}")


class ShiftFactory(DjangoModelFactory):
    """An open shift on a new register (pass `register=` or `opened_by=` to choose)."""

    class Meta:
        model = Shift

    register = factory.SubFactory(RegisterFactory)
    outlet = factory.SelfAttribute("register.outlet")
    opened_by = factory.SubFactory(CashierFactory)
    opening_float_minor = 0


class OrderLineFactory(DjangoModelFactory):
    """A line snapshot of a product; gross and net follow price × quantity (no discount, no tax)."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory("sales.tests.factories.OrderFactory", lines=0)
    position = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    name = factory.SelfAttribute("product.name")
    sku = factory.SelfAttribute("product.sku")
    unit_price_minor = factory.SelfAttribute("product.price_minor")
    quantity = 1
    gross_minor = factory.LazyAttribute(lambda line: line.unit_price_minor * line.quantity)
    net_minor = factory.SelfAttribute("gross_minor")


class OrderFactory(DjangoModelFactory):
    """An open takeaway order with one line of a new product.

    `lines=` takes a count or a list of dicts of OrderLineFactory fields (`[{"product": nasi, "quantity": 2}]`);
    `lines=0` makes none. The order's subtotal and total are the sum of its lines (no service, no tax).
    """

    class Meta:
        model = Order
        skip_postgeneration_save = True

    shift = factory.SubFactory(ShiftFactory)
    outlet = factory.SelfAttribute("shift.outlet")
    business_date = factory.LazyFunction(timezone.localdate)
    # Far above what the outlet's counter hands out in a test, so factory orders and submitted ones never meet.
    number = factory.Sequence(lambda n: 900_000 + n)
    created_by = factory.SelfAttribute("shift.opened_by")
    currency = "IDR"

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        specs = [{}] if extracted is None else [{}] * extracted if isinstance(extracted, int) else extracted
        made = [
            OrderLineFactory(order=self, position=position, **{**kwargs, **spec})
            for position, spec in enumerate(specs, start=1)
        ]
        if made:
            total = sum(line.net_minor for line in made)
            Order.objects.filter(pk=self.pk).update(subtotal_minor=total, total_minor=total)
            self.subtotal_minor = self.total_minor = total


class PaymentFactory(DjangoModelFactory):
    """A captured cash payment of the order's balance (the order's paid amount and status are left as they are:
    say `OrderFactory(status="paid", paid_minor=...)` when the test needs a paid order)."""

    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    shift = factory.SelfAttribute("order.shift")
    tender = Payment.Tender.CASH
    amount_minor = factory.LazyAttribute(lambda p: max(p.order.total_minor - p.order.paid_minor, 1))
    created_by = factory.SelfAttribute("order.created_by")


class QrProviderSettingsFactory(DjangoModelFactory):
    """The business's QR provider: the simulator with a secret made for the current schema (as the owner's choice
    leaves it)."""

    class Meta:
        model = QrProviderSettings

    pk = 1
    provider = QrProviderSettings.Provider.SIMULATOR
    secret = factory.Sequence(lambda n: f"test-qr-secret-{n}-0123456789abcdef")
    secret_schema = factory.LazyFunction(lambda: connection.schema_name)
    secret_set_at = factory.LazyFunction(timezone.now)
