"""The stock documents' status tables, `stock.low` from the ledger, and guards that keep statuses in the tables."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from business.selectors import outlet_default
from core.models import OutboxEvent
from inventory.models import PurchaseOrder, StockAdjustment, StockCount, StockLevel, StockMovement, Transfer
from inventory.services.stock import MovementLine, movements_post
from inventory.transitions import ADJUSTMENT, PURCHASE_ORDER, STOCK_COUNT, TRANSFER

from .stock_helpers import assert_ledger_consistent, stock_item

ROOT = Path(settings.BASE_DIR)


# --- The tables -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "model", "offered"),
    [
        (TRANSFER, Transfer, {"draft": {"edit", "send", "cancel"}, "sent": {"receive", "cancel"}, "received": set(),
                              "cancelled": set()}),
        (PURCHASE_ORDER, PurchaseOrder, {"draft": {"edit", "send", "cancel"}, "sent": {"receive", "cancel"},
                                         "partial": {"receive"}, "received": set(), "cancelled": set()}),
        (STOCK_COUNT, StockCount, {"open": {"count", "post", "cancel"}, "posted": set(), "cancelled": set()}),
        (ADJUSTMENT, StockAdjustment, {"new": {"post", "submit"}, "pending": {"approve", "reject"}, "posted": set(),
                                       "rejected": set()}),
    ],
)  # fmt: skip
def test_each_status_offers_the_moves_of_its_table(in_tenant, machine, model, offered):
    assert set(offered) == set(model.Status.values)
    supervisor = in_tenant.users[Role.SUPERVISOR]
    for status, moves in offered.items():
        assert set(machine.allowed(model(status=status), supervisor)) == moves, status


@pytest.mark.parametrize("role", [Role.CASHIER, Role.KITCHEN])
def test_pages_offer_no_stock_document_moves_to_roles_without_the_capability(in_tenant, role):
    user = in_tenant.users[role]
    assert not any(TRANSFER.allowed(Transfer(status="sent"), user).values())
    assert not any(PURCHASE_ORDER.allowed(PurchaseOrder(status="draft"), user).values())
    assert not any(STOCK_COUNT.allowed(StockCount(status="open"), user).values())
    assert not any(ADJUSTMENT.allowed(StockAdjustment(status="pending"), user).values())


def test_no_stock_template_compares_a_documents_status():
    """Pages ask the tables (`actions.receive`) or the model (`transfer.is_received`), never status strings."""
    compared = re.compile(r"\b(?:adjustment|adj|transfer|tr|po|count)\.status\s*[!=]=")
    offenders = [
        f"{path.name}:{n}"
        for path in sorted((ROOT / "templates" / "inventory").rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if compared.search(line)
    ]
    assert offenders == []


def test_no_inventory_service_assigns_a_status_by_hand():
    assigned = re.compile(r"\.status\s*=(?!=)|update\(status=")
    offenders = [
        f"{path.name}:{n}"
        for path in sorted((ROOT / "inventory" / "services").glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if assigned.search(line)
    ]
    assert offenders == []


# --- stock.low --------------------------------------------------------------------------------------------------


def _post(item, outlet, quantity: str) -> None:
    movements_post(outlet_id=outlet.pk, kind=StockMovement.Kind.SALE, source_type="order",
                   lines=[MovementLine(item.pk, Decimal(quantity))])  # fmt: skip


def _low_events() -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name="stock.low").order_by("pk")]


def test_stock_low_is_emitted_once_when_a_level_crosses_its_reorder_point(in_tenant):
    outlet = outlet_default()
    milk, cups, salt = stock_item(name="Milk"), stock_item(name="Cups"), stock_item(name="Salt")
    movements_post(outlet_id=outlet.pk, kind="receiving", source_type="test",
                   lines=[MovementLine(i.pk, Decimal(10)) for i in (milk, cups, salt)])  # fmt: skip
    StockLevel.objects.filter(item__in=[milk, cups], outlet=outlet).update(reorder_point=Decimal(4))
    _post(milk, outlet, "-5")  # 10 → 5: still above 4
    assert _low_events() == []
    _post(milk, outlet, "-1")  # 5 → 4: at the point, crossed
    _post(milk, outlet, "-2")  # 4 → 2: already low, nothing new
    _post(salt, outlet, "-10")  # no reorder point set: the low-stock page's business, not an event
    assert _low_events() == [{"item": milk.pk, "outlet": outlet.pk, "level": "4", "reorder_point": "4"}]
    _post(milk, outlet, "5")  # a delivery lifts it above the point...
    movements_post(outlet_id=outlet.pk, kind=StockMovement.Kind.SALE, source_type="order",
                   lines=[MovementLine(milk.pk, Decimal(-4)), MovementLine(cups.pk, Decimal("-6.5"))])  # fmt: skip
    assert _low_events()[1:] == [  # ...so the next fall is a new crossing; two items, two events
        {"item": milk.pk, "outlet": outlet.pk, "level": "3", "reorder_point": "4"},
        {"item": cups.pk, "outlet": outlet.pk, "level": "3.5", "reorder_point": "4"},
    ]
    assert_ledger_consistent()


def test_a_post_that_crosses_nothing_costs_no_query_more(in_tenant):
    outlet = outlet_default()
    watched, unwatched = stock_item(name="Watched"), stock_item(name="Unwatched")
    movements_post(outlet_id=outlet.pk, kind="receiving", source_type="test",
                   lines=[MovementLine(i.pk, Decimal(100)) for i in (watched, unwatched)])  # fmt: skip
    StockLevel.objects.filter(item=watched, outlet=outlet).update(reorder_point=Decimal(10))

    def queries(item, quantity: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            _post(item, outlet, quantity)
        return len(ctx.captured_queries)

    plain = queries(unwatched, "-1")
    assert queries(watched, "-1") == plain  # above its reorder point after the sale: nothing more
    assert queries(watched, "-89") == plain + 1  # 99 → 10 crosses: one insert, the event
    assert len(_low_events()) == 1
