"""Rate limits and daily quotas per key (issue 14 point 6): 429 with Retry-After, counted in Redis; with Redis
down the API still answers."""

from django.test import override_settings

from core.api_rules import requests_today
from pos_project.tests.test_health import dead_cache_settings

CATEGORIES = "/api/v1/categories/"


def _refused(response, code: str) -> int:
    assert response.status_code == 429, response.content
    assert response.json()["error"]["code"] == code
    return int(response["Retry-After"])


def test_a_burst_over_the_minute_rate_is_429_with_retry_after(api, settings):
    settings.API_RATE_PER_MINUTE = 3
    client, other = api(), api()
    for _ in range(3):
        assert client.get(CATEGORIES).status_code == 200
    assert 1 <= _refused(client.get(CATEGORIES), "throttle.rate_limited") <= 60
    assert other.get(CATEGORIES).status_code == 200  # counted per key


def test_the_daily_quota_is_429_until_midnight_utc_and_counted_for_the_owner(api, tenant, settings):
    settings.API_DAILY_QUOTA = 2
    client = api()
    assert client.get(CATEGORIES).status_code == 200
    assert client.post(CATEGORIES, {"name": "Quota"}).status_code == 201
    assert 1 <= _refused(client.get(CATEGORIES), "throttle.quota_exceeded") <= 86400
    assert requests_today(client.key.throttle_scope) == {
        client.key.throttle_scope: 3
    }  # what the owner's page shows (the refused one too)


def test_with_redis_down_the_api_still_answers_unthrottled(api, settings):
    settings.API_RATE_PER_MINUTE = 1
    client = api()
    with override_settings(CACHES=dead_cache_settings(settings)):
        for _ in range(3):
            assert client.get(CATEGORIES).status_code == 200
        assert client.post(CATEGORIES, {"name": "Redis down"}).status_code == 201
        assert requests_today(client.key.throttle_scope) == {client.key.throttle_scope: 0}
