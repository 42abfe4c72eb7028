from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import capability_required
from accounts.selectors import audit_list, staff_list
from business.selectors import outlet_list
from catalog.selectors import menu_categories


@capability_required("backoffice.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "outlets": outlet_list(),
        "staff_count": staff_list().filter(is_active=True).count(),
        "categories": menu_categories(),
        "recent_audit": audit_list(limit=10),
    }
    return render(request, "backoffice/dashboard.html", context)
