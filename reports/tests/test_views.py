"""Report pages: who may open them, what they show from the roll-ups, their downloads, bad input, query budgets."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from business.tests.factories import OutletFactory
from catalog.tests.factories import ProductFactory
from reports.catalog import REPORTS
from reports.models import SalesHour
from reports.services import rollups_rebuild
from sales.models import Order, Payment
from sales.tests.conftest import resto  # noqa: F401  (the fixture)
from sales.tests.factories import OrderFactory, PaymentFactory, ShiftFactory

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 11, 2)  # the week of 2–8 November 2026; the week before is the comparison
WEEK = {"from": "2026-11-02", "to": "2026-11-08", "compare": "previous", "outlet": "all"}
EVIL = '<script>alert("x")</script> Kopi'


def sell(shift, product, *, day: date, hour: int, quantity: int = 1, tender: str = Payment.Tender.CASH) -> Order:
    """A paid order of `quantity` × `product` rung up at `hour` o'clock (Jakarta) on `day`."""
    order = OrderFactory(shift=shift, business_date=day, status=Order.Status.PAID,
                         lines=[{"product": product, "quantity": quantity}])  # fmt: skip
    Order.objects.filter(pk=order.pk).update(
        paid_minor=order.total_minor, created_at=datetime(day.year, day.month, day.day, hour, 15, tzinfo=JAKARTA)
    )
    PaymentFactory(order=order, amount_minor=order.total_minor, tender=tender)
    return order


@pytest.fixture
def shop(in_tenant):
    """Two outlets; sales in the week of 2 November (and one in the week before, for the comparison)."""
    main, north = OutletFactory(code="MAIN"), OutletFactory(code="north", name="North")
    kopi = ProductFactory(name=EVIL, price_minor=20_000)
    nasi = ProductFactory(name="Nasi goreng", price_minor=45_000)
    main_shift, north_shift = ShiftFactory(register__outlet=main), ShiftFactory(register__outlet=north)
    sell(main_shift, kopi, day=MONDAY, hour=8, quantity=2)  # Rp 40.000 at 08:00
    sell(main_shift, nasi, day=MONDAY, hour=12, tender=Payment.Tender.CARD)  # Rp 45.000 at 12:00
    sell(north_shift, nasi, day=MONDAY + timedelta(days=2), hour=12, quantity=3)  # Rp 135.000 at North
    sell(main_shift, kopi, day=MONDAY - timedelta(days=7), hour=8)  # the week before: Rp 20.000 at 08:00
    rollups_rebuild(start=MONDAY - timedelta(days=7), end=MONDAY + timedelta(days=6))
    return {"main": main, "north": north, "kopi": kopi, "nasi": nasi, "shift": main_shift, "fixture": in_tenant}


def get(client, slug: str, **params):
    return client.get(f"/reports/{slug}/", {**WEEK, **params})


def test_the_index_lists_every_report_by_group(tenant):
    response = tenant.client(Role.ADMIN_TENANT).get("/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    for group in ("Sales", "Products", "Staff &amp; payments", "Taxes", "Exceptions", "Cash", "Kitchen", "Stock"):
        assert f">{group}</h2>" in html
    for slug in REPORTS:
        assert f'href="/reports/{slug}/"' in html
    assert 'href="/reports/"' in html  # the back office's navigation


@pytest.mark.parametrize(("role", "status"), [(Role.SUPERVISOR, 200), (Role.CASHIER, 403), (Role.KITCHEN, 403)])
def test_who_may_read_reports(tenant, role, status):
    client = tenant.client(role)
    assert client.get("/reports/").status_code == status
    response = client.get("/reports/sales-by-hour/", WEEK)
    assert response.status_code == status
    if status == 200:
        assert "layout-supervisor" in response.content.decode()  # in the supervisor's own layout
    response = client.get("/reports/sales-by-hour/", {**WEEK, "format": "csv"})
    assert response.status_code == status
    assert ("attachment" in response.get("Content-Disposition", "")) == (status == 200)


def test_signed_out_people_are_sent_to_sign_in(tenant):
    response = tenant.client().get("/reports/top-products/", {**WEEK, "format": "pdf"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_unknown_report_is_not_found(tenant):
    assert tenant.client(Role.ADMIN_TENANT).get("/reports/nope/").status_code == 404


def test_sales_by_hour_reads_the_rollups_with_the_comparison(shop):
    response = get(shop["fixture"].client(Role.ADMIN_TENANT), "sales-by-hour")
    assert response.status_code == 200
    table = response.context["table"]
    rows = {r["hour"]: r for r in table.rows}
    assert list(rows) == [f"{h:02d}:00" for h in range(8, 13)]  # the hours between, with nothing, too
    assert (rows["08:00"]["orders"], rows["08:00"]["net_minor"], rows["08:00"]["net_minor__cmp"]) == (1, 40_000, 20_000)
    assert rows["08:00"]["net_minor__chg"] == 100
    assert rows["12:00"]["net_minor"] == 45_000 + 135_000 and rows["12:00"]["net_minor__chg"] is None
    assert table.totals["net_minor"] == 220_000 and table.totals["net_minor__cmp"] == 20_000
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and "Rp 220.000" in html
    assert "26 Oct 2026 – 1 Nov 2026" in html  # the comparison period named
    assert 'aria-label="Sales by hour"' in html  # the table scrolls in a labelled region


def test_one_outlet_and_no_comparison(shop):
    response = get(shop["fixture"].client(Role.ADMIN_TENANT), "sales-by-outlet", outlet=shop["north"].pk,
                   compare="none")  # fmt: skip
    table = response.context["table"]
    assert [(r["outlet"], r["net_minor"]) for r in table.rows] == [("North", 135_000)]
    assert not table.compared and "net_minor__cmp" not in table.rows[0]


def test_top_products_escape_names(shop):
    response = get(shop["fixture"].client(Role.ADMIN_TENANT), "top-products")
    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    names = [(r["product"], r["quantity"], r["net_minor"]) for r in response.context["table"].rows]
    assert names == [("Nasi goreng", 4, 180_000), (EVIL, 2, 40_000)]


@pytest.mark.parametrize("slug", sorted(REPORTS))
def test_every_report_renders_prints_and_downloads(shop, slug):
    client = shop["fixture"].client(Role.ADMIN_TENANT)
    assert get(client, slug).status_code == 200
    printed = get(client, slug, format="print")
    assert printed.status_code == 200 and "report-sheet" in printed.content.decode()
    for fmt, content_type, magic in (("csv", "text/csv", b"\xef\xbb\xbf"), ("xlsx", "application/vnd.openxml", b"PK"),
                                     ("pdf", "application/pdf", b"%PDF")):  # fmt: skip
        response = get(client, slug, format=fmt)
        assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
        assert response["Cache-Control"] == "no-store"
        assert response["Content-Disposition"] == f'attachment; filename="{slug}_2026-11-02_2026-11-08.{fmt}"'
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(magic)


def test_the_csv_has_the_figures_as_numbers(shop):
    response = get(shop["fixture"].client(Role.ADMIN_TENANT), "payment-methods", format="csv")
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Payment method,Payments,Payments (previous),Change %,Taken (IDR),Taken (previous)")
    assert lines[1].startswith("Cash,2,1,100.0,175000,20000,775.0,")


def test_query_count_does_not_grow_with_orders(shop):
    """Each report page reads a fixed number of queries: five more days of sales change none of them."""
    client = shop["fixture"].client(Role.ADMIN_TENANT)

    def counts() -> dict[str, int]:
        found = {}
        for slug in REPORTS:
            with CaptureQueriesContext(connection) as queries:
                assert get(client, slug).status_code == 200
            found[slug] = len(queries)
        return found

    before = counts()
    for i in range(5):
        for hour in (9, 14, 19):
            sell(shop["shift"], shop["nasi"], day=MONDAY + timedelta(days=i), hour=hour, quantity=i + 1)
    rollups_rebuild(start=MONDAY, end=MONDAY + timedelta(days=6))
    after = counts()
    assert after == before
    assert max(after.values()) <= 10, after


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-11-08", "to": "2026-11-02"}, "The end must be on or after the start."),
        ({"from": "yesterday-ish"}, "Enter a valid date."),
        ({"to": "2026-02-30"}, "Enter a valid date."),
        ({"from": "2025-01-01", "to": "2026-11-08"}, "Choose at most 400 days."),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "Choose dates between 2000 and 2100."),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "Choose dates between 2000 and 2100."),
        ({"compare": "forever"}, "Choose a comparison."),
        ({"outlet": "999999"}, "Choose one of your outlets."),
        ({"outlet": "abc"}, "Choose one of your outlets."),
    ],
)
def test_bad_input_is_a_form_error(shop, params, message):
    client = shop["fixture"].client(Role.ADMIN_TENANT)
    for fmt in ("", "pdf"):
        response = get(client, "sales-by-day", format=fmt, **params)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert "Content-Disposition" not in response


def test_the_default_is_today_in_the_business_time_zone(tenant):
    response = tenant.client(Role.ADMIN_TENANT).get("/reports/sales-by-day/")
    today = datetime.now(JAKARTA).date()
    assert response.status_code == 200
    assert response.context["table"].rows[0]["day"] == today
    assert f'value="{today.isoformat()}"' in response.content.decode()


def test_a_supervisor_sees_only_their_outlets(shop):
    fixture = shop["fixture"]
    supervisor = fixture.users[Role.SUPERVISOR]
    supervisor.outlet_ids = [shop["main"].pk]
    supervisor.save(update_fields=["outlet_ids"])
    client = fixture.client(Role.SUPERVISOR)
    response = get(client, "sales-by-outlet")
    assert [r["outlet"] for r in response.context["table"].rows] == [shop["main"].name]
    choices = list(response.context["form"].fields["outlet"].choices)
    assert choices == [("all", "All outlets"), (str(shop["main"].pk), shop["main"].name)]
    refused = get(client, "sales-by-outlet", outlet=shop["north"].pk, format="csv")
    assert refused.status_code == 400 and "Choose one of your outlets." in refused.content.decode()
    assert get(client, "sales-by-outlet", outlet=shop["main"].pk).status_code == 200


def test_another_business_sees_none_of_it(shop, other_tenant):
    client = other_tenant.client(Role.ADMIN_TENANT)
    with tenant_context(other_tenant.tenant):
        assert not SalesHour.objects.exists()
    response = get(client, "sales-by-hour")
    assert response.status_code == 200 and response.context["table"].rows == []
    response = get(client, "sales-by-outlet", outlet=shop["north"].pk)  # alpha's outlet id, not one of beta's
    assert response.status_code == 400


def test_taxes_exceptions_staff_and_cash_from_real_sales(resto):  # noqa: F811
    """Through the sales services (PB1 10% on subtotal and 5% service, a 20% discount a supervisor approved, a
    refund and a void with their approvers, a tip), the outbox relayed into the roll-ups: each report says it."""
    from core.outbox import outbox_relay
    from sales.pricing import Discount
    from sales.services.orders import LineRequest, order_submit, payment_add
    from sales.services.refunds import order_refund, order_void
    from sales.services.shifts import business_date_now

    m, cashier = resto["menu"], resto["cashier"]
    supervisor = resto["fixture"].users[Role.SUPERVISOR]
    orders = []
    for key, discount in (("a", None), ("b", Discount("percent", 20))):
        order = order_submit(shift=resto["shift"], user=cashier, idempotency_key=key, order_discount=discount,
                             approved_by=supervisor if discount else None,
                             lines=[LineRequest(m["nasi"].pk, 2), LineRequest(m["teh"].pk, 1)])  # fmt: skip
        payment_add(order=order, user=cashier, tender="card", idempotency_key=f"pay-{key}",
                    amount_minor=order.total_minor, reference="APPR", tip_minor=5000)  # fmt: skip
        order.refresh_from_db()
        orders.append(order)
    teh_line = orders[0].lines.get(product=m["teh"])
    order_refund(order=orders[0], user=cashier, idempotency_key="r", lines={teh_line.pk: 1}, approved_by=supervisor,
                 reason="spilt", shift=resto["shift"])  # fmt: skip
    tab = order_submit(shift=resto["shift"], user=cashier, idempotency_key="v", lines=[LineRequest(m["teh"].pk)])
    order_void(order=tab, user=cashier, approved_by=supervisor, reason="wrong table")
    outbox_relay()

    today = business_date_now().isoformat()
    client = resto["fixture"].client(Role.ADMIN_TENANT)

    def table(slug):
        response = client.get(f"/reports/{slug}/", {"from": today, "to": today, "compare": "none"})
        assert response.status_code == 200
        return response.context["table"]

    taxes = table("taxes")
    assert [(r["name"], r["kind"], r["rate"], r["orders"], r["amount_minor"]) for r in taxes.rows] == [
        ("PB1", "Exclusive", 10, 2, sum(o.tax_minor for o in orders)),
        ("Service charge", "", None, None, sum(o.service_charge_minor for o in orders)),
    ]
    assert taxes.totals["amount_minor"] == sum(o.tax_minor + o.service_charge_minor for o in orders)

    [discounted] = table("discounts").rows
    assert (discounted["number"], discounted["discount"], discounted["approved_by_name"]) == (
        orders[1].number, "20 %", supervisor.username)  # fmt: skip
    assert discounted["discount_minor"] == orders[1].discount_minor > 0

    [refund] = table("refunds").rows
    assert (refund["order_number"], refund["reason"], refund["approved_by_name"], refund["method"]) == (
        orders[0].number, "spilt", supervisor.username, "Card")  # fmt: skip
    [void] = table("voids").rows
    assert (void["number"], void["void_reason"], void["approved_by_name"], void["voided_by_name"]) == (
        tab.number, "wrong table", supervisor.username, cashier.username)  # fmt: skip

    tips = table("tips")
    assert [(r["person"], r["payments"], r["tips_minor"]) for r in tips.rows] == [(cashier.first_name, 2, 10_000)]
    payments = table("payment-methods")
    [card] = payments.rows
    assert (card["amount_minor"], card["tips_minor"]) == (sum(o.total_minor for o in orders), 10_000)
    assert card["refunded_minor"] == refund["amount_minor"] and card["share"] == 100

    from sales.models import Shift

    Shift.objects.filter(pk=resto["shift"].pk).update(status=Shift.Status.CLOSED, closed_by=cashier,
                                                      closed_at=timezone.now(), expected_cash_minor=200_000,
                                                      counted_cash_minor=195_000, variance_minor=-5_000)  # fmt: skip
    cash = table("cash-variance")
    assert [(r["register_name"], r["variance_minor"]) for r in cash.rows] == [("Till 1", -5_000)]
    assert cash.totals["variance_minor"] == -5_000


def test_kitchen_times_and_stock_usage(in_tenant):
    """Kitchen tickets through the beat's refresh; stock roll-up rows as the ledger leaves them (out is negative):
    usage and waste read as positive amounts, quantities per unit, not summed across units."""
    from decimal import Decimal

    from inventory.models import StockItem
    from kitchen.models import Station, Ticket
    from reports.models import StockDay
    from reports.tasks import rollups_refresh
    from sales.services.shifts import business_date_now

    outlet = OutletFactory(code="MAIN")
    station = Station.objects.create(outlet=outlet, name="Grill <hot>", red_after_minutes=10)
    now = timezone.now()
    for minutes in (4, 16):
        ticket = Ticket.objects.create(station=station, order_id=1, order_number=1, order_type="dine_in")
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(minutes=minutes), bumped_at=now)
    cold = Station.objects.create(outlet=outlet, name="Cold", red_after_minutes=10)
    Ticket.objects.create(station=cold, order_id=2, order_number=2, order_type="dine_in")  # none of its done yet
    rollups_refresh()
    today = business_date_now()
    beans = StockItem.objects.create(name="Coffee beans", sku="BEANS", base_unit=StockItem.Unit.G)
    milk = StockItem.objects.create(name="Milk", sku="MILK", base_unit=StockItem.Unit.ML)
    for item, kind, quantity, value in ((beans, "sale", "-360", -54_000), (beans, "refund", "18", 2_700),
                                        (milk, "sale", "-2000", -36_000), (milk, "waste", "-500", -9_000)):  # fmt: skip
        StockDay.objects.create(business_date=today, outlet_id=outlet.pk, item_id=item.pk, kind=kind, movements=1,
                                quantity=Decimal(quantity), value_minor=value)  # fmt: skip
    client = in_tenant.client(Role.ADMIN_TENANT)
    params = {"from": today.isoformat(), "to": today.isoformat(), "compare": "none"}

    kitchen = client.get("/reports/kitchen-times/", params)
    row, waiting = kitchen.context["table"].rows
    assert (waiting["station"], waiting["tickets"], waiting["bumped"], waiting["late"]) == ("Cold", 1, 0, 0)
    assert (row["station"], row["tickets"], row["bumped"], row["late"], row["average_seconds"]) == (
        "Grill <hot>", 2, 2, 1, 10 * 60)  # fmt: skip
    html = kitchen.content.decode()
    assert "Grill &lt;hot&gt;" in html and "10:00" in html and "<svg" in html

    stock = client.get("/reports/stock-usage/", params).context["table"]
    assert [(r["item"], r["unit"], r["used"], r["used_minor"], r["wasted"], r["wasted_minor"]) for r in stock.rows] == [
        ("Coffee beans", "g", Decimal(342), 51_300, Decimal(0), 0),  # the dearest first
        ("Milk", "ml", Decimal(2000), 36_000, Decimal(500), 9_000),
    ]
    assert (stock.totals["used_minor"], stock.totals["wasted_minor"]) == (87_300, 9_000)
    assert "used" not in stock.totals  # grams and millilitres do not add up


def test_report_table_and_its_pdf_for_the_scheduled_mail(shop):
    """What the scheduled e-mail calls: a report of the current tenant, in its currency and time zone, as a PDF."""
    from reports.catalog import report_table
    from reports.exports import table_pdf
    from reports.selectors import Period

    table = report_table("sales-by-day", period=Period(MONDAY, MONDAY + timedelta(days=6)), compare="previous")
    assert [r["day"] for r in table.rows] == [MONDAY + timedelta(days=i) for i in range(7)]  # every day, zeros too
    assert (table.totals["net_minor"], table.totals["net_minor__cmp"]) == (220_000, 20_000)
    assert (table.currency, table.timezone, table.compare_name) == ("IDR", "Asia/Jakarta", "previous")
    assert table_pdf(table, business=connection.tenant, period_label="2–8 Nov 2026").startswith(b"%PDF")
    only_north = report_table("sales-by-outlet", period=Period(MONDAY, MONDAY), outlets=[shop["north"].pk])
    assert only_north.rows == [] and not only_north.compared
    with pytest.raises(KeyError):
        report_table("nope", period=Period(MONDAY, MONDAY))


def test_the_same_dates_last_year(shop):
    response = get(shop["fixture"].client(Role.ADMIN_TENANT), "sales-by-weekday", compare="last_year")
    table = response.context["table"]
    assert table.compare_label == "2 Nov 2025 – 8 Nov 2025"
    assert [r["weekday"] for r in table.rows] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                                  "Sunday"]  # fmt: skip
    assert table.rows[0]["net_minor"] == 85_000 and table.rows[0]["net_minor__cmp"] == 0
    assert "Orders (last year)" in response.content.decode()
