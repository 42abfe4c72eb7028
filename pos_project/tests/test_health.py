import json

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import Role
from conftest import STAFF_PASSWORD
from pos_project.celery import app as celery_app

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def dead_cache_settings(settings):
    caches = json.loads(json.dumps(settings.CACHES))
    caches["default"]["LOCATION"] = DEAD_REDIS
    return caches


@pytest.mark.parametrize("host", ["pos.test", "alpha.pos.test", "10.0.0.7", "unknown.example"])
def test_healthz_answers_on_every_host(db, tenant, host):
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_floor_view_does_nothing_behind_the_whole_stack(tenant, django_assert_max_num_queries):
    """The load tests' bare-Django floor: on a tenant's host, through every middleware, and no work of its own."""
    client = Client(HTTP_HOST=tenant.host)
    client.get("/floor/")  # the tenant by host is cached in the process from here on
    with django_assert_max_num_queries(2):  # SET search_path, twice (tenant routing, then the view)
        response = client.get("/floor/")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["X-Frame-Options"] == "DENY"  # the middleware stack did run
    assert Client(HTTP_HOST="unknown.example").get("/floor/").status_code == 404


@pytest.mark.parametrize("host", ["pos.test", "alpha.pos.test", "beta.pos.test"])
def test_readyz_reports_every_part_ready(tenant, other_tenant, host, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # SET search_path + SELECT 1
        response = Client(HTTP_HOST=host).get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "broker"}


def test_readyz_names_a_down_redis(tenant, settings):
    with override_settings(CACHES=dead_cache_settings(settings)):
        response = Client(HTTP_HOST=tenant.host).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert "Connection" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


PUBLIC_ADDRESS = "203.0.113.9"  # a stranger on the internet (TEST-NET-3)


@pytest.mark.parametrize("host", ["pos.test", "alpha.pos.test", "10.0.0.7"])
def test_readyz_tells_strangers_only_ok_or_not(tenant, settings, host):
    """A down part's error names the host and port it tried; only operators see it (issue 12, point 10)."""
    settings.METRICS_TOKEN = "s3cret"
    stranger = Client(HTTP_HOST=host, REMOTE_ADDR=PUBLIC_ADDRESS)
    assert stranger.get("/readyz").json() == {"status": "ok"}
    with override_settings(CACHES=dead_cache_settings(settings)):
        refused = stranger.get("/readyz")
        wrong_token = stranger.get("/readyz", HTTP_AUTHORIZATION="Bearer wrong")
        # A proxy on this machine passes strangers on from loopback: still a stranger.
        proxied = Client(HTTP_HOST=host).get("/readyz", HTTP_X_FORWARDED_FOR=PUBLIC_ADDRESS)
        operator = stranger.get("/readyz", HTTP_AUTHORIZATION="Bearer s3cret")
        on_the_machine = Client(HTTP_HOST=host).get("/readyz")
    for response in (refused, wrong_token, proxied):
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}
        assert b"127.0.0.1" not in response.content and b"redis" not in response.content.lower()
    for response in (operator, on_the_machine):
        assert response.status_code == 503
        assert response.json()["failing"] == ["redis"]
        assert "Connection" in response.json()["checks"]["redis"]["error"]


def test_readyz_names_a_down_broker(tenant, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", DEAD_REDIS)
    response = Client(HTTP_HOST=tenant.host).get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_the_till_still_signs_in_and_serves_when_redis_is_down(tenant, settings):
    """Redis holds only cache and rate-limit counters: losing it must not stop the counter."""
    with override_settings(CACHES=dead_cache_settings(settings)):
        cache.set("probe", 1)  # swallowed, not raised
        assert cache.get("probe") is None
        client = tenant.client()
        response = client.post("/login/", {"username": "cashier", "password": STAFF_PASSWORD})
        assert response.status_code == 302
        assert client.get("/till/shift/open/").status_code == 200


def test_metrics_are_not_public(tenant, settings):
    settings.METRICS_TOKEN = "s3cret"
    client = Client(HTTP_HOST="pos.test")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 200
    assert b"django_http_requests_total" in response.content
    by_address = Client(HTTP_HOST="10.0.0.7:8000")  # a scraper asking one replica by its address
    assert by_address.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    assert by_address.get("/metrics").status_code == 403


def test_responses_carry_a_request_id(tenant):
    client = tenant.client(Role.CASHIER)
    assert len(client.get("/till/")["X-Request-ID"]) == 32
    assert client.get("/till/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
