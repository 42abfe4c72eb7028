"""Test helpers for the JSON API (docs/api.md), for every app's `test_api.py`.

`api_key_make(tenant, ...)` writes an API key straight to the tenant's table (a factory: no service, no audit)
and returns the whole key; `ApiClient` sends JSON to the tenant's host with that key, and a fresh
Idempotency-Key on every write unless the test gives one. The root conftest's `api` fixture makes both:

    def test_x(api):
        client = api()                                  # the owner's key, every resource, read and write
        reader = api(scopes={"orders": "read"})         # a narrower key
        response = client.post("/api/v1/categories/", {"name": "Tea"})
"""

import json
import uuid
from typing import Any

from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role


def api_key_make(tenant, *, scopes: dict | None = None, role: str = Role.ADMIN_TENANT, user=None, name: str = "test",
                 **fields) -> tuple[Any, str]:  # fmt: skip
    """(the ApiKey, the whole key) in `tenant` (a conftest TenantFixture), made by `user` (default: the
    tenant's person of `role`)."""
    from integrations.models.keys import ApiKey, key_new, secret_hash

    with tenant_context(tenant.tenant):
        prefix, secret, whole = key_new()
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=secret_hash(secret),
            scopes=scopes if scopes is not None else {"*": "write"},
            role=role,
            created_by=user or tenant.users[role],
            **fields,
        )
    return key, whole


class ApiClient:
    """JSON to one tenant's host with a bearer credential; writes carry an Idempotency-Key."""

    def __init__(self, host: str, credential: str | None = None, key=None) -> None:
        self.host, self.credential, self.key = host, credential, key
        # CSRF enforced as a browser would meet it: the API must not need a token (no session, no cookie).
        self.client = Client(HTTP_HOST=host, enforce_csrf_checks=True)

    def _headers(self, idempotency_key: str | None, method: str, extra: dict) -> dict:
        headers = dict(extra)
        if self.credential:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.credential}")
        if method != "get":
            key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
            if key != "":
                headers["HTTP_IDEMPOTENCY_KEY"] = key
        return headers

    def get(self, path: str, params: dict | None = None, **extra):
        return self.client.get(path, params or {}, **self._headers(None, "get", extra))

    def _write(self, method: str, path: str, data: Any, idempotency_key: str | None, extra: dict):
        body = data if isinstance(data, str | bytes) else json.dumps(data)
        send = getattr(self.client, method)
        return send(path, body, content_type="application/json", **self._headers(idempotency_key, method, extra))

    def post(self, path: str, data: Any = None, *, idempotency_key: str | None = None, **extra):
        return self._write("post", path, data if data is not None else {}, idempotency_key, extra)

    def patch(self, path: str, data: Any = None, *, idempotency_key: str | None = None, **extra):
        return self._write("patch", path, data if data is not None else {}, idempotency_key, extra)

    def put(self, path: str, data: Any = None, *, idempotency_key: str | None = None, **extra):
        return self._write("put", path, data if data is not None else {}, idempotency_key, extra)

    def delete(self, path: str, *, idempotency_key: str | None = None, **extra):
        return self._write("delete", path, "", idempotency_key, extra)
