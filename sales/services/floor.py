"""The floor plan: areas drawn as grids, tables on their cells, and moving a tab to another table."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import order_lock
from ..models import Area, DiningTable, Order

GRID_MAX = 20


@transaction.atomic
def area_create(*, outlet: Outlet, name: str, columns: int = 6, rows: int = 4) -> Area:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("An area needs a name.")]
    elif Area.objects.filter(outlet=outlet, name__iexact=name).exists():
        errors["name"] = [_("%(outlet)s already has an area called “%(name)s”.") % {"outlet": outlet, "name": name}]
    if not isinstance(columns, int) or not 1 <= columns <= GRID_MAX:
        errors["columns"] = [_("The grid has 1 to %(max)s columns.") % {"max": GRID_MAX}]
    if not isinstance(rows, int) or not 1 <= rows <= GRID_MAX:
        errors["rows"] = [_("The grid has 1 to %(max)s rows.") % {"max": GRID_MAX}]
    if errors:
        raise ServiceError("floor.area_invalid", _("The area needs fixing."), fields=errors)
    return Area.objects.create(outlet=outlet, name=name, columns=columns, rows=rows)


def table_save(
    *, area: Area, name: str, seats: int, column: int, row: int, table: DiningTable | None = None
) -> DiningTable:
    """Add a table, or move/rename one. One table per cell and unique names in an area (database rules)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("A table needs a name or number.")]
    if not isinstance(seats, int) or not 1 <= seats <= 50:
        errors["seats"] = [_("Seats are 1 to 50.")]
    if not isinstance(column, int) or not 0 <= column < area.columns:
        errors["column"] = [_("The column is 1 to %(max)s.") % {"max": area.columns}]
    if not isinstance(row, int) or not 0 <= row < area.rows:
        errors["row"] = [_("The row is 1 to %(max)s.") % {"max": area.rows}]
    if errors:
        raise ServiceError("floor.table_invalid", _("The table needs fixing."), fields=errors)
    table = table or DiningTable(area=area)
    table.area, table.name, table.seats, table.column, table.row = area, name, seats, column, row
    try:
        with transaction.atomic():
            table.save()
    except IntegrityError:
        raise ServiceError(
            "floor.table_taken",
            _("Another table in %(area)s already has that name or stands on row %(row)s, column %(column)s.")
            % {"area": area, "row": row + 1, "column": column + 1},
        ) from None
    return table


def table_open_order(table: DiningTable) -> Order | None:
    return Order.objects.filter(table=table, status=Order.Status.OPEN).first()


@transaction.atomic
def order_move_table(*, order: Order, table: DiningTable, expected_version: int, user: User) -> Order:
    """Move an open tab to another (free) table of the same outlet."""
    order = order_lock(order.pk)
    if order.status != Order.Status.OPEN:
        raise ServiceError(
            "order.not_open", _("Order #%(number)s is no longer open.") % {"number": order.number}, status=CONFLICT
        )
    if order.version != expected_version:
        raise ServiceError(
            "order.changed_elsewhere",
            _("Tab #%(number)s was changed on another till; reload it.") % {"number": order.number},
            status=CONFLICT,
        )
    if table.area.outlet_id != order.outlet_id or not table.is_active:
        raise ServiceError("table.elsewhere", _("That table is not on this outlet's floor."), field="table")
    busy = table_open_order(table)
    if busy is not None and busy.pk != order.pk:
        raise ServiceError(
            "table.busy",
            _("Table %(table)s already has tab #%(number)s.") % {"table": table.name, "number": busy.number},
            status=CONFLICT,
        )
    before = order.table_label
    order.table, order.table_label, order.order_type = table, table.name, Order.Type.DINE_IN
    order.version += 1
    order.save(update_fields=["table", "table_label", "order_type", "version", "updated_at"])
    audit_record(
        action="order.move_table", actor=user, target=f"order {order.number}", data={"from": before, "to": table.name}
    )
    return order
