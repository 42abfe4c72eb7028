"""The isolation matrix (issue 12): every guarded URL of the tenant site, generated from the URL conf so no new
view escapes it, is asked for by everyone who must not have it:

- anonymous visitors,
- a signed-in member of the business whose role lacks the view's capability (each such role),
- the owner of ANOTHER business, sending that business's session cookie to this business's host,

each with GET and with POST (the test client skips CSRF, so it is the access check that must refuse), against
URLs naming real objects of the victim business. Each request must be refused (sign-in redirect, 403, 404 or
405), must not show the victim's data, and every table of the victim's schema and of the platform's (support
grants live there) must be unchanged afterwards.

`test_guards.py` checks the other side: that each role does get in where it should.
"""

import uuid

import pytest
from django.conf import settings

from accounts.access import roles_with
from accounts.models import Role
from pos_project.testing.snapshots import schema_snapshot
from pos_project.testing.tenant_urls import MARK, objects_make, path_for, tenant_routes

ROLES = [Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]

GUARDED = [(route, pattern) for route, pattern in tenant_routes() if getattr(pattern.callback, "capability", None)]


def _principals(capability: str) -> list[str]:
    """Who asks: anonymous, each of the victim's roles without the capability, the other business's owner."""
    allowed = roles_with(capability)
    return ["anonymous", *[f"role:{role}" for role in ROLES if role not in allowed], "other-tenant-owner"]


CASES = [
    (route, pattern, principal, method)
    for route, pattern in GUARDED
    for principal in _principals(pattern.callback.capability)
    for method in ("GET", "POST")
]


def _client_for(principal: str, tenant, other_tenant):
    if principal == "anonymous":
        return tenant.client()
    if principal == "other-tenant-owner":
        # A real session of the other business, its cookie sent to this business's host.
        foreign = other_tenant.client(Role.ADMIN_TENANT)
        client = tenant.client()
        client.cookies[settings.SESSION_COOKIE_NAME] = foreign.cookies[settings.SESSION_COOKIE_NAME].value
        return client
    return tenant.client(principal.removeprefix("role:"))


def _refused(principal: str, response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code in (301, 302) and principal != "role:" + Role.ADMIN_TENANT:
        return response["Location"].startswith("/login/")
    return False


def test_the_matrix_covers_every_guarded_route_and_principal():
    """The size of the matrix (quoted in issue 12's note); a route with no guard fails test_guards.py."""
    assert len(GUARDED) >= 100
    assert {principal for *_, principal, _method in CASES} >= {"anonymous", "other-tenant-owner"}
    print(f"isolation matrix: {len(CASES)} cases over {len(GUARDED)} guarded routes")  # noqa: T201


@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[route for route, _ in GUARDED])
def test_no_one_else_gets_in_and_nothing_changes(tenant, other_tenant, route, pattern):
    path = path_for(route, objects_make(tenant))
    principals = _principals(pattern.callback.capability)
    # Clients first: signing in writes the session rows, which is not what is measured.
    clients = {principal: _client_for(principal, tenant, other_tenant) for principal in principals}
    before = schema_snapshot(tenant.schema), schema_snapshot("public")
    leaks = []
    for principal, client in clients.items():
        for method in ("GET", "POST"):
            ask = client.get if method == "GET" else client.post
            response = ask(path, {"name": "x", "idempotency_key": str(uuid.uuid4())})
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if not _refused(principal, response) or MARK.encode() in body:
                leaks.append((principal, method, response.status_code))
    after = schema_snapshot(tenant.schema), schema_snapshot("public")
    changed = sorted(
        f"{schema}.{table}"
        for schema, was, now in [(tenant.schema, before[0], after[0]), ("public", before[1], after[1])]
        for table in was.keys() | now.keys()
        if was.get(table) != now.get(table)
    )
    assert leaks == [], f"{path}: let in or showed the victim's data: {leaks}"
    assert changed == [], f"{path}: a refused request changed {changed}"
