"""The supervisor console's "Today" (issue 13, point 2): sales so far, open tabs with their age (oldest first),
today's voids and refunds with who approved them, and kitchen tickets past their station's red threshold. The
console loads the panel from the back office with htmx (its figures come from reports' roll-ups, above `sales`
in the layers); supervisors see their outlets only, cashiers not at all (their own shift's X report stays)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import SupervisorFactory
from business.tests.factories import OutletFactory
from core.outbox import outbox_relay
from kitchen.models import Ticket
from kitchen.tests.factories import StationFactory, TicketFactory
from sales.models import Order
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund, order_void
from sales.services.shifts import register_create, shift_open

CONSOLE = reverse("sales:supervisor")
PANEL = reverse("backoffice:supervisor_today")


def _client(tenant, user) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def service(resto):
    """Two outlets in service: at each a shift, paid orders, an open tab, a voided tab, a refund, a kitchen
    station with a ticket late (past red) and one on time; roll-ups filled by relaying the outbox."""
    m, cashier = resto["menu"], resto["cashier"]
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    shops = {}
    for code in ("NORTH", "SOUTH"):
        outlet = OutletFactory(name=code.title(), code=code)
        shift = shift_open(register=register_create(outlet=outlet, name=f"{code.title()} till"), user=cashier,
                           opening_float_minor=0)  # fmt: skip
        shops[code] = {"outlet": outlet, "shift": shift, "paid": []}

    def sell(code, n=1):
        shop = shops[code]
        for _ in range(n):
            order = order_submit(shift=shop["shift"], user=cashier, idempotency_key=uuid.uuid4().hex,
                                 lines=[LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk)])  # fmt: skip
            payment_add(order=order, user=cashier, tender="cash", idempotency_key=uuid.uuid4().hex,
                        amount_minor=order.total_minor)  # fmt: skip
            order.refresh_from_db()
            shop["paid"].append(order)
        outbox_relay()

    for code, shop in shops.items():
        sell(code, 2)
        older = order_submit(shift=shop["shift"], user=cashier, idempotency_key=uuid.uuid4().hex,
                             lines=[LineRequest(m["teh"].pk)], table_label=f"{code[0]}1")  # fmt: skip
        Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(minutes=50))
        newer = order_submit(shift=shop["shift"], user=cashier, idempotency_key=uuid.uuid4().hex,
                             lines=[LineRequest(m["nasi"].pk)])  # fmt: skip
        voided = order_submit(shift=shop["shift"], user=cashier, idempotency_key=uuid.uuid4().hex,
                              lines=[LineRequest(m["teh"].pk)])  # fmt: skip
        order_void(order=voided, user=cashier, approved_by=supervisor, reason=f"{code} wrong table")
        refund = order_refund(order=shop["paid"][0], user=cashier, approved_by=supervisor, reason=f"{code} cold",
                              idempotency_key=uuid.uuid4().hex, lines=None, shift=shop["shift"])  # fmt: skip
        station = StationFactory(outlet=shop["outlet"], name=f"{code.title()} grill", red_after_minutes=15)
        late = TicketFactory(station=station, order_number=700 + len(code), table_label=f"{code}-late")
        Ticket.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(minutes=20))
        TicketFactory(station=station, order_number=800, table_label=f"{code}-fresh")
        shop.update(older=older, newer=newer, voided=voided, refund=refund, late=late)
    outbox_relay()
    return {"shops": shops, "sell": sell, "supervisor": supervisor, "resto": resto}


def test_the_console_loads_the_panel_with_htmx(tenant):
    html = tenant.client(Role.SUPERVISOR).get(CONSOLE).content.decode()
    assert f'hx-get="{PANEL}"' in html and 'data-testid="day-panel"' in html


def test_a_supervisor_of_one_outlet_sees_that_outlets_day_only(tenant, service):
    north = service["shops"]["NORTH"]
    supervisor = _client(tenant, SupervisorFactory(outlet_ids=[north["outlet"].pk]))
    html = supervisor.get(PANEL).content.decode()
    text = _text(html)
    assert re.search(r"Orders 2 Last week: 0", text)  # north's two paid orders (the refund leaves it paid)
    net = sum(o.total_minor - o.tax_minor - o.tax_included_minor - o.service_charge_minor for o in north["paid"])
    assert f"Rp {net:,}".replace(",", ".") in text
    # Open tabs, oldest first, with their age.
    assert "2 open tabs" in text
    tabs = re.findall(r'data-testid="day-tab"><td>#(\d+)', html)
    assert tabs == [str(north["older"].number), str(north["newer"].number)]
    assert "50 minutes" in text
    # Voids and refunds with who approved them.
    assert f"Order #{north['voided'].number} voided by cashier (approved by supervisor)" in text
    assert "NORTH wrong table" in text and "NORTH cold" in text
    assert f"Order #{north['paid'][0].number} refunded by cashier (approved by supervisor)" in text
    # The kitchen: the ticket past red, not the fresh one.
    assert "NORTH-late" in text and "NORTH-fresh" not in text
    # Nothing of the other outlet.
    assert "SOUTH" not in text and "South" not in text


def test_a_supervisor_of_every_outlet_sees_both_each_line_saying_where(tenant, service):
    html = _text(_client(tenant, SupervisorFactory()).get(PANEL).content.decode())
    assert "NORTH wrong table" in html and "SOUTH wrong table" in html
    assert "NORTH-late" in html and "SOUTH-late" in html
    assert "· North" in html and "· South" in html


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_cashiers_and_kitchen_staff_are_refused(tenant, service, role):
    response = tenant.client(role).get(PANEL)
    assert response.status_code == 403 and "wrong table" not in response.content.decode()
    assert tenant.client(role).get(CONSOLE).status_code == 403


def test_anonymous_is_sent_to_sign_in(tenant):
    response = tenant.client().get(PANEL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_another_tenant_sees_none_of_it(service, other_tenant):
    html = other_tenant.client(Role.SUPERVISOR).get(PANEL).content.decode()
    assert "wrong table" not in html and "NORTH" not in html and "Orders 0" in _text(html)


def test_a_cashier_still_reads_the_x_report_of_their_own_shift_only(tenant, service):
    cashier = tenant.client(Role.CASHIER)
    north = service["shops"]["NORTH"]["shift"]
    response = cashier.get(reverse("sales:shift_report", args=[north.pk]))
    assert response.status_code == 200
    other = shift_open(register=register_create(outlet=service["shops"]["SOUTH"]["outlet"], name="Someone's"),
                       user=service["supervisor"], opening_float_minor=0)  # fmt: skip
    assert cashier.get(reverse("sales:shift_report", args=[other.pk])).status_code in (403, 404)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PANEL).status_code == 200
    return len(queries)


def test_the_panel_makes_as_many_queries_for_30_orders_as_for_3(tenant, service):
    supervisor = tenant.client(Role.SUPERVISOR)
    supervisor.get(PANEL)  # the first request of a client loads its session
    few = _queries(supervisor)
    service["sell"]("NORTH", 14)
    service["sell"]("SOUTH", 14)
    assert _queries(supervisor) == few <= 14  # signed in (5), outlets 1, figures 7
