"""The stock documents' status tables, and guards that keep statuses in the tables."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from inventory.models import PurchaseOrder, StockAdjustment, StockCount, Transfer
from inventory.transitions import ADJUSTMENT, PURCHASE_ORDER, STOCK_COUNT, TRANSFER

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
