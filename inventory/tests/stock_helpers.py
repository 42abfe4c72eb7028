"""Helpers for stock tests: items made through the model (the item services are tested on their own) and the
ledger invariant every stock test checks after each kind of change."""

import itertools
from decimal import Decimal

from django.db.models import Sum

from business.models import Outlet
from business.services import outlet_create
from inventory.models import StockItem, StockLevel, StockMovement

_seq = itertools.count(1)


def stock_item(*, name: str = "", unit: str = "pcs", cost: str = "100", **fields) -> StockItem:
    n = next(_seq)
    return StockItem.objects.create(
        name=name or f"Item {n}", sku=fields.pop("sku", f"STK-{n}"), base_unit=unit, cost=Decimal(cost), **fields
    )


def second_outlet(name: str = "Harbour Road") -> Outlet:
    outlet = Outlet.objects.filter(name=name).first()
    return outlet or outlet_create(name=name, code=f"o{next(_seq)}")


def level_of(item: StockItem, outlet: Outlet) -> Decimal:
    row = StockLevel.objects.filter(item=item, outlet=outlet).first()
    return row.quantity if row else Decimal(0)


def assert_ledger_consistent() -> None:
    """Every level equals the sum of its movements, and every movement's balance_after is the running sum."""
    sums = {
        (row["item_id"], row["outlet_id"]): row["total"]
        for row in StockMovement.objects.values("item_id", "outlet_id").annotate(total=Sum("quantity"))
    }
    levels = {(lv.item_id, lv.outlet_id): lv.quantity for lv in StockLevel.objects.all()}
    for key, total in sums.items():
        assert levels.get(key) == total, f"level {levels.get(key)} != movements {total} for item/outlet {key}"
    for key, quantity in levels.items():
        assert quantity == sums.get(key, Decimal(0)), f"level {quantity} without matching movements for {key}"
    running: dict[tuple[int, int], Decimal] = {}
    for m in StockMovement.objects.order_by("pk"):
        key = (m.item_id, m.outlet_id)
        running[key] = running.get(key, Decimal(0)) + m.quantity
        assert m.balance_after == running[key], f"movement {m.pk}: balance_after {m.balance_after} != {running[key]}"
