"""Walk every route of the JSON API: each is guarded by the one permission with a resource and capabilities of
accounts/access.py, refuses a caller without a credential in the error format, and refuses a key of another
tenant. A route another app adds later is walked as soon as it is in its `<app>/api.py`."""

import re

import pytest
from rest_framework.permissions import AllowAny

from accounts.access import CAPABILITIES
from core.api_rules import ApiPermission
from pos_project.testing.api import ApiClient
from pos_project.testing.tenant_urls import api_routes

# Routes that are knowingly open: the docs (they describe the API, not a business's data) and the catch-all 404.
PUBLIC = {"api-schema", "api-docs", "api-redoc", None}


def _view_class(pattern):
    return getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)


RESOURCES = [(route, pattern) for route, pattern in api_routes() if pattern.name not in PUBLIC]


def _path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)


def test_the_walk_sees_the_api():
    assert any(route == "api/v1/categories/" for route, _ in RESOURCES)


@pytest.mark.parametrize(("route", "pattern"), RESOURCES, ids=[route for route, _ in RESOURCES])
def test_every_api_view_names_its_resource_and_capabilities(route, pattern):
    view = _view_class(pattern)
    assert view is not None, route
    permissions = view.permission_classes
    if any(issubclass(p, AllowAny) for p in permissions):  # the token endpoints: they check credentials
        assert getattr(view, "api_public_reason", ""), f"{route} is open without saying why"
        return
    assert any(issubclass(p, ApiPermission) for p in permissions), route
    assert view.api_resource, route
    for write in (False, True):
        capability = view.api_capability(view(), write=write)
        assert capability in CAPABILITIES, (route, write, capability)


@pytest.mark.parametrize(("route", "pattern"), RESOURCES, ids=[route for route, _ in RESOURCES])
def test_every_api_route_refuses_a_caller_without_a_credential_or_with_another_tenants_key(
    route, pattern, tenant, other_tenant, api
):
    if getattr(_view_class(pattern), "api_public_reason", ""):
        return
    path = _path(route)
    anonymous = ApiClient(tenant.host)
    foreign = ApiClient(tenant.host, api(tenant_=other_tenant).credential)
    for client in (anonymous, foreign):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            assert response.status_code == 401, (route, method, response.status_code)
            assert response.json()["error"]["code"].startswith("auth.")
