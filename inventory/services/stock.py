"""The stock ledger: the one way stock changes.

Every change goes through `movements_post`, which adds immutable movements and moves the levels by the same
amounts in the same transaction. Levels are moved by one upsert that locks them in stock-item order, so two tills
selling the last unit at once queue on the row: the second sees the first's result and, under the "block"
policy, is refused with a clear message instead of taking the level below zero. Locking in one order means two
posts that touch the same items never deadlock.

Being the one writer, it is also the one place that sees a level cross its reorder point: a post that takes an
item at an outlet from above its (set) reorder point to at or below it emits `stock.low` (docs/adr/0008), in
the same transaction. The upsert returns the new levels, so a post where nothing crosses costs no query more; a
crossing costs one insert per item.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from business.models import Outlet
from core.outbox import event_emit
from pos_project.errors import CONFLICT, ServiceError

from ..models import RecipeComponent, StockItem, StockLevel, StockMovement, StockSettings
from ..quantities import format_quantity

Kind = StockMovement.Kind


class OutOfStock(ServiceError):
    """A movement would take items below zero where that is not allowed: `stock.insufficient`, a conflict with
    what is on the shelf (409). One message per short item, each naming it."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("stock.insufficient", " ".join(messages), fields={"__all__": list(messages)},
                         status=CONFLICT)  # fmt: skip


@dataclass(frozen=True)
class MovementLine:
    item_id: int
    quantity: Decimal  # signed, base units
    unit_cost: Decimal | None = None  # None: the item's current cost
    source_line_id: int | None = None


def stock_settings_get() -> StockSettings:
    settings = StockSettings.objects.first()
    return settings if settings is not None else StockSettings.objects.create()


@dataclass(frozen=True)
class _Moved:
    """A level as one post left it, with what the post needs of its item."""

    quantity: Decimal
    reorder_point: Decimal
    cost: Decimal
    name: str
    base_unit: str


def _move_levels(outlet_id: int, totals: dict[int, Decimal]) -> dict[int, _Moved]:
    """Add each item's total to its level at the outlet, creating missing levels, in ONE statement: an upsert
    whose row locks are taken in item order (docs/adr/0007) and held to the end of the transaction, returning
    the new quantities and the items' costs. It replaces a create-missing, a SELECT … FOR UPDATE, an item read
    and an UPDATE, each of which a till paid for on every sale."""
    ids = sorted(totals)
    level, item = StockLevel._meta.db_table, StockItem._meta.db_table
    rows = ", ".join(["(%s, %s::numeric)"] * len(ids))
    sql = f"""
        WITH moved AS (
            INSERT INTO {level} AS l (item_id, outlet_id, quantity, reorder_point, reorder_quantity, updated_at)
            SELECT v.item_id, %s, v.delta, 0, 0, %s FROM (VALUES {rows}) AS v (item_id, delta) ORDER BY v.item_id
            ON CONFLICT (item_id, outlet_id)
            DO UPDATE SET quantity = l.quantity + EXCLUDED.quantity, updated_at = EXCLUDED.updated_at
            RETURNING l.item_id, l.quantity, l.reorder_point
        )
        SELECT m.item_id, m.quantity, m.reorder_point, i.cost, i.name, i.base_unit
        FROM moved m JOIN {item} i ON i.id = m.item_id
    """  # noqa: S608 - table names from the models; every value is a parameter
    params: list = [outlet_id, timezone.now()]
    for item_id in ids:
        params += [item_id, totals[item_id]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: _Moved(*row[1:]) for row in cursor.fetchall()}


@transaction.atomic
def movements_post(
    *,
    outlet_id: int,
    kind: str,
    lines: Sequence[MovementLine],
    user: User | None = None,
    source_type: str,
    source_id: int | None = None,
    reason: str = "",
    note: str = "",
    block_negative: bool = False,
) -> list[StockMovement]:
    """Add one movement per line and move the levels by the same amounts. With `block_negative`, any item that
    would end below zero stops the whole post (nothing is saved: the savepoint rolls back the levels already
    moved) with an `OutOfStock` naming every such item; otherwise the movement is saved with `went_negative`
    set, for the low-stock list to flag."""
    lines = [line for line in lines if line.quantity]
    if not lines:
        return []
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.item_id] += line.quantity
    levels = _move_levels(outlet_id, totals)
    before = {item_id: moved.quantity - totals[item_id] for item_id, moved in levels.items()}
    if block_negative:
        short = [
            (item_id, before[item_id])
            for item_id, delta in totals.items()
            if delta < 0 and levels[item_id].quantity < 0
        ]
        if short:
            outlet = Outlet.objects.get(pk=outlet_id)
            raise OutOfStock(
                [
                    _("Out of stock: only %(left)s %(unit)s of %(item)s left at %(outlet)s.")
                    % {
                        "left": format_quantity(max(have, Decimal(0))),
                        "unit": levels[item_id].base_unit,
                        "item": levels[item_id].name,
                        "outlet": outlet.name,
                    }
                    for item_id, have in short
                ]
            )
    balance = dict(before)
    movements = []
    for line in lines:
        balance[line.item_id] += line.quantity
        movements.append(
            StockMovement(
                item_id=line.item_id,
                outlet_id=outlet_id,
                kind=kind,
                quantity=line.quantity,
                balance_after=balance[line.item_id],
                unit_cost=levels[line.item_id].cost if line.unit_cost is None else line.unit_cost,
                reason=reason,
                note=note[:200],
                user=user,
                source_type=source_type,
                source_id=source_id,
                source_line_id=line.source_line_id,
                went_negative=line.quantity < 0 and balance[line.item_id] < 0,
            )
        )
    StockMovement.objects.bulk_create(movements, batch_size=1000)
    _low_stock_emit(outlet_id, levels, before)
    return movements


def _low_stock_emit(outlet_id: int, levels: dict[int, _Moved], before: dict[int, Decimal]) -> None:
    """`stock.low` for each item this post took from above its reorder point to at or below it. Only on the
    crossing: a level already low that falls further, or one with no reorder point set, says nothing (the
    daily digest and the low-stock page list every low level)."""
    for item_id, level in levels.items():
        point = level.reorder_point
        if point > 0 and before[item_id] > point >= level.quantity:
            event_emit("stock.low", {"item": item_id, "outlet": outlet_id, "level": format_quantity(level.quantity),
                                     "reorder_point": format_quantity(point)})  # fmt: skip


# --- Sales ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoldLine:
    order_line_id: int | None  # None while the order line is not written yet (`stock_usage_for_sale`)
    product_id: int | None
    variant_id: int | None
    modifier_ids: tuple[int, ...] = ()
    quantity: int = 1


@dataclass(frozen=True)
class ReturnedLine:
    order_line_id: int
    usage: dict  # the line's stock_usage as stored at sale: {item id (str): base units per unit (str)}
    quantity: int


@dataclass
class _Recipes:
    product: dict[int, list[RecipeComponent]] = field(default_factory=lambda: defaultdict(list))
    variant: dict[int, list[RecipeComponent]] = field(default_factory=lambda: defaultdict(list))
    modifier: dict[int, list[RecipeComponent]] = field(default_factory=lambda: defaultdict(list))


def _recipes_for(lines: Sequence[SoldLine]) -> _Recipes:
    products = {line.product_id for line in lines if line.product_id}
    variants = {line.variant_id for line in lines if line.variant_id}
    modifiers = {m for line in lines for m in line.modifier_ids}
    recipes = _Recipes()
    from django.db.models import Q

    rows = RecipeComponent.objects.filter(
        Q(product_id__in=products) | Q(variant_id__in=variants) | Q(modifier_id__in=modifiers)
    )
    for row in rows:
        if row.product_id:
            recipes.product[row.product_id].append(row)
        elif row.variant_id:
            recipes.variant[row.variant_id].append(row)
        else:
            recipes.modifier[row.modifier_id].append(row)
    return recipes


def usage_per_unit(line: SoldLine, recipes: _Recipes) -> dict[int, Decimal]:
    """Stock one unit of the line takes: the variant's recipe if it has one, else the product's; then each
    modifier adds its items, or swaps one (same quantity as the swapped item unless it gives its own)."""
    base = recipes.variant.get(line.variant_id) if line.variant_id else None
    components = base or recipes.product.get(line.product_id, [])
    usage: dict[int, Decimal] = defaultdict(Decimal)
    for c in components:
        usage[c.item_id] += c.quantity
    for modifier_id in line.modifier_ids:
        for c in recipes.modifier.get(modifier_id, []):
            if c.replaces_id:
                swapped = usage.pop(c.replaces_id, Decimal(0))
                amount = c.quantity or swapped
                if swapped or c.quantity:
                    usage[c.item_id] += amount
            else:
                usage[c.item_id] += c.quantity
    return {item: qty for item, qty in usage.items() if qty}


def stock_usage_for_sale(lines: Sequence[SoldLine]) -> list[dict[str, str]]:
    """What one unit of each line takes, in the lines' order, as the order line keeps it (item id and quantity as
    text), read in one query. Called before the order's lines are written, so they are written with it."""
    recipes = _recipes_for(lines)
    return [{str(item): format_quantity(qty) for item, qty in usage_per_unit(line, recipes).items()} for line in lines]


def stock_consume_for_sale(
    *,
    outlet_id: int,
    order_id: int,
    lines: Sequence[SoldLine],
    user: User | None,
    usages: Sequence[dict[str, str]] | None = None,
) -> None:
    """Take what the lines use out of the outlet's stock, in the caller's transaction (the order's): `usages`
    as the order lines keep them (`stock_usage_for_sale`), read here when not given. Under the "block" policy a
    line that would take stock below zero raises `OutOfStock` (a ValidationError naming it) and the order is
    not made."""
    if usages is None:
        usages = stock_usage_for_sale(lines)
    movement_lines = [
        MovementLine(item_id=int(item_id), quantity=-(Decimal(per_unit) * line.quantity),
                     source_line_id=line.order_line_id)
        for line, usage in zip(lines, usages, strict=True)
        for item_id, per_unit in usage.items()
    ]  # fmt: skip
    if movement_lines:
        policy = stock_settings_get().negative_stock
        movements_post(
            outlet_id=outlet_id,
            kind=Kind.SALE,
            lines=movement_lines,
            user=user,
            source_type="order",
            source_id=order_id,
            block_negative=policy == StockSettings.NegativeStock.BLOCK,
        )


def stock_return_for_order(
    *,
    outlet_id: int,
    order_id: int,
    lines: Sequence[ReturnedLine],
    user: User | None,
    kind: str = Kind.REFUND,
    wasted: bool = False,
) -> list[StockMovement]:
    """Put back what refunded or voided units took when sold (their stored usage, not today's recipe). With
    `wasted` (the dish was made, then voided), the same quantities are written off as waste right after, so
    the sale no longer counts them and the waste report does."""
    movement_lines = [
        MovementLine(
            item_id=int(item_id), quantity=Decimal(per_unit) * line.quantity, source_line_id=line.order_line_id
        )  # fmt: skip
        for line in lines
        if line.quantity
        for item_id, per_unit in (line.usage or {}).items()
    ]
    movements = movements_post(
        outlet_id=outlet_id, kind=kind, lines=movement_lines, user=user, source_type="order", source_id=order_id
    )
    if wasted and movement_lines:
        waste = [MovementLine(m.item_id, -m.quantity, source_line_id=m.source_line_id) for m in movement_lines]
        movements += movements_post(outlet_id=outlet_id, kind=Kind.WASTE, lines=waste, user=user, source_type="order",
                                    source_id=order_id, reason="waste", note="Made, then voided")  # fmt: skip
    return movements
