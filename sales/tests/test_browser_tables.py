"""Tables in a real browser (issue 11, point 10): a dine-in order picks its table from the floor plan, a busy
table opens its tab in a dialog of actions, labels fit their tiles, and the owner drags and deletes tables in
the floor plan editor. Screenshots in test-artifacts/screenshots/.

Each test draws its own area on the main outlet and removes it afterwards (open tabs at its tables voided,
orders unlinked from them), so the other browser tests never find a floor plan they did not ask for."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LONG_NAME = "Wintergarden-Booth12"  # 20 characters (the longest a table name may be) and no place to break
SPACED_NAME = "Window seat by bar 2"
PHONE = {"width": 390, "height": 844}

# Every tile of the area whose text (or anything in it) sticks out of the tile: [] when all fit.
OVERFLOWING_TILES = """([scope, area]) => {
  const bad = [];
  const section = [...document.querySelectorAll(scope + ' .floor-area')]
    .find((s) => s.querySelector('h3').textContent.trim() === area);
  section.querySelectorAll('.floor-table').forEach((tile) => {
    const box = tile.getBoundingClientRect();
    const name = tile.dataset.tableName;
    if (tile.scrollWidth > tile.clientWidth + 1 || tile.scrollHeight > tile.clientHeight + 1)
      bad.push(`${name}: content ${tile.scrollWidth}x${tile.scrollHeight} in ${tile.clientWidth}x${tile.clientHeight}`);
    tile.querySelectorAll('*').forEach((el) => {
      const r = el.getBoundingClientRect();
      if (!r.width && !r.height) return;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        bad.push(`${name}: <${el.tagName.toLowerCase()}> ${Math.round(r.left)}..${Math.round(r.right)} x `
          + `${Math.round(r.top)}..${Math.round(r.bottom)} outside ${Math.round(box.left)}..${Math.round(box.right)} x `
          + `${Math.round(box.top)}..${Math.round(box.bottom)}`);
    });
  });
  return bad;
}"""


def _in_thread(live_site, django_db_blocker, work):
    return live_tenant_call(live_site, django_db_blocker, work)


@pytest.fixture
def floor(live_site, django_db_blocker):
    """An area of the main outlet, 8 x 3: tables 7, 8, a 20-character name with no break and one with spaces."""
    from business.models import Outlet
    from sales.models import Area, DiningTable, Order, Register, Shift

    name = f"Test floor {uuid.uuid4().hex[:6]}"

    def draw():
        area = Area.objects.create(outlet=Outlet.objects.get(code="MAIN"), name=name, columns=8, rows=3)
        for table_name, column, row in (("7", 0, 0), ("8", 1, 0), (LONG_NAME, 2, 0), (SPACED_NAME, 3, 0)):
            DiningTable.objects.create(area=area, name=table_name, seats=4, column=column, row=row)
        return {"area": name, "area_id": area.pk}

    def erase():
        tables = DiningTable.objects.filter(area__name=name)
        orders = Order.objects.filter(table__in=tables)
        made_here = list(orders.filter(number__gte=900_000).values_list("shift_id", flat=True))  # factory-made
        Order.objects.filter(shift_id__in=made_here).delete()
        registers = list(Shift.objects.filter(pk__in=made_here).values_list("register_id", flat=True))
        Shift.objects.filter(pk__in=made_here).delete()
        Register.objects.filter(pk__in=registers).delete()
        orders.filter(status=Order.Status.OPEN).update(status=Order.Status.VOIDED, void_reason="browser test clean-up")
        orders.update(table=None)
        tables.delete()
        Area.objects.filter(name=name).delete()

    plan = _in_thread(live_site, django_db_blocker, draw)
    plan["run"] = lambda work: _in_thread(live_site, django_db_blocker, work)
    yield plan
    _in_thread(live_site, django_db_blocker, erase)


def _void_open_tabs(floor):
    from sales.models import Order

    def void():
        Order.objects.filter(table__area__name=floor["area"], status=Order.Status.OPEN).update(
            status=Order.Status.VOIDED, void_reason="browser test clean-up"
        )

    floor["run"](void)


def _open_shift(page, base):
    if page.url.endswith("/till/shift/open/"):
        page.fill("#id_register_name", f"Tables {uuid.uuid4().hex[:6]}")
        page.fill("#id_opening_float", "0")
        with page.expect_navigation():
            page.click("text=Open shift")
    assert page.url == f"{base}/till/"


def _close_shift(page, base, floor):
    _void_open_tabs(floor)  # nothing of this test stays open on the shared live site
    page.goto(f"{base}/till/shift/close/")
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")


def _area(page, floor, scope="#floor-body"):
    return page.locator(f"{scope} .floor-area").filter(has=page.locator("h3", has_text=floor["area"]))


def _tile(page, floor, name, scope="#floor-body"):
    return _area(page, floor, scope).locator(f".floor-table[data-table-name='{name}']")


BUSY = re.compile(r"\bis-busy\b")


def _till(browser, live_site):
    context, page, base = sign_in(browser, live_site, "cashier")
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # A browser confirm box is what tapping a busy table used to open: record it (and answer Cancel).
    page.on("dialog", lambda box: (problems.append(f"browser {box.type}: {box.message}"), box.dismiss()))
    _open_shift(page, base)
    return context, page, base, problems


def _seat_and_send(page, floor, table, products=("Espresso",)):
    """A dine-in order at `table`, chosen from the plan the old way (Tables, tap a free table), sent unpaid."""
    page.keyboard.press("1")
    for product in products:
        page.click(f".product-tile >> text={product}")
    page.locator("#cart-lines .cart-line").nth(len(products) - 1).wait_for()
    page.click("#cart-tables")
    _tile(page, floor, table).click()
    page.locator("#floor-dialog").wait_for(state="hidden")
    page.click("#cart-send")
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 0")


def test_dine_in_picks_its_table_from_the_plan_and_the_table_shows_busy(live_site, browser, floor):
    context, page, base, problems = _till(browser, live_site)
    page.keyboard.press("1")
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()

    # Choosing Dine-in opens the table picker; there is no free-text table box while the outlet has a plan.
    page.select_option("#order-type", "dine_in")
    expect(page.locator("#floor-dialog")).to_be_visible(timeout=5000)
    expect(page.locator("#table-label")).to_be_hidden()
    page.screenshot(path=SCREENSHOTS / "till-table-picker.png")
    _tile(page, floor, "7").click()
    expect(page.locator("#floor-dialog")).to_be_hidden()
    # The cart shows the chosen table and a way to change it.
    chip = page.locator("#table-choose")
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("7")
    chip.click()
    expect(page.locator("#floor-dialog")).to_be_visible()
    _tile(page, floor, "7").click()
    page.click("#cart-send")
    page.wait_for_function("document.querySelectorAll('#cart-lines .cart-line').length === 0")

    # Table 7 is busy on the plan, with the tab's number; table 8 is still free.
    page.click("#cart-tables")
    expect(_tile(page, floor, "7")).to_have_class(BUSY, timeout=5000)
    expect(_tile(page, floor, "7")).to_contain_text("#")
    expect(_tile(page, floor, "8")).not_to_have_class(BUSY)
    assert page.evaluate(OVERFLOWING_TILES, ["#floor-body", floor["area"]]) == []  # a busy tile's lines fit too
    page.screenshot(path=SCREENSHOTS / "till-table-busy.png")
    page.keyboard.press("Escape")
    _close_shift(page, base, floor)
    assert problems == []
    context.close()


def test_a_busy_table_opens_its_tab_with_its_actions_and_pays_from_there(live_site, browser, floor):
    context, page, base, problems = _till(browser, live_site)
    _seat_and_send(page, floor, "7")

    page.click("#cart-tables")
    expect(_tile(page, floor, "7")).to_have_class(BUSY)
    _tile(page, floor, "7").click()
    dialog = page.locator("#tab-dialog")
    expect(dialog).to_be_visible(timeout=5000)
    expect(dialog).to_contain_text("7")
    for action in ("Pay", "Add items", "Move", "Split"):
        expect(dialog.get_by_role("button", name=action, exact=True)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "till-tab-dialog.png")

    dialog.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("#pay-dialog")).to_be_visible()
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('22.000')")
    page.fill("#pay-form input[name=tendered]", "50.000")
    page.click("#pay-submit")
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('Rp 0')")
    page.click("#pay-new")

    page.click("#cart-tables")
    expect(_tile(page, floor, "7")).not_to_have_class(BUSY, timeout=5000)
    page.keyboard.press("Escape")
    _close_shift(page, base, floor)
    assert problems == []
    context.close()


def test_a_tab_moves_to_another_table_and_splits_into_a_second_bill(live_site, browser, floor):
    context, page, base, problems = _till(browser, live_site)
    _seat_and_send(page, floor, "7", products=("Espresso", "Cappuccino"))
    dialog = page.locator("#tab-dialog")

    # Move: the tab goes to table 8, and 7 is free again.
    page.click("#cart-tables")
    _tile(page, floor, "7").click()
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator("#floor-dialog")).to_be_visible()
    _tile(page, floor, "8").click()
    page.click("#cart-tables")
    expect(_tile(page, floor, "8")).to_have_class(BUSY, timeout=5000)
    expect(_tile(page, floor, "7")).not_to_have_class(BUSY)

    # Split by items (sales.services.tabs.order_split): the cappuccino goes to a new bill at the same table.
    _tile(page, floor, "8").click()
    dialog.get_by_role("button", name="Split", exact=True).click()
    row = dialog.locator(".tab-split__line", has_text="Cappuccino")
    row.get_by_role("button", name="More").click()
    dialog.get_by_role("button", name="Split off the chosen items").click()
    expect(dialog.locator(".tab-bills button")).to_have_count(2, timeout=5000)
    expect(dialog).to_contain_text("32.000")  # the new bill, chosen: pay it first
    page.screenshot(path=SCREENSHOTS / "till-tab-split.png")
    dialog.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('32.000')")
    page.fill("#pay-form input[name=tendered]", "32.000")
    page.click("#pay-submit")
    page.wait_for_function("document.getElementById('pay-balance').innerText.includes('Rp 0')")
    page.click("#pay-new")
    page.click("#cart-tables")
    expect(_tile(page, floor, "8")).to_contain_text("22.000", timeout=5000)  # the espresso's bill still open
    page.keyboard.press("Escape")
    _close_shift(page, base, floor)
    assert problems == []
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["1280x800", "390x844"])
def test_table_names_fit_their_tiles(live_site, browser, floor, viewport):
    context, page, base, problems = _till(browser, live_site)
    page.set_viewport_size(viewport)
    page.keyboard.press("f")  # Tables (on a phone the cart, and its Tables button, is a pane of its own)
    expect(page.locator("#floor-dialog")).to_be_visible()
    expect(_tile(page, floor, LONG_NAME)).to_be_visible()
    overflowing = page.evaluate(OVERFLOWING_TILES, ["#floor-body", floor["area"]])
    page.screenshot(path=SCREENSHOTS / f"till-floor-{viewport['width']}.png")
    assert overflowing == []
    # A shortened name is still there in full for the eye (title) and for a screen reader.
    assert _tile(page, floor, LONG_NAME).get_attribute("title").startswith(LONG_NAME)
    # The dialog fits the screen and never scrolls sideways itself: a wide plan scrolls inside its own box.
    dialog = page.evaluate(
        "(() => { const d = document.getElementById('floor-dialog');"
        " return {right: d.getBoundingClientRect().right, scroll: d.scrollWidth, width: d.clientWidth}; })()"
    )
    assert dialog["right"] <= viewport["width"] and dialog["scroll"] <= dialog["width"], dialog
    page.keyboard.press("Escape")
    _close_shift(page, base, floor)
    assert problems == []
    context.close()


def _drag(page, tile, target, touch=False):
    """Drag `tile` onto the `target` cell: with the mouse, or a finger (Chrome's touch input via CDP)."""
    start, end = tile.bounding_box(), target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    steps = 8
    if not touch:
        page.mouse.move(x0, y0)
        page.mouse.down()
        for i in range(1, steps + 1):
            page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        page.mouse.up()
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, steps + 1):
        point = {"x": x0 + (x1 - x0) * i / steps, "y": y0 + (y1 - y0) * i / steps}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_the_owner_drags_and_deletes_tables_in_the_editor(live_site, browser, floor):
    from business.models import Outlet
    from sales.models import DiningTable, Order
    from sales.tests.factories import OrderFactory, RegisterFactory, ShiftFactory

    def busy_seven():  # an open tab at table 7, made straight in the database
        from accounts.models import User

        table = DiningTable.objects.get(area__name=floor["area"], name="7")
        shift = ShiftFactory(register=RegisterFactory(outlet=Outlet.objects.get(code="MAIN")),
                             opened_by=User.objects.get(username="cashier"))  # fmt: skip
        order = OrderFactory(shift=shift, table=table, table_label="7", order_type=Order.Type.DINE_IN, lines=0)
        return order.number

    number = floor["run"](busy_seven)
    context, page, base = sign_in(browser, live_site, "owner")
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("dialog", lambda box: (problems.append(f"browser {box.type}: {box.message}"), box.dismiss()))
    page.goto(f"{base}/backoffice/floor/")
    editor = ".floor-editor"

    def cell(column, row):
        return _area(page, floor, editor).locator(f".floor-cell[data-column='{column}'][data-row='{row}']")

    # Drag table 8 with the mouse to column 5, row 2, and the long one with a finger to column 8, row 3.
    _drag(page, _tile(page, floor, "8", editor), cell(5, 2))
    expect(page.locator("#floor-editor-status")).to_contain_text("8", timeout=5000)
    _drag(page, _tile(page, floor, LONG_NAME, editor), cell(8, 3), touch=True)
    expect(page.locator("#floor-editor-status")).to_contain_text(LONG_NAME, timeout=5000)
    page.screenshot(path=SCREENSHOTS / "floor-editor.png", full_page=True)
    page.reload()
    eight, long_one = _tile(page, floor, "8", editor), _tile(page, floor, LONG_NAME, editor)
    assert (eight.get_attribute("data-column"), eight.get_attribute("data-row")) == ("5", "2")
    assert (long_one.get_attribute("data-column"), long_one.get_attribute("data-row")) == ("8", "3")
    assert page.evaluate(OVERFLOWING_TILES, [editor, floor["area"]]) == []

    # Dropped on a busy cell (table 7's), table 8 stays where it was, with a message.
    _drag(page, _tile(page, floor, "8", editor), cell(1, 1))
    expect(page.locator("#floor-editor-status")).to_contain_text("already", timeout=5000)
    expect(_tile(page, floor, "8", editor)).to_have_attribute("data-column", "5")

    # Delete the free table 8; deleting table 7 (an open tab) is refused with a message.
    _tile(page, floor, "8", editor).click()
    page.get_by_role("button", name="Delete table").click()
    expect(page.locator(".message--success")).to_contain_text("deleted", timeout=5000)
    expect(_tile(page, floor, "8", editor)).to_have_count(0)
    _tile(page, floor, "7", editor).click()
    page.get_by_role("button", name="Delete table").click()
    expect(page.locator(".message--error")).to_contain_text(f"#{number}", timeout=5000)
    expect(_tile(page, floor, "7", editor)).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "floor-editor-delete-refused.png", full_page=True)

    def left():
        active = DiningTable.objects.filter(area__name=floor["area"], is_active=True)
        return sorted(active.values_list("name", flat=True))

    assert floor["run"](left) == sorted(["7", LONG_NAME, SPACED_NAME])
    assert problems == []
    context.close()
