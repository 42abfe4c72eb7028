"""QR payments: the QR image for the till, the provider's callback, the owner's provider settings, and the built-in
simulator's phone page (only where the deployment allows the simulator, and only for signed-in till staff)."""

import io

import segno
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from pos_project.errors import error_response
from pos_project.forms import form_add_service_errors
from sales.models import Payment
from sales.providers import ProviderError, SimulatorProvider, get_provider, secret_usable
from sales.services.qr import qr_payment_callback
from sales.services.qr_settings import (
    qr_provider_choices,
    qr_provider_set,
    qr_provider_settings_get,
    qr_secret_rotate,
)


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


class QrProviderForm(forms.Form):
    provider = forms.ChoiceField(
        label=gettext_lazy("QR payment provider"),
        help_text=gettext_lazy(
            "Off: the till takes no QR payments. The built-in simulator only plays a customer's e-wallet (no money "
            "moves) and is offered only in development and demos."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = qr_provider_choices()


@never_cache  # a page that may show the secret is never stored by a browser or a proxy
@capability_required("payments.configure")
def qr_settings(request: HttpRequest) -> HttpResponse:
    """The owner chooses the provider; a new or rotated callback secret is shown on this response only."""
    row = qr_provider_settings_get()
    form = QrProviderForm(request.POST or None, initial={"provider": row.provider})
    new_secret, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "rotate":
        form = QrProviderForm(initial={"provider": row.provider})
        new_secret = qr_secret_rotate(actor=request.user)
    elif request.method == "POST":
        if form.is_valid():
            try:
                row, new_secret = qr_provider_set(provider=form.cleaned_data["provider"], actor=request.user)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
        status = 400 if form.errors else 200
    row.refresh_from_db()
    context = {
        "form": form,
        "row": row,
        "has_secret": secret_usable(row),
        "new_secret": new_secret,
        "callback_url": request.build_absolute_uri(reverse("sales:qr_callback")),
        "simulator_allowed": settings.QR_SIMULATOR_ENABLED,
    }
    return render(request, "sales/qr_settings.html", context, status=status)


@capability_required("till.use")
def simulator_phone(request: HttpRequest, reference: str) -> HttpResponse:
    """What the customer's e-wallet would show after scanning: pay or decline. Only where the deployment allows
    the simulator (development, demos, tests), for a business whose provider it is, and for signed-in till staff
    (in the demo the cashier opens it from the till)."""
    if not settings.QR_SIMULATOR_ENABLED:
        raise Http404
    try:
        provider = get_provider()
    except ProviderError:
        raise Http404 from None
    if not isinstance(provider, SimulatorProvider):
        raise Http404
    payment = get_object_or_404(Payment.objects.select_related("order"), tender=Payment.Tender.QR, reference=reference)
    result = None
    if request.method == "POST":
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
