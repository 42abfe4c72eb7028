"""Stations and their tickets, written straight to the kitchen's tables (use inside a tenant: `in_tenant` or
`tenant_context`). The kitchen keeps only ids of orders and lines, so tickets need no sales rows: tests of the
hand-off from the till live in sales/tests/test_kitchen_handoff.py."""

import factory
from factory.django import DjangoModelFactory

from business.tests.factories import OutletFactory
from kitchen.live import live_changed
from kitchen.models import Station, Ticket, TicketLine


class StationFactory(DjangoModelFactory):
    """`StationFactory(outlet=main, categories=[food], products=[cake])` routes those to it."""

    class Meta:
        model = Station
        skip_postgeneration_save = True

    outlet = factory.SubFactory(OutletFactory)
    name = factory.Sequence(lambda n: f"Station {n}")

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            self.products.set(extracted)


class TicketLineFactory(DjangoModelFactory):
    class Meta:
        model = TicketLine

    ticket = factory.SubFactory("kitchen.tests.factories.TicketFactory", lines=0)
    order_line_id = factory.Sequence(lambda n: 500_000 + n)
    name = factory.Sequence(lambda n: f"Dish {n}")
    quantity = 1


class TicketFactory(DjangoModelFactory):
    """A new dine-in ticket of an order the kitchen knows only by id and number, with one line.

    `lines=` takes a count or a list of dicts of TicketLineFactory fields (`[{"name": "Es teh", "quantity": 2}]`);
    `lines=0` makes none. Lines are inserted in one query.
    """

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    station = factory.SubFactory(StationFactory)
    order_id = factory.Sequence(lambda n: 500_000 + n)
    order_number = factory.Sequence(lambda n: n + 1)
    order_type = "dine_in"

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        specs = [{}] if extracted is None else [{}] * extracted if isinstance(extracted, int) else extracted
        TicketLine.objects.bulk_create(TicketLineFactory.build(ticket=self, **{**kwargs, **spec}) for spec in specs)
        live_changed(
            self.station.outlet_id
        )  # as tickets_create does: the displays' live version moves (kitchen/live.py)
