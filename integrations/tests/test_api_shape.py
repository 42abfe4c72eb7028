"""The API's shared shape (core/api.py), through the categories resource: one error format, Idempotency-Key on
every write, cursor pagination, updated_since, ordering, the offline docs, and a query budget."""

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from catalog import services as catalog_services
from catalog.models import Category
from core.models import IdempotencyKey
from integrations.models.keys import ApiKey
from pos_project.testing.api import ApiClient, api_key_make
from pos_project.testing.locks import wait_for_lock_waiters

CATEGORIES = "/api/v1/categories/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    return body["error"]


def _count(tenant, **filters) -> int:
    with tenant_context(tenant.tenant):
        return Category.objects.filter(**filters).count()


# --- Errors ---------------------------------------------------------------------------------------------------


def test_every_error_has_the_one_format(api):
    client = api()
    _error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    _error(client.get("/api/nowhere"), 404, "not_found")
    _error(client.get(f"{CATEGORIES}999999999/"), 404, "not_found")
    _error(client.get(f"{CATEGORIES}99999999999999999999999/"), 404, "not_found")  # beyond a bigint
    _error(client.delete(f"{CATEGORIES}1/"), 405, "request.method_not_allowed")
    _error(client.post(CATEGORIES, "{not json"), 400, "request.malformed")
    _error(client.get(CATEGORIES, HTTP_ACCEPT="text/html"), 406, "request.not_acceptable")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {client.credential}", "HTTP_IDEMPOTENCY_KEY": "k-form"}
    form = client.client.post(CATEGORIES, "name=x", content_type="application/x-www-form-urlencoded", **headers)
    _error(form, 415, "request.unsupported_media_type")


def test_a_field_the_serializer_refuses_is_invalid_with_its_fields(api):
    error = _error(api().post(CATEGORIES, {"name": "X", "sort_order": -1}), 400, "invalid")
    assert list(error["fields"]) == ["sort_order"]
    _error(api().post(CATEGORIES, ["not", "an", "object"]), 400, "invalid")


def test_a_service_refusal_keeps_its_code_and_fields(api, tenant):
    error = _error(api().post(CATEGORIES, {"name": "  ", "sort_order": 1}), 400, "category.invalid")
    assert list(error["fields"]) == ["name"]
    assert error["fields"]["name"] == ["A category needs a name."]


def test_messages_follow_accept_language(api):
    error = _error(api().post(CATEGORIES, {"name": ""}, HTTP_ACCEPT_LANGUAGE="id"), 400, "category.invalid")
    assert error["message"]  # translated where the catalogue has it; the code is the same in every language


# --- Idempotency ----------------------------------------------------------------------------------------------


def test_a_write_without_an_idempotency_key_is_refused_and_does_nothing(api, tenant):
    error = _error(api().post(CATEGORIES, {"name": "No key"}, idempotency_key=""), 400, "idempotency.key_missing")
    assert "Idempotency-Key" in error["fields"]
    _error(api().post(CATEGORIES, {"name": "No key"}, idempotency_key="naïve"), 400, "idempotency.key_invalid")
    assert _count(tenant, name="No key") == 0


def test_the_same_key_and_body_replay_the_first_response_once(api, tenant):
    client = api()
    first = client.post(CATEGORIES, {"name": "Replay"}, idempotency_key="k-replay")
    again = client.post(CATEGORIES, {"name": "Replay"}, idempotency_key="k-replay")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert _count(tenant, name="Replay") == 1


def test_the_same_key_with_another_body_is_422_and_does_nothing(api, tenant):
    client = api()
    assert client.post(CATEGORIES, {"name": "Body one"}, idempotency_key="k-body").status_code == 201
    _error(client.post(CATEGORIES, {"name": "Body two"}, idempotency_key="k-body"), 422, "idempotency.key_reused")
    with tenant_context(tenant.tenant):
        pk = Category.objects.get(name="Body one").pk
    _error(client.patch(f"{CATEGORIES}{pk}/", {"name": "Body one"}, idempotency_key="k-body"), 422,
           "idempotency.key_reused")  # fmt: skip
    assert _count(tenant, name="Body two") == 0


def test_a_refused_write_keeps_no_key_so_the_corrected_retry_runs(api, tenant):
    client = api()
    _error(client.post(CATEGORIES, {"name": ""}, idempotency_key="k-fix"), 400, "category.invalid")
    assert client.post(CATEGORIES, {"name": "Fixed"}, idempotency_key="k-fix").status_code == 201


def test_two_integrations_never_meet_on_a_key(api, tenant):
    one, two = api(), api()
    assert one.post(CATEGORIES, {"name": "Shared key"}, idempotency_key="k-shared").status_code == 201
    assert two.post(CATEGORIES, {"name": "Shared key"}, idempotency_key="k-shared").status_code == 201
    assert _count(tenant, name="Shared key") == 2


def test_concurrent_duplicates_have_one_effect(committed_db, monkeypatch):
    """Two requests with one key on two connections: the second waits on the first's key (seen waiting in
    pg_stat_activity), then replays its response. One category, two identical 201s."""
    alpha, _ = committed_db
    key, whole = api_key_make(alpha, name=f"race-{uuid.uuid4().hex[:8]}")
    name = f"Race {uuid.uuid4().hex[:8]}"
    inside, release, results = threading.Event(), threading.Event(), {}
    real_create = catalog_services.category_create

    def slow_create(**kwargs):
        category = real_create(**kwargs)
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(20)
        return category

    monkeypatch.setattr(catalog_services, "category_create", slow_create)

    def call(label):
        try:
            client = ApiClient(alpha.host, whole)
            results[label] = client.post(CATEGORIES, {"name": name}, idempotency_key="k-race")
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(n,), name=n) for n in ("first", "second")]
    try:
        threads[0].start()
        assert inside.wait(15)
        threads[1].start()
        assert wait_for_lock_waiters(query_contains="core_idempotencykey", timeout=20)
        release.set()
        for thread in threads:
            thread.join(30)
        first, second = results["first"], results["second"]
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
        assert _count(alpha, name=name) == 1
    finally:
        release.set()
        for thread in threads:
            thread.join(30)
        with tenant_context(alpha.tenant):
            Category.objects.filter(name=name).delete()
            IdempotencyKey.objects.filter(key__startswith=f"api:k{key.pk}:").delete()
            ApiKey.objects.filter(pk=key.pk).delete()
        connection.set_schema_to_public()


# --- Lists ----------------------------------------------------------------------------------------------------


@pytest.fixture
def five(tenant):
    with tenant_context(tenant.tenant):
        made = [catalog_services.category_create(name=f"Page {i}", sort_order=900 + i) for i in range(5)]
    return made


def _names(response) -> list[str]:
    return [c["name"] for c in response.json()["results"] if c["name"].startswith("Page ")]


def test_a_cursor_walks_the_whole_list_once(api, five):
    client = api()
    seen, url, pages = [], CATEGORIES + "?limit=2&ordering=sort_order", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) <= 2
        seen += _names(response)
        url, pages = response.json()["next"], pages + 1
    assert seen == [f"Page {i}" for i in range(5)]
    assert pages >= 3


def test_limit_is_capped_at_200_and_a_bad_cursor_is_a_400(api, five):
    client = api()
    assert client.get(CATEGORIES, {"limit": "100000"}).status_code == 200
    _error(client.get(CATEGORIES, {"cursor": "not-a-cursor!"}), 400, "pagination.cursor_invalid")


def test_ordering_only_on_the_whitelist(api, five):
    client = api()
    names = _names(client.get(CATEGORIES, {"ordering": "-sort_order"}))
    assert names == [f"Page {i}" for i in reversed(range(5))]
    error = _error(client.get(CATEGORIES, {"ordering": "secret_field"}), 400, "request.invalid")
    assert list(error["fields"]) == ["ordering"]


def test_updated_since_returns_only_what_changed(api, tenant, five):
    with tenant_context(tenant.tenant):
        Category.objects.filter(pk__in=[c.pk for c in five]).update(updated_at=timezone.now() - timedelta(days=2))
        catalog_services.category_update(category=five[3], name="Page 3", sort_order=903)
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    assert _names(api().get(CATEGORIES, {"updated_since": since})) == ["Page 3"]
    naive = (timezone.now() - timedelta(hours=1)).replace(tzinfo=None).isoformat()  # read as UTC
    assert _names(api().get(CATEGORIES, {"updated_since": naive})) == ["Page 3"]
    for bad in ("yesterday", "2026-02-30T00:00:00Z"):
        error = _error(api().get(CATEGORIES, {"updated_since": bad}), 400, "request.invalid")
        assert list(error["fields"]) == ["updated_since"]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_whatever_its_length(api, tenant, rows, django_assert_max_num_queries):
    """Tenant routing (3, as every request in tests), the key with its maker, one page: no query per row (the
    last-used write happens at most once a minute, on the first call here)."""
    with tenant_context(tenant.tenant):
        for i in range(rows):
            Category.objects.create(name=f"Budget {i}", sort_order=i)
    client = api()
    client.get(CATEGORIES)  # the key's first use writes last_used_at
    with django_assert_max_num_queries(5):
        assert client.get(CATEGORIES, {"limit": 200}).status_code == 200


def test_create_and_update_have_a_query_budget(api, tenant, django_assert_max_num_queries):
    client = api()
    client.get(CATEGORIES)
    # Routing and key (4), the key's claim and stored response with their savepoints, the write itself.
    with django_assert_max_num_queries(11):
        created = client.post(CATEGORIES, {"name": "Budget write"})
    assert created.status_code == 201
    with django_assert_max_num_queries(14):
        assert client.patch(f"{CATEGORIES}{created.json()['id']}/", {"is_archived": True}).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(f"{CATEGORIES}{created.json()['id']}/").status_code == 200


def test_patch_changes_name_order_and_archived_through_the_services(api, tenant):
    client = api()
    pk = client.post(CATEGORIES, {"name": "Patch me"}).json()["id"]
    response = client.patch(f"{CATEGORIES}{pk}/", {"name": "Patched", "is_archived": True})
    assert response.status_code == 200
    assert response.json()["name"] == "Patched" and response.json()["is_archived"] is True
    assert client.get(f"{CATEGORIES}{pk}/").json()["is_archived"] is True


# --- Docs -----------------------------------------------------------------------------------------------------

_EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_are_served_offline_from_our_own_static_files(tenant, path):
    response = Client(HTTP_HOST=tenant.host).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert not _EXTERNAL.search(html), html
    assets = re.findall(r"""(?:src|href)="(/static/[^"?]+)""", html)
    assert assets, html
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    if path == "/api/docs/":
        script = re.search(r'<script src="(/api/docs/\?[^"]*)"', html).group(1).replace("&amp;", "&")
        init = Client(HTTP_HOST=tenant.host).get(script)
        assert init.status_code == 200 and b"/api/schema/" in init.content
        assert not re.search(rb"https?://", init.content)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_docs_read_nothing_but_the_tenant(tenant, path, django_assert_max_num_queries):
    client = Client(HTTP_HOST=tenant.host)
    client.get(path)
    with django_assert_max_num_queries(3):  # the tenant's routing only: the schema is made from code
        assert client.get(path).status_code == 200


def test_the_schema_describes_every_operation_with_its_errors_and_the_idempotency_header(tenant):
    response = Client(HTTP_HOST=tenant.host).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    create = schema["paths"]["/api/v1/categories/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create["parameters"])
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    listing = schema["paths"]["/api/v1/categories/"]["get"]
    assert {"cursor", "limit", "ordering", "updated_since"} <= {p["name"] for p in listing["parameters"]}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), (method, path)
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            if "content" in operation["responses"][ok]:  # a 204 has no body to show
                assert operation["responses"][ok]["content"]["application/json"].get("examples"), (method, path)


def test_a_nul_anywhere_in_the_query_is_a_400_in_the_error_format(api):
    _error(api().get(CATEGORIES, {"cursor": "a\x00b"}), 400, "request.invalid")


def test_a_version_being_retired_says_so_on_every_response(api, settings):
    client = api()
    assert "Deprecation" not in client.get(CATEGORIES)
    retiring = {"deprecated_at": datetime(2027, 1, 1, tzinfo=UTC), "sunset_at": datetime(2028, 1, 1, tzinfo=UTC)}
    settings.API_DEPRECATIONS = {"v1": {**retiring, "successor": "/api/v2/"}}
    for response in (client.get(CATEGORIES), client.get(f"{CATEGORIES}999999/")):
        assert response["Deprecation"] == "@1798761600"
        assert response["Sunset"] == "Sat, 01 Jan 2028 00:00:00 GMT"
        assert response["Link"] == '</api/v2/>; rel="successor-version"'


def test_after_its_sunset_a_version_answers_410(api, settings):
    client = api()
    settings.API_DEPRECATIONS = {"v1": {"deprecated_at": timezone.now() - timedelta(days=400),
                                        "sunset_at": timezone.now() - timedelta(days=1)}}  # fmt: skip
    response = client.get(CATEGORIES)
    _error(response, 410, "api.version_retired")
    assert response["Sunset"]


def test_operations_are_tagged_with_their_scope_name(tenant):
    schema = Client(HTTP_HOST=tenant.host).get("/api/schema/", {"format": "json"}).json()
    assert schema["paths"]["/api/v1/products/"]["get"]["tags"] == ["catalog"]
    assert schema["paths"]["/api/v1/auth/token"]["post"]["tags"] == ["auth"]


def test_the_schema_documents_retry_after_the_bearer_challenge_and_replays(tenant):
    schema = Client(HTTP_HOST=tenant.host).get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/categories/"]["post"]["responses"]
    assert "Retry-After" in create["429"]["headers"] and "WWW-Authenticate" in create["401"]["headers"]
    assert "Idempotent-Replayed" in create["201"]["headers"]
