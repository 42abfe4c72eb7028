"""Staff limited to their outlets (issue 12, point 17): a kitchen user of one outlet cannot see, bump or recall
another outlet's tickets; every such request answers 404, as an unknown one, and changes nothing. Staff with no
outlet assigned work everywhere, as before."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import KitchenUserFactory
from business.tests.factories import OutletFactory
from kitchen.models import Ticket, TicketLine

from .factories import StationFactory, TicketFactory


def _client(tenant, user) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    client.force_login(user)
    return client


@pytest.fixture
def two_shops(in_tenant):
    """A grill at MAIN and one at HARBOUR, each with a ticket; a cook of MAIN only, and one of no outlet."""
    main, harbour = OutletFactory(code="MAIN"), OutletFactory(code="HARBOUR", name="Harbour")
    main_grill, harbour_grill = StationFactory(outlet=main, name="Grill"), StationFactory(outlet=harbour, name="Grill")
    return {
        "main": main,
        "harbour": harbour,
        "harbour_grill": harbour_grill,
        "main_ticket": TicketFactory(station=main_grill, lines=[{"name": "Nasi goreng"}]),
        "harbour_ticket": TicketFactory(station=harbour_grill, lines=[{"name": "Ikan bakar"}]),
        "main_cook": _client(in_tenant, KitchenUserFactory(outlet_ids=[main.pk])),
        "any_cook": _client(in_tenant, KitchenUserFactory()),
    }


def test_a_cook_of_one_outlet_cannot_bump_or_recall_another_outlets_ticket(two_shops):
    cook, theirs = two_shops["main_cook"], two_shops["harbour_ticket"]
    assert cook.post(f"/kitchen/tickets/{theirs.pk}/bump/").status_code == 404
    assert cook.post(f"/kitchen/lines/{theirs.lines.get().pk}/done/").status_code == 404
    assert cook.get(f"/kitchen/tickets/{theirs.pk}/print/").status_code == 404
    assert Ticket.objects.get(pk=theirs.pk).status == Ticket.Status.NEW
    assert TicketLine.objects.get(ticket=theirs).is_done is False
    Ticket.objects.filter(pk=theirs.pk).update(status=Ticket.Status.BUMPED, bumped_at=timezone.now())
    assert cook.post(f"/kitchen/tickets/{theirs.pk}/recall/").status_code == 404
    assert Ticket.objects.get(pk=theirs.pk).status == Ticket.Status.BUMPED
    # Their own outlet's ticket, as before.
    mine = two_shops["main_ticket"]
    assert cook.post(f"/kitchen/tickets/{mine.pk}/bump/").status_code == 200
    assert Ticket.objects.get(pk=mine.pk).status == Ticket.Status.BUMPED


def test_a_cook_of_one_outlet_sees_only_its_display(two_shops, django_assert_max_num_queries):
    cook, harbour = two_shops["main_cook"], two_shops["harbour"]
    page = cook.get("/kitchen/").content.decode()
    assert "Nasi goreng" in page and "Ikan bakar" not in page and "Harbour" not in page
    assert cook.get(f"/kitchen/?outlet={harbour.pk}").status_code == 404
    assert cook.get("/kitchen/?outlet=999999").status_code == 404  # the same answer as an unknown outlet
    assert cook.get(f"/kitchen/?station={two_shops['harbour_grill'].pk}").status_code == 404
    assert cook.get(f"/kitchen/poll/?outlet={harbour.pk}").status_code == 404
    assert cook.get(f"/kitchen/expo/?outlet={harbour.pk}").status_code == 404
    mine = f"/kitchen/?outlet={two_shops['main'].pk}"
    cook.get(mine)  # warm-up: the first request may load the session
    with django_assert_max_num_queries(11):  # as for anyone (kitchen/tests/test_query_budgets.py)
        assert cook.get(mine).status_code == 200


def test_staff_with_no_outlet_assigned_work_at_every_outlet(two_shops):
    cook = two_shops["any_cook"]
    harbour_page = cook.get(f"/kitchen/?outlet={two_shops['harbour'].pk}").content.decode()
    assert "Ikan bakar" in harbour_page
    assert cook.post(f"/kitchen/tickets/{two_shops['harbour_ticket'].pk}/bump/").status_code == 200
    assert Ticket.objects.get(pk=two_shops["harbour_ticket"].pk).status == Ticket.Status.BUMPED
