"""Outlets and taxes, written straight to the current schema (use inside a tenant: `in_tenant` or
`tenant_context`). Every tenant already has its "MAIN" outlet: `OutletFactory(code="MAIN")` returns it."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from business.models import Outlet, Tax


class OutletFactory(DjangoModelFactory):
    class Meta:
        model = Outlet
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Outlet {n}")
    code = factory.Sequence(lambda n: f"out-{n}")


class TaxFactory(DjangoModelFactory):
    """PB1-like by default: 10% exclusive. A code that exists is returned as it is (codes are unique)."""

    class Meta:
        model = Tax
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TAX{n}")
    name = factory.LazyAttribute(lambda t: t.code)
    rate = Decimal(10)
