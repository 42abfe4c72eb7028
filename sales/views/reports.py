"""X (mid-shift) and Z (closed shift) reports."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import can, capability_required, outlet_filter
from sales.models import Shift
from sales.selectors import shift_report


@capability_required("till.use")
def shift_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Supervisors and owners see every shift's report; a cashier sees the shifts they opened or closed."""
    shifts = outlet_filter(Shift.objects.select_related("register__outlet", "opened_by", "closed_by"), request.user)
    shift = get_object_or_404(shifts, pk=pk)  # another outlet's shift: 404, as an unknown one
    if not can(request.user, "shift.view_other") and request.user.pk not in (shift.opened_by_id, shift.closed_by_id):
        raise Http404
    context = {"shift": shift, "outlet": shift.register.outlet, "report": shift_report(shift=shift)}
    return render(request, "sales/shift_report.html", context)
