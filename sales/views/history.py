"""Order history: the cashier sees their own shift's orders, supervisors and owners all of them."""

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.guards import TILL_ROLES, role_required
from sales.models import Order, Payment, Shift
from sales.selectors import order_history, shift_list_recent

from .till import current_shift


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@role_required(*TILL_ROLES)
def history(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    sees_all = request.user.role in ("SUPERVISOR", "ADMIN_TENANT")
    number = request.GET.get("number", "").strip()
    filters = {
        "number": int(number) if number.isdigit() else None,
        "date_from": _date(request.GET.get("from", "")),
        "date_to": _date(request.GET.get("to", "")),
        "tender": request.GET.get("tender") if request.GET.get("tender") in Payment.Tender.values else None,
        "status": request.GET.get("status") if request.GET.get("status") in Order.Status.values else None,
    }
    if not sees_all:
        filters["shift"] = shift or Shift(pk=0)  # no open shift on this device: nothing to show
    page = Paginator(order_history(**filters, limit=None), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "shift": shift,
        "outlet": shift.register.outlet if shift else None,
        "sees_all": sees_all,
        "tenders": Payment.Tender.choices,
        "statuses": Order.Status.choices,
        "recent_shifts": shift_list_recent() if sees_all else [],
    }
    return render(request, "sales/history.html", context)
