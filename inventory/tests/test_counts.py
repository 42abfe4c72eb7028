"""Stock counts: freezing the sheet, entering and scanning, posting the differences through the ledger, pages."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from catalog.models import Category
from core.models import OutboxEvent
from inventory.models import StockCount, StockCountLine, StockItem, StockLevel, StockMovement
from inventory.selectors.counts import count_review
from inventory.services.counts import count_cancel, count_enter, count_post, count_scan, count_start
from inventory.services.stock import MovementLine, movements_post

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

D = Decimal


def _receive(item: StockItem, outlet, quantity: str) -> None:
    movements_post(
        outlet_id=outlet.pk,
        kind=StockMovement.Kind.RECEIVING,
        lines=[MovementLine(item_id=item.pk, quantity=D(quantity))],
        source_type="receipt",
    )


def _line(count: StockCount, item: StockItem) -> StockCountLine:
    return StockCountLine.objects.get(count=count, item=item)


@pytest.fixture
def owner_user(tenant):
    return tenant.users[Role.ADMIN_TENANT]


@pytest.fixture
def shelf(in_tenant):
    """Four items at the default outlet: milk 10, beans 5, cups none yet, sugar 7; and an archived item that no
    count lists."""
    outlet = outlet_default()
    milk = stock_item(name="Milk", cost="12.5", barcode="8990001")
    beans = stock_item(name="Beans", cost="300")
    cups = stock_item(name="Cups", cost="40", sku="CUP-12")
    sugar = stock_item(name="Sugar", cost="7")
    stock_item(name="Old syrup", is_archived=True)
    _receive(milk, outlet, "10")
    _receive(beans, outlet, "5")
    _receive(sugar, outlet, "7")
    return {"outlet": outlet, "milk": milk, "beans": beans, "cups": cups, "sugar": sugar}


# --- Services ---------------------------------------------------------------------------------------------------


def test_the_sheet_freezes_every_active_item_with_the_level_and_cost_of_the_moment(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user, note="  month end ")
    lines = {line.item.name: line for line in count.lines.select_related("item")}
    assert set(lines) == {"Milk", "Beans", "Cups", "Sugar"}  # not the archived syrup
    assert (lines["Milk"].expected, lines["Cups"].expected, lines["Sugar"].expected) == (D(10), D(0), D(7))
    assert lines["Milk"].unit_cost == D("12.5") and all(line.counted is None for line in lines.values())
    assert count.status == StockCount.Status.OPEN and count.note == "month end"
    _receive(shelf["milk"], shelf["outlet"], "3")  # sold/received later: the sheet keeps what it froze
    assert _line(count, shelf["milk"]).expected == D(10)
    assert_ledger_consistent()


def test_a_posted_count_sets_counted_levels_through_count_movements(shelf, owner_user):
    outlet = shelf["outlet"]
    count = count_start(outlet=outlet, user=owner_user)
    ids = {name: _line(count, shelf[name]).pk for name in ("milk", "beans", "cups", "sugar")}
    saved = count_enter(
        count=count, entries={ids["milk"]: "8", ids["beans"]: "5", ids["cups"]: "3,5", ids["sugar"]: ""}
    )
    assert saved == 3  # sugar left blank: not counted

    movements = count_post(count=count, user=owner_user)

    assert level_of(shelf["milk"], outlet) == D(8)
    assert level_of(shelf["beans"], outlet) == D(5)
    assert level_of(shelf["cups"], outlet) == D("3.5")
    assert level_of(shelf["sugar"], outlet) == D(7)  # uncounted: left as it was
    posted = StockMovement.objects.filter(source_type="count", source_id=count.pk).order_by("item__name")
    assert len(movements) == 2
    assert [(m.item.name, m.kind, m.quantity) for m in posted] == [
        ("Cups", StockMovement.Kind.COUNT, D("3.5")),
        ("Milk", StockMovement.Kind.COUNT, D(-2)),
    ]
    assert posted.get(item=shelf["milk"]).unit_cost == D("12.5")
    assert posted.get(item=shelf["milk"]).source_line_id == ids["milk"]
    count.refresh_from_db()
    assert count.status == StockCount.Status.POSTED and count.posted_by == owner_user and count.posted_at
    entry = AuditEntry.objects.get(action="stock.count_post", target_label=str(count))
    assert entry.actor == owner_user and entry.data["lines_moved"] == 2
    assert entry.data["value_minor"] == -25 + 140  # milk −2 × 12.5, cups +3.5 × 40
    assert_ledger_consistent()


def test_a_count_can_take_stock_below_what_the_books_say_but_never_posts_twice(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    count_enter(count=count, entries={_line(count, shelf["beans"]).pk: "0"})
    count_post(count=count, user=owner_user)
    with pytest.raises(ValidationError) as exc:
        count_post(count=count, user=owner_user)
    assert exc.value.code == "stock_count.posted" and exc.value.status == 409
    assert StockMovement.objects.filter(source_type="count", source_id=count.pk).count() == 1
    assert level_of(shelf["beans"], shelf["outlet"]) == D(0)
    assert AuditEntry.objects.filter(action="stock.count_post").count() == 1
    with pytest.raises(ValidationError, match="has been posted"):
        count_enter(count=count, entries={_line(count, shelf["beans"]).pk: "9"})
    with pytest.raises(ValidationError, match="has been posted"):
        count_cancel(count=count, user=owner_user)
    assert_ledger_consistent()


def test_scanning_a_barcode_or_sku_adds_to_the_counted_quantity(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    first = count_scan(count=count, code=" 8990001 ", idempotency_key=uuid.uuid4().hex)
    count_scan(count=count, code="8990001", idempotency_key=uuid.uuid4().hex)
    assert first.added == D(1) and not first.replayed
    assert _line(count, shelf["milk"]).counted == D(2)
    count_scan(count=count, code="cup-12", quantity="2.5", idempotency_key=uuid.uuid4().hex)  # SKU, any case
    assert _line(count, shelf["cups"]).counted == D("2.5")

    key = uuid.uuid4().hex  # the same scan sent twice (double Enter, a retry) counts once
    count_scan(count=count, code="8990001", idempotency_key=key)
    again = count_scan(count=count, code="8990001", idempotency_key=key)
    assert again.replayed and again.line.counted == D(3)
    assert _line(count, shelf["milk"]).counted == D(3)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).count() == 0  # nothing moves until posted


def test_a_count_scan_retried_with_redis_down_is_counted_once(shelf, owner_user, settings):
    """The retry of a scan (the same key) adds nothing, whether or not Redis is up: the key is claimed in the
    database, in the scan's own transaction (docs/adr/0006)."""
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    key = uuid.uuid4().hex
    first = count_scan(count=count, code="8990001", quantity="2", idempotency_key=key)
    again = count_scan(count=count, code="8990001", quantity="2", idempotency_key=key)
    assert (first.added, first.replayed) == (D(2), False)
    assert (again.added, again.replayed) == (D(0), True)
    assert _line(count, shelf["milk"]).counted == D(2)


def test_a_scan_key_reused_for_another_scan_is_refused_and_counts_nothing(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    key = uuid.uuid4().hex
    count_scan(count=count, code="8990001", idempotency_key=key)
    with pytest.raises(ValidationError) as exc:
        count_scan(count=count, code="CUP-12", idempotency_key=key)
    assert (exc.value.code, exc.value.status) == ("idempotency.key_reused", 422)
    assert (_line(count, shelf["milk"]).counted, _line(count, shelf["cups"]).counted) == (D(1), None)


def test_a_refused_scan_keeps_no_key(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    key = uuid.uuid4().hex
    with pytest.raises(ValidationError, match="No item on this count sheet"):
        count_scan(count=count, code="899000", idempotency_key=key)  # a digit short
    assert count_scan(count=count, code="8990001", idempotency_key=key).added == D(1)


def test_posting_announces_stock_count_posted(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    count_enter(count=count, entries={_line(count, shelf["milk"]).pk: "8"})
    count_post(count=count, user=owner_user)
    event = OutboxEvent.objects.get(name="stock_count.posted")
    assert event.payload == {
        "stock_count": count.pk, "outlet": shelf["outlet"].pk, "category": None,
        "lines_moved": 1, "value_minor": -25, "variances": {str(shelf["milk"].pk): "-2"},
        "from": "open", "to": "posted",
    }  # fmt: skip


def test_an_unknown_code_or_bad_quantity_is_refused_with_a_message_and_changes_nothing(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    with pytest.raises(ValidationError) as exc:
        count_scan(count=count, code="NOPE-42", idempotency_key=uuid.uuid4().hex)
    assert exc.value.messages == ["No item on this count sheet has the barcode or SKU “NOPE-42”."]
    with pytest.raises(ValidationError, match="cannot be zero"):
        count_scan(count=count, code="8990001", quantity="0")
    with pytest.raises(ValidationError, match="Scan or type"):
        count_scan(count=count, code="  ")
    assert not StockCountLine.objects.filter(count=count, counted__isnull=False).exists()


def test_a_code_only_on_an_item_outside_the_sheet_does_not_match(shelf, owner_user):
    coffee = Category.objects.create(name="Coffee")
    shelf["beans"].category = coffee
    shelf["beans"].save()
    count = count_start(outlet=shelf["outlet"], user=owner_user, category=coffee)
    with pytest.raises(ValidationError, match="No item on this count sheet"):
        count_scan(count=count, code="8990001")  # milk's barcode: milk is not in this count


def test_every_bad_quantity_is_listed_by_item_and_nothing_is_saved(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    milk, beans, cups = (_line(count, shelf[n]) for n in ("milk", "beans", "cups"))
    count_enter(count=count, entries={cups.pk: "1"})
    with pytest.raises(ValidationError) as exc:
        count_enter(count=count, entries={milk.pk: "abc", beans.pk: "-1", cups.pk: "4", 0: "1"})
    messages = exc.value.messages
    assert "Milk: “abc” is not a number." in messages
    assert "Beans: The quantity cannot be negative." in messages
    assert "Some lines are not on this count sheet; reload the page." in messages
    assert exc.value.message_dict[str(milk.pk)] == ["Milk: “abc” is not a number."]
    assert [_line(count, shelf[n]).counted for n in ("milk", "beans", "cups")] == [None, None, D(1)]
    with pytest.raises(ValidationError, match="Cups: Use at most three decimals"):
        count_enter(count=count, entries={cups.pk: "1.2345"})
    assert _line(count, shelf["cups"]).counted == D(1)


def test_a_second_open_count_for_the_same_outlet_and_category_is_refused(shelf, owner_user):
    outlet = shelf["outlet"]
    coffee, dairy = Category.objects.create(name="Coffee"), Category.objects.create(name="Dairy")
    shelf["beans"].category = coffee
    shelf["beans"].save()
    shelf["milk"].category = dairy
    shelf["milk"].save()
    first = count_start(outlet=outlet, user=owner_user, category=coffee)
    with pytest.raises(ValidationError) as exc:
        count_start(outlet=outlet, user=owner_user, category=coffee)
    assert exc.value.messages == [
        f"There is already an open count at {outlet.name} ({first}, Coffee). Post or cancel it first."
    ]
    with pytest.raises(ValidationError, match="already an open count"):  # all items would overlap coffee
        count_start(outlet=outlet, user=owner_user)
    count_start(outlet=outlet, user=owner_user, category=dairy)  # another category: fine
    other = second_outlet()
    count_start(outlet=other, user=owner_user, category=coffee)  # another outlet: fine
    assert StockCount.objects.filter(status=StockCount.Status.OPEN).count() == 3
    count_cancel(count=first, user=owner_user)
    count_cancel(count=first, user=owner_user)  # twice: harmless
    assert AuditEntry.objects.filter(action="stock.count_cancel", target_label=str(first)).count() == 1
    count_start(outlet=outlet, user=owner_user, category=coffee)  # after cancelling: fine again
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).count() == 0
    assert_ledger_consistent()


def test_a_category_count_lists_only_that_categorys_items(shelf, owner_user):
    coffee = Category.objects.create(name="Coffee")
    for name in ("beans", "cups"):
        shelf[name].category = coffee
        shelf[name].save()
    stock_item(name="Retired beans", category=coffee, is_archived=True)
    count = count_start(outlet=shelf["outlet"], user=owner_user, category=coffee)
    assert sorted(count.lines.values_list("item__name", flat=True)) == ["Beans", "Cups"]
    empty = Category.objects.create(name="Empty")
    with pytest.raises(ValidationError, match="no stock items in Empty"):
        count_start(outlet=shelf["outlet"], user=owner_user, category=empty)
    assert not StockCount.objects.filter(category=empty).exists()


def test_the_review_values_each_difference_and_adds_them_up(shelf, owner_user):
    count = count_start(outlet=shelf["outlet"], user=owner_user)
    entries = {_line(count, shelf["milk"]).pk: "9.96", _line(count, shelf["beans"]).pk: "5"}
    entries[_line(count, shelf["cups"]).pk] = "1"
    count_enter(count=count, entries=entries)
    review = count_review(count)
    assert [line.item.name for line in review.lines] == ["Cups", "Milk"]  # beans matches: not listed
    milk = next(line for line in review.lines if line.item.name == "Milk")
    assert milk.value_minor == -1  # −0.04 × 12.5 = −0.5, rounded half away from zero
    assert (review.total_minor, review.gain_minor, review.loss_minor) == (39, 40, -1)
    assert (review.counted, review.uncounted, review.moved_since) == (3, 1, 0)
    _receive(shelf["sugar"], shelf["outlet"], "1")
    assert count_review(count).moved_since == 1


# --- Pages ------------------------------------------------------------------------------------------------------


def _make_count(tenant, *, items: int = 3) -> StockCount:
    with tenant_context(tenant.tenant):
        outlet = outlet_default()
        made = [stock_item(name=f"Thing {i:04d}", barcode=f"BC{i:04d}") for i in range(items)]
        _receive(made[0], outlet, "4")
        return count_start(outlet=outlet, user=tenant.users[Role.ADMIN_TENANT])


def test_owner_counts_end_to_end_through_the_pages(tenant):
    owner = tenant.client(Role.ADMIN_TENANT)
    with tenant_context(tenant.tenant):
        outlet = outlet_default()
        flour = stock_item(name="Flour", unit="g", cost="0.05", barcode="777")
        eggs = stock_item(name="Eggs", cost="2000")
        _receive(flour, outlet, "1000")

    form = owner.get(reverse("inventory:count_create"))
    assert form.status_code == 200 and "All items" in form.content.decode()
    response = owner.post(reverse("inventory:count_create"), {"outlet": outlet.pk, "category": "", "note": "Q3"})
    with tenant_context(tenant.tenant):
        count = StockCount.objects.get(note="Q3")
        flour_line, eggs_line = _line(count, flour), _line(count, eggs)
    assert response.status_code == 302 and response["Location"] == reverse("inventory:count_detail", args=[count.pk])

    again = owner.post(reverse("inventory:count_create"), {"outlet": outlet.pk, "category": ""})  # double submit
    assert again.status_code == 400 and "already an open count" in again.content.decode()

    sheet = owner.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    assert "Flour" in sheet and f'name="line-{flour_line.pk}"' in sheet and 'id="scan-box"' in sheet

    url = reverse("inventory:count_detail", args=[count.pk])
    saved = owner.post(url, {f"line-{flour_line.pk}": "950", f"was-{flour_line.pk}": "",
                             f"line-{eggs_line.pk}": "", f"was-{eggs_line.pk}": ""})  # fmt: skip
    assert saved.status_code == 302

    scan_url = reverse("inventory:count_scan", args=[count.pk])
    scanned = owner.post(scan_url, {"code": "777", "quantity": "50", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="true")
    html = scanned.content.decode()
    assert scanned.status_code == 200 and "Counted 50 × Flour: now 1000 g." in html
    assert f'id="line-{flour_line.pk}" hx-swap-oob="true"' in html and 'value="1000"' in html

    review = owner.get(reverse("inventory:count_review", args=[count.pk])).content.decode()
    assert "No differences" in review and "1 item was not counted" in review

    owner.post(scan_url, {"code": "777", "quantity": "10", "key": uuid.uuid4().hex})  # without htmx: redirect
    review = owner.get(reverse("inventory:count_review", args=[count.pk])).content.decode()
    assert "Flour" in review and "Eggs" not in review and "Rp 1" in review  # +10 g × 0.05 = 0.5 → 1

    post_url = reverse("inventory:count_post", args=[count.pk])
    assert owner.post(post_url).status_code == 302
    second = owner.post(post_url, follow=True)  # a double click
    assert "was already posted" in second.content.decode()
    with tenant_context(tenant.tenant):
        assert level_of(flour, outlet) == D(1010)
        assert list(StockMovement.objects.filter(kind="count").values_list("quantity", flat=True)) == [D(10)]
        assert_ledger_consistent()
    closed = owner.get(url).content.decode()
    assert f'name="line-{flour_line.pk}"' not in closed and "scan-box" not in closed


def test_a_bad_value_on_the_sheet_is_shown_per_item_and_nothing_is_saved(tenant):
    count = _make_count(tenant)
    with tenant_context(tenant.tenant):
        a, b, c = count.lines.order_by("item__name")
    client = tenant.client(Role.SUPERVISOR)
    url = reverse("inventory:count_detail", args=[count.pk])
    data = {f"line-{a.pk}": "2x", f"was-{a.pk}": "", f"line-{b.pk}": "-3", f"was-{b.pk}": "",
            f"line-{c.pk}": "7", f"was-{c.pk}": ""}  # fmt: skip
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was saved" in html
    assert "Thing 0000: “2x” is not a number." in html and "Thing 0001: The quantity cannot be negative." in html
    assert 'value="2x"' in html and 'value="7"' in html  # what was typed stays, to correct it
    with tenant_context(tenant.tenant):
        assert not count.lines.filter(counted__isnull=False).exists()


def test_saving_a_page_late_does_not_wipe_a_scan_made_meanwhile(tenant):
    count = _make_count(tenant)
    with tenant_context(tenant.tenant):
        a, b, _ = count.lines.order_by("item__name")
    client = tenant.client(Role.SUPERVISOR)
    client.post(reverse("inventory:count_scan", args=[count.pk]), {"code": "BC0000", "key": uuid.uuid4().hex})
    # The page was drawn before the scan: a's field was blank then and still is; only b was typed.
    data = {f"line-{a.pk}": "", f"was-{a.pk}": "", f"line-{b.pk}": "2", f"was-{b.pk}": ""}
    client.post(reverse("inventory:count_detail", args=[count.pk]), data)
    with tenant_context(tenant.tenant):
        a.refresh_from_db()
        b.refresh_from_db()
    assert (a.counted, b.counted) == (D(1), D(2))


def test_an_unknown_scan_says_so_in_the_scan_box(tenant):
    count = _make_count(tenant)
    response = tenant.client(Role.SUPERVISOR).post(
        reverse("inventory:count_scan", args=[count.pk]), {"code": "ZZZ", "key": uuid.uuid4().hex}, HTTP_HX_REQUEST="1"
    )
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx: the refusal is shown in the box
    assert "No item on this count sheet has the barcode or SKU “ZZZ”." in html and 'value="ZZZ"' in html
    assert "hx-swap-oob" not in html
    with tenant_context(tenant.tenant):
        assert not count.lines.filter(counted__isnull=False).exists()


def test_a_supervisor_can_post_and_cancel(tenant):
    count = _make_count(tenant)
    client = tenant.client(Role.SUPERVISOR)
    page = client.get(reverse("inventory:count_list")).content.decode()
    assert str(count) in page and "layout-supervisor" in page and "0 / 3" in page
    with tenant_context(tenant.tenant):
        line = count.lines.get(item__name="Thing 0000")
    client.post(reverse("inventory:count_detail", args=[count.pk]), {f"line-{line.pk}": "1", f"was-{line.pk}": ""})
    assert client.post(reverse("inventory:count_post", args=[count.pk])).status_code == 302
    with tenant_context(tenant.tenant):
        assert StockCount.objects.get(pk=count.pk).status == StockCount.Status.POSTED
        assert StockMovement.objects.get(kind="count").quantity == D(-3)
        assert_ledger_consistent()
    other = _make_count(tenant, items=1)
    assert client.post(reverse("inventory:count_cancel", args=[other.pk])).status_code == 302
    with tenant_context(tenant.tenant):
        assert StockCount.objects.get(pk=other.pk).status == StockCount.Status.CANCELLED


def _routes(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("inventory:count_list")),
        ("get", reverse("inventory:count_create")),
        ("post", reverse("inventory:count_create")),
        ("get", reverse("inventory:count_detail", args=[pk])),
        ("post", reverse("inventory:count_detail", args=[pk])),
        ("post", reverse("inventory:count_scan", args=[pk])),
        ("get", reverse("inventory:count_review", args=[pk])),
        ("post", reverse("inventory:count_post", args=[pk])),
        ("post", reverse("inventory:count_cancel", args=[pk])),
    ]


def _snapshot(tenant):
    with tenant_context(tenant.tenant):
        return (
            list(StockCount.objects.order_by("pk").values_list("pk", "status")),
            list(StockCountLine.objects.order_by("pk").values_list("pk", "counted")),
            StockMovement.objects.count(),
            list(StockLevel.objects.order_by("pk").values_list("pk", "quantity")),
            AuditEntry.objects.count(),
        )


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_cashiers_and_kitchen_staff_are_refused_and_nothing_changes(tenant, role):
    count = _make_count(tenant)
    with tenant_context(tenant.tenant):
        line = count.lines.first()
        outlet = outlet_default()
    client = tenant.client(role)
    before = _snapshot(tenant)
    data = {"outlet": outlet.pk, f"line-{line.pk}": "5", f"was-{line.pk}": "", "code": "BC0000"}
    for method, path in _routes(count.pk):
        response = getattr(client, method)(path, data) if method == "post" else client.get(path)
        assert response.status_code == 403, (method, path, response.status_code)
    assert _snapshot(tenant) == before


def test_anonymous_visitors_are_sent_to_sign_in(tenant):
    count = _make_count(tenant)
    for method, path in _routes(count.pk):
        response = getattr(tenant.client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_another_tenants_counts_answer_404(tenant, other_tenant):
    count = _make_count(tenant)
    with tenant_context(tenant.tenant):
        line = count.lines.first()
    client = other_tenant.client(Role.ADMIN_TENANT)
    before = _snapshot(tenant)
    for method, path in _routes(count.pk)[3:]:
        data = {f"line-{line.pk}": "5", "code": "BC0000"}
        response = getattr(client, method)(path, data) if method == "post" else client.get(path)
        assert response.status_code == 404, (method, path, response.status_code)
    assert _snapshot(tenant) == before


def test_the_count_pages_have_a_bounded_query_count_with_a_thousand_items(tenant, django_assert_max_num_queries):
    """The sheet shows a page of lines: 1,000 items cost the same few queries as three."""
    with tenant_context(tenant.tenant):
        outlet = outlet_default()
        StockItem.objects.bulk_create(
            [StockItem(name=f"Bulk {i:04d}", sku=f"BULK-{i:04d}", cost=D(i)) for i in range(1000)]
        )
        items = list(StockItem.objects.filter(sku__startswith="BULK-").order_by("pk"))
        movements_post(
            outlet_id=outlet.pk,
            kind=StockMovement.Kind.RECEIVING,
            lines=[MovementLine(item_id=item.pk, quantity=D(5)) for item in items],
            source_type="receipt",
        )
        with CaptureQueriesContext(connection) as start:
            count = count_start(outlet=outlet, user=tenant.users[Role.ADMIN_TENANT])
        assert count.lines.count() == 1000
        assert len(start.captured_queries) <= 8  # one bulk insert, not one per item
        lines = list(count.lines.order_by("pk"))
        for line in lines[::2]:
            line.counted = line.expected - 1
        StockCountLine.objects.bulk_update(lines[::2], ["counted"])
    client = tenant.client(Role.ADMIN_TENANT)
    client.get(reverse("inventory:count_list"))  # warm-up: the session
    for name, budget in [("count_detail", 12), ("count_review", 12)]:
        with django_assert_max_num_queries(budget):
            response = client.get(reverse(f"inventory:{name}", args=[count.pk]))
        assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("inventory:count_list")).status_code == 200
    sheet = response.content.decode()
    assert sheet.count("<tr>") >= 500  # the review lists every difference
    page = client.get(reverse("inventory:count_detail", args=[count.pk]) + "?page=10").content.decode()
    assert "Page 10 of 10" in page and page.count('name="line-') == 100
    with tenant_context(tenant.tenant):
        assert_ledger_consistent()
