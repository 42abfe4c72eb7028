"""A day of sales for the dashboard tests: real orders through the till's services, counted by the roll-ups."""

from datetime import timedelta

import pytest

from accounts.models import Role
from business.tests.factories import OutletFactory
from core.outbox import outbox_relay
from reports.services import rollups_rebuild
from sales.models import Order, Payment
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund, order_void
from sales.services.shifts import business_date_now, register_create, shift_close, shift_open
from sales.tests.conftest import resto  # noqa: F401  (the fixture)


def sell(resto, key, *, shift=None, tender="card", lines=None):  # noqa: F811
    m = resto["menu"]
    shift = shift or resto["shift"]
    lines = lines or [LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk, 1)]
    order = order_submit(shift=shift, user=resto["cashier"], idempotency_key=key, lines=lines)
    payment_add(order=order, user=resto["cashier"], tender=tender, idempotency_key=f"pay-{key}",
                amount_minor=order.total_minor, reference="APPR")  # fmt: skip
    order.refresh_from_db()
    return order


def move_back(orders, *, days: int) -> None:
    """Orders (and their payments) as if rung up `days` earlier, at the same time of day."""
    for order in orders:
        Order.objects.filter(pk=order.pk).update(
            created_at=order.created_at - timedelta(days=days), business_date=order.business_date - timedelta(days=days)
        )
        Payment.objects.filter(order=order).update(created_at=order.created_at - timedelta(days=days))


@pytest.fixture
def sales_day(resto):  # noqa: F811
    """Factory: `sales_day(n)` sells n orders today (cash and card) and n last week at this hour at a new outlet
    ("Dash": other tests' committed sales are elsewhere), voids one tab, refunds one order, leaves one tab open,
    and closes a shift at a second outlet with a sale; roll-ups rebuilt."""

    def make(n: int = 3) -> dict:
        supervisor = resto["fixture"].users[Role.SUPERVISOR]
        outlet = OutletFactory(name="Dash", code="DASH")
        shift = shift_open(register=register_create(outlet=outlet, name="Dash 1"), user=resto["cashier"],
                           opening_float_minor=0)  # fmt: skip
        today = [sell(resto, f"t{i}", shift=shift, tender="cash" if i % 2 else "card") for i in range(n)]
        week_ago = [sell(resto, f"w{i}", shift=shift) for i in range(n)]
        move_back(week_ago, days=7)
        m = resto["menu"]
        tab = order_submit(shift=shift, user=resto["cashier"], idempotency_key="tab-void",
                           lines=[LineRequest(m["teh"].pk)])  # fmt: skip
        order_void(order=tab, user=resto["cashier"], approved_by=supervisor, reason="wrong table")
        refund = order_refund(order=today[0], user=resto["cashier"], approved_by=supervisor, reason="cold",
                              idempotency_key="refund-1", lines=None, shift=shift)  # fmt: skip
        open_tab = order_submit(shift=shift, user=resto["cashier"], idempotency_key="tab-open",
                                lines=[LineRequest(m["latte"].pk, 1, variant_id=m["regular"].pk,
                                                   modifier_ids=(m["less"].pk,))])  # fmt: skip
        second = OutletFactory(name="Kemang", code="KMG")
        other_shift = shift_open(register=register_create(outlet=second, name="Kemang 1"), user=resto["cashier"],
                                 opening_float_minor=0)  # fmt: skip
        other = sell(resto, "k1", shift=other_shift, tender="cash")
        shift_close(shift=other_shift, user=resto["cashier"], denominations={"50000": 1})
        outbox_relay()
        day = business_date_now()
        rollups_rebuild(start=day - timedelta(days=8), end=day)
        return {"outlet": outlet, "shift": shift, "today": today, "week_ago": week_ago, "void": tab,
                "refund": refund, "open_tab": open_tab, "second": second, "other": other, "other_shift": other_shift,
                "supervisor": supervisor}  # fmt: skip

    return make


@pytest.fixture
def fresh_business(db, _session_tenants):
    """A business just signed up (provisioned inside the test's transaction, so it goes with it): its owner
    alone, the MAIN outlet, nothing else. Returns a TenantFixture with the owner, past the second step."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    from accounts.models import User
    from conftest import OWNER_TOTP_KEY, STAFF_PASSWORD, TenantFixture
    from tenants.services import tenant_provision

    tenant = tenant_provision(slug="fresh-dash", name="Fresh Dash", owner_email="owner@fresh-dash.test").tenant
    with tenant_context(tenant):
        owner = User.objects.get()
        owner.set_password(STAFF_PASSWORD)
        owner.must_change_password = False
        owner.save()
        TOTPDevice.objects.create(user=owner, name="authenticator", key=OWNER_TOTP_KEY, confirmed=True)
    return TenantFixture(tenant=tenant, host=tenant.get_primary_domain().domain, users={Role.ADMIN_TENANT: owner})
