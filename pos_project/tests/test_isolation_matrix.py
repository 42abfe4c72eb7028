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
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.access import roles_with
from accounts.models import Role, TillDevice, UserSession
from accounts.tests.factories import CashierFactory
from business.tests.factories import OutletFactory, TaxFactory
from catalog.models import ModifierGroup
from catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from inventory.models import PurchaseOrder, StockAdjustment, StockCount, StockItem, Supplier, Transfer
from kitchen.tests.factories import StationFactory, TicketFactory
from pos_project.testing.snapshots import schema_snapshot
from pos_project.tests.test_guards import tenant_views
from sales.models import Area, DiningTable
from sales.tests.factories import OrderFactory, PaymentFactory, ShiftFactory
from tenants.models import SupportGrant

ROLES = [Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN]
MARK = "VICTIM-7f3a"  # in the name of every object made here: a refused answer must never show it

GUARDED = [(route, pattern) for route, pattern in tenant_views() if getattr(pattern.callback, "capability", None)]


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


def _victim_world(tenant) -> dict[str, object]:
    """One object of every kind a tenant URL names, in the victim's schema (the test's transaction drops them)."""
    with tenant_context(tenant.tenant):
        outlet, other_outlet = OutletFactory(name=f"{MARK} outlet"), OutletFactory(name=f"{MARK} outlet 2")
        owner = tenant.users[Role.ADMIN_TENANT]
        category = CategoryFactory(name=f"{MARK} category")
        product = ProductFactory(category=category, name=f"{MARK} product")
        variant = ProductVariantFactory(product=product, name=f"{MARK} large")
        group = ModifierGroup.objects.create(name=f"{MARK} options")
        shift = ShiftFactory(register__outlet=outlet)
        order = OrderFactory(shift=shift, outlet=outlet, customer_name=f"{MARK} customer")
        payment = PaymentFactory(order=order)
        ticket = TicketFactory(station=StationFactory(outlet=outlet, name=f"{MARK} grill"))
        area = Area.objects.create(outlet=outlet, name=f"{MARK} terrace")
        table = DiningTable.objects.create(area=area, name="V7", column=0, row=0)
        supplier = Supplier.objects.create(name=f"{MARK} supplier", email="victim@example.com")
        item = StockItem.objects.create(name=f"{MARK} milk", sku=f"{MARK}-MILK")
        return {
            "outlet": outlet,
            "tax": TaxFactory(name=f"{MARK} tax"),
            "category": category,
            "product": product,
            "variant": variant,
            "group": group,
            "shift": shift,
            "order": order,
            "payment": payment,
            "ticket": ticket,
            "line": ticket.lines.first(),
            "station": ticket.station,
            "table": table,
            "staff": CashierFactory(first_name=MARK),
            "device": TillDevice.objects.create(name=f"{MARK} till", registered_by=owner),
            "supplier": supplier,
            "item": item,
            "adjustment": StockAdjustment.objects.create(outlet=outlet, reason="waste", created_by=owner, note=MARK),
            "transfer": Transfer.objects.create(
                from_outlet=outlet, to_outlet=other_outlet, created_by=owner, note=MARK
            ),  # fmt: skip
            "purchase_order": PurchaseOrder.objects.create(
                supplier=supplier, outlet=outlet, created_by=owner, note=MARK
            ),  # fmt: skip
            "count": StockCount.objects.create(outlet=outlet, created_by=owner, note=MARK),
            "session": UserSession.objects.create(session_key=f"victim{uuid.uuid4().hex}"[:40], user=owner),
            "grant": _support_grant(tenant),
        }


def _support_grant(tenant) -> SupportGrant:
    """A live support access to the victim business (grants live in the platform's schema)."""
    now = timezone.now()
    with schema_context("public"):
        return SupportGrant.objects.create(tenant=tenant.tenant, admin_id=1, admin_username="platform", reason=MARK,
                                           started_at=now, expires_at=now + timedelta(minutes=30),
                                           handoff_digest="0" * 64)  # fmt: skip


# The object each route's <pk> names, by the first matching prefix.
_PK_OF = [
    ("till/products/", "product"),
    ("till/orders/", "order"),
    ("till/history/", "order"),
    ("kitchen/expo/orders/", "order"),
    ("till/shift/", "shift"),
    ("shifts/", "shift"),
    ("supervisor/shifts/", "shift"),
    ("supervisor/payments/", "payment"),
    ("backoffice/floor/tables/", "table"),
    ("kitchen/tickets/", "ticket"),
    ("kitchen/lines/", "line"),
    ("backoffice/stations/", "station"),
    ("backoffice/staff/", "staff"),
    ("backoffice/devices/", "device"),
    ("backoffice/catalog/categories/", "category"),
    ("backoffice/catalog/products/", "product"),
    ("backoffice/catalog/variants/", "variant"),
    ("backoffice/catalog/modifiers/", "group"),
    ("backoffice/stock/items/", "item"),
    ("backoffice/stock/recipes/modifiers/", "group"),
    ("backoffice/stock/recipes/", "product"),
    ("backoffice/stock/adjustments/", "adjustment"),
    ("supervisor/stock/adjustments/", "adjustment"),
    ("backoffice/stock/transfers/", "transfer"),
    ("backoffice/stock/suppliers/", "supplier"),
    ("backoffice/stock/purchase-orders/", "purchase_order"),
    ("backoffice/stock/counts/", "count"),
    ("backoffice/settings/outlets/", "outlet"),
    ("backoffice/settings/taxes/", "tax"),
    ("account/sessions/", "session"),
    ("backoffice/support/", "grant"),
]


def _path(route: str, world: dict[str, object]) -> str:
    path = "/" + route
    if "<int:pk>" in route:
        kind = next((kind for prefix, kind in _PK_OF if route.startswith(prefix)), None)
        assert kind is not None, f"the matrix does not know which object {route} names: add it to _PK_OF"
        path = path.replace("<int:pk>", str(world[kind].pk))
    if "<uuid:uid>" in route:
        path = path.replace("<uuid:uid>", str(world["order"].uid))
    if "<str:reference>" in route:  # the QR simulator's phone page names a charge by its reference
        path = path.replace("<str:reference>", world["payment"].reference or "SIM-none")
    assert "<" not in path, f"the matrix cannot fill {route}: teach _path its parameter"
    return path


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
    world = _victim_world(tenant)
    path = _path(route, world)
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
