"""The floor plan: areas drawn as grids, tables on their cells, and moving a tab to another table."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet

from ..models import Area, DiningTable, Order

GRID_MAX = 20


@transaction.atomic
def area_create(*, outlet: Outlet, name: str, columns: int = 6, rows: int = 4) -> Area:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["An area needs a name."]
    elif Area.objects.filter(outlet=outlet, name__iexact=name).exists():
        errors["name"] = [f"{outlet} already has an area called “{name}”."]
    for field, value in (("columns", columns), ("rows", rows)):
        if not isinstance(value, int) or not 1 <= value <= GRID_MAX:
            errors[field] = [f"The grid has 1 to {GRID_MAX} {field}."]
    if errors:
        raise ValidationError(errors)
    return Area.objects.create(outlet=outlet, name=name, columns=columns, rows=rows)


def table_save(
    *, area: Area, name: str, seats: int, column: int, row: int, table: DiningTable | None = None
) -> DiningTable:
    """Add a table, or move/rename one. One table per cell and unique names in an area (database rules)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["A table needs a name or number."]
    if not isinstance(seats, int) or not 1 <= seats <= 50:
        errors["seats"] = ["Seats are 1 to 50."]
    if not isinstance(column, int) or not 0 <= column < area.columns:
        errors["column"] = [f"The column is 1 to {area.columns}."]
    if not isinstance(row, int) or not 0 <= row < area.rows:
        errors["row"] = [f"The row is 1 to {area.rows}."]
    if errors:
        raise ValidationError(errors)
    table = table or DiningTable(area=area)
    table.area, table.name, table.seats, table.column, table.row = area, name, seats, column, row
    try:
        with transaction.atomic():
            table.save()
    except IntegrityError:
        raise ValidationError(
            f"Another table in {area} already has that name or stands on row {row + 1}, column {column + 1}."
        ) from None
    return table


def table_open_order(table: DiningTable) -> Order | None:
    return Order.objects.filter(table=table, status=Order.Status.OPEN).first()


@transaction.atomic
def order_move_table(*, order: Order, table: DiningTable, expected_version: int, user: User) -> Order:
    """Move an open tab to another (free) table of the same outlet."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status != Order.Status.OPEN:
        raise ValidationError(f"Order #{order.number} is no longer open.")
    if order.version != expected_version:
        raise ValidationError(f"Tab #{order.number} was changed on another till; reload it.", code="conflict")
    if table.area.outlet_id != order.outlet_id or not table.is_active:
        raise ValidationError("That table is not on this outlet's floor.")
    busy = table_open_order(table)
    if busy is not None and busy.pk != order.pk:
        raise ValidationError(f"Table {table.name} already has tab #{busy.number}.")
    before = order.table_label
    order.table, order.table_label, order.order_type = table, table.name, Order.Type.DINE_IN
    order.version += 1
    order.save(update_fields=["table", "table_label", "order_type", "version", "updated_at"])
    audit_record(
        action="order.move_table", actor=user, target=f"order {order.number}", data={"from": before, "to": table.name}
    )
    return order
