from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.guards import SUPERVISOR_ROLES, role_required
from accounts.selectors import staff_list
from business.selectors import outlet_list
from sales.selectors import shift_list_recent


@role_required(*SUPERVISOR_ROLES)
def supervisor_console(request: HttpRequest) -> HttpResponse:
    from inventory.selectors.stock_reports import stock_attention

    context = {
        "outlets": outlet_list(),
        "staff": staff_list().filter(is_active=True),
        "shifts": shift_list_recent(),
        "stock": stock_attention(),
    }
    return render(request, "sales/supervisor.html", context)
