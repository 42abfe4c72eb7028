"""`core.api.ApiViewSet` (for router-style resources) gets the same shape as `ApiView`: permission and scopes,
Idempotency-Key on writes with replay, the error format."""

import json

from django_tenants.utils import tenant_context
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from accounts.models import Role
from core.api import ApiViewSet
from pos_project.testing.api import api_key_make


class Echo(ApiViewSet):
    api_resource = "catalog"
    api_capability_read = "till.use"
    api_capability_write = "catalog.edit"
    calls = 0

    def list(self, request):
        return Response({"action": self.action})

    def create(self, request):
        Echo.calls += 1
        return Response({"made": Echo.calls, "body": request.data}, status=201)


def test_a_viewset_has_the_api_shape(tenant):
    view = Echo.as_view({"get": "list", "post": "create"})
    factory = APIRequestFactory()
    _, owner_key = api_key_make(tenant)
    _, reader_key = api_key_make(tenant, scopes={"catalog": "read"}, role=Role.CASHIER,
                                 user=tenant.users[Role.ADMIN_TENANT])  # fmt: skip

    def call(method, key, body=None, **headers):
        request = getattr(factory, method)("/api/v1/echo/", json.dumps(body) if body is not None else None,
                                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
                                           **headers)  # fmt: skip
        response = view(request)
        response.render()
        return response.status_code, json.loads(response.content)

    with tenant_context(tenant.tenant):
        assert call("get", owner_key) == (200, {"action": "list"})
        status, body = call("post", owner_key, {"a": 1})
        assert (status, body["error"]["code"]) == (400, "idempotency.key_missing")
        first = call("post", owner_key, {"a": 1}, HTTP_IDEMPOTENCY_KEY="vs-1")
        again = call("post", owner_key, {"a": 1}, HTTP_IDEMPOTENCY_KEY="vs-1")
        assert first == again and first[0] == 201 and Echo.calls == 1
        status, body = call("post", reader_key, {"a": 1}, HTTP_IDEMPOTENCY_KEY="vs-2")
        assert (status, body["error"]["code"]) == (403, "auth.scope_missing")
        status, body = call("get", "pos_live_000000000000_nope")
        assert (status, body["error"]["code"]) == (401, "auth.key_invalid")
