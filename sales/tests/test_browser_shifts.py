"""Shifts in a real browser (issue 11, points 4, 5 and the console refund of 6): a cashier resumes their open
shift on a new device, a supervisor takes over or closes someone else's shift from the console, closing a shift
with open tabs moves them or has them approved, and a supervisor refunds a cash order from the console naming
the shift whose drawer pays out. Screenshots in test-artifacts/screenshots/.

The live site is shared by every browser test of a run: each test makes its own staff, registers and shifts
(unique names), so open shifts left by another test change nothing here.
"""

import uuid

import pytest
from django.db.models import Q

from conftest import STAFF_PASSWORD
from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.browser import SCREENSHOTS, live_tenant_call, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SUPERVISOR_PIN = "739164"


@pytest.fixture
def db_call(live_site, django_db_blocker):
    """Run `fn()` in the live site's tenant (pos_project.testing.browser.live_tenant_call)."""
    return lambda fn: live_tenant_call(live_site, django_db_blocker, fn)


_MADE: list[str] = []  # the registers and usernames this test made, for the clean-up


def _unique(prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    _MADE.extend((name, name.replace("-", "")))
    return name


@pytest.fixture(autouse=True)
def _clean_up(db_call):
    """What a test committed to the shared live site goes again afterwards (its staff, registers, shifts,
    orders, money, audit entries and events), so tests that later share this database start clean."""
    from django.utils import timezone

    started = timezone.now()
    yield

    def clean() -> None:
        from accounts.models import AuditEntry, User
        from core.models import OutboxEvent
        from sales.models import CashMovement, Order, Payment, Refund, Register, Shift

        shifts = Shift.objects.filter(register__name__in=_MADE)
        orders = Order.objects.filter(shift__in=shifts)
        Refund.objects.filter(Q(order__in=orders) | Q(shift__in=shifts)).delete()
        Payment.objects.filter(Q(order__in=orders) | Q(shift__in=shifts)).delete()
        orders.delete()
        CashMovement.objects.filter(shift__in=shifts).delete()
        shifts.delete()
        Register.objects.filter(name__in=_MADE).delete()
        users = User.objects.filter(username__in=_MADE)
        committed_rows_purge(AuditEntry.objects.filter(Q(actor__in=users) | Q(actor_username__in=_MADE)))
        users.delete()
        OutboxEvent.objects.filter(created_at__gte=started).delete()

    try:
        db_call(clean)
    finally:
        _MADE.clear()


@pytest.fixture
def make_staff(db_call):
    """A new staff member of `role` (a username no other test uses), with a PIN for supervisors."""

    def make(role: str) -> str:
        from accounts.services import staff_create, staff_set_pin

        username = _unique(f"h1{role}").replace("-", "")

        def create():
            user = staff_create(username=username, role=role.upper(), actor=None, password=STAFF_PASSWORD,
                                must_change_password=False, first_name=username.title())  # fmt: skip
            if role == "supervisor":
                staff_set_pin(user=user, pin=SUPERVISOR_PIN, actor=user)
            return username

        return db_call(create)

    return make


@pytest.fixture
def open_shift(db_call):
    """A shift opened by `username` on a new register of the main outlet (as if on another device)."""

    def make(username: str, register_name: str, float_minor: int = 0) -> int:
        from accounts.models import User
        from business.models import Outlet
        from sales.services.shifts import register_create, shift_open

        def create():
            register = register_create(outlet=Outlet.objects.get(code="MAIN"), name=register_name)
            user = User.objects.get(username=username)
            return shift_open(register=register, user=user, opening_float_minor=float_minor).pk

        return db_call(create)

    return make


@pytest.fixture
def open_tab(db_call):
    """An unpaid tab (sent, not paid) of `count` espressos on a shift, at a table."""

    def make(shift_id: int, table_label: str, count: int = 1) -> int:
        from catalog.models import Product
        from sales.models import Shift
        from sales.services.orders import LineRequest, order_submit

        def create():
            shift = Shift.objects.select_related("opened_by").get(pk=shift_id)
            espresso = Product.objects.get(sku="BRW-0")
            order = order_submit(shift=shift, user=shift.opened_by, idempotency_key=uuid.uuid4().hex,
                                 lines=[LineRequest(espresso.pk, quantity=count)], table_label=table_label,
                                 order_type="dine_in")  # fmt: skip
            return order.number

        return db_call(create)

    return make


def _open_shift_in_browser(page, base: str, register_name: str, opening_float: str = "0") -> None:
    assert page.url == f"{base}/till/shift/open/"
    page.select_option("#id_register", "new")
    page.fill("#id_register_name", register_name)
    page.fill("#id_opening_float", opening_float)
    with page.expect_navigation():
        page.click("text=Open shift")
    assert page.url == f"{base}/till/"


def _ring_and_pay_an_espresso(page) -> None:
    page.click(".product-tile >> text=Espresso")
    page.locator("#cart-lines .cart-line").first.wait_for()
    page.click("#cart-pay")
    page.locator("#pay-dialog").wait_for()
    page.click("#pay-submit")  # cash, the whole balance
    page.locator("#pay-new").wait_for()


def test_a_cashier_resumes_their_open_shift_in_a_new_browser_and_sells_on_it(live_site, browser, make_staff, db_call):
    from sales.models import Order, Shift

    cashier = make_staff("cashier")
    register = _unique("Resume")
    context, page, base = sign_in(browser, live_site, cashier)
    _open_shift_in_browser(page, base, register, "100.000")
    with page.expect_navigation():
        page.click("text=Sign out")
    context.close()

    # Another browser (or the same one after signing in again): the open shift is offered, not greyed out.
    context, page, _ = sign_in(browser, live_site, cashier)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.url == f"{base}/till/shift/open/"
    offer = page.locator("[data-testid=resume-shift]", has_text=register)
    assert offer.count() == 1, page.locator("main").inner_text()
    page.screenshot(path=SCREENSHOTS / "shift-resume.png")
    with page.expect_navigation():
        offer.get_by_role("button", name="Resume").click()
    assert page.url == f"{base}/till/"
    assert register in page.locator(".topbar__meta").inner_text()
    _ring_and_pay_an_espresso(page)

    shift = db_call(lambda: Shift.objects.get(register__name=register))
    statuses = db_call(lambda: list(Order.objects.filter(shift_id=shift.pk).values_list("status", flat=True)))
    assert shift.status == Shift.Status.OPEN and statuses == [Order.Status.PAID]
    assert errors == []
    context.close()


def test_a_supervisor_takes_over_one_shift_and_closes_another_from_the_console(
    live_site, browser, make_staff, open_shift, db_call
):
    from accounts.models import AuditEntry
    from sales.models import Shift

    cashier, supervisor = make_staff("cashier"), make_staff("supervisor")
    taken, closed = _unique("Taken"), _unique("Stranded")
    taken_id = open_shift(cashier, taken, 50_000)
    closed_id = open_shift(cashier, closed, 50_000)

    context, page, base = sign_in(browser, live_site, supervisor)
    assert page.url == f"{base}/supervisor/"
    row = page.locator("[data-testid=open-shift]", has_text=taken)
    assert row.count() == 1, page.locator("main").inner_text()
    assert cashier.title() in row.inner_text()
    page.screenshot(path=SCREENSHOTS / "supervisor-open-shifts.png", full_page=True)
    with page.expect_navigation():
        row.get_by_role("button", name="Take over").click()
    assert page.url == f"{base}/till/"
    assert taken in page.locator(".topbar__meta").inner_text()
    page.goto(f"{base}/till/shift/close/")
    page.fill("#d50000", "1")
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    assert "Z report" in page.locator("[data-testid=shift-report]").inner_text()

    # The other one is closed straight from the console, counted by the supervisor.
    page.goto(f"{base}/supervisor/")
    row = page.locator("[data-testid=open-shift]", has_text=closed)
    with page.expect_navigation():
        row.get_by_role("link", name="Close").click()
    assert closed in page.locator("[data-testid=shift-close]").inner_text()
    assert cashier.title() in page.locator("[data-testid=shift-close]").inner_text()
    page.fill("#d20000", "2")
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    # Rp 10.000 short of the Rp 50.000 float (20%): a warning to review, not green.
    variance = page.locator("[data-testid=variance]")
    assert "-Rp 10.000" in variance.inner_text()
    assert "positive" not in (variance.get_attribute("class") or "")
    assert page.locator("[data-testid=variance-review]").count() == 1
    page.screenshot(path=SCREENSHOTS / "z-report-variance-review.png", full_page=True)

    shifts = db_call(lambda: {s.pk: s for s in Shift.objects.filter(pk__in=[taken_id, closed_id])
                              .select_related("opened_by", "closed_by", "held_by")})  # fmt: skip
    assert [shifts[taken_id].status, shifts[closed_id].status] == [Shift.Status.CLOSED] * 2
    assert shifts[taken_id].opened_by.username == cashier and shifts[taken_id].held_by.username == supervisor
    assert shifts[taken_id].closed_by.username == supervisor == shifts[closed_id].closed_by.username
    assert shifts[taken_id].variance_minor == 0 and shifts[closed_id].variance_minor == -10_000
    audit = db_call(lambda: list(AuditEntry.objects.filter(action="shift.take_over", actor_username=supervisor)))
    assert len(audit) == 1 and audit[0].data["shift"] == taken_id
    context.close()


def test_closing_a_shift_with_open_tabs_moves_them_or_has_a_supervisor_approve_leaving_them(
    live_site, browser, make_staff, open_shift, open_tab, db_call
):
    from accounts.models import AuditEntry, User
    from sales.models import Order, Shift

    cashier, colleague, supervisor = make_staff("cashier"), make_staff("cashier"), make_staff("supervisor")
    mine, theirs, later = _unique("Tabs"), _unique("Other"), _unique("Later")
    other_id = open_shift(colleague, theirs)
    context, page, base = sign_in(browser, live_site, cashier)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _open_shift_in_browser(page, base, mine)
    my_id = db_call(lambda: Shift.objects.get(register__name=mine).pk)
    numbers = [open_tab(my_id, "T7"), open_tab(my_id, "T9", count=2)]

    page.goto(f"{base}/till/shift/close/")
    tabs = page.locator("[data-testid=open-tab]")
    assert tabs.count() == 2, page.locator("main").inner_text()
    listed = page.locator("[data-testid=open-tabs]").inner_text()
    for text in (f"#{numbers[0]}", f"#{numbers[1]}", "T7", "T9", "Rp 22.000", "Rp 44.000"):
        assert text in listed, text
    page.screenshot(path=SCREENSHOTS / "shift-close-open-tabs.png", full_page=True)
    # Closing without a choice is refused and closes nothing.
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    assert "open tab" in page.locator("p[role=alert]").inner_text()
    assert db_call(lambda: Shift.objects.get(pk=my_id).status) == Shift.Status.OPEN
    # Move both to the colleague's open shift.
    page.select_option("#id_target_shift", label=page.locator("#id_target_shift option", has_text=theirs).inner_text())
    with page.expect_navigation():
        page.click("text=Move them to that shift")
    assert page.locator("[data-testid=open-tab]").count() == 0
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    assert "Z report" in page.locator("[data-testid=shift-report]").inner_text()
    moved = db_call(lambda: list(Order.objects.filter(number__in=numbers, status="open", shift_id__in=[my_id, other_id])
                                 .values_list("shift_id", flat=True)))  # fmt: skip
    assert moved == [other_id, other_id]

    # A second shift with one tab left: a supervisor's PIN approves leaving it open.
    with page.expect_navigation():
        page.click("text=Open a new shift")
    _open_shift_in_browser(page, base, later)
    later_id = db_call(lambda: Shift.objects.get(register__name=later).pk)
    left = open_tab(later_id, "T3")
    page.goto(f"{base}/till/shift/close/")
    assert page.locator("[data-testid=open-tab]").count() == 1
    page.check("#id_leave_tabs")
    page.select_option("#id_approver", supervisor)  # the supervisors with a PIN, by username
    page.fill("#id_pin", SUPERVISOR_PIN)
    with page.expect_navigation():
        page.click("text=Close shift and print Z report")
    assert "Z report" in page.locator("[data-testid=shift-report]").inner_text()
    tab = db_call(lambda: Order.objects.get(number=left, shift_id=later_id))
    assert tab.status == Order.Status.OPEN
    audit = db_call(lambda: AuditEntry.objects.get(action="shift.tabs_left", target_label__contains=str(later_id)))
    approver_id = db_call(lambda: User.objects.get(username=supervisor).pk)
    assert audit.data["approved_by"] == approver_id and audit.data["orders"] == [left]
    assert errors == []
    context.close()


def test_a_supervisor_refunds_a_cash_order_from_the_console_out_of_a_named_open_shift(
    live_site, browser, make_staff, open_shift, db_call
):
    from catalog.models import Product
    from sales.models import Order, Refund, Shift
    from sales.selectors import shift_expected_cash
    from sales.services.orders import LineRequest, order_submit, payment_add

    cashier, supervisor = make_staff("cashier"), make_staff("supervisor")
    register = _unique("Drawer")
    shift_id = open_shift(cashier, register, 100_000)

    def sell() -> tuple[int, int]:
        shift = Shift.objects.select_related("opened_by").get(pk=shift_id)
        order = order_submit(shift=shift, user=shift.opened_by, idempotency_key=uuid.uuid4().hex,
                             lines=[LineRequest(Product.objects.get(sku="BRW-1").pk)])  # fmt: skip
        payment_add(order=order, user=shift.opened_by, tender="cash", amount_minor=order.total_minor,
                    idempotency_key=uuid.uuid4().hex)  # fmt: skip
        return order.pk, order.number

    order_id, number = db_call(sell)

    context, page, base = sign_in(browser, live_site, supervisor)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.url == f"{base}/supervisor/"
    with page.expect_navigation():
        page.click("main >> text=All orders")
    page.fill("input[name=number]", str(number))
    with page.expect_navigation():
        page.click("button:has-text('Search')")
    with page.expect_navigation():
        page.locator(f"a[href='/till/history/{order_id}/']").first.click()
    assert page.locator("[data-testid=order-detail]").count() == 1
    payout = page.locator("#id_payout_shift option", has_text=register)
    assert payout.count() == 1, page.locator("main").inner_text()
    page.select_option("#id_payout_shift", value=str(shift_id))
    page.fill("#id_reason", "Customer changed their mind")
    page.check("input[name=whole]")
    page.screenshot(path=SCREENSHOTS / "console-refund.png", full_page=True)
    with page.expect_navigation():
        page.click("text=Refund to the original tender")
    assert "Refund recorded" in page.locator("main").inner_text()

    refunds = db_call(lambda: list(Refund.objects.filter(order_id=order_id).values_list("shift_id", "tender",
                                                                                      "amount_minor")))  # fmt: skip
    assert refunds == [(shift_id, "cash", 32_000)]
    assert db_call(lambda: Order.objects.get(pk=order_id).status) == Order.Status.REFUNDED
    assert db_call(lambda: shift_expected_cash(Shift.objects.get(pk=shift_id))) == 100_000
    assert errors == []
    context.close()
