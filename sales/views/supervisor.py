from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.guards import SUPERVISOR_ROLES, TILL_ROLES, role_required
from accounts.selectors import staff_list
from business.selectors import outlet_default, outlet_list
from inventory.selectors import menu_categories


@role_required(*TILL_ROLES)
def till(request: HttpRequest) -> HttpResponse:
    categories = list(menu_categories())
    return render(request, "sales/till.html", {"categories": categories, "outlet": outlet_default()})


@role_required(*SUPERVISOR_ROLES)
def supervisor_console(request: HttpRequest) -> HttpResponse:
    context = {"outlets": outlet_list(), "staff": staff_list().filter(is_active=True)}
    return render(request, "sales/supervisor.html", context)
