from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import capability_required
from accounts.selectors import staff_list
from business.selectors import outlet_list
from sales.selectors import shift_list_recent


@capability_required("supervisor.console")
def supervisor_console(request: HttpRequest) -> HttpResponse:
    from inventory.selectors.stock_reports import stock_attention

    context = {
        "outlets": outlet_list(),
        "staff": staff_list().filter(is_active=True),
        "shifts": shift_list_recent(),
        "stock": stock_attention(),
    }
    return render(request, "sales/supervisor.html", context)
