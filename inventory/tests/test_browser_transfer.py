"""A transfer in a real browser: the owner moves milk and cups from the main outlet to a second one, sends the
transfer and receives it short. Levels at both outlets are checked on the page and in the database after each
step. Screenshots in test-artifacts/screenshots/.

Playwright runs an event loop in the test's thread and Django refuses ORM calls there, so database work runs in
a helper thread (its own connection, closed after each call). The data is committed (gunicorn serves it from
another process) and removed at the end."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from pos_project.testing.append_only import committed_rows_purge
from pos_project.testing.browser import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _in_db(tenant, fn):
    """Run fn() in the tenant's schema on another thread (away from Playwright's event loop)."""

    def work():
        try:
            with tenant_context(tenant):
                return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=60)


def _seed(tag: str) -> dict:
    from business.models import Outlet
    from business.services import outlet_create
    from inventory.models import StockItem
    from inventory.services.stock import MovementLine, movements_post

    main = Outlet.objects.get(code="MAIN")
    harbour = outlet_create(name=f"Harbour {tag}", code=f"hb-{tag}")
    milk = StockItem.objects.create(name=f"Milk {tag}", sku=f"BRT-MILK-{tag}", base_unit="ml", cost=Decimal("2.5"))
    cups = StockItem.objects.create(name=f"Cups {tag}", sku=f"BRT-CUPS-{tag}", base_unit="pcs", cost=Decimal(150))
    movements_post(outlet_id=main.pk, kind="receiving", source_type="test",
                   lines=[MovementLine(milk.pk, Decimal(5000)), MovementLine(cups.pk, Decimal(40))])  # fmt: skip
    return {"main": main.pk, "harbour": harbour.pk, "harbour_name": harbour.name, "milk": milk.pk, "cups": cups.pk,
            "milk_sku": milk.sku, "cups_sku": cups.sku}  # fmt: skip


def _levels(seed: dict) -> dict[tuple[str, str], Decimal]:
    from inventory.models import StockLevel
    from inventory.tests.stock_helpers import assert_ledger_consistent

    assert_ledger_consistent()
    rows = StockLevel.objects.filter(item_id__in=[seed["milk"], seed["cups"]]).values_list(
        "outlet_id", "item_id", "quantity"
    )
    outlets = {seed["main"]: "main", seed["harbour"]: "harbour"}
    items = {seed["milk"]: "milk", seed["cups"]: "cups"}
    levels = {(o, i): Decimal(0) for o in ("main", "harbour") for i in ("milk", "cups")}
    levels.update({(outlets[o], items[i]): q for o, i, q in rows})
    return levels


def _cleanup(seed: dict) -> None:
    from accounts.models import AuditEntry
    from business.models import Outlet
    from core.models import IdempotencyKey, OutboxEvent
    from inventory.models import StockItem, StockLevel, StockMovement, Transfer

    transfers = list(Transfer.objects.filter(to_outlet_id=seed["harbour"]))
    committed_rows_purge(
        AuditEntry.objects.filter(action__startswith="stock.transfer", target_label__in=[str(t) for t in transfers])
    )
    # Committed events would otherwise wait in alpha for the next test that relays there.
    OutboxEvent.objects.filter(name__startswith="transfer.", payload__transfer__in=[t.pk for t in transfers]).delete()
    IdempotencyKey.objects.filter(result_model="inventory.transfer", result_pk__in=[t.pk for t in transfers]).delete()
    committed_rows_purge(StockMovement.objects.filter(item_id__in=[seed["milk"], seed["cups"]]))
    StockLevel.objects.filter(item_id__in=[seed["milk"], seed["cups"]]).delete()
    Transfer.objects.filter(pk__in=[t.pk for t in transfers]).delete()
    StockItem.objects.filter(pk__in=[seed["milk"], seed["cups"]]).delete()
    Outlet.objects.filter(pk=seed["harbour"]).delete()


def _page_levels(page, sku: str) -> tuple[str, str]:
    row = page.locator(f"[data-testid=line][data-sku='{sku}']")
    return (
        row.locator("[data-testid=at-source]").inner_text().strip(),
        row.locator("[data-testid=at-destination]").inner_text().strip(),
    )


def test_the_owner_sends_a_transfer_and_receives_it_short(committed_db, live_site, browser):
    tenant = live_site["alpha"].tenant
    seed = _in_db(tenant, lambda: _seed(uuid.uuid4().hex[:6]))
    context, page, base = sign_in(browser, live_site, "owner")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # 1. A draft: two rows typed, a third added with the button and left blank.
        page.goto(f"{base}/backoffice/stock/transfers/new/")
        page.select_option("#id_from_outlet", str(seed["main"]))
        page.select_option("#id_to_outlet", str(seed["harbour"]))
        page.fill("#id_note", "Browser top-up")
        rows = page.locator("#line-rows tr.line-row")
        rows.nth(0).locator("input[name=item]").fill(seed["milk_sku"])
        rows.nth(0).locator("input[name=quantity]").fill("3000")
        rows.nth(1).locator("input[name=item]").fill(seed["cups_sku"])
        rows.nth(1).locator("input[name=quantity]").fill("25")
        before = rows.count()
        page.click("#add-row")
        assert rows.count() == before + 1 and rows.last.locator("input[name=item]").input_value() == ""
        page.screenshot(path=SCREENSHOTS / "transfer-new.png", full_page=True)
        with page.expect_navigation():
            page.click("text=Save draft")
        assert "/backoffice/stock/transfers/" in page.url
        assert page.locator("[data-testid=status]").inner_text() == "Draft"
        assert _page_levels(page, seed["milk_sku"]) == ("5000 ml", "0 ml")
        assert _in_db(tenant, lambda: _levels(seed)) == {
            ("main", "milk"): 5000, ("main", "cups"): 40, ("harbour", "milk"): 0, ("harbour", "cups"): 0
        }  # fmt: skip

        # 2. Sent: the stock leaves the main outlet and is in transit.
        with page.expect_navigation():
            page.click("[data-testid=actions] >> text=Send")
        assert page.locator("[data-testid=status]").inner_text() == "In transit"
        assert _page_levels(page, seed["milk_sku"]) == ("2000 ml", "0 ml")
        assert _page_levels(page, seed["cups_sku"]) == ("15 pcs", "0 pcs")
        page.screenshot(path=SCREENSHOTS / "transfer-sent.png", full_page=True)
        assert _in_db(tenant, lambda: _levels(seed)) == {
            ("main", "milk"): 2000, ("main", "cups"): 15, ("harbour", "milk"): 0, ("harbour", "cups"): 0
        }  # fmt: skip

        # 3. Received short: 2800 of the 3000 ml arrived, all the cups.
        with page.expect_navigation():
            page.click("[data-testid=actions] >> text=Receive")
        milk_input = page.locator(f"#receive-form input[data-sku='{seed['milk_sku']}']")
        assert milk_input.input_value() == "3000"  # pre-filled with what was sent
        milk_input.fill("2800")
        page.screenshot(path=SCREENSHOTS / "transfer-receive.png", full_page=True)
        with page.expect_navigation():
            page.click(f"text=Receive into {seed['harbour_name']}")
        assert page.locator("[data-testid=status]").inner_text() == "Received"
        assert _page_levels(page, seed["milk_sku"]) == ("2000 ml", "2800 ml")
        assert _page_levels(page, seed["cups_sku"]) == ("15 pcs", "25 pcs")
        milk_row = page.locator(f"[data-testid=line][data-sku='{seed['milk_sku']}']")
        assert milk_row.locator("[data-testid=discrepancy]").inner_text().strip() == "200 ml"
        assert milk_row.locator("[data-testid=discrepancy-value]").inner_text().strip() == "Rp 500"
        page.screenshot(path=SCREENSHOTS / "transfer-received.png", full_page=True)
        assert _in_db(tenant, lambda: _levels(seed)) == {
            ("main", "milk"): 2000, ("main", "cups"): 15, ("harbour", "milk"): 2800, ("harbour", "cups"): 25
        }  # fmt: skip

        # 4. Both outlets see it in the list.
        for outlet in (seed["main"], seed["harbour"]):
            page.goto(f"{base}/backoffice/stock/transfers/?outlet={outlet}")
            assert "Browser top-up" in page.locator("[data-testid=transfer-table]").inner_text()
        assert errors == []
    finally:
        context.close()
        _in_db(tenant, lambda: _cleanup(seed))
