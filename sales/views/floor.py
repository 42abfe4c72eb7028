"""The floor plan: arranged in the back office, used from the till."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from business.selectors import outlet_default
from pos_project.errors import ServiceError, bad_request, error_response
from sales.models import Area, DiningTable, Order
from sales.selectors import floor_plan
from sales.services.floor import area_create, order_move_table, table_save

from .till import current_shift, order_json


def _int(value: str, default: int = -1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@capability_required("floor.edit")
def floor_admin(request: HttpRequest) -> HttpResponse:
    outlet = outlet_default()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "area":
                area_create(
                    outlet=outlet,
                    name=request.POST.get("name", ""),
                    columns=_int(request.POST.get("columns")),
                    rows=_int(request.POST.get("rows")),
                )
            else:
                area = get_object_or_404(Area, pk=_int(request.POST.get("area")), outlet=outlet)
                table = None
                if request.POST.get("table"):
                    table = get_object_or_404(DiningTable, pk=_int(request.POST.get("table")), area__outlet=outlet)
                table_save(
                    area=area,
                    table=table,
                    name=request.POST.get("name", ""),
                    seats=_int(request.POST.get("seats")),
                    column=_int(request.POST.get("column")) - 1,
                    row=_int(request.POST.get("row")) - 1,
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Floor plan saved."))
            return redirect("sales:floor_admin")
    return render(
        request,
        "sales/floor_admin.html",
        {"outlet": outlet, "areas": floor_plan(outlet=outlet)},
        status=400 if request.method == "POST" else 200,
    )


@capability_required("till.use")
def till_tables(request: HttpRequest) -> HttpResponse:
    """The floor plan with each table's open tab, its age and total (htmx partial for the till)."""
    shift = current_shift(request)
    areas = floor_plan(outlet=shift.register.outlet) if shift else []
    now = timezone.now()
    for area in areas:
        for table in area.floor_tables:
            order = table.open_order
            table.tab_json = (
                json.dumps(
                    {
                        **order_json(order),
                        "version": order.version,
                        "table_label": table.name,
                        "customer_name": order.customer_name,
                    }
                )
                if order
                else ""
            )
            table.age_minutes = int((now - order.created_at).total_seconds() // 60) if order else None
    return render(request, "sales/_floor.html", {"areas": areas})


@require_POST
@capability_required("till.use")
def till_move_table(request: HttpRequest, pk: int) -> JsonResponse:
    shift = current_shift(request)
    if shift is None:
        return error_response(ServiceError("shift.none", _("Open a shift first."), status=409))
    order = get_object_or_404(Order, pk=pk, outlet_id=shift.outlet_id)
    try:
        data = json.loads(request.body or b"{}")
        table = get_object_or_404(DiningTable, pk=_int(data.get("table_id")), area__outlet_id=shift.outlet_id)
        order = order_move_table(
            order=order, table=table, expected_version=_int(data.get("version")), user=request.user
        )
    except (json.JSONDecodeError, AttributeError):
        return error_response(bad_request(_("The request is not valid JSON.")))
    except ValidationError as exc:
        return error_response(exc)
    return JsonResponse({**order_json(order), "version": order.version, "table_label": order.table_label})
