"""Kitchen tickets in the JSON API, read-only: by outlet, station and state, changes since a moment, only at the
outlets the caller works at, and a query budget that does not grow with the tickets."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import KitchenUserFactory
from business.selectors import outlet_default
from business.tests.factories import OutletFactory
from kitchen.models import Ticket

from .factories import StationFactory, TicketFactory

TICKETS = "/api/v1/kitchen/tickets/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]


def test_tickets_are_listed_by_outlet_station_and_state_with_their_lines(api, in_tenant):
    main, harbour = outlet_default(), OutletFactory(code="HB", name="Harbour")
    grill, bar = StationFactory(outlet=main, name="Grill"), StationFactory(outlet=main, name="Bar")
    steak = TicketFactory(station=grill, lines=[{"name": "Steak", "quantity": 2, "modifiers": ["rare"]}])
    done = TicketFactory(station=bar, lines=1, status=Ticket.Status.BUMPED, bumped_at=timezone.now())
    away = TicketFactory(station=StationFactory(outlet=harbour), lines=1)
    client = api(role=Role.KITCHEN)
    rows = client.get(TICKETS, {"outlet": main.pk}).json()["results"]
    assert [row["id"] for row in rows] == [steak.pk, done.pk]
    assert rows[0]["lines"][0] == {**rows[0]["lines"][0], "name": "Steak", "quantity": 2, "modifiers": ["rare"]}
    assert rows[0]["station_name"] == "Grill" and rows[0]["outlet"] == main.pk and rows[0]["status"] == "new"
    assert [row["id"] for row in client.get(TICKETS, {"station": bar.pk}).json()["results"]] == [done.pk]
    assert [row["id"] for row in client.get(TICKETS, {"status": "new"}).json()["results"]] == [steak.pk, away.pk]
    assert client.get(f"{TICKETS}{steak.pk}/").json()["order_number"] == steak.order_number
    Ticket.objects.filter(pk=steak.pk).update(changed_at=timezone.now() + timedelta(minutes=5))
    since = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert [row["id"] for row in client.get(TICKETS, {"updated_since": since}).json()["results"]] == [steak.pk]
    _error(client.get(TICKETS, {"status": "cooking"}), 400, "request.invalid")
    _error(client.get(TICKETS, {"station": "grill"}), 400, "request.invalid")
    _error(client.post(TICKETS, {}), 405, "request.method_not_allowed")
    _error(api(role=Role.CASHIER).get(TICKETS), 403, "access.denied")


def test_a_cook_of_one_outlet_sees_only_its_tickets(api, in_tenant):
    main, harbour = outlet_default(), OutletFactory(code="HB2", name="Harbour")
    mine = TicketFactory(station=StationFactory(outlet=main), lines=1)
    theirs = TicketFactory(station=StationFactory(outlet=harbour), lines=1)
    cook = api(role=Role.KITCHEN, user=KitchenUserFactory(outlet_ids=[main.pk]))
    assert [row["id"] for row in cook.get(TICKETS).json()["results"]] == [mine.pk]
    assert cook.get(TICKETS, {"outlet": harbour.pk}).json()["results"] == []
    _error(cook.get(f"{TICKETS}{theirs.pk}/"), 404, "not_found")
    _error(cook.get(f"{TICKETS}99999999/"), 404, "not_found")


def test_the_ticket_list_costs_the_same_queries_for_3_tickets_as_for_30(api, in_tenant, django_assert_max_num_queries):
    station = StationFactory(outlet=outlet_default())
    client = api(role=Role.KITCHEN)
    counts = []
    for more in (3, 27):
        for _ in range(more):
            TicketFactory(station=station, lines=3)
        client.get(TICKETS)  # the key's last use is written at most once a minute: not part of the budget
        with django_assert_max_num_queries(6) as captured:
            response = client.get(TICKETS, {"limit": 200})
        counts.append(len(captured.captured_queries))
        assert len(response.json()["results"]) >= 3 + (27 if more == 27 else 0)
    assert counts[0] == counts[1], counts
