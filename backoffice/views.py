from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import capability_required

from .selectors import audit_feed, setup_checklist


@capability_required("backoffice.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    checklist = setup_checklist(user=request.user)
    context = {
        "checklist": checklist,
        "feed": audit_feed(limit=8),
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/dashboard.html", context)
