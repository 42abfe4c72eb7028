"""The fuzz run (issue 12): every page and endpoint of both URL confs, with nasty values in every parameter the
view reads, by every role and anonymously: not one answer may be a server error.

The patterns and parameter names are generated (pos_project/testing/fuzz.py), so a new view is fuzzed without
touching this file. The person the view is for (the owner, or anonymous on the sign-in pages) gets the whole
run: every value in all parameters at once, then a few parameters at a time with the others plausible; as a
query string, a form and, where the view reads one, a JSON body. The other roles that may open it get the
nastiest values at once; those refused (and anonymous) try once by GET and POST. `FUZZ_FULL=1` runs the slow
grid (each parameter on its own with every value). The number of requests sent is printed (`-s` shows it).
"""

import os
import time
import uuid

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.access import roles_with
from accounts.models import Role, TillDevice
from business.models import Outlet
from catalog.tests.factories import ModifierFactory, ModifierGroupFactory, ProductFactory, ProductVariantFactory
from inventory.models import PurchaseOrder, StockAdjustment, StockCount, StockItem, Supplier, Transfer
from kitchen.tests.factories import StationFactory, TicketFactory
from pos_project.testing.fuzz import (
    CORE_JSON,
    IN_TURN,
    IN_TURN_JSON,
    NASTY,
    PK_MODELS,
    Fuzzer,
    parameter_names,
    reads_json,
    url_patterns,
)
from sales.models import Area, DiningTable
from sales.tests.factories import OrderFactory, PaymentFactory, RegisterFactory, ShiftFactory
from sales.views.till import SESSION_REGISTER

ROLES = (Role.ADMIN_TENANT, Role.SUPERVISOR, Role.CASHIER, Role.KITCHEN)
# FUZZ_FULL=1: every parameter on its own with every value, by the owner (minutes, not seconds).
FULL = os.environ.get("FUZZ_FULL") == "1"
# The run takes minutes on 2 cores: in parts, which pytest-xdist hands to different workers.
SHARDS = 4


def _world(tenant) -> dict:
    """One of each kind of row a path can name, in the tenant's schema; the device's register has an open
    shift with an open order of two lines (so the till's, history's and kitchen's forms have work to do)."""
    with tenant_context(tenant.tenant):
        owner, cashier = tenant.users[Role.ADMIN_TENANT], tenant.users[Role.CASHIER]
        main = Outlet.objects.order_by("pk").first()
        other = Outlet.objects.create(name="Fuzz branch", code="FUZZ")
        register = RegisterFactory(outlet=main)
        shift = ShiftFactory(register=register, outlet=main, opened_by=cashier)
        product = ProductFactory(name="Es teh", sku="FZ-ET", price_minor=10000)
        ProductVariantFactory(product=product)
        group = ModifierGroupFactory()
        ModifierFactory(group=group)
        order = OrderFactory(shift=shift, created_by=cashier, lines=[{"product": product, "quantity": 2}, {}])
        PaymentFactory(order=OrderFactory(shift=shift, created_by=cashier, status="paid"))
        area = Area.objects.create(outlet=main, name="Hall")
        DiningTable.objects.create(area=area, name="T1", column=0, row=0)
        station = StationFactory(outlet=main)
        TicketFactory(station=station, order_id=order.pk, order_number=order.number)
        TillDevice.objects.create(name="Front till", registered_by=owner)
        supplier = Supplier.objects.create(name="Fuzz supplier")
        StockItem.objects.create(name="Milk", sku="FZ-MILK", base_unit="ml")
        PurchaseOrder.objects.create(supplier=supplier, outlet=main, created_by=owner)
        Transfer.objects.create(from_outlet=main, to_outlet=other, created_by=owner)
        StockCount.objects.create(outlet=main, created_by=owner)
        StockAdjustment.objects.create(outlet=main, reason="damage", status="pending", created_by=cashier)
        pks = {label: apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True).first()
               for label in set(PK_MODELS.values()) if label != "accounts.Device"}  # fmt: skip
        pks["accounts.Device"] = TillDevice.objects.values_list("pk", flat=True).first()
        return {
            "register": register.pk,
            "pks": pks,
            "line_ids": list(order.lines.values_list("pk", flat=True)),
            "uid": str(order.uid),
            "reference": "FUZZ-REF",
            "plain": {"outlet": str(main.pk), "station": str(station.pk), "product_id": product.pk,
                      "quantity": 1, "idempotency_key": uuid.uuid4().hex, "from": str(timezone.localdate())},
        }  # fmt: skip


def _path(route: str, world: dict) -> str:
    """A concrete path for a route: ids of real rows of the kind each segment names, else 1."""
    parts = route.split("/")
    for index, part in enumerate(parts):
        if part.startswith("<int:"):
            label = PK_MODELS.get(parts[index - 1] if index else "")
            parts[index] = str(world["pks"].get(label) or 1)
        elif part.startswith("<uuid:"):
            parts[index] = world["uid"]
        elif part.startswith("<"):
            parts[index] = world["reference"]
    return "/" + "/".join(parts)


def _client(tenant, role, world):
    client = tenant.client(role)
    if role is not None:
        session = client.session
        session[SESSION_REGISTER] = world["register"]
        session.save()
    return client


def _reaches(fuzzer: Fuzzer, client, url: str) -> list[str]:
    """The methods this client is let through on (not refused by sign-in, role or method)."""
    let_in = []
    for method in ("GET", "POST"):
        status = fuzzer.send(client, method, url, "-", "")
        if status is not None and status not in (302, 403, 405):
            let_in.append(method)
    return let_in


@pytest.fixture
def _fresh_counters(tenant):
    """Rate-limit and sign-in counters live in Redis, outside the test's transaction: the run's thousands of
    posts must not slow down or refuse the tests after it."""
    yield
    caches["global"].delete_pattern("signin:*")
    with tenant_context(tenant.tenant):
        cache.delete_pattern("rl:*")


@pytest.mark.usefixtures("_fresh_counters")
@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_input_makes_a_server_error(tenant, shard):
    """One of SHARDS parts of the run (every SHARDS-th page), so that test workers share it."""
    started = time.monotonic()
    world = _world(tenant)
    fuzzer = Fuzzer()
    endpoints = url_patterns("pos_project.urls_tenant")
    assert len(endpoints) > 100  # the walk found the tenant's pages, not an empty conf
    for endpoint in endpoints[shard::SHARDS]:
        if endpoint.route.startswith("i18n/") or endpoint.name == "metrics":
            continue  # Django's own language switch; the metrics token check is tested in test_health
        url = _path(endpoint.route, world)
        if not url.startswith(os.environ.get("FUZZ_ONLY", "/")):  # FUZZ_ONLY=/till/: a part of the run
            continue
        if log := os.environ.get("FUZZ_LOG"):
            with open(log, "a") as out:
                out.write(f"# {time.monotonic() - started:.0f}s {fuzzer.sent} {url}\n")
        names, prefixes = parameter_names(endpoint.callback)
        names |= {f"{prefix}{pk}" for prefix in prefixes for pk in world["line_ids"]}
        capability = getattr(endpoint.callback, "capability", None)  # accounts.access.capability_required
        allowed = roles_with(capability) if capability else {*ROLES, None}
        json_body = reads_json(endpoint.callback)
        # Who the view is for gets the whole run: the owner where the view is the owner's, else the first of
        # them (anonymous for the sign-in page); the others with it the nastiest values at once.
        lead = Role.ADMIN_TENANT if Role.ADMIN_TENANT in allowed else next(r for r in (*ROLES, None) if r in allowed)
        methods = None
        for role in sorted((*ROLES, None), key=lambda r: r != lead):
            client = _client(tenant, role, world)
            if role not in allowed:  # refused before the view reads anything: one try each way is enough
                for method in ("GET", "POST"):
                    fuzzer.send(client, method, url, "*", "²", data=dict.fromkeys(names, "²"))
                continue
            if methods is None:
                methods = _reaches(fuzzer, client, url)
            if role == lead:
                fuzzer.fuzz(client, url, names, plain=world["plain"], methods=methods, json_body=json_body, full=FULL)
                continue
            for method in methods:  # every value in every parameter at once
                for value in NASTY if FULL else IN_TURN:
                    fuzzer.send(client, method, url, "*", value, data=dict.fromkeys(names, value))
                if method == "POST" and json_body:
                    for raw in CORE_JSON if FULL else IN_TURN_JSON:
                        body = "{" + ", ".join(f'"{n}": {raw}' for n in sorted(names)) + "}"
                        fuzzer.send(client, method, url, "*", raw, data=body, content_type="application/json")
    public = Fuzzer()
    for endpoint in url_patterns("pos_project.urls_public") if shard == 0 else []:
        if endpoint.route.startswith(("i18n/", "admin/")) or endpoint.name == "metrics":
            continue
        for value in NASTY:
            public.send(Client(HTTP_HOST=settings.BASE_DOMAIN), "GET", "/" + endpoint.route, "*", value,
                        data={"q": value})  # fmt: skip
    failures = fuzzer.failures + public.failures
    print(f"\nfuzz run: {fuzzer.sent + public.sent} requests in {time.monotonic() - started:.0f} s, "
          f"{len(failures)} server errors")  # fmt: skip
    assert not failures, "\n".join(str(f) for f in failures[:80]) + f"\n({len(failures)})"
