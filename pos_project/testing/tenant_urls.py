"""Every URL of the tenant site, and a real path for each: its `<pk>`/`<uid>` filled with an object of one tenant.

Used by the tests that walk the whole site (test_isolation_matrix.py, test_csp.py): a new view is walked as soon
as it is in the URL conf, and a route whose argument this module cannot fill fails `path_for` with its name.
"""

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def tenant_routes() -> list[tuple[str, URLPattern]]:
    """The site's pages. The JSON API (api/...) is left out: it has no session guard or CSP page to walk, and
    integrations/tests/test_api_walk.py walks it with its own credentials."""
    return [(route, p) for route, p in _walk(get_resolver("pos_project.urls_tenant").url_patterns)
            if not route.startswith("api/")]  # fmt: skip


def api_routes() -> list[tuple[str, URLPattern]]:
    """The JSON API's routes (api/...)."""
    return [(route, p) for route, p in _walk(get_resolver("pos_project.urls_tenant").url_patterns)
            if route.startswith("api/")]  # fmt: skip


MARK = "VICTIM-7f3a"  # in the name of every object made here: a page refused to someone must never show it


def objects_make(tenant) -> dict[str, object]:
    """One object of every kind a tenant URL names, in the tenant's schema (the test's transaction drops them),
    each carrying MARK in a name or note."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from accounts.models import Role, TillDevice, UserSession
    from accounts.tests.factories import CashierFactory
    from business.tests.factories import OutletFactory, TaxFactory
    from catalog.models import ModifierGroup
    from catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
    from integrations.models.keys import ApiKey
    from integrations.tests.webhook_factories import WebhookDeliveryFactory, WebhookEndpointFactory
    from inventory.models import PurchaseOrder, StockAdjustment, StockCount, StockItem, Supplier, Transfer
    from kitchen.tests.factories import StationFactory, TicketFactory
    from mailer.tests.factories import FailedMessageFactory
    from sales.models import Area, DiningTable, Payment
    from sales.tests.factories import OrderFactory, PaymentFactory, ShiftFactory
    from tenants.models import SupportGrant

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
        # A charge waiting on the simulator's phone page; its reference is in the URL, so it carries no MARK.
        qr_payment = PaymentFactory(order=OrderFactory(shift=shift, outlet=outlet), tender=Payment.Tender.QR,
                                    status=Payment.Status.PENDING, reference="SIM-walk-qr")  # fmt: skip
        ticket = TicketFactory(station=StationFactory(outlet=outlet, name=f"{MARK} grill"))
        area = Area.objects.create(outlet=outlet, name=f"{MARK} terrace")
        table = DiningTable.objects.create(area=area, name="V7", column=0, row=0)
        supplier = Supplier.objects.create(name=f"{MARK} supplier", email="victim@example.com")
        item = StockItem.objects.create(name=f"{MARK} milk", sku=f"{MARK}-MILK")
        webhook = WebhookEndpointFactory(url=f"https://example.com/{MARK}", description=MARK)
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
            "qr_payment": qr_payment,
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
            "email": FailedMessageFactory(subject=f"{MARK} receipt", to=["victim@example.com"]),
            "webhook": webhook,
            "api_key": ApiKey.objects.create(
                name=f"{MARK} key",
                prefix=secrets.token_hex(6),
                secret_hash="0" * 64,
                scopes={"*": "read"},
                role=Role.ADMIN_TENANT,
                created_by=owner,
            ),  # fmt: skip
            "webhook_delivery": WebhookDeliveryFactory(endpoint=webhook, payload={"note": MARK}),
            "session": UserSession.objects.create(session_key=secrets.token_hex(16), user=owner, user_agent=MARK),
            "support_grant": SupportGrant.objects.create(
                tenant=tenant.tenant,
                admin_id=1,
                admin_username=MARK,
                reason=MARK,
                started_at=timezone.now(),
                expires_at=timezone.now() + timedelta(minutes=30),
                handoff_digest="0" * 64,
            ),
        }


# The object each route's <pk> names, by the first matching prefix.
PK_OF = [
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
    ("backoffice/support/", "support_grant"),
    ("backoffice/email/", "email"),
    ("backoffice/api-keys/", "api_key"),
    ("backoffice/webhooks/deliveries/", "webhook_delivery"),
    ("backoffice/webhooks/", "webhook"),
]


def path_for(route: str, objects: dict[str, object]) -> str:
    """The route as a path naming the objects `objects_make` made; fails on a route it cannot fill."""
    path = "/" + route
    if "<int:pk>" in route:
        kind = next((kind for prefix, kind in PK_OF if route.startswith(prefix)), None)
        assert kind is not None, f"which object does {route} name? Add it to PK_OF"
        path = path.replace("<int:pk>", str(objects[kind].pk))
    if "<uuid:uid>" in route:
        path = path.replace("<uuid:uid>", str(objects["order"].uid))
    if "<str:reference>" in route:
        path = path.replace("<str:reference>", objects["qr_payment"].reference)
    if route.startswith("reports/") and "<slug:slug>" in route:
        path = path.replace("<slug:slug>", "sales-by-hour")  # reports are named by slug (reports/catalog.py)
    assert "<" not in path, f"cannot fill {route}: teach path_for its parameter"
    return path
