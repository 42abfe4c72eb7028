"""The floor plan: areas drawn as grids, tables on their cells (placed, moved and deleted by the owner), the
table a dine-in order is at, and moving a tab to another table."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import order_lock, table_lock
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
    others = DiningTable.objects.filter(area=area, is_active=True).exclude(pk=table.pk if table else None)
    here = others.filter(row=row, column=column).first()
    if here is not None:
        raise ServiceError(
            "floor.cell_taken",
            _("Table %(table)s already stands on row %(row)s, column %(column)s of %(area)s.")
            % {"table": here.name, "area": area, "row": row + 1, "column": column + 1},
            field="column",
            status=CONFLICT,
        )
    if others.filter(name__iexact=name).exists():
        raise ServiceError(
            "floor.name_taken",
            _("%(area)s already has a table called “%(name)s”.") % {"area": area, "name": name},
            field="name",
        )
    table = table or DiningTable(area=area)
    table.area, table.name, table.seats, table.column, table.row = area, name, seats, column, row
    try:
        with transaction.atomic():
            table.save()
    except IntegrityError:  # another owner's save won the race for the cell or the name
        raise ServiceError(
            "floor.table_taken",
            _("Another table in %(area)s already has that name or stands on row %(row)s, column %(column)s.")
            % {"area": area, "row": row + 1, "column": column + 1},
            status=CONFLICT,
        ) from None
    return table


def table_place(*, table: DiningTable, area: Area, column: int, row: int) -> DiningTable:
    """Drop a table on a cell (the editor's drag): same name and seats, maybe another area of the outlet."""
    if area.outlet_id != table.area.outlet_id:
        raise ServiceError("table.elsewhere", _("That table is not on this outlet's floor."), field="area")
    return table_save(area=area, table=table, name=table.name, seats=table.seats, column=column, row=row)


@transaction.atomic
def table_delete(*, table: DiningTable, user: User) -> DiningTable:
    """Take a table off the floor plan; refused while it has an open tab (pay it or move it first).

    A table that has ever had an order is retired (`is_active` off) rather than deleted, so those orders keep
    their table; either way its cell and name are free again. The table row is locked first: a sale seating
    someone there at the same moment holds a key-share lock on it until it commits, so the check below sees it.
    """
    table = table_lock(table.pk)
    if not table.is_active:
        raise ServiceError("table.gone", _("That table was deleted already."), status=CONFLICT)
    busy = table_open_order(table)
    if busy is not None:
        raise ServiceError(
            "table.busy",
            _("Table %(table)s has tab #%(number)s open: pay it or move it to another table first.")
            % {"table": table.name, "number": busy.number},
            status=CONFLICT,
        )
    audit_record(action=AuditAction.FLOOR_TABLE_DELETE, actor=user, target=table, label=f"table {table.name}",
                 data={"area": table.area_id})  # fmt: skip
    if Order.objects.filter(table=table).exists():
        table.is_active = False
        table.save(update_fields=["is_active"])
    else:
        table.delete()
    return table


def table_for_label(*, outlet_id: int, label: str) -> DiningTable | None:
    """The table a dine-in order typed as free text is at ("7" from an API client or an older till page).

    When the outlet has a floor plan, every dine-in order sits at one of its tables, so the floor shows it busy
    and nobody seats a second party there: the exact name (ignoring case and spaces around it) is that table,
    and a label that names no table, or a table in two areas, is refused with a word to choose from the plan.
    Without a floor plan the label stays free text (None). One query when the name matches, two when not.
    """
    label = (label or "").strip()
    tables = DiningTable.objects.filter(area__outlet_id=outlet_id, is_active=True)
    matches = list(tables.filter(name__iexact=label).select_related("area")[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ServiceError(
            "table.ambiguous",
            _("Two areas have a table called “%(name)s”: choose it from Tables.") % {"name": label},
            field="table_label",
        )
    if tables.exists():
        raise ServiceError(
            "table.unknown",
            _("There is no table “%(name)s” on the floor plan: choose the table from Tables.") % {"name": label},
            field="table_label",
        )
    return None


def table_open_order(table: DiningTable) -> Order | None:
    return Order.objects.filter(table=table, status=Order.Status.OPEN).order_by("created_at", "pk").first()


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
        action=AuditAction.ORDER_MOVE_TABLE,
        actor=user,
        target=order,
        label=f"order {order.number}",
        data={"from": before, "to": table.name},
    )
    return order
