"""Stock adjustments: the service (whole-batch validation, approval, ledger), the pages, and the rate limit."""

import logging
import re
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.core import get_usage
from django_tenants.utils import tenant_context

from accounts.models import AuditEntry, Role
from business.selectors import outlet_default
from core.models import OutboxEvent
from inventory.models import StockAdjustment, StockAdjustmentLine, StockItem, StockLevel, StockMovement, StockSettings
from inventory.services.adjustments import (
    AdjustmentLineInput,
    adjustment_approve,
    adjustment_csv_parse,
    adjustment_reject,
    adjustment_submit,
)
from inventory.services.stock import MovementLine, OutOfStock, movements_post
from inventory.views import adjustments as adjustment_views

from .stock_helpers import assert_ledger_consistent, level_of, second_outlet, stock_item

Status = StockAdjustment.Status


@pytest.fixture(autouse=True)
def _fresh_rate_limits(tenant):
    """Rate-limit counters live in Redis, outside the test's transaction: start each test from zero."""
    with tenant_context(tenant.tenant):
        cache.delete_pattern("rl:*")
    yield
    with tenant_context(tenant.tenant):
        cache.delete_pattern("rl:*")


@pytest.fixture
def outlet(in_tenant):
    return outlet_default()


def _stock(item, outlet, quantity: str) -> None:
    movements_post(outlet_id=outlet.pk, kind="receiving", lines=[MovementLine(item.pk, Decimal(quantity))],
                   source_type="test")  # fmt: skip


def _threshold(minor: int | None, *, staff: int | None | str = "same") -> None:
    """Supervisors' threshold, and cashiers' and kitchen staff's (the same unless told)."""
    settings = StockSettings.objects.first() or StockSettings.objects.create()
    settings.adjustment_approval_minor = minor
    settings.staff_adjustment_approval_minor = minor if staff == "same" else staff
    settings.save()


def _many_items(n: int, prefix: str = "BULK") -> list[StockItem]:
    StockItem.objects.bulk_create(
        [StockItem(name=f"{prefix} item {i:04}", sku=f"{prefix}-{i:04}", cost=Decimal("12.5")) for i in range(n)]
    )
    return list(StockItem.objects.filter(sku__startswith=f"{prefix}-").order_by("sku"))


def _nothing_saved() -> None:
    assert StockAdjustment.objects.count() == 0
    assert StockAdjustmentLine.objects.count() == 0
    assert StockMovement.objects.filter(source_type="adjustment").count() == 0
    assert not AuditEntry.objects.filter(action__startswith="stock.adjustment").exists()


# --- Service ----------------------------------------------------------------------------------------------------


def test_a_thousand_line_adjustment_posts_in_a_bounded_number_of_queries(in_tenant, outlet):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    items = _many_items(1000)
    _stock(items[0], outlet, "10")
    lines = [(item.sku, "-4" if n == 0 else str(n % 7 + 1)) for n, item in enumerate(items)]
    with CaptureQueriesContext(connection) as ctx:
        adjustment = adjustment_submit(outlet=outlet, user=owner, reason="correction", lines=lines,
                                       idempotency_key="bulk-1000")  # fmt: skip
    assert len(ctx.captured_queries) <= 20, [q["sql"][:80] for q in ctx.captured_queries]

    assert adjustment.status == Status.POSTED and adjustment.decided_by == owner
    assert adjustment.lines.count() == 1000
    movements = StockMovement.objects.filter(source_type="adjustment", source_id=adjustment.pk)
    assert movements.count() == 1000
    assert set(movements.values_list("kind", flat=True)) == {"adjustment"}
    assert level_of(items[0], outlet) == Decimal(6)
    assert level_of(items[1], outlet) == Decimal(2)
    assert level_of(items[999], outlet) == Decimal(999 % 7 + 1)
    expected_value = sum(abs(Decimal(q)) * Decimal("12.5") for _, q in lines)
    assert adjustment.value_minor == int(expected_value.quantize(Decimal(1)))
    assert AuditEntry.objects.filter(action="stock.adjustment_submit", target_label=str(adjustment)).count() == 1
    assert_ledger_consistent()


def test_every_bad_line_is_listed_by_number_and_nothing_is_saved(in_tenant, outlet):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    milk = stock_item(name="Milk", sku="MILK")
    old = stock_item(name="Old syrup", sku="SYRUP", is_archived=True)
    _stock(milk, outlet, "5")
    lines = [
        (milk.pk, "2"),  # 1: fine
        (999_999, "1"),  # 2: unknown id
        ("NOPE", "1"),  # 3: unknown SKU
        (old.pk, "1"),  # 4: archived
        ("MILK", "1"),  # 5: duplicate of line 1
        (stock_item().pk, "0"),  # 6: zero
        (stock_item().pk, "abc"),  # 7: not a number
        (stock_item().pk, "1.2345"),  # 8: too many decimals
    ]
    with pytest.raises(ValidationError) as exc:
        adjustment_submit(outlet=outlet, user=owner, reason="damage", lines=lines, idempotency_key="bad")
    messages = exc.value.messages
    assert messages == [
        "Line 2: Unknown stock item.",
        "Line 3: No stock item with SKU “NOPE”.",
        "Line 4: Old syrup (SYRUP) is archived.",
        "Line 5: Milk (MILK) is already on line 1.",
        "Line 6: The quantity cannot be zero.",
        "Line 7: “abc” is not a number.",
        "Line 8: Use at most three decimals.",
    ]
    _nothing_saved()
    assert level_of(milk, outlet) == Decimal(5)
    assert_ledger_consistent()


def test_more_than_a_thousand_lines_and_other_whole_form_errors(in_tenant, outlet):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    item = stock_item()
    with pytest.raises(ValidationError) as exc:
        adjustment_submit(outlet=outlet, user=owner, reason="damage", lines=[(item.pk, "1")] * 1001)
    assert exc.value.messages == ["At most 1000 lines per adjustment; this one has 1001. Split it in parts."]
    with pytest.raises(ValidationError) as exc:
        adjustment_submit(outlet=outlet, user=owner, reason="lost-in-space", lines=[])
    assert exc.value.messages == ["Choose a reason.", "Add at least one line."]
    with pytest.raises(ValidationError) as exc:  # a one-line form gets no "Line 1:" prefix
        adjustment_submit(outlet=outlet, user=owner, reason="damage", lines=[("GHOST", "1")])
    assert exc.value.messages == ["No stock item with SKU “GHOST”."]
    _nothing_saved()


def test_csv_parse_numbers_lines_as_typed_and_flags_malformed_rows():
    text = 'sku,quantity\nA-1,3\n\nB-2;x\n"C,3",-1.5\nD-4,1,extra\n'
    malformed = "expected “sku,quantity”"
    assert adjustment_csv_parse(text) == [
        AdjustmentLineInput(item="A-1", quantity="3", line_number=2),
        AdjustmentLineInput(item=None, quantity="", line_number=4, error=malformed),
        AdjustmentLineInput(item="C,3", quantity="-1.5", line_number=5),
        AdjustmentLineInput(item=None, quantity="", line_number=6, error=malformed),
    ]
    assert adjustment_csv_parse("A;1,5\nB;-2") == [
        AdjustmentLineInput(item="A", quantity="1,5", line_number=1),
        AdjustmentLineInput(item="B", quantity="-2", line_number=2),
    ]


def test_an_adjustment_may_not_take_stock_below_zero(in_tenant, outlet):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    beans = stock_item(name="Beans", unit="g", sku="BEANS")
    cups = stock_item(name="Cups", sku="CUPS")
    _stock(beans, outlet, "200")
    with pytest.raises(OutOfStock) as exc:
        adjustment_submit(outlet=outlet, user=owner, reason="expiry",
                          lines=[("CUPS", "5"), ("BEANS", "-250")], idempotency_key="neg")  # fmt: skip
    assert exc.value.messages == [
        f"Line 2: only 200 g of Beans left at {outlet.name}; an adjustment cannot take out 250 and leave stock "
        "below zero."
    ]
    assert (exc.value.code, exc.value.status) == ("stock.insufficient", 409)
    _nothing_saved()
    assert level_of(beans, outlet) == Decimal(200) and level_of(cups, outlet) == Decimal(0)
    # Exactly to zero is fine, and waste is posted as waste.
    adjustment = adjustment_submit(outlet=outlet, user=owner, reason="waste", lines=[("BEANS", "-200")])
    assert level_of(beans, outlet) == Decimal(0)
    assert StockMovement.objects.get(source_type="adjustment", source_id=adjustment.pk).kind == "waste"
    assert_ledger_consistent()


def test_the_same_key_twice_gives_the_first_adjustment_and_moves_stock_once(in_tenant, outlet):
    supervisor = in_tenant.users[Role.SUPERVISOR]
    item = stock_item()
    first = adjustment_submit(outlet=outlet, user=supervisor, reason="correction", lines=[(item.pk, "3")],
                              idempotency_key="same-key")  # fmt: skip
    again = adjustment_submit(outlet=outlet, user=supervisor, reason="correction", lines=[(item.pk, "3")],
                              idempotency_key="same-key")  # fmt: skip
    assert again.pk == first.pk
    assert StockAdjustment.objects.count() == 1
    assert level_of(item, outlet) == Decimal(3)
    assert AuditEntry.objects.filter(action="stock.adjustment_submit").count() == 1
    assert_ledger_consistent()


def test_the_same_key_with_other_lines_is_refused_and_changes_nothing(in_tenant, outlet):
    supervisor = in_tenant.users[Role.SUPERVISOR]
    item = stock_item()
    first = adjustment_submit(outlet=outlet, user=supervisor, reason="correction", lines=[(item.pk, "3")],
                              idempotency_key="reused-key")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        adjustment_submit(outlet=outlet, user=supervisor, reason="correction", lines=[(item.pk, "30")],
                          idempotency_key="reused-key")  # fmt: skip
    assert (exc.value.code, exc.value.status) == ("idempotency.key_reused", 422)
    assert list(StockAdjustment.objects.values_list("pk", flat=True)) == [first.pk]
    assert level_of(item, outlet) == Decimal(3)
    assert_ledger_consistent()


def test_a_refused_submission_keeps_no_key_so_the_corrected_form_goes_through(in_tenant, outlet):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    item = stock_item(sku="FIXED")
    with pytest.raises(ValidationError):
        adjustment_submit(outlet=outlet, user=owner, reason="correction", lines=[("FIXD", "2")], idempotency_key="k")
    fixed = adjustment_submit(outlet=outlet, user=owner, reason="correction", lines=[("FIXED", "2")],
                              idempotency_key="k")  # fmt: skip
    assert fixed.status == Status.POSTED and level_of(item, outlet) == Decimal(2)


def test_stock_adjusted_is_emitted_when_stock_moves_and_only_then(in_tenant, outlet):
    cashier, supervisor = in_tenant.users[Role.CASHIER], in_tenant.users[Role.SUPERVISOR]
    _threshold(1_000)
    item = stock_item(cost="100")
    _stock(item, outlet, "50")
    posted = adjustment_submit(outlet=outlet, user=cashier, reason="waste", lines=[(item.pk, "-2")])
    waiting = adjustment_submit(outlet=outlet, user=cashier, reason="theft", lines=[(item.pk, "-20")])
    rejected = adjustment_submit(outlet=outlet, user=cashier, reason="theft", lines=[(item.pk, "-30")])
    adjustment_reject(adjustment=rejected, approver=supervisor, comment="Found them")
    assert [e.payload["adjustment"] for e in OutboxEvent.objects.filter(name="stock.adjusted")] == [posted.pk]
    adjustment_approve(adjustment=waiting, approver=supervisor)
    events = list(OutboxEvent.objects.filter(name="stock.adjusted").order_by("pk"))
    assert [e.payload for e in events] == [
        {"adjustment": posted.pk, "outlet": outlet.pk, "reason": "waste", "value_minor": 200, "lines": 1,
         "status": "posted", "from": "new", "to": "posted"},
        {"adjustment": waiting.pk, "outlet": outlet.pk, "reason": "theft", "value_minor": 2_000, "lines": 1,
         "from": "pending", "to": "posted"},
    ]  # fmt: skip
    # The reject's comment stays in the audit log: events carry no free text.
    assert not OutboxEvent.objects.exclude(name="stock.adjusted").filter(payload__adjustment=rejected.pk).exists()
    assert AuditEntry.objects.get(action="stock.adjustment_reject").data["to"] == "rejected"


def test_approval_threshold_flow(in_tenant, outlet):
    cashier, supervisor = in_tenant.users[Role.CASHIER], in_tenant.users[Role.SUPERVISOR]
    owner = in_tenant.users[Role.ADMIN_TENANT]
    _threshold(1_000)
    item = stock_item(cost="100", sku="WINE")
    _stock(item, outlet, "50")

    small = adjustment_submit(outlet=outlet, user=cashier, reason="damage", lines=[(item.pk, "-10")])  # 1,000
    assert small.status == Status.POSTED and level_of(item, outlet) == Decimal(40)
    big = adjustment_submit(outlet=outlet, user=cashier, reason="theft", lines=[(item.pk, "-11")])  # 1,100
    assert big.status == Status.PENDING and big.value_minor == 1_100
    assert not StockMovement.objects.filter(source_type="adjustment", source_id=big.pk).exists()
    assert level_of(item, outlet) == Decimal(40)
    own = adjustment_submit(outlet=outlet, user=supervisor, reason="theft", lines=[(item.pk, "-12")])
    assert own.status == Status.PENDING  # a supervisor's big adjustment waits for a second person too
    with pytest.raises(ValidationError):
        adjustment_approve(adjustment=own, approver=supervisor)  # never one's own
    adjustment_reject(adjustment=own, approver=owner)
    owners = adjustment_submit(outlet=outlet, user=owner, reason="theft", lines=[(item.pk, "-12")])
    assert owners.status == Status.POSTED and level_of(item, outlet) == Decimal(28)

    with pytest.raises(ValidationError, match="Only a supervisor or the owner can approve"):
        adjustment_approve(adjustment=big, approver=cashier)
    approved = adjustment_approve(adjustment=big, approver=supervisor)
    assert approved.status == Status.POSTED and approved.decided_by == supervisor
    assert level_of(item, outlet) == Decimal(17)
    assert adjustment_approve(adjustment=big, approver=owner).decided_by == supervisor  # twice: harmless
    assert StockMovement.objects.filter(source_type="adjustment", source_id=big.pk).count() == 1
    with pytest.raises(ValidationError, match="already posted"):
        adjustment_reject(adjustment=big, approver=owner)

    rejected_one = adjustment_submit(outlet=outlet, user=cashier, reason="damage", lines=[(item.pk, "-15")])
    adjustment_reject(adjustment=rejected_one, approver=owner, comment="Counted again: all there")
    assert adjustment_reject(adjustment=rejected_one, approver=supervisor).decided_by == owner
    with pytest.raises(ValidationError, match="was rejected"):
        adjustment_approve(adjustment=rejected_one, approver=supervisor)
    assert level_of(item, outlet) == Decimal(17)
    actions = list(AuditEntry.objects.filter(action__startswith="stock.adjustment").values_list("action", flat=True))
    assert actions.count("stock.adjustment_submit") == 5
    assert actions.count("stock.adjustment_approve") == 1 and actions.count("stock.adjustment_reject") == 2
    assert (
        AuditEntry.objects.filter(action="stock.adjustment_reject").latest("pk").data["comment"]
        == "Counted again: all there"
    )
    assert_ledger_consistent()


def test_approval_rechecks_stock_and_refuses_your_own(in_tenant, outlet):
    cashier, supervisor = in_tenant.users[Role.CASHIER], in_tenant.users[Role.SUPERVISOR]
    owner = in_tenant.users[Role.ADMIN_TENANT]
    _threshold(0)
    item = stock_item(name="Salmon", unit="g", cost="300")
    _stock(item, outlet, "1000")
    pending = adjustment_submit(outlet=outlet, user=cashier, reason="expiry", lines=[(item.pk, "-800")])
    assert pending.status == Status.PENDING
    adjustment_submit(outlet=outlet, user=owner, reason="damage", lines=[(item.pk, "-500")])  # meanwhile

    with pytest.raises(OutOfStock, match="Line 1: only 500 g of Salmon"):
        adjustment_approve(adjustment=pending, approver=supervisor)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING and pending.decided_by is None
    assert level_of(item, outlet) == Decimal(500)

    StockAdjustment.objects.filter(pk=pending.pk).update(created_by=supervisor)  # e.g. promoted since
    with pytest.raises(ValidationError, match="cannot approve your own"):
        adjustment_approve(adjustment=pending, approver=supervisor)
    assert not AuditEntry.objects.filter(action="stock.adjustment_approve").exists()
    assert_ledger_consistent()


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_by_default_every_adjustment_by_cashiers_and_kitchen_staff_waits_for_a_supervisor(in_tenant, outlet, role):
    """Issue 12, point 7: the safe default. A fresh tenant's settings make staff adjustments wait, even one worth
    nothing (an item without a cost yet), until the owner raises or clears the threshold."""
    StockSettings.objects.all().delete()  # what a new tenant starts with
    person = in_tenant.users[role]
    item, free = stock_item(cost="100"), stock_item(cost="0")
    _stock(item, outlet, "10")
    _stock(free, outlet, "10")
    small = adjustment_submit(outlet=outlet, user=person, reason="waste", lines=[(item.pk, "-1")])
    nothing = adjustment_submit(outlet=outlet, user=person, reason="waste", lines=[(free.pk, "-1")])
    assert (small.status, nothing.status) == (Status.PENDING, Status.PENDING)
    assert (level_of(item, outlet), level_of(free, outlet)) == (Decimal(10), Decimal(10))
    assert not StockMovement.objects.filter(source_type="adjustment").exists()
    settings = StockSettings.objects.get()
    assert (settings.staff_adjustment_approval_minor, settings.adjustment_approval_minor) == (0, None)
    # The supervisor's and the owner's still post (the supervisors' threshold is the owner's to set).
    for manager in (in_tenant.users[Role.SUPERVISOR], in_tenant.users[Role.ADMIN_TENANT]):
        assert adjustment_submit(outlet=outlet, user=manager, reason="waste", lines=[(item.pk, "-1")]).status == (
            Status.POSTED
        )
    adjustment_approve(adjustment=small, approver=in_tenant.users[Role.SUPERVISOR])
    assert level_of(item, outlet) == Decimal(7)
    assert_ledger_consistent()


def test_many_small_adjustments_add_up_to_the_daily_threshold_and_cannot_dodge_it(in_tenant, outlet):
    """Issue 12, point 7: ten adjustments of 150 under a threshold of 1,000: the day's total counts, so the
    seventh (1,050 in all) waits, and so does every one after it; another person and another outlet keep their
    own totals, what waits or was rejected does not count, and a new business day starts from zero."""
    cashier, kitchen = in_tenant.users[Role.CASHIER], in_tenant.users[Role.KITCHEN]
    _threshold(None, staff=1_000)
    item = stock_item(cost="50", sku="SMALL")
    _stock(item, outlet, "100")
    made = [adjustment_submit(outlet=outlet, user=cashier, reason="waste", lines=[(item.pk, "-3")]) for _ in range(10)]
    assert [a.status for a in made] == [Status.POSTED] * 6 + [Status.PENDING] * 4
    assert level_of(item, outlet) == Decimal(100 - 18)
    # Kitchen staff at the same outlet and the cashier at another outlet start from their own zero.
    assert adjustment_submit(outlet=outlet, user=kitchen, reason="waste", lines=[(item.pk, "-3")]).status == (
        Status.POSTED
    )
    elsewhere = second_outlet()
    _stock(item, elsewhere, "10")
    assert adjustment_submit(outlet=elsewhere, user=cashier, reason="waste", lines=[(item.pk, "-3")]).status == (
        Status.POSTED
    )
    # What a supervisor approved was reviewed: it does not use up the cashier's allowance.
    adjustment_approve(adjustment=made[6], approver=in_tenant.users[Role.SUPERVISOR])
    assert adjustment_submit(outlet=outlet, user=cashier, reason="waste", lines=[(item.pk, "-2")]).status == (
        Status.POSTED  # 900 + 100
    )
    assert adjustment_submit(outlet=outlet, user=cashier, reason="waste", lines=[(item.pk, "-1")]).status == (
        Status.PENDING  # 1,050
    )
    # Yesterday's adjustments are yesterday's: a new business day starts from zero.
    yesterday = timezone.now() - timedelta(days=1, hours=1)
    StockAdjustment.objects.filter(created_by=cashier).update(created_at=yesterday)
    assert adjustment_submit(outlet=outlet, user=cashier, reason="waste", lines=[(item.pk, "-3")]).status == (
        Status.POSTED
    )
    assert_ledger_consistent()


def test_a_supervisors_adjustments_also_add_up_over_the_day(in_tenant, outlet):
    supervisor = in_tenant.users[Role.SUPERVISOR]
    _threshold(1_000, staff=0)
    item = stock_item(cost="100", sku="SUP-DAY")
    _stock(item, outlet, "100")
    statuses = [
        adjustment_submit(outlet=outlet, user=supervisor, reason="damage", lines=[(item.pk, "-4")]).status
        for _ in range(3)
    ]
    assert statuses == [Status.POSTED, Status.POSTED, Status.PENDING]  # 400, 800, then 1,200 > 1,000
    assert level_of(item, outlet) == Decimal(92)
    owner = in_tenant.users[Role.ADMIN_TENANT]
    assert all(
        adjustment_submit(outlet=outlet, user=owner, reason="damage", lines=[(item.pk, "-4")]).status == Status.POSTED
        for _ in range(3)
    )  # the owner's never wait


def test_the_owner_sets_the_staff_threshold_on_the_stock_settings_page(tenant, in_tenant):
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:stock_settings")
    page = client.get(url).content.decode()
    assert 'name="staff_adjustment_approval" value="0"' in page and "ten small ones add up" in page
    form = {"negative_stock": "allow", "cost_method": "average", "adjustment_approval": "",
            "staff_adjustment_approval": "5.000", "low_stock_digest": "on"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    assert StockSettings.objects.get().staff_adjustment_approval_minor == 5_000
    entry = AuditEntry.objects.filter(action="stock_settings.update").latest("pk")
    assert entry.data["staff_adjustment_approval_minor"] == [0, 5_000]
    refused = client.post(url, {**form, "staff_adjustment_approval": "-1"})
    assert refused.status_code == 400 and StockSettings.objects.get().staff_adjustment_approval_minor == 5_000
    assert tenant.client(Role.SUPERVISOR).post(url, {**form, "staff_adjustment_approval": ""}).status_code == 403
    assert StockSettings.objects.get().staff_adjustment_approval_minor == 5_000


# --- Pages ------------------------------------------------------------------------------------------------------


def _post_one(client, outlet, sku: str, quantity: str, key: str | None = None, reason: str = "correction"):
    data = {"outlet": outlet.pk, "item": sku, "quantity": quantity, "reason": reason, "note": "",
            "key": key or uuid.uuid4().hex}  # fmt: skip
    return client.post(reverse("inventory:adjustment_create"), data)


def test_the_bulk_page_posts_a_thousand_pasted_lines(tenant, in_tenant, outlet, django_assert_max_num_queries):
    items = _many_items(1000, prefix="PASTE")
    text = "sku,quantity\n" + "\n".join(f"{item.sku},{n % 5 + 1}" for n, item in enumerate(items))
    client = tenant.client(Role.SUPERVISOR)
    data = {"outlet": outlet.pk, "reason": "correction", "note": "Delivery booked late", "text": text, "key": "k1000"}
    with django_assert_max_num_queries(30):
        response = client.post(reverse("inventory:adjustment_bulk"), data)
    adjustment = StockAdjustment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inventory:adjustment_detail",
                                                                           args=[adjustment.pk])  # fmt: skip
    assert adjustment.lines.count() == 1000 and adjustment.note == "Delivery booked late"
    assert level_of(items[0], outlet) == Decimal(1) and level_of(items[4], outlet) == Decimal(5)
    assert_ledger_consistent()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "PASTE-0999" in page.content.decode()


def test_one_bad_line_in_a_bulk_paste_rejects_it_all_and_keeps_the_text(tenant, in_tenant, outlet):
    items = _many_items(30, prefix="KEEP")
    rows = [f"{item.sku},2" for item in items]
    rows[16] = "KEEP-0016,two"  # line 17
    rows[24] = "NO-SUCH-SKU,1"  # line 25
    text = "\n".join(rows)
    client = tenant.client(Role.ADMIN_TENANT)
    data = {"outlet": outlet.pk, "reason": "correction", "note": "", "text": text, "key": "bad-bulk"}
    response = client.post(reverse("inventory:adjustment_bulk"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 17: “two” is not a number." in html
    assert "Line 25: No stock item with SKU “NO-SUCH-SKU”." in html
    assert "fix these 2 problems" in html
    assert "KEEP-0029,2" in html and "KEEP-0016,two" in html  # the pasted text is still in the box
    _nothing_saved()
    assert not StockLevel.objects.filter(item__sku__startswith="KEEP-", quantity__gt=0).exists()


def test_an_uploaded_csv_is_posted_or_put_back_in_the_box(tenant, in_tenant, outlet):
    milk = stock_item(name="Milk", unit="ml", sku="MILK")
    client = tenant.client(Role.ADMIN_TENANT)
    bad = SimpleUploadedFile("count.csv", "\ufeffsku,quantity\nMILK,1000\nMILK,5\n".encode(), "text/csv")
    data = {"outlet": outlet.pk, "reason": "correction", "key": "upload-1", "file": bad}
    response = client.post(reverse("inventory:adjustment_bulk"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 3: Milk (MILK) is already on line 2." in html and "MILK,1000" in html
    _nothing_saved()
    good = SimpleUploadedFile("count.csv", b"MILK,1000\n", "text/csv")
    data = {"outlet": outlet.pk, "reason": "correction", "key": "upload-1", "file": good}
    assert client.post(reverse("inventory:adjustment_bulk"), data).status_code == 302
    assert level_of(milk, outlet) == Decimal(1000)
    assert_ledger_consistent()


def test_double_submit_of_the_form_makes_one_adjustment(tenant, in_tenant, outlet):
    item = stock_item(sku="TWICE")
    client = tenant.client(Role.SUPERVISOR)
    first = _post_one(client, outlet, "TWICE", "4", key="form-key-1")
    second = _post_one(client, outlet, "TWICE", "4", key="form-key-1")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert StockAdjustment.objects.count() == 1 and level_of(item, outlet) == Decimal(4)
    assert_ledger_consistent()


def test_the_single_form_shows_a_clear_message_when_stock_would_go_negative(tenant, in_tenant, outlet):
    item = stock_item(name="Croissant", sku="CRO")
    _stock(item, outlet, "2")
    response = _post_one(tenant.client(Role.SUPERVISOR), outlet, "CRO", "-5", reason="damage")
    assert response.status_code == 400
    assert f"only 2 pcs of Croissant left at {outlet.name}" in response.content.decode()
    _nothing_saved()
    assert level_of(item, outlet) == Decimal(2)
    assert_ledger_consistent()


def test_the_eleventh_submission_in_a_minute_gets_429_with_the_wait(tenant, in_tenant, outlet, monkeypatch):
    item = stock_item(sku="RATE")
    client = tenant.client(Role.SUPERVISOR)
    request = RequestFactory().post("/")
    request.user = in_tenant.users[Role.SUPERVISOR]
    # django-ratelimit counts in fixed windows by its own clock: stopped here, all eleven fall inside one window
    # however slowly the machine runs them (instead of sleeping until a fresh window starts).
    stopped = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: stopped))
    for _ in range(10):
        assert _post_one(client, outlet, "RATE", "1").status_code == 302
    response = _post_one(client, outlet, "RATE", "1")
    assert response.status_code == 429
    match = re.search(r"Too many adjustments: try again in (\d+) s", response.content.decode())
    assert match, response.content.decode()[:500]
    wait = int(match.group(1))
    assert response["Retry-After"] == str(wait)
    # N is the real time left in django-ratelimit's window for this user.
    with tenant_context(tenant.tenant):
        usage = get_usage(request, group=adjustment_views.RATE_GROUP, key="user", rate=adjustment_views.RATE,
                          method="POST")  # fmt: skip
    assert usage["count"] == 11
    assert 1 <= wait <= 60 and abs(usage["time_left"] - wait) <= 1
    assert StockAdjustment.objects.count() == 10 and level_of(item, outlet) == Decimal(10)
    # The limit is per person: the owner may still submit.
    assert _post_one(tenant.client(Role.ADMIN_TENANT), outlet, "RATE", "1").status_code == 302
    assert_ledger_consistent()


def test_the_rate_limit_fails_open_with_a_warning_when_redis_is_down(tenant, in_tenant, outlet, settings, caplog):
    item = stock_item(sku="OPEN")
    client = tenant.client(Role.SUPERVISOR)
    dead = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {"default": dead}
    with caplog.at_level(logging.WARNING, logger="inventory.views.adjustments"):
        for _ in range(12):
            assert _post_one(client, outlet, "OPEN", "1").status_code == 302
    assert level_of(item, outlet) == Decimal(12)
    warnings = [r for r in caplog.records if r.name == "inventory.views.adjustments"]
    assert len(warnings) == 12 and "rate limit skipped" in warnings[0].getMessage()
    assert_ledger_consistent()


def test_approvals_page_and_buttons(tenant, in_tenant, outlet, django_assert_max_num_queries):
    cashier = in_tenant.users[Role.CASHIER]
    _threshold(0)
    item = stock_item(name="Gin", sku="GIN", cost="900")
    _stock(item, outlet, "10")
    pending = [
        adjustment_submit(outlet=outlet, user=cashier, reason="theft", lines=[(item.pk, "-1")]) for _ in range(12)
    ]
    client = tenant.client(Role.SUPERVISOR)
    client.get(reverse("inventory:adjustment_approvals"))
    with django_assert_max_num_queries(7):
        response = client.get(reverse("inventory:adjustment_approvals"))
    assert response.status_code == 200 and response.content.decode().count(">Approve</button>") == 12

    approve = reverse("inventory:adjustment_approve", args=[pending[0].pk])
    assert client.post(approve)["Location"] == reverse("inventory:adjustment_approvals")
    assert client.post(approve, {"back": "detail"}).status_code == 302  # pressed twice
    reject = reverse("inventory:adjustment_reject", args=[pending[1].pk])
    client.post(reject, {"comment": "No"})
    pending[0].refresh_from_db()
    pending[1].refresh_from_db()
    assert pending[0].status == Status.POSTED and pending[1].status == Status.REJECTED
    assert level_of(item, outlet) == Decimal(9)
    assert StockMovement.objects.filter(source_type="adjustment").count() == 1

    detail = client.get(reverse("inventory:adjustment_detail", args=[pending[2].pk])).content.decode()
    assert "Approve and post" in detail and "Gin" in detail
    # A cashier cannot approve, and the refusal changes nothing.
    response = tenant.client(Role.CASHIER).post(reverse("inventory:adjustment_approve", args=[pending[2].pk]))
    assert response.status_code == 403
    pending[2].refresh_from_db()
    assert pending[2].status == Status.PENDING
    assert_ledger_consistent()


def test_list_page_filters_and_has_a_query_budget(tenant, in_tenant, outlet, django_assert_max_num_queries):
    owner = in_tenant.users[Role.ADMIN_TENANT]
    harbour = second_outlet()
    items = [stock_item() for _ in range(3)]
    for n in range(30):
        adjustment_submit(outlet=outlet if n % 3 else harbour, user=owner, reason="correction",
                          lines=[(item.pk, "1") for item in items])  # fmt: skip
    client = tenant.client(Role.ADMIN_TENANT)
    url = reverse("inventory:adjustment_list")
    client.get(url)
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count("/backoffice/stock/adjustments/") >= 30
    with django_assert_max_num_queries(9):
        response = client.get(url, {"outlet": harbour.pk, "status": "posted"})
    rows = re.findall(r'href="/backoffice/stock/adjustments/(\d+)/"', response.content.decode())
    assert len(rows) == 10
    assert set(StockAdjustment.objects.filter(pk__in=rows).values_list("outlet_id", flat=True)) == {harbour.pk}
    assert tenant.client(Role.SUPERVISOR).get(url).status_code == 200


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_other_roles_cannot_bulk_adjust_or_list_and_nothing_changes(tenant, in_tenant, outlet, role):
    item = stock_item(sku="GUARD")
    client = tenant.client(role)
    data = {"outlet": outlet.pk, "reason": "correction", "text": "GUARD,5", "key": "g"}
    assert client.post(reverse("inventory:adjustment_bulk"), data).status_code == 403
    assert client.get(reverse("inventory:adjustment_list")).status_code == 403
    _nothing_saved()
    assert level_of(item, outlet) == Decimal(0)


def test_another_tenants_adjustment_is_not_found(tenant, other_tenant, outlet):
    with tenant_context(tenant.tenant):
        item = stock_item(sku="MINE")
        adjustment = adjustment_submit(outlet=outlet, user=tenant.users[Role.ADMIN_TENANT], reason="correction",
                                       lines=[(item.pk, "1")])  # fmt: skip
    client = other_tenant.client(Role.ADMIN_TENANT)
    assert client.get(reverse("inventory:adjustment_detail", args=[adjustment.pk])).status_code == 404
    assert client.post(reverse("inventory:adjustment_approve", args=[adjustment.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN_TENANT, Role.SUPERVISOR])
def test_the_forms_open_with_a_fresh_key_and_the_item_search(tenant, in_tenant, role, django_assert_max_num_queries):
    stock_item(name="Oat milk", sku="OAT")
    stock_item(name="Gone", sku="GONE", is_archived=True)
    client = tenant.client(role)
    client.get(reverse("inventory:adjustment_create"))
    with django_assert_max_num_queries(9):  # constant: more items or outlets add no queries
        single = client.get(reverse("inventory:adjustment_create")).content.decode()
    assert '<option value="OAT">Oat milk (pcs)</option>' in single and 'value="GONE"' not in single
    keys = [re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)
            for page in (single, client.get(reverse("inventory:adjustment_bulk")).content.decode())]  # fmt: skip
    assert keys[0] != keys[1]
    layout = "layout-backoffice" if role == Role.ADMIN_TENANT else "layout-supervisor"
    assert layout in single


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_cashiers_and_kitchen_staff_report_waste_from_their_own_screens(tenant, in_tenant, outlet, role):
    item = stock_item(cost="100", sku="MILK-W")
    _stock(item, outlet, "20")
    _threshold(1_000)
    client = tenant.client(role)
    page = client.get(reverse("inventory:adjustment_create"))
    layout = "layout-cashier" if role == Role.CASHIER else "layout-kitchen"
    assert page.status_code == 200 and layout in page.content.decode() and "Report waste" in page.content.decode()
    small = {"key": f"w-{role}-1", "outlet": outlet.pk, "item": "MILK-W", "quantity": "-2", "reason": "waste"}
    response = client.post(reverse("inventory:adjustment_create"), small, follow=True)
    assert response.status_code == 200 and "posted" in response.content.decode()
    assert level_of(item, outlet) == Decimal(18)
    big = {**small, "key": f"w-{role}-2", "quantity": "-15"}  # 1,500 > 1,000: a supervisor approves it first
    response = client.post(reverse("inventory:adjustment_create"), big, follow=True)
    assert "waiting for a supervisor" in response.content.decode() and level_of(item, outlet) == Decimal(18)
    assert client.get(reverse("inventory:adjustment_list")).status_code == 403
    assert client.get(reverse("inventory:adjustment_bulk")).status_code == 403
    assert_ledger_consistent()
