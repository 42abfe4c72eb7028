"""The till: the page, its catalog partials, and the JSON endpoints its cart script calls.

The cart lives on the device (it survives a dropped connection); the server prices it on every change and
creates the order and payments. Every state-changing call carries the client's idempotency key.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage

from accounts.access import can, capability_required, outlet_allowed, outlet_filter
from accounts.services import approval_resolve
from business.models import Outlet
from business.selectors import TenantSettings, outlet_default_for, tenant_settings
from catalog.cache import catalog_kept
from catalog.selectors import (
    category_get,
    category_list,
    category_products,
    product_get,
    product_get_by_code,
    product_search,
)
from catalog.services import product_sold_out_set
from core.idempotency import idempotent_response
from kitchen.live import READY, Screen, live_etag, live_stream_url, live_version
from pos_project import parsing
from pos_project.errors import ServiceError, bad_request, error_response
from pos_project.money import cash_notes, quick_cash
from sales.api.serializers import TillCartSerializer, TillTenderSerializer, validated
from sales.escpos import receipt_escpos
from sales.models import DiningTable, Order, Payment, Register, Shift
from sales.providers import simulator_active
from sales.screens import READY_STRIP, ready_body
from sales.selectors import order_open_tabs, orders_ready_to_hand_over, shift_open_on_register
from sales.services.orders import (
    cash_due_for,
    order_add_lines,
    order_mark_served,
    order_preview,
    order_rush,
    order_send,
    order_submit,
    payment_add,
)
from sales.services.qr import qr_payment_start
from sales.services.receipts import receipt_email_queue
from sales.views.qr import qr_svg

SESSION_REGISTER = "till_register_id"


def current_register(request: HttpRequest) -> Register | None:
    """The register this device is (chosen when its first shift was opened), if still active."""
    register_id = request.session.get(SESSION_REGISTER)
    if register_id is None:
        return None
    return Register.objects.filter(pk=register_id, is_active=True).select_related("outlet").first()


def current_shift(request: HttpRequest) -> Shift | None:
    """The open shift of this device's register (every till request asks: cached, sales.selectors); none when
    the register is at an outlet the signed-in person does not work at (a PIN switch on another shop's till)."""
    register_id = request.session.get(SESSION_REGISTER)
    if register_id is None:
        return None
    shift = shift_open_on_register(register_id=register_id)
    if shift is not None and not outlet_allowed(request.user, shift.register.outlet_id):
        return None
    return shift


def _outlet(request: HttpRequest, shift: Shift | None) -> Outlet | None:
    return shift.register.outlet if shift else outlet_default_for(request.user)


@capability_required("till.use")
def till(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    if shift is None:
        return redirect("sales:shift_open")
    categories = list(category_list(include_archived=False))
    first = categories[0] if categories else None
    outlet = shift.register.outlet
    products = _with_json(category_products(category=first, outlet=outlet, include_sold_out=True) if first else [])
    context = {
        "shift": shift,
        "outlet": shift.register.outlet,
        "categories": categories,
        "products": products,
        "sales_settings": tenant_settings(),
        "stream_url": live_stream_url(request, READY_STRIP, shift.outlet_id),
    }
    return render(request, "sales/till.html", context)


@require_GET
@capability_required("till.use")
def till_products(request: HttpRequest) -> HttpResponse:
    """The product grid for a category tab or a search (htmx partial)."""
    outlet = _outlet(request, current_shift(request))
    query = request.GET.get("q", "").strip()[:80]
    if query:
        products = product_search(query=query, outlet=outlet, limit=60, include_sold_out=True)
    elif request.GET.get("category"):  # a tab, or the search cleared (the till sends the tab it goes back to)
        category_id = parsing.query_id(request.GET, "category")

        def grid() -> str:
            category = category_get(pk=category_id, include_archived=False)
            if category is None:
                return ""
            products = category_products(category=category, outlet=outlet, include_sold_out=True)
            context = {"products": _with_json(products), "currency": currency}
            return render_to_string("sales/_product_grid.html", context)

        # A tab's grid is the catalog's alone: made once per catalog version (catalog/cache.py), not per tap.
        currency = request.tenant.currency
        html = catalog_kept(("till-grid", outlet.pk if outlet else None, category_id, get_language(), currency), grid)
        if not html:
            raise Http404("No Category matches the given query.")
        return HttpResponse(html)
    else:  # the search was cleared on a till without tabs: the first category
        first = category_list(include_archived=False).first()
        products = category_products(category=first, outlet=outlet, include_sold_out=True) if first else []
    return render(request, "sales/_product_grid.html", {"products": _with_json(products), "query": query})


@require_GET
@capability_required("till.use")
def till_scan(request: HttpRequest) -> JsonResponse:
    """A scanner typed a code and Enter: the item it names, or 404 with a message."""
    outlet = _outlet(request, current_shift(request))
    item = product_get_by_code(code=request.GET.get("code", ""), outlet=outlet)
    if item is None:
        message = _("No product with that barcode or SKU is on sale here.")
        return error_response(ServiceError("catalog.code_unknown", message, status=404))
    return JsonResponse(
        {"product": product_json(item.product), "variant_id": item.variant.pk if item.variant else None}
    )


def product_json(product) -> dict:
    """What the cart script needs to add a product and ask for its options: the size it preselects
    (`default_variant_id`) and whether it is sold out at this outlet (then it cannot be added)."""
    default = product.till_default_variant
    return {
        "id": product.pk,
        "name": product.name,
        "price_minor": product.effective_price_minor,
        "sold_out": bool(getattr(product, "is_sold_out", False)),
        "default_variant_id": default.pk if default is not None else None,
        "variants": [
            {"id": v.pk, "name": v.name, "price_minor": v.effective_price_minor} for v in product.till_variants
        ],
        "groups": [
            {
                "id": g.pk,
                "name": g.name,
                "min": g.min_choices,
                "max": g.max_choices,
                "modifiers": [
                    {"id": m.pk, "name": m.name, "delta_minor": m.price_delta_minor} for m in g.active_modifiers
                ],
            }
            for g in product.till_modifier_groups
        ],
    }


def _with_json(products: list) -> list:
    for product in products:
        product.till_json = json.dumps(product_json(product))
    return products


@require_POST
@capability_required("catalog.sold_out")
def till_sold_out(request: HttpRequest, pk: int) -> JsonResponse:
    """Mark a product sold out at this till's outlet, or back in stock: `{"sold_out": bool, "idempotency_key"}`.
    A retry with the same key gets the first answer."""
    outlet = _outlet(request, current_shift(request))
    product = product_get(pk=pk, include_archived=False)
    if product is None:
        raise Http404("No Product matches the given query.")
    try:
        data = parsing.json_object(request)
        if not isinstance(data.get("sold_out"), bool):
            raise BadRequest(_("Say whether the item is sold out (true or false)."))
        key = str(data.get("idempotency_key") or "")
        product_sold_out_set(
            outlet=outlet, product=product, sold_out=data["sold_out"], actor=request.user, idempotency_key=key
        )
    except BadRequest as exc:
        return _bad(exc)
    except ValidationError as exc:
        return error_response(exc)
    return _keyed(key, 200, {"id": product.pk, "sold_out": data["sold_out"]})


class BadRequest(ValueError):
    """A request the till's script should never send (malformed JSON, a wrong type): 400 with a message."""


def parse_cart(body: HttpRequest | bytes) -> dict:
    """The cart JSON the till sends, read by the API's own cart serializer (sales/api/serializers.py): anything
    malformed is a 400 (`request.invalid`) whose message names the field, for the cashier."""
    data = parsing.json_object(body)
    cart = validated(TillCartSerializer, data, code="request.invalid", till=True)
    return {**cart, "idempotency_key": str(data.get("idempotency_key") or ""), "approver": cart["approver"] or None}


def _bad(exc: BadRequest) -> JsonResponse:
    return error_response(bad_request(str(exc)))


def _no_shift() -> JsonResponse:
    return error_response(ServiceError("shift.none", _("Open a shift first."), status=409))


def _keyed(key: str, status: int, body: dict) -> JsonResponse:
    """A keyed write's answer: the first one given for this key (a retry gets it again, as it was)."""
    status, body = idempotent_response(key=key, status=status, body=body)
    return JsonResponse(body, status=status)


@require_POST
@capability_required("till.use")
def till_preview(request: HttpRequest) -> JsonResponse:
    shift = current_shift(request)
    if shift is None:
        return _no_shift()
    try:
        cart = parse_cart(request)
        preview = order_preview(outlet_id=shift.outlet_id, lines=cart["lines"], order_discount=cart["order_discount"])
    except ValidationError as exc:
        return error_response(exc)
    totals = preview.totals
    return JsonResponse(
        {
            "lines": preview.lines,
            "subtotal_minor": totals.subtotal_minor,
            "discount_minor": totals.discount_minor,
            "service_charge_minor": totals.service_charge_minor,
            "taxes": [
                {"code": t.code, "name": t.name, "inclusive": t.inclusive, "amount_minor": t.amount_minor}
                for t in totals.taxes
            ],
            "total_minor": totals.total_minor,
            "cash_due_minor": preview.cash_due_minor,
        }
    )


def order_json(order: Order, settings: TenantSettings | None = None) -> dict:
    """An order as the till's script reads it: `sent` and `balance_minor` are what the server did, which the
    till shows instead of what it asked for. `quick_cash` holds the amounts the payment screen offers. A list
    of orders passes the `settings` it read once."""
    due = cash_due_for(order.balance_minor, settings) if order.balance_minor > 0 else 0
    return {
        "sent": order.sent_to_kitchen_at is not None,
        "id": order.pk,
        "uid": str(order.uid),
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "table_label": order.table_label,
        "total_minor": order.total_minor,
        "paid_minor": order.paid_minor,
        "balance_minor": order.balance_minor,
        "cash_due_minor": due,
        "quick_cash": quick_cash(due, cash_notes(order.currency)),
    }


def tab_json(order: Order, now=None, settings: TenantSettings | None = None) -> dict:
    """An open tab as the till's tabs dialog and floor plan show it (`settings`: read once for a list of tabs)."""
    now = now or timezone.now()
    return {
        **order_json(order, settings),
        "table_label": order.table_label,
        "customer_name": order.customer_name,
        "age_minutes": int((now - order.created_at).total_seconds() // 60),
    }


@require_POST
@capability_required("till.use")
def till_submit(request: HttpRequest) -> JsonResponse:
    shift = current_shift(request)
    if shift is None:
        return _no_shift()
    try:
        cart = parse_cart(request)
        # {"self": true} (a signed-in supervisor's tap) or {"id", "pin"} (a supervisor picked on the till).
        approved_by = approval_resolve(user=request.user, approver=cart["approver"], capability="discount.over_limit",
                                       request=request)  # fmt: skip
        table = None
        if cart["table_id"]:
            table = get_object_or_404(DiningTable, pk=cart["table_id"], area__outlet_id=shift.outlet_id)
        order = order_submit(
            send_to_kitchen=cart["send"],
            rush=cart["rush"],
            table=table,
            shift=shift,
            user=request.user,
            idempotency_key=cart["idempotency_key"],
            lines=cart["lines"],
            order_type=cart["order_type"],
            table_label=cart["table_label"],
            customer_name=cart["customer_name"],
            order_discount=cart["order_discount"],
            approved_by=approved_by,
        )
    except ValidationError as exc:
        return error_response(exc)
    return _keyed(cart["idempotency_key"], 201, order_json(order))


def _order_for_till(request: HttpRequest, pk: int) -> Order:
    """An order of this device's shift (a supervisor may reach any at their outlets): others answer 404."""
    shift = current_shift(request)
    visible = Q(shift=shift) if shift else Q(pk__in=[])
    orders = Order.objects.filter(visible)
    if can(request.user, "orders.view_all"):  # any order of the outlets one works at (no query more)
        orders = outlet_filter(Order.objects.all(), request.user)
    return get_object_or_404(orders, pk=pk)


@require_POST
@capability_required("till.use")
def till_pay(request: HttpRequest, pk: int) -> JsonResponse:
    order = _order_for_till(request, pk)
    try:
        data = parsing.json_object(request)
        key = str(data.get("idempotency_key") or "")
        tender = validated(TillTenderSerializer, data, code="request.invalid", till=True)
        if tender["tender"] == Payment.Tender.QR:
            payment = qr_payment_start(order=order, user=request.user, amount_minor=tender["amount_minor"],
                                       idempotency_key=key)  # fmt: skip
            body = order_json(order)
            body["payment"] = {
                "id": payment.pk,
                "tender": "qr",
                "status": payment.status,
                "amount_minor": payment.amount_minor,
                "qr_svg": qr_svg(payment.provider_payload),
                "simulator_url": reverse("sales:qr_simulator", args=[payment.reference])
                if settings.QR_SIMULATOR_ENABLED and simulator_active()
                else None,
            }
            return _keyed(key, 201, body)
        payment = payment_add(
            order=order,
            user=request.user,
            tender=tender["tender"],
            amount_minor=tender["amount_minor"],
            idempotency_key=key,
            tendered_minor=tender["tendered_minor"],
            tip_minor=tender["tip_minor"],
            reference=tender["reference"],
        )
    except ValidationError as exc:
        return error_response(exc)
    body = order_json(payment.order)  # the order as the payment left it (locked and saved by the service)
    body["payment"] = {
        "id": payment.pk,
        "tender": payment.tender,
        "amount_minor": payment.amount_minor,
        "change_minor": payment.change_minor,
        "rounding_minor": payment.rounding_minor,
    }
    return _keyed(key, 201, body)


@require_GET
@capability_required("till.use")
def till_tabs(request: HttpRequest) -> JsonResponse:
    """The outlet's open tabs (unpaid orders) for the till's tabs dialog."""
    shift = current_shift(request)
    if shift is None:
        return JsonResponse({"tabs": []})
    now, settings = timezone.now(), tenant_settings()
    tabs = [tab_json(o, now, settings) for o in order_open_tabs(outlet_id=shift.outlet_id)[:100]]
    return JsonResponse({"tabs": tabs})


@require_POST
@capability_required("till.use")
def till_add_lines(request: HttpRequest, pk: int) -> JsonResponse:
    """Add the cart to an open tab; 409 when another till changed the tab since this one loaded it."""
    shift = current_shift(request)
    if shift is None:
        return _no_shift()
    order = get_object_or_404(Order.objects.filter(outlet_id=shift.outlet_id), pk=pk)
    try:
        cart = parse_cart(request)
        approved_by = approval_resolve(user=request.user, approver=cart["approver"], capability="discount.over_limit",
                                       request=request)  # fmt: skip
        order = order_add_lines(
            order=order,
            user=request.user,
            lines=cart["lines"],
            expected_version=parsing.json_int(cart["version"], field="version", minimum=1),
            idempotency_key=cart["idempotency_key"],
            rush=cart["rush"],
            approved_by=approved_by,
        )
    except ValidationError as exc:
        return error_response(exc)
    return _keyed(cart["idempotency_key"], 200, order_json(order))


@require_GET
@capability_required("till.use")
def till_ready(request: HttpRequest) -> HttpResponse:
    """Orders the kitchen has finished (every station bumped) and nobody has handed over yet. Polled every few
    seconds: it answers 304 while the outlet's ready version has not moved (kitchen/live.py), mostly before
    this view is even reached."""
    shift = current_shift(request)
    live = live_version(READY, shift.outlet_id) if shift else None
    etag = live_etag(READY, shift.outlet_id, live) if live else None
    if etag and request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    elif etag:
        # one read per outlet and version, shared by the outlet's tills (the etag names both)
        screen = Screen(READY_STRIP, connection.schema_name, shift.outlet_id)
        response = HttpResponse(ready_body(screen, etag), content_type="application/json")
        if stream_url := live_stream_url(request, READY_STRIP, shift.outlet_id):
            response["X-Live-Stream"] = stream_url
    else:
        response = JsonResponse({"ready": orders_ready_to_hand_over(outlet_id=shift.outlet_id) if shift else []})
    if etag:
        response["ETag"], response["Cache-Control"] = etag, "no-cache"
    return response


@require_POST
@capability_required("till.use")
def till_served(request: HttpRequest, pk: int) -> JsonResponse:
    shift = current_shift(request)
    order = get_object_or_404(Order.objects.filter(outlet_id=shift.outlet_id if shift else 0), pk=pk)
    order_mark_served(order=order)
    return JsonResponse({"id": order.pk, "served": True})


@require_POST
@capability_required("till.use")
def till_rush(request: HttpRequest, pk: int) -> JsonResponse:
    """Ask the kitchen for a sent tab first."""
    shift = current_shift(request)
    order = get_object_or_404(Order.objects.filter(outlet_id=shift.outlet_id if shift else 0), pk=pk)
    key = _body_key(request)
    try:
        moved = order_rush(order=order, idempotency_key=key)
    except ValidationError as exc:
        return error_response(exc)
    body = {"id": order.pk, "rushed": moved}
    return _keyed(key, 200, body) if key else JsonResponse(body)


def _body_key(request: HttpRequest) -> str:
    try:
        data = parsing.json_object(request)
    except ValidationError:
        return ""
    return str(data.get("idempotency_key") or "")


@require_POST
@capability_required("till.use")
def till_send(request: HttpRequest, pk: int) -> JsonResponse:
    """Send an order already made to the kitchen (a tab kept unsent, or the order of a submission whose answer
    was lost). The answer's `sent` says what the server did; the till shows "Sent" only when it is true."""
    order = _order_for_till(request, pk)
    key = _body_key(request)
    try:
        order = order_send(order=order, user=request.user, idempotency_key=key)
    except ValidationError as exc:
        return error_response(exc)
    return _keyed(key, 200, order_json(order))


@require_GET
@capability_required("till.use")
def till_order_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by the payment dialog while a QR payment waits for the customer."""
    order = _order_for_till(request, pk)
    body = order_json(order)
    body["pending_qr"] = order.payments.filter(status=Payment.Status.PENDING).exists()
    return JsonResponse(body)


@never_cache  # a receipt names the customer's purchase: never kept by a browser or proxy
@capability_required("till.use")
def receipt(request: HttpRequest, uid: str) -> HttpResponse:
    """The printable receipt: 58 mm, 80 mm thermal or A4 (`?paper=58|80|a4`); reprint from history."""
    try:
        orders = outlet_filter(Order.objects.all(), request.user)  # another outlet's receipt: 404, as an unknown one
        order = orders.select_related("outlet", "created_by").prefetch_related("lines", "payments").get(uid=uid)
    except (Order.DoesNotExist, ValidationError):
        raise Http404 from None
    paper = request.GET.get("paper", "80")
    context = {
        "order": order,
        "paper": paper if paper in ("58", "80", "a4") else "80",
        "sales_settings": tenant_settings(),
        "autoprint": request.GET.get("print") == "1",
    }
    return render(request, "sales/receipt.html", context)


# Receipt e-mails go to any address a till types: counted per person and per business (django-ratelimit, in the
# tenant-prefixed cache, so "business" is one counter per tenant), so a till cannot be used to send spam.
RECEIPT_EMAIL_GROUP = "sales.receipt_email"


def _receipt_email_wait(request: HttpRequest) -> int | None:
    """Count this e-mail against the person, then the business; seconds until the one that is full lets another
    through, or None when both may send now (and when the cache cannot be reached: limits fail open)."""
    limits = (("user", settings.RECEIPT_EMAIL_RATE_PER_USER),
              (lambda group, request: "business", settings.RECEIPT_EMAIL_RATE_PER_TENANT))  # fmt: skip
    for key, rate in limits:
        usage = get_usage(request, group=RECEIPT_EMAIL_GROUP, key=key, rate=rate, method="POST", increment=True)
        if usage is not None and usage["should_limit"]:
            return max(usage["time_left"], 1)
    return None


@require_POST
@never_cache
@capability_required("till.use")
def receipt_email(request: HttpRequest, uid: str) -> HttpResponse:
    """Queue the receipt by e-mail (the mail outbox sends it within a minute); a bad address or too many e-mails
    is said plainly, and nothing is queued then."""
    order = get_object_or_404(outlet_filter(Order.objects.all(), request.user), uid=uid)
    address = request.POST.get("email", "").strip()
    try:
        validate_email(address)
    except ValidationError:
        messages.error(request, _("“%(address)s” is not an e-mail address.") % {"address": address})
        return redirect(f"{reverse('sales:receipt', args=[order.uid])}?email=failed")
    wait = _receipt_email_wait(request)
    if wait is not None:
        minutes = -(-wait // 60)
        messages.error(
            request,
            ngettext(
                "Too many receipts were e-mailed: nothing was sent. Try again in %(n)d minute, or print it.",
                "Too many receipts were e-mailed: nothing was sent. Try again in %(n)d minutes, or print it.",
                minutes,
            )
            % {"n": minutes},
        )
        return redirect(f"{reverse('sales:receipt', args=[order.uid])}?email=failed")
    receipt_email_queue(order=order, to=address)
    messages.success(request, _("The receipt is on its way to %(address)s.") % {"address": address})
    return redirect("sales:receipt", uid=order.uid)


@never_cache
@capability_required("till.use")
def receipt_escpos_view(request: HttpRequest, uid: str) -> HttpResponse:
    """The receipt as ESC/POS bytes (`?width=32` for 58 mm, 48 for 80 mm) for a network printer bridge."""
    orders = outlet_filter(Order.objects.select_related("outlet").prefetch_related("lines", "payments"), request.user)
    order = get_object_or_404(orders, uid=uid)
    width = 32 if request.GET.get("width") == "32" else 48
    business = tenant_settings()
    data = receipt_escpos(
        order,
        business_name=request.tenant.name,
        time_zone=business.timezone,
        footer=business.receipt_footer,
        width=width,
    )
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="receipt-{order.number}.bin"'
    return response
