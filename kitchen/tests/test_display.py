from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from kitchen.models import Station, Ticket


def _send(till):
    import json

    with tenant_context(till["tenant"].tenant):
        station = Station.objects.create(outlet=Outlet.objects.get(code="MAIN"), name="Bar")
    body = {
        "lines": [{"product_id": till["teh"].pk, "quantity": 2, "note": "no ice"}],
        "idempotency_key": "k",
        "send": True,
        "order_type": "dine_in",
        "table_label": "9",
    }
    response = till["client"].post("/till/orders/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    return station


def test_the_display_shows_the_ticket_and_bumps_and_recalls_it(till, tenant):
    _send(till)
    kitchen = tenant.client(Role.KITCHEN)
    page = kitchen.get("/kitchen/").content.decode()
    assert "2 ×</strong> Es teh" in page and "no ice" in page and "Table 9" in page
    with tenant_context(tenant.tenant):
        ticket = Ticket.objects.get()
    after_bump = kitchen.post(f"/kitchen/tickets/{ticket.pk}/bump/").content.decode()
    assert "No tickets" in after_bump and f"#{ticket.order_number}" in after_bump  # offered for recall
    assert "Es teh" in kitchen.post(f"/kitchen/tickets/{ticket.pk}/recall/").content.decode()


def test_the_poll_answers_304_when_nothing_changed_with_few_queries(till, tenant, django_assert_max_num_queries):
    kitchen = tenant.client(Role.KITCHEN)
    first = kitchen.get("/kitchen/poll/")
    assert first.status_code == 200 and first["ETag"]
    with django_assert_max_num_queries(8):
        same = kitchen.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304
    _send(till)
    changed = kitchen.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "Es teh" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_cashiers_cannot_bump(till, tenant):
    _send(till)
    with tenant_context(tenant.tenant):
        ticket = Ticket.objects.get()
    assert tenant.client(Role.CASHIER).post(f"/kitchen/tickets/{ticket.pk}/bump/").status_code == 403
    with tenant_context(tenant.tenant):
        assert Ticket.objects.get().status == Ticket.Status.NEW


def test_bumped_orders_show_ready_on_the_till_until_served(till, tenant):
    _send(till)
    client = till["client"]
    assert client.get("/till/ready/").json()["ready"] == []  # the kitchen is still on it
    with tenant_context(tenant.tenant):
        ticket = Ticket.objects.get()
    tenant.client(Role.KITCHEN).post(f"/kitchen/tickets/{ticket.pk}/bump/")
    ready = client.get("/till/ready/").json()["ready"]
    assert [(o["number"], o["table_label"]) for o in ready] == [(ticket.order_number, "9")]
    assert client.post(f"/till/orders/{ready[0]['id']}/served/").status_code == 200
    assert client.get("/till/ready/").json()["ready"] == []


def test_the_owner_adds_a_station_with_its_categories(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        from catalog.services import category_create

        drinks = category_create(name="Drinks")
    assert owner.post("/backoffice/stations/", {"name": "Bar", "categories": [drinks.pk]}).status_code == 302
    bad = owner.post("/backoffice/stations/", {"name": "Grill", "amber": "20", "red": "10"})
    assert bad.status_code == 400 and "Amber comes before red" in bad.content.decode()
    with tenant_context(tenant.tenant):
        assert [s.name for s in Station.objects.all()] == ["Bar"]
        assert list(Station.objects.get().categories.values_list("name", flat=True)) == ["Drinks"]


def test_a_changed_display_is_rendered_once_for_every_display_that_asks(till, tenant, django_assert_max_num_queries):
    _send(till)
    first, second = tenant.client(Role.KITCHEN), tenant.client(Role.KITCHEN)
    fresh = first.get("/kitchen/poll/")
    assert fresh.status_code == 200 and "Es teh" in fresh.content.decode()
    with django_assert_max_num_queries(7):  # no ticket queries: the partial of this version is shared
        shared = second.get("/kitchen/poll/")
    assert shared.content == fresh.content and shared["ETag"] == fresh["ETag"]
    with tenant_context(tenant.tenant):
        ticket = Ticket.objects.get()
    first.post(f"/kitchen/tickets/{ticket.pk}/bump/")
    after = second.get("/kitchen/poll/", HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert after.status_code == 200 and "No tickets" in after.content.decode()  # a new version, rendered anew
