"""The display: tickets shown, bumped and recalled, the ETag poll, and the stations editor."""

from accounts.models import Role
from business.tests.factories import OutletFactory
from catalog.tests.factories import CategoryFactory
from kitchen.models import Station, Ticket

from .factories import StationFactory, TicketFactory


def _send() -> Ticket:
    """What the till sends for "2 × Es teh, no ice" to table 9: one ticket on the bar."""
    bar = StationFactory(outlet=OutletFactory(code="MAIN"), name="Bar")
    return TicketFactory(station=bar, order_type="dine_in", table_label="9",
                         lines=[{"name": "Es teh", "quantity": 2, "note": "no ice"}])  # fmt: skip


def test_the_display_shows_the_ticket_and_bumps_and_recalls_it(in_tenant):
    _send()
    kitchen = in_tenant.client(Role.KITCHEN)
    page = kitchen.get("/kitchen/").content.decode()
    assert "2 ×</strong> Es teh" in page and "no ice" in page and "Table 9" in page
    ticket = Ticket.objects.get()
    after_bump = kitchen.post(f"/kitchen/tickets/{ticket.pk}/bump/").content.decode()
    assert "No tickets" in after_bump and f"#{ticket.order_number}" in after_bump  # offered for recall
    assert "Es teh" in kitchen.post(f"/kitchen/tickets/{ticket.pk}/recall/").content.decode()


def test_the_poll_answers_304_when_nothing_changed_with_few_queries(in_tenant, django_assert_max_num_queries):
    kitchen = in_tenant.client(Role.KITCHEN)
    first = kitchen.get("/kitchen/poll/")
    assert first.status_code == 200 and first["ETag"]
    with django_assert_max_num_queries(8):
        same = kitchen.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304
    _send()
    changed = kitchen.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Es teh" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_cashiers_cannot_bump(in_tenant):
    ticket = _send()
    assert in_tenant.client(Role.CASHIER).post(f"/kitchen/tickets/{ticket.pk}/bump/").status_code == 403
    assert Ticket.objects.get().status == Ticket.Status.NEW


def test_the_owner_adds_a_station_with_its_categories(in_tenant):
    owner = in_tenant.client(Role.ADMIN_TENANT)
    drinks = CategoryFactory(name="Drinks")
    assert owner.post("/backoffice/stations/", {"name": "Bar", "categories": [drinks.pk]}).status_code == 302
    bad = owner.post("/backoffice/stations/", {"name": "Grill", "amber": "20", "red": "10"})
    assert bad.status_code == 400 and "Amber comes before red" in bad.content.decode()
    assert [s.name for s in Station.objects.all()] == ["Bar"]
    assert list(Station.objects.get().categories.values_list("name", flat=True)) == ["Drinks"]


def test_a_changed_display_is_rendered_once_for_every_display_that_asks(in_tenant, django_assert_max_num_queries):
    ticket = _send()
    first, second = in_tenant.client(Role.KITCHEN), in_tenant.client(Role.KITCHEN)
    fresh = first.get("/kitchen/poll/")
    assert fresh.status_code == 200 and "Es teh" in fresh.content.decode()
    with django_assert_max_num_queries(7):  # no ticket queries: the partial of this version is shared
        shared = second.get("/kitchen/poll/")
    assert shared.content == fresh.content and shared["ETag"] == fresh["ETag"]
    first.post(f"/kitchen/tickets/{ticket.pk}/bump/")
    after = second.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert after.status_code == 200 and "No tickets" in after.content.decode()  # a new version, rendered anew
