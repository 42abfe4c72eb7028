from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.guards import KITCHEN_ROLES, role_required
from business.selectors import outlet_default


@role_required(*KITCHEN_ROLES)
def display(request: HttpRequest) -> HttpResponse:
    return render(request, "kitchen/display.html", {"outlet": outlet_default(), "tickets": []})
