"""The floor plan: arranged in the back office (tables dragged to their cells, added, deleted), used from the till
(a free table seats a dine-in order, a busy one opens its tab: pay, add items, move, split)."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required
from business.selectors import outlet_default, tenant_settings
from pos_project import parsing
from pos_project.errors import ServiceError, bad_request, error_response
from sales.models import Area, DiningTable, Order
from sales.selectors import floor_plan
from sales.services.floor import area_create, order_move_table, table_delete, table_place, table_save
from sales.services.orders import MAX_QUANTITY
from sales.services.tabs import order_split

from .till import current_shift, tab_json


def _int(value: str, default: int = -1) -> int:
    """A whole number typed in the floor editor; anything else is `default` (which the service refuses)."""
    number = parsing.int_or_none(value)
    return default if number is None else number


def _json_body(request: HttpRequest) -> dict:
    return parsing.json_object(request)


@capability_required("floor.edit")
def floor_admin(request: HttpRequest) -> HttpResponse:
    """The editor: each area a grid of cells to drop tables on (static/js/floor-editor.js), the forms to add an
    area or a table (and to move one without dragging), and a chosen table's delete button."""
    outlet = outlet_default()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "area":
                area_create(
                    outlet=outlet,
                    name=parsing.clean_text(request.POST.get("name")),
                    columns=_int(request.POST.get("columns")),
                    rows=_int(request.POST.get("rows")),
                )
                messages.success(request, _("Floor plan saved."))
            elif action == "delete":
                table = get_object_or_404(DiningTable, pk=_int(request.POST.get("table")), area__outlet=outlet)
                table_delete(table=table, user=request.user)
                messages.success(request, _("Table %(table)s deleted.") % {"table": table.name})
            else:
                area = get_object_or_404(Area, pk=_int(request.POST.get("area")), outlet=outlet)
                table = None
                if request.POST.get("table"):
                    table = get_object_or_404(
                        DiningTable, pk=_int(request.POST.get("table")), area__outlet=outlet, is_active=True
                    )
                table_save(
                    area=area,
                    table=table,
                    name=parsing.clean_text(request.POST.get("name")),
                    seats=_int(request.POST.get("seats")),
                    column=_int(request.POST.get("column")) - 1,
                    row=_int(request.POST.get("row")) - 1,
                )
                messages.success(request, _("Floor plan saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("sales:floor_admin")
    areas = floor_plan(outlet=outlet)
    for area in areas:
        area.cells = [(column, row) for row in range(1, area.rows + 1) for column in range(1, area.columns + 1)]
    return render(
        request,
        "sales/floor_admin.html",
        {"outlet": outlet, "areas": areas},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@capability_required("floor.edit")
def floor_table_place(request: HttpRequest, pk: int) -> JsonResponse:
    """A table dropped on a cell in the editor: `{"area": id, "column": 1.., "row": 1..}`."""
    outlet = outlet_default()
    table = get_object_or_404(DiningTable.objects.select_related("area"), pk=pk, area__outlet=outlet, is_active=True)
    try:
        data = _json_body(request)
        area = get_object_or_404(Area, pk=_int(data.get("area")), outlet=outlet)
        table = table_place(table=table, area=area, column=_int(data.get("column")) - 1, row=_int(data.get("row")) - 1)
    except (json.JSONDecodeError, ValueError):
        return error_response(bad_request(_("The request is not valid JSON.")))
    except ValidationError as exc:
        return error_response(exc)
    message = _("Table %(table)s is now on row %(row)s, column %(column)s of %(area)s.") % {
        "table": table.name,
        "row": table.row + 1,
        "column": table.column + 1,
        "area": table.area.name,
    }
    return JsonResponse(
        {"id": table.pk, "area": table.area_id, "column": table.column + 1, "row": table.row + 1, "message": message}
    )


@capability_required("till.use")
def till_tables(request: HttpRequest) -> HttpResponse:
    """The floor plan with each table's open tabs, their age and what they owe (htmx partial for the till)."""
    shift = current_shift(request)
    areas = floor_plan(outlet=shift.register.outlet) if shift else []
    now, settings = timezone.now(), tenant_settings()
    for area in areas:
        for table in area.floor_tables:
            table.tabs_json = json.dumps([tab_json(order, now, settings) for order in table.open_orders])
            first = table.open_order
            table.age_minutes = int((now - first.created_at).total_seconds() // 60) if first else None
            table.owed_minor = sum(order.balance_minor for order in table.open_orders)
    return render(request, "sales/_floor.html", {"areas": areas})


@require_POST
@capability_required("till.use")
def till_move_table(request: HttpRequest, pk: int) -> JsonResponse:
    shift = current_shift(request)
    if shift is None:
        return error_response(ServiceError("shift.none", _("Open a shift first."), status=409))
    order = get_object_or_404(Order, pk=pk, outlet_id=shift.outlet_id)
    try:
        data = _json_body(request)
        table = get_object_or_404(DiningTable, pk=_int(data.get("table_id")), area__outlet_id=shift.outlet_id)
        order = order_move_table(
            order=order, table=table, expected_version=_int(data.get("version")), user=request.user
        )
    except (json.JSONDecodeError, ValueError):
        return error_response(bad_request(_("The request is not valid JSON.")))
    except ValidationError as exc:
        return error_response(exc)
    return JsonResponse(tab_json(order))


@require_http_methods(["GET", "POST"])
@capability_required("till.use")
def till_split(request: HttpRequest, pk: int) -> JsonResponse:
    """Splitting a tab by items from the till's tab dialog (sales.services.tabs.order_split).

    GET: the tab's items to choose from. POST `{"quantities": {line id: how many}, "idempotency_key": ...}`:
    those move to a new bill at the same table; the answer holds both bills (`order`, `new`)."""
    shift = current_shift(request)
    if shift is None:
        return error_response(ServiceError("shift.none", _("Open a shift first."), status=409))
    order = get_object_or_404(Order, pk=pk, outlet_id=shift.outlet_id)
    if request.method == "GET":
        lines = order.lines.filter(is_voided=False).order_by("position")
        return JsonResponse(
            {
                "tab": tab_json(order),
                "lines": [
                    {
                        "id": line.pk,
                        "name": line.name,
                        "quantity": line.quantity,
                        "modifiers": [m.get("name", "") for m in line.modifiers],
                        "net_minor": line.net_minor,
                    }
                    for line in lines
                ],
            }
        )
    try:
        data = _json_body(request)
        raw = data.get("quantities")
        if not isinstance(raw, dict):
            raise ValueError("quantities")
        quantities = {
            parsing.id_required(line_id, field="quantities"): parsing.json_int(
                quantity, field="quantities", label=_("quantity"), maximum=MAX_QUANTITY
            )
            for line_id, quantity in raw.items()
        }
        key = data.get("idempotency_key")
        if not isinstance(key, str) or not key:
            return error_response(bad_request(_("The request needs an idempotency key.")))
        new = order_split(order=order, user=request.user, quantities=quantities, idempotency_key=key)
    except (json.JSONDecodeError, ValueError, TypeError):
        return error_response(bad_request(_("The request is not valid JSON.")))
    except ValidationError as exc:
        return error_response(exc)
    order.refresh_from_db()
    now = timezone.now()
    return JsonResponse({"order": tab_json(order, now), "new": tab_json(new, now)})
