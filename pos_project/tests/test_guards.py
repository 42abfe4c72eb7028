"""Walk every URL of the tenant site and check each role gets in only where it should, and that a refused
request changed nothing in the tenant's schema.

It covers every app's URLs, so it lives with the project rather than with one app (from here it may use the
catalog's test helpers without reaching up the app layers).
"""

import pytest
from django_tenants.utils import tenant_context

from accounts.access import roles_with
from accounts.models import Role, User
from catalog.tests.guard_paths import catalog_path_for
from pos_project.testing.snapshots import schema_snapshot
from pos_project.testing.tenant_urls import tenant_routes

# Pages that must answer without a role: signing in and out, the root redirect, operations endpoints.
# The QR callback is signed by the provider (with the business's own secret and a timestamp).
# The lock screen is a till's sign-in page (by PIN, on a registered device only); the time clock's punch takes
# a PIN on a registered device too. Support access's hand-off link is signed, one-use and for one business. The
# second step of signing in comes before a role; one's own two-step settings are every signed-in person's (the
# view asks for a session itself).
PUBLIC_VIEWS = {"login", "logout", "home", "password_change", "set_language", "metrics", "qr_callback", "floor",
                "lock", "punch", "support_enter", "login_verify", "two_factor"}  # fmt: skip
ROLES = [Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]


def tenant_views():
    return tenant_routes()


def test_every_tenant_view_is_guarded_or_knowingly_public():
    unguarded = [
        route
        for route, pattern in tenant_views()
        if pattern.name not in PUBLIC_VIEWS and not getattr(pattern.callback, "capability", None)
    ]
    assert unguarded == [], f"views without a role guard: {unguarded}"


GUARDED = [(route, pattern) for route, pattern in tenant_views() if getattr(pattern.callback, "capability", None)]


def _path_for(route: str, tenant) -> str:
    """A real path for the route: an app whose URLs name its own objects provides them; staff URLs get the
    kitchen user's primary key."""
    path = catalog_path_for(route, tenant) or "/" + route.replace("<int:pk>", str(tenant.users[Role.KITCHEN].pk))
    path = path.replace("<slug:slug>", "sales-by-hour")  # the reports' pages are named by slug
    return path.replace("<uuid:uid>", "00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[route for route, _ in GUARDED])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_in_only_where_allowed(tenant, route, pattern, role):
    path = _path_for(route, tenant)
    # Signed in before the snapshot: the session row and last_login are the sign-in's, not the request's. With
    # that, no table needs leaving out: a refused request writes nothing, not even its session.
    client = tenant.client(role)
    allowed = role in roles_with(pattern.callback.capability)
    before = None if allowed else schema_snapshot(tenant.schema)
    response = client.get(path)
    if response.status_code == 405:  # a POST-only action
        response = client.post(path)
    if allowed:
        # Let in: whatever the page then says (200, a redirect, a 400 for the empty form posted here, a 404
        # for an object of another shift), it is not the role refusal and not the sign-in page.
        assert response.status_code != 403, (route, role)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"This page is not for your role" not in body
        assert not response.get("Location", "").startswith("/login/")
    else:
        assert response.status_code == 403, (route, role, response.status_code)
        html = response.content.decode()
        assert "This page is not for your role" in html and "Back to my screen" in html
        after = schema_snapshot(tenant.schema)
        changed = sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))
        assert changed == [], f"a refused request changed {changed}"


@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[route for route, _ in GUARDED])
def test_anonymous_visitors_are_sent_to_sign_in(tenant, route, pattern):
    response = tenant.client().get(_path_for(route, tenant))
    if response.status_code == 405:
        response = tenant.client().post(_path_for(route, tenant))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_cashier_asking_for_the_back_office_gets_a_friendly_403(tenant):
    response = tenant.client(Role.CASHIER).get("/backoffice/")
    assert response.status_code == 403
    assert "layout-auth" in response.content.decode()
    assert "backoffice-dashboard" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "path", "budget"),
    [
        (Role.CASHIER, "/till/shift/open/", 9),
        (Role.KITCHEN, "/kitchen/", 10),
        (Role.SUPERVISOR, "/supervisor/", 11),
        (Role.ADMIN_TENANT, "/backoffice/", 20),  # today so far: 13 roll-up and exception reads (issue 13)
        (Role.ADMIN_TENANT, "/backoffice/staff/", 8),
        (Role.ADMIN_TENANT, "/backoffice/audit/", 8),
    ],
)
def test_pages_have_a_bounded_query_count(tenant, role, path, budget, django_assert_max_num_queries):
    """Budgets hold whatever the data size: more staff, products or audit entries add no queries."""
    from accounts.audit import AuditAction
    from accounts.services import audit_record
    from catalog.services import category_create, product_create

    client = tenant.client(role)
    client.get(path)  # warm-up: first request per client may load the session
    with tenant_context(tenant.tenant):
        for i in range(3):
            category = category_create(name=f"Budget {i}")
            for j in range(20):
                product_create(category=category, name=f"P{i}-{j}", sku=f"BUD-{i}-{j}", price_minor=1000)
            User.objects.create(username=f"budget-{i}", role=Role.CASHIER)
            audit_record(action=AuditAction.TEST, label=str(i))
    with django_assert_max_num_queries(budget):
        assert client.get(path).status_code == 200
