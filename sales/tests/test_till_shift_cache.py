"""The till's open shift comes from the cache on every request after the first (sales.selectors), and any change
to the shift, its register or its outlet is seen at once. These tests commit (`committed_db`): inside a
transaction nothing is cached."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.models import Outlet
from sales.models import Register, Shift


@pytest.fixture
def till(committed_db):
    alpha, _ = committed_db
    client = alpha.client(Role.CASHIER)
    opened = client.post("/till/shift/open/", {"register": "new", "register_name": "Cached", "opening_float": "0"})
    assert opened.status_code == 302 and opened["Location"] == "/till/"
    yield alpha, client
    with tenant_context(alpha.tenant):
        Shift.objects.filter(register__name="Cached").delete()
        Register.objects.filter(name="Cached").delete()
    cache.delete_pattern("till:shift:*")


def _shift_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if '"sales_shift"' in q["sql"]]


def test_the_open_shift_is_read_once_then_from_the_cache(till):
    _alpha, client = till
    assert client.get("/till/ready/").status_code == 200  # the first request reads and keeps it
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/till/ready/").status_code == 200
    assert _shift_queries(queries) == []


def test_closing_the_shift_is_seen_by_the_next_request(till):
    _alpha, client = till
    client.get("/till/")
    closed = client.post("/till/shift/close/", {"note": "cache test"})
    assert closed.status_code == 302
    assert client.get("/till/")["Location"] == "/till/shift/open/"  # not the cached open shift
    answer = client.post("/till/orders/", json.dumps({"lines": [], "idempotency_key": "after-close"}),
                         content_type="application/json")  # fmt: skip
    assert answer.status_code in (400, 409)


def test_renaming_the_outlet_reaches_the_till_at_once(till):
    alpha, client = till
    client.get("/till/")
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.get(code="MAIN")
        old_name, outlet.name = outlet.name, "Renamed outlet"
        outlet.save()
    try:
        assert "Renamed outlet" in client.get("/till/").content.decode()
    finally:
        with tenant_context(alpha.tenant):
            Outlet.objects.filter(pk=outlet.pk).update(name=old_name)


def test_with_redis_down_the_shift_comes_from_the_database(till, settings):
    _alpha, client = till
    caches = json.loads(json.dumps(settings.CACHES))
    caches["default"]["LOCATION"] = "redis://127.0.0.1:1/0"
    settings.CACHES = caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/till/ready/")
    assert response.status_code == 200 and len(_shift_queries(queries)) == 1
