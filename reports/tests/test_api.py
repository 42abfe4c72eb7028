"""Report summaries in the JSON API (reports/api.py): the roll-ups' figures, the outlets one works at, bad input,
who may read them and query budgets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from catalog.tests.factories import ProductFactory
from reports.selectors import Period, payment_mix, product_sales, sales_totals
from reports.services import rollups_rebuild
from reports.tests.test_views import MONDAY, sell, shop  # noqa: F401  (the fixture)

WEEK = {"date_from": "2026-11-02", "date_to": "2026-11-08"}


def test_sales_totals_are_the_report_pages_figures(api, shop):  # noqa: F811
    body = api().get("/api/v1/reports/sales/", WEEK).json()
    expected = sales_totals(period=Period(MONDAY, MONDAY.replace(day=8)))
    assert body["outlets"] is None and body["currency"] == "IDR"
    assert body["totals"]["orders"] == expected["orders"] == 3
    assert body["totals"]["total_minor"] == expected["total_minor"] == 40_000 + 45_000 + 135_000
    north = api().get("/api/v1/reports/sales/", {**WEEK, "outlet": shop["north"].pk}).json()
    assert north["outlets"] == [shop["north"].pk] and north["totals"]["total_minor"] == 135_000


def test_sales_by_day_hour_and_outlet(api, shop):  # noqa: F811
    client = api()
    days = client.get("/api/v1/reports/sales/by-day/", WEEK).json()["rows"]
    assert [(r["key"], r["total_minor"]) for r in days] == [("2026-11-02", 85_000), ("2026-11-04", 135_000)]
    hours = client.get("/api/v1/reports/sales/by-hour/", WEEK).json()["rows"]
    assert [(r["key"], r["orders"]) for r in hours] == [("8", 1), ("12", 2)]
    outlets = client.get("/api/v1/reports/sales/by-outlet/", WEEK).json()["rows"]
    assert {r["key"]: r["total_minor"] for r in outlets} == {str(shop["main"].pk): 85_000,
                                                             str(shop["north"].pk): 135_000}  # fmt: skip
    assert client.get("/api/v1/reports/sales/by-order-type/", WEEK).status_code == 200
    assert client.get("/api/v1/reports/sales/by-weekday/", WEEK).json()["rows"][0]["key"] == "1"


def test_products_and_payment_methods(api, shop):  # noqa: F811
    client = api()
    period = Period(MONDAY, MONDAY.replace(day=8))
    products = client.get("/api/v1/reports/products/", WEEK).json()["rows"]
    assert [(r["product_id"], r["quantity"]) for r in products] == [
        (row["product_id"], row["quantity"]) for row in product_sales(period=period)] == [
        (shop["nasi"].pk, 4), (shop["kopi"].pk, 2)]  # fmt: skip
    categories = client.get("/api/v1/reports/products/", {**WEEK, "by": "category", "limit": 1}).json()["rows"]
    assert len(categories) == 1 and categories[0]["name"] is None and categories[0]["category_id"]
    tenders = client.get("/api/v1/reports/payment-methods/", WEEK).json()["rows"]
    assert (
        {r["tender"]: r["amount_minor"] for r in tenders}
        == {r["tender"]: r["amount_minor"] for r in payment_mix(period=period)}
        == {"cash": 175_000, "card": 45_000}
    )


def test_a_supervisor_limited_to_an_outlet_reads_only_it(api, shop, tenant):  # noqa: F811
    supervisor = tenant.users[Role.SUPERVISOR]
    supervisor.outlet_ids = [shop["main"].pk]
    supervisor.save(update_fields=["outlet_ids"])
    client = api(role=Role.SUPERVISOR)
    body = client.get("/api/v1/reports/sales/", WEEK).json()
    assert body["outlets"] == [shop["main"].pk] and body["totals"]["total_minor"] == 85_000
    refused = client.get("/api/v1/reports/sales/", {**WEEK, "outlet": shop["north"].pk})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "report.outlet_not_yours"


@pytest.mark.parametrize(("role", "status"), [(Role.SUPERVISOR, 200), (Role.CASHIER, 403), (Role.KITCHEN, 403)])
def test_who_may_read_report_summaries(api, tenant, role, status):
    response = api(role=role).get("/api/v1/reports/sales/")
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "access.denied"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-11-08", "date_to": "2026-11-02"}, "date_to"),
        ({"date_from": "2024-01-01", "date_to": "2026-11-02"}, "date_to"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "1900-01-01"}, "date_from"),
        ({"outlet": "north"}, "outlet"),
        ({"by": "colour"}, "by"),
    ],
)
def test_bad_filters_are_a_400_in_the_error_format(api, tenant, params, field):
    path = "/api/v1/reports/products/" if "by" in params else "/api/v1/reports/sales/"
    response = api().get(path, params)
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert any(name == field or name.startswith(f"{field}.") for name in fields), fields


def test_report_queries_do_not_grow_with_sales(api, shop):  # noqa: F811
    client = api()
    client.get("/api/v1/reports/sales/")  # the key's first use of the minute writes its last_used_at
    counts = []
    for path in ("/api/v1/reports/sales/", "/api/v1/reports/sales/by-day/", "/api/v1/reports/products/",
                 "/api/v1/reports/payment-methods/"):  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, WEEK).status_code == 200
        counts.append(len(queries))
    more = ProductFactory(name="More", price_minor=5_000)
    for hour in range(8, 20):
        sell(shop["shift"], more, day=MONDAY, hour=hour)
    rollups_rebuild(start=MONDAY, end=MONDAY)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/reports/sales/by-day/", WEEK).json()["rows"][0]["orders"] == 2 + 12
    # the tenant's domain and search path (3), the key, then one aggregate over the roll-ups (their rows are days x
    # outlets x hours, whatever the number of orders)
    assert counts == [5, 5, 5, 5] and len(queries) == 5, counts
