from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required, outlet_filter
from accounts.selectors import staff_list
from business.selectors import outlets_for
from pos_project import parsing
from sales.models import Payment, Shift
from sales.selectors import payments_refund_due, shift_list_recent, shifts_open, variance_needs_review
from sales.services.qr import payment_refund_given
from sales.services.shifts import shift_take_over

from .till import SESSION_REGISTER


@capability_required("supervisor.console")
def supervisor_console(request: HttpRequest) -> HttpResponse:
    from inventory.selectors.stock_reports import stock_attention

    closed = list(shift_list_recent(status=Shift.Status.CLOSED, user=request.user))
    for shift in closed:
        shift.variance_review = variance_needs_review(
            expected_minor=shift.expected_cash_minor, variance_minor=shift.variance_minor
        )
    context = {
        "outlets": outlets_for(request.user),
        "staff": staff_list().filter(is_active=True),
        "open_shifts": list(outlet_filter(shifts_open(), request.user)),
        "shifts": closed,
        "stock": stock_attention(user=request.user),
        "refund_due": payments_refund_due(user=request.user),
    }
    return render(request, "sales/supervisor.html", context)


@require_POST
@capability_required("shift.take_over")
def shift_take_over_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Take over someone else's open shift (audited) and work it on this device: sell, count and close it."""
    shift = get_object_or_404(outlet_filter(Shift.objects.all(), request.user), pk=pk, status=Shift.Status.OPEN)
    try:
        shift = shift_take_over(shift=shift, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:supervisor")
    request.session[SESSION_REGISTER] = shift.register_id
    messages.success(request, _("You took over the shift on %(register)s.") % {"register": shift.register.name})
    return redirect("sales:till")


@require_POST
@capability_required("order.refund")
def payment_refunded(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a QR payment flagged for refund was given back."""
    payment = get_object_or_404(outlet_filter(Payment.objects.all(), request.user, field="order__outlet_id"), pk=pk)
    try:
        payment_refund_given(
            payment=payment, actor=request.user, note=parsing.clean_text(request.POST.get("note"), multiline=True)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded: %(ref)s given back.") % {"ref": payment.reference})
    return redirect("sales:supervisor")
