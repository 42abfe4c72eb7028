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
