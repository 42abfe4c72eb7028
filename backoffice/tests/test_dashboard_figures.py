"""The owner's dashboard figures: today so far against the same weekday last week, from the roll-ups (issue 13,
point 1); per outlet or all; the same number of queries for 3 orders as for 30."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import Role
from backoffice.selectors import dashboard_today
from business.models import Outlet

URL = reverse("backoffice:dashboard")


def _kpi(html: str, testid: str) -> str:
    block = re.search(rf'data-testid="{testid}">(.*?)</div>', html, re.S)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def test_today_against_last_week_from_the_rollups(sales_day):
    day = sales_day(3)
    main = day["outlet"].pk
    today = dashboard_today(outlets=[main])
    sold = day["today"]
    assert today.orders.now == 3 and today.orders.before == 3 and today.orders.change_percent == 0
    net = sum(o.total_minor - o.tax_minor - o.tax_included_minor - o.service_charge_minor for o in sold)
    assert today.net.now == net and today.net.before == net
    assert today.average_ticket.now == sum(o.total_minor for o in sold) // 3
    assert today.totals["voids"] == 1 and today.totals["refunds"] == 1
    assert today.totals["refunded_minor"] == day["refund"].amount_minor
    # Sales by hour: this hour today and last week, side by side.
    (bar,) = [b for b in today.hours if b.is_current]
    assert bar.now == bar.before == net
    assert [p["name"] for p in today.products][:2] == ["Nasi goreng", "Es teh"]
    assert {p["tender"] for p in today.payments} == {"cash", "card"}
    assert sum(p["share_percent"] for p in today.payments) in (99, 100, 101)
    assert [v["number"] for v in today.voids] == [day["void"].number]
    assert today.voids[0]["approved_by_name"] == day["supervisor"].username
    assert today.refunds[0]["approved_by_name"] == day["supervisor"].username
    assert today.tabs["count"] == 1 and today.tabs["rows"][0]["pk"] == day["open_tab"].pk
    assert today.shifts == []  # the closed shift was at the other outlet

    both = [main, day["second"].pk]
    everywhere = dashboard_today(outlets=both, outlet_names={main: "Dash", day["second"].pk: "Kemang"})
    assert everywhere.orders.now == 4
    (shift,) = everywhere.shifts
    assert shift["outlet_name"] == "Kemang" and everywhere.variance_minor == shift["variance_minor"]


def test_the_owner_reads_the_page_and_picks_an_outlet(tenant, sales_day, resto):
    day = sales_day(3)
    owner = tenant.client(Role.ADMIN_TENANT)
    # All outlets (other tests' committed sales may be among them: what is ours is there, named by outlet).
    html = owner.get(URL).content.decode()
    assert 'data-testid="outlet-picker"' in html
    assert "Nasi goreng" in html and "<svg" in html
    assert f"Order #{day['void'].number} voided by {resto['cashier'].username}" in html
    assert f"(approved by {day['supervisor'].username})" in html
    assert "open tab" in html
    assert "Kemang 1" in html  # the closed shift's register, with its variance
    assert "· Dash" in html and "· Kemang" in html  # several outlets shown: each line says where

    html = owner.get(URL, {"outlet": day["outlet"].pk}).content.decode()
    assert _kpi(html, "kpi-orders").startswith("Orders 3 Last week: 3 · 0%")
    assert "Kemang 1" not in html and "· Dash" not in html
    assert f'<option value="{day["outlet"].pk}" selected>' in html
    assert f'href="/reports/sales-by-hour/?outlet={day["outlet"].pk}"' in html  # the day's report, same outlet
    html = owner.get(URL, {"outlet": day["second"].pk}).content.decode()
    assert _kpi(html, "kpi-orders").startswith("Orders 1 Last week: 0")
    assert "Kemang 1" in html and "Nasi goreng" in html


def test_an_outlet_that_does_not_exist_or_is_not_a_number(tenant, sales_day):
    sales_day(1)
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        closed = Outlet.objects.create(name="Closed", code="CLS", is_active=False)
    assert owner.get(URL, {"outlet": 999_999}).status_code == 404
    assert owner.get(URL, {"outlet": closed.pk}).status_code == 404
    assert owner.get(URL, {"outlet": "１"}).status_code == 400


def test_another_tenant_never_sees_these_sales(tenant, other_tenant, sales_day):
    sales_day(2)
    html = other_tenant.client(Role.ADMIN_TENANT).get(URL).content.decode()
    assert "Nasi goreng" not in html and "Kemang" not in html
    assert 'data-testid="kpi-orders"' not in html or _kpi(html, "kpi-orders").startswith("Orders 0")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN])
def test_staff_other_than_the_owner_are_refused(tenant, sales_day, role):
    sales_day(1)
    response = tenant.client(role).get(URL)
    assert response.status_code == 403 and "Nasi goreng" not in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_makes_as_many_queries_for_30_orders_as_for_3(tenant, sales_day, resto):
    owner = tenant.client(Role.ADMIN_TENANT)
    owner.get(URL)  # the first request of a client loads its session
    day = sales_day(3)
    few = _queries(owner), _queries(owner)
    from backoffice.tests.conftest import sell  # more of the same, through the till's services

    for i in range(27):
        sell(resto, f"more-{i}", shift=day["shift"])
    from core.outbox import outbox_relay

    outbox_relay()
    many = _queries(owner)
    assert many == few[1]
    assert many <= 22  # signed in (5), outlets 1, figures 13, checklist 1, feed 2
