"""Small things a cashier notices (issue 11, point 11), in a real browser: a product with sizes shows "from" its
cheapest size and preselects its default size; clearing a search leaves the highlighted category matching the
products shown; an item is marked sold out (and back in stock) from the till; the receipt and its ESC/POS copy
show the business's local time and a discount total. Screenshots in test-artifacts/screenshots/.

The live site is shared by every browser test of a run: each test here signs in its own staff member and sells
products made for it (fresh SKUs each run, earlier ones archived), so nothing here depends on, or disturbs, what
another test does.
"""

import uuid
from datetime import UTC, datetime

import pytest

from conftest import STAFF_PASSWORD
from pos_project.money import format_money
from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CATEGORY = "Small things"


@pytest.fixture(scope="module")
def orm(live_site, django_db_blocker):
    """Run a function in the live site's first tenant (pos_project.testing.browser.live_tenant_call)."""
    return lambda fn: live_tenant_call(live_site, django_db_blocker, fn)


@pytest.fixture(scope="module")
def menu(orm):
    """This module's own products (earlier runs' archived) and staff, in a category of their own."""

    def make():
        from accounts.models import Role, User
        from accounts.services import staff_create
        from catalog.models import Category, Product
        from catalog.services import category_create, product_create, variant_create

        Product.objects.filter(sku__startswith="SML-").update(is_archived=True)
        category = Category.objects.filter(name=CATEGORY).first() or category_create(name=CATEGORY, sort_order=9)
        run = uuid.uuid4().hex[:6].upper()
        tubruk = product_create(category=category, name=f"Kopi tubruk {run}", sku=f"SML-KT-{run}", price_minor=27000)
        # As an owner types them: both at sort order 0, so only the name would order them (Large before Regular).
        large = variant_create(product=tubruk, name="Large", sku=f"SML-KT-{run}-L", price_minor=33000)
        regular = variant_create(product=tubruk, name="Regular", sku=f"SML-KT-{run}-R", price_minor=27000)
        pisang = product_create(category=category, name=f"Pisang goreng {run}", sku=f"SML-PG-{run}", price_minor=15000)
        for username, role in (("small-a", Role.CASHIER), ("small-b", Role.CASHIER), ("small-c", Role.CASHIER),
                               ("small-d", Role.CASHIER)):  # fmt: skip
            if not User.objects.filter(username=username).exists():
                staff_create(username=username, role=role, actor=None, password=STAFF_PASSWORD,
                             must_change_password=False)  # fmt: skip
        return {"tubruk": tubruk, "large": large, "regular": regular, "pisang": pisang}

    return orm(make)


def _till(browser, live_site, username: str):
    """Sign in and get to the till, opening a shift on a register of this person's own when asked to."""
    context, page, base = sign_in(browser, live_site, username)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if not page.url.endswith("/till/"):
        page.goto(f"{base}/till/")
    if page.url.endswith("/till/shift/open/"):
        resume = page.locator("[data-testid=resume-shift] button")  # their shift from an earlier run
        with page.expect_navigation():
            if resume.count():
                resume.first.click()
            else:
                page.select_option("#id_register", "new")
                page.fill("#id_register_name", f"{username} {uuid.uuid4().hex[:6]}")
                page.fill("#id_opening_float", "0")
                page.click("form.form button[type=submit]")
    assert page.url.endswith("/till/"), page.url
    return context, page, base, errors


def _show_category(page, name: str) -> None:
    with page.expect_response(lambda r: "/till/products/" in r.url):
        page.locator("[role=tab]", has_text=name).click()
    page.wait_for_function("!document.querySelector('#till-products.htmx-request, #till-products .htmx-swapping')")


def _tile(page, name: str):
    return page.locator(".product-tile", has_text=name)


def test_sizes_show_the_cheapest_price_and_preselect_the_default_size(live_site, browser, menu, orm):
    context, page, base, errors = _till(browser, live_site, "small-a")
    name = menu["tubruk"].name
    _show_category(page, CATEGORY)
    price = _tile(page, name).locator(".product-tile__price").inner_text()
    assert price == "from Rp 27.000", price

    # No size is marked as the default: the first in the menu's order (equal sort orders: cheapest first).
    _tile(page, name).click()
    page.locator("#options-dialog").wait_for()
    checked = page.locator("#options-body input[name=variant]:checked").locator("xpath=..").inner_text()
    assert checked.startswith("Regular"), checked
    sizes = page.locator("#options-body input[name=variant]").locator("xpath=..").all_inner_texts()
    assert [s.split(" ·")[0] for s in sizes] == ["Regular", "Large"]
    page.screenshot(path=SCREENSHOTS / "till-sizes-default.png")
    page.click("#options-dialog >> text=Cancel")

    # The owner makes Large the default size in the back office.
    owner_context, owner, _ = sign_in(browser, live_site, "owner")
    owner.goto(f"{base}/backoffice/catalog/variants/{menu['large'].pk}/")
    owner.check("input[name=is_default]")
    with owner.expect_navigation():
        owner.click("button[type=submit] >> text=Save")
    assert owner.locator("#variants [data-testid=default-variant]").count() == 1
    assert "default size" in owner.locator("#variants tr", has_text="Large").inner_text()
    owner_context.close()

    page.reload()
    _show_category(page, CATEGORY)
    assert _tile(page, name).locator(".product-tile__price").inner_text() == "from Rp 27.000"
    _tile(page, name).click()
    page.locator("#options-dialog").wait_for()
    checked = page.locator("#options-body input[name=variant]:checked").locator("xpath=..").inner_text()
    assert checked.startswith("Large"), checked
    page.click("#options-dialog >> text=Add to order")
    page.locator("#cart-lines .cart-line", has_text=f"{name} (Large)").wait_for()
    assert errors == []
    context.close()


def test_clearing_a_search_shows_the_highlighted_category(live_site, browser, menu):
    context, page, base, errors = _till(browser, live_site, "small-b")
    _show_category(page, "Pastry")
    grid = page.locator("#till-products")
    assert "Butter croissant" in grid.inner_text()

    with page.expect_response(lambda r: "/till/products/" in r.url and "q=esp" in r.url):
        page.fill("#till-search", "esp")
    page.wait_for_function("document.getElementById('till-products').innerText.includes('Espresso')")
    # Search results belong to no category: no tab claims them.
    assert page.locator("[role=tab].is-active").count() == 0
    assert page.locator("[role=tab][aria-selected=true]").count() == 0

    with page.expect_response(lambda r: "/till/products/" in r.url):
        page.fill("#till-search", "")
    page.wait_for_function("!document.getElementById('till-products').innerText.includes('Espresso')", timeout=5000)
    active = page.locator("[role=tab].is-active")
    assert active.count() == 1 and active.inner_text().startswith("Pastry"), active.all_inner_texts()
    assert page.locator("[role=tab][aria-selected=true]").inner_text().startswith("Pastry")
    assert "Butter croissant" in grid.inner_text()
    page.screenshot(path=SCREENSHOTS / "till-search-cleared.png")
    assert errors == []
    context.close()


def test_a_cashier_marks_an_item_sold_out_and_back_in_stock(live_site, browser, menu, orm):
    context, page, base, errors = _till(browser, live_site, "small-c")
    name = menu["pisang"].name
    _show_category(page, CATEGORY)

    page.click("#till-sold-out")  # "Sold out" mode: a tap marks the item instead of selling it
    with page.expect_response(lambda r: "/sold-out/" in r.url and r.status == 200):
        _tile(page, name).click()
    page.wait_for_function(
        "n => [...document.querySelectorAll('.product-tile')].some(t => t.innerText.includes(n)"
        " && t.classList.contains('is-sold-out'))",
        arg=name,
    )
    assert "Sold out" in _tile(page, name).inner_text()
    assert page.locator("#cart-lines .cart-line").count() == 0
    page.click("#till-sold-out")  # back to selling
    page.screenshot(path=SCREENSHOTS / "till-sold-out.png")

    # It cannot be sold: a tap says so and adds nothing, on this till and on a fresh page.
    _tile(page, name).click()
    page.locator("#cart-error", has_text="sold out").wait_for()
    assert page.locator("#cart-lines .cart-line").count() == 0
    page.reload()
    _show_category(page, CATEGORY)
    assert "Sold out" in _tile(page, name).inner_text()
    _tile(page, name).click()
    page.locator("#cart-error", has_text="sold out").wait_for()
    assert page.locator("#cart-lines .cart-line").count() == 0

    def audited():
        from accounts.models import AuditEntry

        return list(
            AuditEntry.objects.filter(target_label=menu["pisang"].sku)
            .order_by("pk")
            .values_list("action", "actor_username")
        )

    assert orm(audited) == [("catalog.sold_out", "small-c")]

    # Back in stock: it sells again.
    page.click("#till-sold-out")
    with page.expect_response(lambda r: "/sold-out/" in r.url and r.status == 200):
        _tile(page, name).click()
    page.wait_for_function(
        "n => [...document.querySelectorAll('.product-tile')].some(t => t.innerText.includes(n)"
        " && !t.classList.contains('is-sold-out'))",
        arg=name,
    )
    page.click("#till-sold-out")
    _tile(page, name).click()
    page.locator("#cart-lines .cart-line", has_text=name).wait_for()
    assert orm(audited) == [("catalog.sold_out", "small-c"), ("catalog.back_in_stock", "small-c")]
    page.click("#cart-clear")  # leave the device's cart empty (confirm() is accepted by Playwright's default)
    assert errors == []
    context.close()


def test_the_receipt_shows_local_time_and_the_discount_total(live_site, browser, menu, orm):
    """A paid order rung up at 20:30 UTC on 1 March 2026, i.e. 03:30 on 2 March in Jakarta (the tenant's zone)."""

    def paid_order():
        from decimal import Decimal

        from accounts.models import User
        from business.models import Outlet
        from catalog.models import Product
        from sales.models import Order, Register, Shift
        from sales.pricing import Discount
        from sales.services.orders import LineRequest, order_submit, payment_add
        from sales.services.shifts import register_create, shift_open

        cashier = User.objects.get(username="small-d")
        shift = Shift.objects.filter(opened_by=cashier, status="open").first()
        if shift is None:
            register = Register.objects.filter(name="Register small-d").first() or register_create(
                outlet=Outlet.objects.get(code="MAIN"), name="Register small-d"
            )
            shift = shift_open(register=register, user=cashier, opening_float_minor=0)
        espresso, croissant = Product.objects.get(sku="BRW-0"), Product.objects.get(sku="BRW-P1")
        order = order_submit(
            shift=shift,
            user=cashier,
            idempotency_key=str(uuid.uuid4()),
            lines=[
                LineRequest(product_id=espresso.pk, quantity=2, discount=Discount("amount", 4000)),
                LineRequest(product_id=croissant.pk),
            ],
            order_discount=Discount("percent", Decimal(10)),
            approved_by=User.objects.get(username="supervisor"),  # stacked, the discounts pass the 10% limit
        )
        payment_add(order=order, user=cashier, tender="card", amount_minor=order.total_minor,
                    idempotency_key=str(uuid.uuid4()), reference="SMALL-D")  # fmt: skip
        Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 3, 1, 20, 30, tzinfo=UTC))
        order.refresh_from_db()
        return order

    order = orm(paid_order)
    # 2 × 22.000 + 25.000 = 69.000; line discount 4.000; 10% of 65.000 = 6.500; discounts 10.500.
    assert (order.subtotal_minor, order.discount_minor) == (69000, 10500)
    context, page, base = sign_in(browser, live_site, "small-d")
    page.goto(f"{base}/till/receipts/{order.uid}/?paper=80")
    text = page.locator("[data-testid=receipt]").inner_text()
    assert "2026-03-02 03:30" in text, text
    totals = page.locator(".receipt-totals").inner_text()
    assert "Subtotal\tRp 69.000" in totals, totals
    assert "Discounts\t−Rp 10.500" in totals, totals
    assert f"Total\t{format_money(order.total_minor, order.currency)}" in totals, totals
    page.screenshot(path=SCREENSHOTS / "receipt-discount-local-time.png", full_page=True)

    escpos_url = page.get_attribute("a >> text=ESC/POS", "href")
    read_bytes = "async url => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer()))"
    fetched = page.evaluate(read_bytes, escpos_url)
    printed = bytes(fetched).decode("cp437")
    assert "2026-03-02 03:30" in printed, printed
    assert "Discounts" in printed and "-Rp 10.500" in printed, printed
    context.close()
