from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from accounts.selectors import staff_list
from business.selectors import outlet_list
from sales.models import Payment
from sales.selectors import payments_refund_due, shift_list_recent
from sales.services.qr import payment_refund_given


@capability_required("supervisor.console")
def supervisor_console(request: HttpRequest) -> HttpResponse:
    from inventory.selectors.stock_reports import stock_attention

    context = {
        "outlets": outlet_list(),
        "staff": staff_list().filter(is_active=True),
        "shifts": shift_list_recent(),
        "stock": stock_attention(),
        "refund_due": payments_refund_due(),
    }
    return render(request, "sales/supervisor.html", context)


@require_POST
@capability_required("order.refund")
def payment_refunded(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a QR payment flagged for refund was given back."""
    payment = get_object_or_404(Payment, pk=pk)
    try:
        payment_refund_given(payment=payment, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded: %(ref)s given back.") % {"ref": payment.reference})
    return redirect("sales:supervisor")
