"""QR payments: the QR image for the till, the provider's callback, and the built-in simulator's phone page."""

import io

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pos_project.errors import error_response
from sales.models import Payment
from sales.providers import SimulatorProvider
from sales.services.qr import qr_payment_callback


def qr_svg(payload: str) -> str:
    """The QR code as inline SVG (segno; no image library, nothing fetched from outside)."""
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


@csrf_exempt  # the provider signs its callbacks instead
@require_POST
def provider_callback(request: HttpRequest) -> JsonResponse:
    """The payment provider tells us a charge's outcome. Signed; idempotent; answers 200 once handled."""
    try:
        payment = qr_payment_callback(body=request.body, signature=request.headers.get("X-Signature", ""))
    except ValidationError as exc:
        return error_response(exc)
    return JsonResponse({"reference": payment.reference, "status": payment.status})


def simulator_phone(request: HttpRequest, reference: str) -> HttpResponse:
    """What the customer's e-wallet would show after scanning: pay or decline. Demo and tests only."""
    if not settings.QR_SIMULATOR_ENABLED:
        raise Http404
    payment = get_object_or_404(Payment.objects.select_related("order"), tender=Payment.Tender.QR, reference=reference)
    result = None
    if request.method == "POST":
        provider = SimulatorProvider()
        status = "paid" if request.POST.get("decision") == "pay" else "failed"
        body = provider.callback_body(reference=reference, status=status, amount_minor=payment.amount_minor)
        # As the provider would: a signed call to our callback (in-process here).
        result = provider_callback_request(body, provider.sign(body))
        payment.refresh_from_db()
    # The provider knows nothing of a charge the till called off: the customer's phone can still pay it.
    awaiting = payment.status in (Payment.Status.PENDING, Payment.Status.CANCELLED)
    context = {"payment": payment, "result": result, "awaiting_customer": awaiting}
    return render(request, "sales/qr_simulator.html", context)


def provider_callback_request(body: bytes, signature: str) -> str:
    try:
        return qr_payment_callback(body=body, signature=signature).get_status_display()
    except ValidationError as exc:
        return " ".join(exc.messages)
