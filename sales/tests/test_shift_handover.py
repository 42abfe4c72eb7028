"""No stranded shifts (issue 11, points 4 and 5, and the console refund of 6): the holder resumes an open shift on
any device, a supervisor takes one over or closes it, a register has one open shift even when two people open it
at once, closing a shift never leaves its unpaid tabs without a word (moved, or left with a supervisor's
approval), a large count difference is flagged to review, and a refund names the open shift whose drawer pays."""

import threading
import uuid

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from accounts.services import staff_set_pin
from business.models import Outlet
from catalog.services import category_create, product_create
from pos_project.testing.append_only import committed_rows_purge
from sales.models import Order, Payment, Refund, Register, Shift
from sales.selectors import (
    _shift_key,
    shift_expected_cash,
    shift_open_on_register,
    shift_report,
    shifts_open,
    variance_needs_review,
)
from sales.services.orders import LineRequest, order_submit, payment_add
from sales.services.refunds import order_refund
from sales.services.shifts import register_create, shift_close, shift_open, shift_resume, shift_take_over
from sales.services.tabs import tabs_move_to_shift
from sales.views.till import SESSION_REGISTER

PIN = "739164"


def _codes(exc: pytest.ExceptionInfo) -> str:
    return exc.value.code


@pytest.fixture
def shop(in_tenant):
    # An outlet of its own: browser tests leave committed open shifts at the main outlet.
    outlet = Outlet.objects.create(name="Handover", code="HANDOVER")
    users = in_tenant.users
    tea = product_create(category=category_create(name="Tea"), name="Es teh", sku="ET", price_minor=10_000)

    def open_on(name: str, user=None, float_minor: int = 0) -> Shift:
        return shift_open(register=register_create(outlet=outlet, name=name), user=user or users[Role.CASHIER],
                          opening_float_minor=float_minor)  # fmt: skip

    def tab(shift: Shift, table: str = "7", quantity: int = 1) -> Order:
        return order_submit(shift=shift, user=shift.opened_by, idempotency_key=uuid.uuid4().hex, table_label=table,
                            order_type="dine_in", lines=[LineRequest(tea.pk, quantity=quantity)])  # fmt: skip

    _SINCE["pk"] = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {"outlet": outlet, "users": users, "tea": tea, "open_on": open_on, "tab": tab, "fixture": in_tenant}


_SINCE: dict[str, int] = {}


def _audit(action: str) -> list[AuditEntry]:
    """This test's audit entries of `action` (browser tests commit entries of the same actions)."""
    return list(AuditEntry.objects.filter(action=action, pk__gt=_SINCE["pk"]).order_by("pk"))


# --- Resume and take over -----------------------------------------------------------------------------------


def test_the_holder_resumes_their_shift_and_nobody_else_can(shop):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    shift = shop["open_on"]("Till A")
    assert shift.held_by_id == cashier.pk == shift.holder_id

    assert shift_resume(shift=shift, user=cashier).pk == shift.pk
    assert [e.actor_id for e in _audit("shift.resume")] == [cashier.pk]
    for stranger in (supervisor, shop["users"][Role.ADMIN_TENANT]):
        with pytest.raises(ValidationError, match="take it over from the supervisor console") as refused:
            shift_resume(shift=shift, user=stranger)
        assert _codes(refused) == "shift.not_yours"
    assert len(_audit("shift.resume")) == 1


def test_a_supervisor_takes_over_a_shift_and_it_changes_hands(shop):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    shift = shop["open_on"]("Till A")
    with pytest.raises(ValidationError) as refused:  # a cashier cannot take a colleague's shift
        shift_take_over(shift=shift, user=shop["fixture"].users[Role.KITCHEN])
    assert _codes(refused) == "access.denied"

    taken = shift_take_over(shift=shift, user=supervisor)
    assert taken.held_by_id == supervisor.pk and taken.opened_by_id == cashier.pk
    entry = _audit("shift.take_over")[0]
    assert entry.actor_id == supervisor.pk
    assert entry.data == {"shift": shift.pk, "register": shift.register_id, "from_user": cashier.pk,
                          "to_user": supervisor.pk}  # fmt: skip
    assert shift_take_over(shift=shift, user=supervisor).held_by_id == supervisor.pk  # again: nothing more
    assert len(_audit("shift.take_over")) == 1

    # Now the supervisor's: the cashier resumes or closes it no more, the supervisor does.
    with pytest.raises(ValidationError) as refused:
        shift_resume(shift=shift, user=cashier)
    assert _codes(refused) == "shift.not_yours"
    with pytest.raises(ValidationError) as refused:
        shift_close(shift=shift, user=cashier, denominations={})
    assert _codes(refused) == "access.denied" and Shift.objects.get(pk=shift.pk).is_open
    assert shift_close(shift=shift, user=supervisor, denominations={}).closed_by_id == supervisor.pk
    with pytest.raises(ValidationError, match="already closed"):
        shift_take_over(shift=shift, user=supervisor)


def test_a_take_over_is_seen_by_the_tills_cached_open_shift(shop):
    shift = shop["open_on"]("Till A")
    stale = Shift.objects.select_related("register__outlet").get(pk=shift.pk)
    cache.set(_shift_key(shift.register_id), stale, 60)  # what a till read a moment ago
    shift_take_over(shift=shift, user=shop["users"][Role.SUPERVISOR])
    assert shift_open_on_register(register_id=shift.register_id).holder_id == shop["users"][Role.SUPERVISOR].pk
    cache.set(_shift_key(shift.register_id), stale, 60)
    shift_close(shift=shift, user=shop["users"][Role.SUPERVISOR], denominations={})
    assert shift_open_on_register(register_id=shift.register_id) is None


def test_two_people_opening_the_same_register_at_once_make_one_shift(committed_db):
    alpha, _ = committed_db
    with tenant_context(alpha.tenant):
        outlet = Outlet.objects.create(name="Race shift outlet", code="RACE-SH")
        register = register_create(outlet=outlet, name="Race shift")
    people = [alpha.users[Role.CASHIER], alpha.users[Role.SUPERVISOR]]
    barrier, results, errors = threading.Barrier(2), [], []

    def open_it(user):
        try:
            with tenant_context(alpha.tenant):
                barrier.wait()
                results.append(shift_open(register=register, user=user, opening_float_minor=0).pk)
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_it, args=(user,)) for user in people]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with tenant_context(alpha.tenant):
            shifts = list(Shift.objects.filter(register=register).select_related("opened_by"))
        assert len(results) == 1 and len(errors) == 1 and [s.pk for s in shifts] == results
        winner = shifts[0].opened_by
        assert errors[0].code == "shift.already_open"
        assert f"Race shift already has an open shift, opened by {winner}" in errors[0].messages[0]
        assert "ask a supervisor to take it over" in errors[0].messages[0]
    finally:
        with tenant_context(alpha.tenant):
            committed_rows_purge(AuditEntry.objects.filter(target_label__contains="Race shift"))
            Shift.objects.filter(register=register).delete()
            Register.objects.filter(pk=register.pk).delete()
            Outlet.objects.filter(pk=outlet.pk).delete()
        connection.set_schema_to_public()


# --- Closing with open tabs ---------------------------------------------------------------------------------


def test_a_shift_with_open_tabs_does_not_close_without_a_supervisors_approval(shop):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    shift = shop["open_on"]("Till A")
    tabs = [shop["tab"](shift, "7"), shop["tab"](shift, "9", quantity=2)]
    for approver in (None, cashier):
        with pytest.raises(ValidationError, match="2 open tabs") as refused:
            shift_close(shift=shift, user=cashier, denominations={}, leave_tabs_approved_by=approver)
        assert _codes(refused) == "shift.open_tabs"
    # The page showed one tab, but two are open: nobody approves leaving a tab they never saw.
    with pytest.raises(ValidationError) as refused:
        shift_close(shift=shift, user=cashier, denominations={}, leave_tabs_approved_by=supervisor,
                    tabs_seen=[tabs[0].pk])  # fmt: skip
    assert _codes(refused) == "shift.open_tabs_changed"
    assert Shift.objects.get(pk=shift.pk).is_open and _audit("shift.tabs_left") == []

    closed = shift_close(shift=shift, user=cashier, denominations={}, leave_tabs_approved_by=supervisor,
                         tabs_seen=[t.pk for t in tabs])  # fmt: skip
    assert closed.status == Shift.Status.CLOSED
    [entry] = _audit("shift.tabs_left")
    assert entry.actor_id == cashier.pk and entry.target_label == f"Shift {shift.pk}"
    assert entry.data["approved_by"] == supervisor.pk
    assert entry.data["orders"] == [t.number for t in tabs] and entry.data["balance_minor"] == 30_000
    assert set(Order.objects.filter(pk__in=[t.pk for t in tabs]).values_list("status", flat=True)) == {"open"}


def test_open_tabs_move_to_another_open_shift_then_the_shift_closes(shop):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    shift, other = shop["open_on"]("Till A"), shop["open_on"]("Till B", user=supervisor)
    tabs = [shop["tab"](shift, "7"), shop["tab"](shift, "9")]
    pending = Payment.objects.create(order=tabs[0], shift=shift, tender="qr", status="pending", amount_minor=5_000,
                                     created_by=cashier)  # fmt: skip
    found = {s.pk: (s.open_tabs, s.open_balance_minor) for s in shifts_open(outlet_id=shop["outlet"].pk)}
    assert found == {shift.pk: (2, 20_000), other.pk: (0, 0)}

    moved = tabs_move_to_shift(source=shift, target=other, user=cashier)
    assert sorted(o.pk for o in moved) == sorted(t.pk for t in tabs)
    assert set(Order.objects.filter(pk__in=[t.pk for t in tabs]).values_list("shift_id", flat=True)) == {other.pk}
    assert Payment.objects.get(pk=pending.pk).shift_id == other.pk  # the QR charge lands where the tab is paid
    [entry] = _audit("shift.tabs_moved")
    assert entry.data == {"from": shift.pk, "to": other.pk, "orders": [o.number for o in moved],
                          "order_ids": [o.pk for o in moved]}  # fmt: skip
    assert tabs_move_to_shift(source=shift, target=other, user=cashier) == []  # moved already: nothing more

    assert shift_close(shift=shift, user=cashier, denominations={}, tabs_seen=[]).status == Shift.Status.CLOSED
    # The tabs are paid on the shift that has them now.
    payment_add(order=Order.objects.get(pk=tabs[1].pk), user=supervisor, tender="card", amount_minor=10_000,
                reference="A1", idempotency_key="pay-moved")  # fmt: skip
    assert Order.objects.get(pk=tabs[1].pk).status == Order.Status.PAID


def test_moving_tabs_is_refused_where_it_makes_no_sense_and_changes_nothing(shop):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    shift = shop["open_on"]("Till A")
    tab = shop["tab"](shift)
    other_outlet = Outlet.objects.create(name="Second", code="SECOND")
    elsewhere = shift_open(register=register_create(outlet=other_outlet, name="Far"), user=supervisor,
                           opening_float_minor=0)  # fmt: skip
    closed = shop["open_on"]("Till C", user=supervisor)
    shift_close(shift=closed, user=supervisor, denominations={})
    theirs = shop["open_on"]("Till D", user=supervisor)
    theirs_tab = shop["tab"](theirs)
    refusals = [
        ({"source": shift, "target": shift, "user": cashier}, "shift.move_same"),
        ({"source": shift, "target": elsewhere, "user": cashier}, "shift.move_other_outlet"),
        ({"source": shift, "target": closed, "user": cashier}, "shift.closed"),
        # A cashier moves the tabs of their own shift only.
        ({"source": theirs, "target": shift, "user": cashier}, "access.denied"),
    ]
    for kwargs, code in refusals:
        with pytest.raises(ValidationError) as refused:
            tabs_move_to_shift(**kwargs)
        assert _codes(refused) == code
    assert Order.objects.get(pk=tab.pk).shift_id == shift.pk
    assert Order.objects.get(pk=theirs_tab.pk).shift_id == theirs.pk
    assert _audit("shift.tabs_moved") == []


def test_tabs_left_on_a_closed_shift_are_taken_up_by_an_open_one(shop):
    supervisor = shop["users"][Role.SUPERVISOR]
    shift = shop["open_on"]("Till A")
    tab = shop["tab"](shift)
    shift_close(shift=shift, user=supervisor, denominations={}, leave_tabs_approved_by=supervisor)
    later = shop["open_on"]("Till B", user=supervisor)
    assert [o.pk for o in tabs_move_to_shift(source=shift, target=later, user=supervisor)] == [tab.pk]


# --- A large difference is to review ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "variance", "review"),
    [(200_000, 0, False), (200_000, -600, False), (200_000, -2_000, False), (200_000, -2_100, True),
     (200_000, 2_100, True), (0, 100, True), (0, 0, False), (None, None, False)],
)  # fmt: skip
def test_a_count_off_by_more_than_one_percent_is_to_review(expected, variance, review):
    assert variance_needs_review(expected_minor=expected, variance_minor=variance) is review


def test_the_z_report_and_the_close_audit_flag_a_large_difference(shop):
    cashier = shop["users"][Role.CASHIER]
    shift = shop["open_on"]("Till A", float_minor=50_000)
    shift_close(shift=shift, user=cashier, denominations={"20000": 2})
    report = shift_report(shift=Shift.objects.get(pk=shift.pk))
    assert report["variance_minor"] == -10_000 and report["variance_review"] is True
    assert _audit("shift.close")[0].data["review"] is True


# --- Pages --------------------------------------------------------------------------------------------------


def _client(shop, role):
    return shop["fixture"].client(role)


def test_the_open_page_offers_the_holder_their_shift_and_a_supervisor_a_take_over(shop, django_assert_max_num_queries):
    cashier = shop["users"][Role.CASHIER]
    shift = shop["open_on"]("Till A")
    shop["tab"](shift)
    client = _client(shop, Role.CASHIER)
    client.get("/till/shift/open/")  # the session's first load
    with django_assert_max_num_queries(9):
        page = client.get("/till/shift/open/").content.decode()
    assert 'data-testid="resume-shift"' in page and "Till A" in page and "1 open tab" in page
    assert "Take over" not in page

    supervisor = _client(shop, Role.SUPERVISOR)
    page = supervisor.get("/till/shift/open/").content.decode()
    assert 'data-testid="resume-shift"' not in page and 'data-testid="other-shift"' in page and "Take over" in page
    refused = supervisor.post("/till/shift/open/", {"action": "resume", "shift": shift.pk})
    assert refused.status_code == 400 and "take it over from the supervisor console" in refused.content.decode()
    assert SESSION_REGISTER not in supervisor.session

    resumed = client.post("/till/shift/open/", {"action": "resume", "shift": shift.pk})
    assert resumed.status_code == 302 and resumed["Location"] == "/till/"
    assert client.session[SESSION_REGISTER] == shift.register_id
    assert Shift.objects.get(pk=shift.pk).holder_id == cashier.pk


def test_a_cashier_cannot_take_over_from_the_open_page(shop):
    shift = shop["open_on"]("Till A", user=shop["users"][Role.SUPERVISOR])
    client = _client(shop, Role.CASHIER)
    refused = client.post("/till/shift/open/", {"action": "take_over", "shift": shift.pk})
    assert refused.status_code == 400 and "Only a supervisor" in refused.content.decode()
    assert Shift.objects.get(pk=shift.pk).holder_id == shop["users"][Role.SUPERVISOR].pk
    assert _audit("shift.take_over") == []


def test_the_console_lists_open_shifts_and_takes_one_over(shop, django_assert_max_num_queries):
    cashier = shop["users"][Role.CASHIER]
    shifts = [shop["open_on"](f"Till {n}") for n in range(3)]
    shop["tab"](shifts[0])
    client = _client(shop, Role.SUPERVISOR)
    client.get("/supervisor/")
    with django_assert_max_num_queries(13):
        page = client.get("/supervisor/").content.decode()
    assert page.count('data-testid="open-shift"') >= 3 and "Take over" in page
    assert all(f"/till/shift/{s.pk}/close/" in page for s in shifts)
    assert f"/till/shift/{shifts[1].pk}/close/" in page

    taken = client.post(f"/supervisor/shifts/{shifts[1].pk}/take-over/")
    assert taken.status_code == 302 and taken["Location"] == "/till/"
    assert client.session[SESSION_REGISTER] == shifts[1].register_id
    assert Shift.objects.get(pk=shifts[1].pk).held_by_id == shop["users"][Role.SUPERVISOR].pk
    assert client.get("/till/").status_code == 200
    # The cashier's take-over URL is not theirs to use; a closed shift cannot be taken over.
    assert _client(shop, Role.CASHIER).post(f"/supervisor/shifts/{shifts[2].pk}/take-over/").status_code == 403
    assert Shift.objects.get(pk=shifts[2].pk).held_by_id == cashier.pk
    shift_close(shift=shifts[2], user=cashier, denominations={})
    assert client.post(f"/supervisor/shifts/{shifts[2].pk}/take-over/").status_code == 404


def test_the_close_page_lists_open_tabs_and_moves_them(shop, django_assert_max_num_queries):
    cashier, supervisor = shop["users"][Role.CASHIER], shop["users"][Role.SUPERVISOR]
    client = _client(shop, Role.CASHIER)
    client.post("/till/shift/open/", {"register": "new", "register_name": "Mine", "opening_float": "0"})
    shift = Shift.objects.get(register__name="Mine", status="open")
    other = shift_open(register=register_create(outlet=shift.outlet, name="Theirs"), user=supervisor,
                       opening_float_minor=0)  # fmt: skip
    tabs = [shop["tab"](shift, "7"), shop["tab"](shift, "9", quantity=3)]
    with django_assert_max_num_queries(12):  # + the supervisors who can approve leaving the tabs, with a PIN
        page = client.get("/till/shift/close/").content.decode()
    assert page.count('data-testid="open-tab"') == 2
    for text in (f"#{tabs[0].number}", "7", "9", "Rp 10.000", "Rp 30.000", "Theirs"):
        assert text in page

    refused = client.post("/till/shift/close/", {"tab": [t.pk for t in tabs], "d10000": "1"})
    assert refused.status_code == 400 and "2 open tabs" in refused.content.decode()
    assert Shift.objects.get(pk=shift.pk).is_open
    no_pin = client.post("/till/shift/close/", {"tab": [t.pk for t in tabs], "leave_tabs": "1", "approver": "x"})
    assert no_pin.status_code == 400 and Shift.objects.get(pk=shift.pk).is_open

    moved = client.post("/till/shift/close/", {"action": "move_tabs", "target_shift": other.pk,
                                               "tab": [t.pk for t in tabs]})  # fmt: skip
    assert moved.status_code == 302 and moved["Location"] == "/till/shift/close/"
    assert set(Order.objects.filter(pk__in=[t.pk for t in tabs]).values_list("shift_id", flat=True)) == {other.pk}
    closed = client.post("/till/shift/close/", {"note": "done"})
    assert closed.status_code == 302 and Shift.objects.get(pk=shift.pk).closed_by_id == cashier.pk
    assert SESSION_REGISTER not in client.session


def test_a_supervisors_pin_approves_leaving_the_tabs(shop):
    supervisor = shop["users"][Role.SUPERVISOR]
    staff_set_pin(user=supervisor, pin=PIN, actor=supervisor)
    client = _client(shop, Role.CASHIER)
    client.post("/till/shift/open/", {"register": "new", "register_name": "Mine", "opening_float": "0"})
    shift = Shift.objects.get(register__name="Mine", status="open")
    tab = shop["tab"](shift)
    wrong = client.post("/till/shift/close/", {"tab": tab.pk, "leave_tabs": "1", "approver": supervisor.username,
                                               "pin": "000000"})  # fmt: skip
    assert wrong.status_code == 400 and Shift.objects.get(pk=shift.pk).is_open
    closed = client.post("/till/shift/close/", {"tab": tab.pk, "leave_tabs": "1", "approver": supervisor.username,
                                                "pin": PIN})  # fmt: skip
    assert closed.status_code == 302 and not Shift.objects.get(pk=shift.pk).is_open
    assert _audit("shift.tabs_left")[0].data["approved_by"] == supervisor.pk


def test_a_supervisor_closes_someone_elses_shift_from_the_console_and_a_cashier_cannot(shop):
    shift = shop["open_on"]("Theirs", float_minor=10_000)
    other = shop["open_on"]("Colleague", user=shop["users"][Role.ADMIN_TENANT])
    cashier = _client(shop, Role.CASHIER)
    assert cashier.get(f"/till/shift/{other.pk}/close/").status_code == 404  # not theirs: as if it did not exist
    assert cashier.post(f"/till/shift/{other.pk}/close/", {}).status_code == 404
    assert Shift.objects.get(pk=other.pk).is_open

    supervisor = _client(shop, Role.SUPERVISOR)
    page = supervisor.get(f"/till/shift/{shift.pk}/close/")
    assert page.status_code == 200 and "Theirs" in page.content.decode()
    assert "Back to the console" in page.content.decode()
    closed = supervisor.post(f"/till/shift/{shift.pk}/close/", {"d10000": "1"})
    assert closed.status_code == 302 and closed["Location"] == f"/shifts/{shift.pk}/report/"
    done = Shift.objects.get(pk=shift.pk)
    assert done.closed_by_id == shop["users"][Role.SUPERVISOR].pk and done.variance_minor == 0
    assert supervisor.get(f"/till/shift/{shift.pk}/close/").status_code == 404  # closed already


# --- A refund from the console names the drawer -------------------------------------------------------------


@pytest.fixture
def paid(shop):
    cashier = shop["users"][Role.CASHIER]
    shift = shop["open_on"]("Sold here", float_minor=100_000)
    order = order_submit(shift=shift, user=cashier, idempotency_key="sell", lines=[LineRequest(shop["tea"].pk)])
    payment_add(order=order, user=cashier, tender="cash", amount_minor=10_000, idempotency_key="pay")
    return {**shop, "shift": shift, "order": order}


def test_a_supervisor_refunds_from_the_console_out_of_the_open_shift_they_name(paid, django_assert_max_num_queries):
    order, shift = paid["order"], paid["shift"]
    drawer = paid["open_on"]("Drawer", user=paid["users"][Role.SUPERVISOR], float_minor=50_000)
    client = _client(paid, Role.SUPERVISOR)
    client.get(f"/till/history/{order.pk}/")
    # 11, and the business settings (does a refund need a second person?): read from the cache outside a test's
    # transaction, from the database (2) inside one.
    with django_assert_max_num_queries(13):
        page = client.get(f"/till/history/{order.pk}/").content.decode()
    assert 'id="id_payout_shift"' in page and "Drawer" in page and "Sold here" in page
    assert 'name="pin"' not in page  # the supervisor approves it themselves
    missing = client.post(f"/till/history/{order.pk}/", {"action": "refund", "whole": "1", "reason": "cold",
                                                         "key": "r0"})  # fmt: skip
    assert missing.status_code == 400 and "Choose the open shift" in missing.content.decode()
    done = client.post(f"/till/history/{order.pk}/", {"action": "refund", "whole": "1", "reason": "cold",
                                                      "payout_shift": drawer.pk, "key": "r1"})  # fmt: skip
    assert done.status_code == 302
    refund = Refund.objects.get(order=order)
    assert (refund.shift_id, refund.tender, refund.amount_minor) == (drawer.pk, "cash", 10_000)
    assert refund.approved_by_id == refund.created_by_id == paid["users"][Role.SUPERVISOR].pk
    assert shift_expected_cash(drawer) == 40_000 and shift_expected_cash(shift) == 110_000


def test_a_refund_with_no_open_shift_at_the_outlet_is_refused_clearly(paid):
    order, shift = paid["order"], paid["shift"]
    shift_close(shift=shift, user=paid["users"][Role.CASHIER], denominations={})
    client = _client(paid, Role.SUPERVISOR)
    page = client.get(f"/till/history/{order.pk}/").content.decode()
    assert 'data-testid="no-open-shift"' in page and "No shift is open at Handover" in page
    refused = client.post(f"/till/history/{order.pk}/", {"action": "refund", "whole": "1", "reason": "cold",
                                                         "payout_shift": shift.pk, "key": "r1"})  # fmt: skip
    assert refused.status_code == 400 and "No shift is open at Handover" in refused.content.decode()
    assert not Refund.objects.filter(order=order).exists() and Order.objects.get(pk=order.pk).status == "paid"


def test_a_refund_is_paid_out_of_a_shift_of_the_orders_outlet_only(paid):
    supervisor = paid["users"][Role.SUPERVISOR]
    far = shift_open(register=register_create(outlet=Outlet.objects.create(name="Far", code="FAR"), name="Far"),
                     user=supervisor, opening_float_minor=0)  # fmt: skip
    client = _client(paid, Role.SUPERVISOR)
    refused = client.post(f"/till/history/{paid['order'].pk}/", {"action": "refund", "whole": "1", "reason": "x",
                                                                 "payout_shift": far.pk, "key": "r1"})  # fmt: skip
    assert refused.status_code == 400 and "no longer open" in refused.content.decode()
    with pytest.raises(ValidationError) as wrong:  # the service says so too, whoever calls it
        order_refund(order=paid["order"], user=supervisor, approved_by=supervisor, reason="x", idempotency_key="r2",
                     lines=None, shift=far)  # fmt: skip
    assert _codes(wrong) == "refund.shift_other_outlet"
    assert not Refund.objects.filter(order=paid["order"]).exists()


def test_a_cashier_still_refunds_out_of_their_own_devices_shift_with_a_pin(paid):
    supervisor = paid["users"][Role.SUPERVISOR]
    staff_set_pin(user=supervisor, pin=PIN, actor=supervisor)
    client = _client(paid, Role.CASHIER)
    client.post("/till/shift/open/", {"action": "resume", "shift": paid["shift"].pk})
    page = client.get(f"/till/history/{paid['order'].pk}/").content.decode()
    assert 'id="id_payout_shift"' not in page and 'name="pin"' in page
    done = client.post(f"/till/history/{paid['order'].pk}/", {"action": "refund", "whole": "1", "reason": "cold",
                                                              "approver": supervisor.username, "pin": PIN,
                                                              "key": "r1"})  # fmt: skip
    assert done.status_code == 302
    assert Refund.objects.get(order=paid["order"]).shift_id == paid["shift"].pk
