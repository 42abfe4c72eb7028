"""Reports in a real browser (issue 13): the owner opens sales by hour and top products over a week of sales,
downloads the PDF and we render its first page to PNG; on a phone the wide table scrolls inside its box instead
of pushing the page sideways. Screenshots in the test's tmp dir, test-artifacts/screenshots/ and, when it
exists, /work/notes/screens/ (reports-*.png)."""

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pypdfium2
import pytest

from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
OUTLET = "RPT"
NOTES = Path("/work/notes/screens")
LONG = "Es Kopi Susu Gula Aren — ukuran besar dengan oat milk"


def _make_weeks():
    """Committed: an outlet of its own with two weeks of sales (the week asked for, and the week before to compare
    with) spread over the day, a product with a long Indonesian name; roll-ups rebuilt. Returns the outlet id and
    the dates."""
    from django.db import connection

    from accounts.models import User
    from business.tests.factories import OutletFactory
    from catalog.models import Category, Product
    from catalog.tests.factories import ProductFactory
    from reports.services import rollups_rebuild
    from sales.models import Order, Payment
    from sales.tests.factories import OrderFactory, PaymentFactory, RegisterFactory, ShiftFactory

    zone = ZoneInfo(connection.tenant.timezone)
    today = datetime.now(zone).date()
    end = today - timedelta(days=8)
    start = end - timedelta(days=6)
    cashier = User.objects.get(username="cashier")
    outlet = OutletFactory(name="Reports Senopati", code=OUTLET)
    shift = ShiftFactory(register=RegisterFactory(outlet=outlet, name="Reports 1"), opened_by=cashier)
    products = list(Product.objects.filter(sku__startswith="BRW-").order_by("sku"))
    # In the live site's own category: a category of its own would come first at every till of the later tests.
    products.append(ProductFactory(name=LONG, price_minor=38_000, category=Category.objects.get(name="Coffee")))
    n = 0
    for day_offset in range(-7, 7):
        day = start + timedelta(days=day_offset)
        for hour in (7, 8, 9, 12, 13, 15, 18, 19, 20):
            n += 1
            if (n + day_offset) % 4 == 0 and day_offset < 0:
                continue  # the week before was quieter
            at = datetime(day.year, day.month, day.day, hour, (n * 7) % 60, tzinfo=zone)
            lines = [{"product": products[(n + k) % len(products)], "quantity": 1 + (n + k) % 3} for k in range(2)]
            order = OrderFactory(shift=shift, business_date=day, lines=lines, status=Order.Status.PAID)
            Order.objects.filter(pk=order.pk).update(created_at=at, paid_minor=order.total_minor)
            payment = PaymentFactory(order=order, tender=("cash", "card", "qr")[n % 3], amount_minor=order.total_minor)
            Payment.objects.filter(pk=payment.pk).update(created_at=at)
    rollups_rebuild(start=start - timedelta(days=7), end=end)
    return outlet.pk, products[-1].pk, start, end


def _clean(outlet_id, product_id, start, end):
    def work():
        from business.models import Outlet
        from catalog.models import Product
        from reports.services import rollups_rebuild
        from sales.models import Order, OrderLine, Payment, Register, Shift

        orders = Order.objects.filter(outlet_id=outlet_id)
        Payment.objects.filter(order__in=orders).delete()
        OrderLine.objects.filter(order__in=orders).delete()
        orders.delete()
        Shift.objects.filter(outlet_id=outlet_id).delete()
        Register.objects.filter(outlet_id=outlet_id).delete()
        Outlet.objects.filter(pk=outlet_id).delete()
        Product.objects.filter(pk=product_id).delete()  # its lines went with the orders
        rollups_rebuild(start=start - timedelta(days=7), end=end)

    return work


def _keep(path: Path) -> None:
    """A copy beside the other browser tests' screenshots, and in the notes for the closing report."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / path.name)
    if NOTES.parent.is_dir():
        NOTES.mkdir(exist_ok=True)
        shutil.copy(path, NOTES / path.name)


def _shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=path, full_page=True)
    _keep(path)


def test_reports_with_charts_a_pdf_and_a_phone(live_site, browser, django_db_blocker, tmp_path):
    outlet_id, product_id, start, end = live_tenant_call(live_site, django_db_blocker, _make_weeks)
    query = urlencode({"from": start.isoformat(), "to": end.isoformat(), "compare": "previous", "outlet": outlet_id})
    try:
        context, page, base = sign_in(browser, live_site, "owner")
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if "Refused" in msg.text else None)  # the CSP
        page.set_viewport_size(DESKTOP)

        page.goto(f"{base}/reports/")
        assert page.locator("a", has_text="Sales by hour").count() == 1
        _shot(page, tmp_path, "reports-index.png")

        page.goto(f"{base}/reports/sales-by-hour/?{query}")
        chart = page.locator(".report-chart svg")
        assert chart.get_attribute("aria-label") == "Sales by hour: Net sales"
        assert chart.locator("rect[stroke-dasharray]").count() >= 9  # the week before, lighter, beside each hour
        assert chart.evaluate("el => el.getBoundingClientRect().width") > 600
        rows = page.locator("[data-testid=report-table] tbody tr")
        assert rows.count() == 14  # 07:00 .. 20:00, the hours between with nothing too
        assert "Reports Senopati" in page.locator("h1").inner_text()
        _shot(page, tmp_path, "reports-sales-by-hour.png")

        page.goto(f"{base}/reports/top-products/?{query}")
        bars = page.locator(".report-chart svg rect title")
        assert bars.count() == 5  # the four coffee-bar items and the long one
        assert "Es Kopi Susu Gula Aren" in page.locator(".report-chart svg").text_content()
        assert page.locator("[data-testid=report-table] tfoot").inner_text().startswith("Total")
        _shot(page, tmp_path, "reports-top-products.png")

        with page.expect_download() as download_info:
            page.locator(".report-downloads a", has_text="PDF").click()
        download = download_info.value
        assert download.suggested_filename == f"top-products_{start}_{end}.pdf"
        pdf_path = tmp_path / "reports-top-products.pdf"
        download.save_as(pdf_path)
        document = pypdfium2.PdfDocument(pdf_path)
        try:
            first = document[0]
            text = first.get_textpage().get_text_range()
            image = first.render(scale=2).to_pil().convert("RGB")
            first.close()
        finally:
            document.close()
        assert "Top products" in text and "Reports Senopati" in text and "Es Kopi Susu" in text
        png = tmp_path / "reports-top-products-pdf.png"
        image.save(png)
        _keep(png)
        colours = image.getcolors(1 << 24)
        ink = sum(count for count, colour in colours if colour != (255, 255, 255))
        assert ink > image.width * image.height * 0.02, "the PDF's first page is (nearly) blank"
        assert any(colour == (0x1F, 0x5F, 0xA8) for _count, colour in colours)  # the chart's bars

        page.goto(f"{base}/reports/top-products/?{query}&format=print")
        page.emulate_media(media="print")
        assert page.locator(".report-chart svg").count() == 1 and not page.locator(".sidebar").count()
        _shot(page, tmp_path, "reports-print.png")
        page.emulate_media(media="screen")

        page.set_viewport_size(PHONE)
        page.goto(f"{base}/reports/sales-by-hour/?{query}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
        wrap = page.locator(".report-table-wrap")
        assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls inside its box
        assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        figure = page.locator(".report-chart")  # the chart keeps a readable size and scrolls inside its card
        assert figure.evaluate("el => el.getBoundingClientRect().right") <= PHONE["width"]
        assert figure.evaluate("el => el.scrollWidth > el.clientWidth")
        _shot(page, tmp_path, "reports-phone.png")
        assert not errors, errors
        context.close()
    finally:
        live_tenant_call(live_site, django_db_blocker, _clean(outlet_id, product_id, start, end))
