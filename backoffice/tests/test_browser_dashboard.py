"""The owner's dashboard in a real browser, with a day of sales, on a desktop and on a phone: screenshots in
test-artifacts/screenshots/ (dashboard-desktop.png, dashboard-phone.png) (issue 13)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
PHONE = {"width": 390, "height": 844}
OUTLET = "SCR"


def _sales_rollups():
    from reports.rollups import REFRESHED, ROLLUPS

    return tuple(rollup for rollup in ROLLUPS if rollup not in REFRESHED)  # kitchen and stock are not ours here


def _outlet():
    from business.tests.factories import OutletFactory

    return OutletFactory(name="Screens Kemang", code=OUTLET).pk


def _make_day(outlet_id):
    """Committed: an outlet with sales today so far and all day on the same weekday last week (spread over the
    hours), a voided tab, a refund, an open tab and a closed shift short of cash; roll-ups rebuilt."""
    from django.db import connection

    from accounts.models import Role, User
    from business.models import Outlet
    from catalog.models import Product
    from reports.services import rollups_rebuild
    from sales.models import Order, Payment, Refund, Shift
    from sales.tests.factories import OrderFactory, PaymentFactory, RegisterFactory, ShiftFactory

    zone = ZoneInfo(connection.tenant.timezone)
    now = datetime.now(zone)
    cashier = User.objects.get(username="cashier")
    supervisor = User.objects.get(role=Role.SUPERVISOR, username="supervisor")
    outlet = Outlet.objects.get(pk=outlet_id)
    shift = ShiftFactory(register=RegisterFactory(outlet=outlet, name="Screens 1"), opened_by=cashier)
    products = list(Product.objects.filter(sku__startswith="BRW-").order_by("sku"))

    def sale(at: datetime, n: int, tender: str = "card") -> Order:
        lines = [{"product": products[(n + k) % len(products)], "quantity": 1 + (n + k) % 3} for k in range(2)]
        order = OrderFactory(shift=shift, business_date=at.date(), lines=lines, status=Order.Status.PAID)
        Order.objects.filter(pk=order.pk).update(created_at=at, paid_minor=order.total_minor)
        payment = PaymentFactory(order=order, tender=tender, amount_minor=order.total_minor)
        Payment.objects.filter(pk=payment.pk).update(created_at=at)
        return order

    week_ago = now - timedelta(days=7)
    start = week_ago.replace(hour=0, minute=10)
    for n in range(46):  # last week: all day long, every half hour or so
        at = start + timedelta(minutes=31 * n)
        if at.date() == week_ago.date():
            sale(at, n, "cash" if n % 3 == 0 else "card")
    today_start = now.replace(hour=0, minute=5)
    sold = [sale(min(today_start + timedelta(minutes=13 * n), now), n, ("cash", "card", "qr")[n % 3])
            for n in range(9)]  # fmt: skip
    # Every order names the menu's products: a factory's own would add a category to the till's menu.
    OrderFactory(shift=shift, status=Order.Status.VOIDED, voided_at=now, voided_by=cashier, lines=[{"product":
                 products[1]}], void_approved_by=supervisor, void_reason="wrong table")  # fmt: skip
    first = sold[0]
    Refund.objects.create(order=first, shift=shift, payment=first.payments.get(), tender=first.payments.get().tender,
                          amount_minor=first.total_minor // 2, reason="cold", created_by=cashier,
                          approved_by=supervisor)  # fmt: skip
    OrderFactory(shift=shift, lines=[{"product": products[0], "quantity": 2}], table_label="T4")  # an open tab
    closed = ShiftFactory(register=RegisterFactory(outlet=outlet, name="Screens 2"), opened_by=cashier)
    Shift.objects.filter(pk=closed.pk).update(status=Shift.Status.CLOSED, closed_at=now, closed_by=cashier,
                                              expected_cash_minor=350_000, counted_cash_minor=345_000,
                                              variance_minor=-5_000)  # fmt: skip
    rollups_rebuild(start=week_ago.date(), end=now.date(), rollups=_sales_rollups())


def _clean(outlet_id):
    def work():
        from django.db import connection

        from business.models import Outlet
        from reports.services import rollups_rebuild
        from sales.models import Order, Payment, Refund, Register, Shift

        orders = Order.objects.filter(outlet_id=outlet_id)
        Refund.objects.filter(order__in=orders).delete()
        Payment.objects.filter(order__in=orders).delete()
        orders.delete()
        Shift.objects.filter(outlet_id=outlet_id).delete()
        Register.objects.filter(outlet_id=outlet_id).delete()
        Outlet.objects.filter(pk=outlet_id).delete()
        today = datetime.now(ZoneInfo(connection.tenant.timezone)).date()
        # The roll-ups as they were without these sales.
        rollups_rebuild(start=today - timedelta(days=8), end=today, rollups=_sales_rollups())

    return work


def test_the_dashboard_with_a_day_of_sales_on_a_desktop_and_a_phone(live_site, browser, django_db_blocker):
    outlet_id = live_tenant_call(live_site, django_db_blocker, _outlet)
    try:  # whatever fails, what was committed goes: later browser tests sell as the same cashier
        live_tenant_call(live_site, django_db_blocker, lambda: _make_day(outlet_id))
        context, page, base = sign_in(browser, live_site, "owner")
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if "Refused" in msg.text else None)  # the CSP
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base}/backoffice/?outlet={outlet_id}")
        assert page.locator("[data-testid=kpi-orders] .stat__value").inner_text() == "9"
        assert page.locator("[data-testid=sales-by-hour] svg rect[stroke-dasharray]").count() > 10
        assert "approved by supervisor" in page.locator("[data-testid=exceptions]").inner_text()
        assert "1 open tab" in page.locator("[data-testid=open-tabs]").inner_text()
        assert "-Rp 5.000" in page.locator("[data-testid=variance]").inner_text()
        # The payment mix's bars got their length (data-bar, set through the CSSOM under the CSP).
        assert page.locator(".meter").first.evaluate("el => el.getBoundingClientRect().width") > 2
        page.screenshot(path=SCREENSHOTS / "dashboard-desktop.png", full_page=True)

        page.set_viewport_size(PHONE)
        page.goto(f"{base}/backoffice/?outlet={outlet_id}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
        page.screenshot(path=SCREENSHOTS / "dashboard-phone.png", full_page=True)
        assert not errors, errors
        context.close()

        # The supervisor console's Today panel, loaded by htmx, on a tablet.
        context, page, base = sign_in(browser, live_site, "supervisor")
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if "Refused" in msg.text else None)
        page.goto(f"{base}/supervisor/")
        page.locator("[data-testid=day-sales]").wait_for()
        panel = page.locator("[data-testid=day-panel]").inner_text()
        assert "approved by supervisor" in panel and "T4" in panel
        page.locator("[data-testid=day-panel]").screenshot(path=SCREENSHOTS / "supervisor-today.png")
        assert not errors, errors
        context.close()
    finally:
        live_tenant_call(live_site, django_db_blocker, _clean(outlet_id))
