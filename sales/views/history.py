"""Order history: the cashier sees their own shift's orders, supervisors and owners all of them."""

import uuid
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import can, capability_required, outlet_filter
from accounts.selectors import approval_self_allowed
from accounts.services import approver_verify
from pos_project import parsing
from pos_project.errors import ServiceError
from sales.models import Order, Payment, Shift
from sales.selectors import order_history, order_open_tabs, shift_list_recent, shifts_open
from sales.services.orders import MAX_QUANTITY
from sales.services.refunds import order_line_void, order_refund, order_void
from sales.services.tabs import order_merge, order_split
from sales.transitions import order_actions

from .till import current_shift

# What each approved action asks the supervisor's PIN for (accounts.access.LENT_WITH_PIN).
APPROVED_ACTIONS = {"void": "order.void", "void_line": "order.void", "refund": "order.refund"}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@capability_required("till.use")
def history(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    sees_all = can(request.user, "orders.view_all")
    filters = {
        "number": parsing.query_int(request.GET, "number", minimum=1),
        "date_from": _date(request.GET.get("from", "")),
        "date_to": _date(request.GET.get("to", "")),
        "tender": request.GET.get("tender") if request.GET.get("tender") in Payment.Tender.values else None,
        "status": request.GET.get("status") if request.GET.get("status") in Order.Status.values else None,
    }
    if not sees_all:
        filters["shift"] = shift or Shift(pk=0)  # no open shift on this device: nothing to show
    orders = outlet_filter(order_history(**filters, limit=None), request.user)  # the outlets one works at
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "shift": shift,
        "outlet": shift.register.outlet if shift else None,
        "sees_all": sees_all,
        "tenders": Payment.Tender.choices,
        "statuses": Order.Status.choices,
        "recent_shifts": shift_list_recent(user=request.user) if sees_all else [],
    }
    return render(request, "sales/history.html", context)


def _order_visible(request: HttpRequest, pk: int) -> Order:
    """Supervisors and owners reach every order; a cashier only those of this device's open shift."""
    orders = Order.objects.select_related("shift__register__outlet", "created_by").prefetch_related(
        "lines", "payments", "refunds"
    )
    if not can(request.user, "orders.view_all"):
        shift = current_shift(request)
        orders = orders.filter(shift=shift) if shift else orders.none()
    return get_object_or_404(outlet_filter(orders, request.user), pk=pk)


@capability_required("till.use")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One order, with void (unpaid) and refund (paid, whole or by line) — both need a supervisor's PIN."""
    order = _order_visible(request, pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("split", "merge"):
                _split_or_merge(request, order, action)
                return redirect("sales:order_detail", pk=order.pk)
            if action not in APPROVED_ACTIONS:
                raise ServiceError("request.unknown_action", _("Unknown action."))
            approver = _approver(request, APPROVED_ACTIONS[action])
            if action == "void_line":
                line_id = parsing.id_or_none(request.POST.get("line"))
                if line_id is None:
                    raise ServiceError("order.line_missing", _("Choose the item to void."), field="line")
                order_line_void(order=order, line_id=line_id, user=request.user, approved_by=approver,
                                reason=_reason(request), made=bool(request.POST.get("made")))  # fmt: skip
                messages.success(request, _("Item voided on order #%(n)s.") % {"n": order.number})
            elif action == "void":
                order_void(order=order, user=request.user, approved_by=approver, reason=_reason(request))
                messages.success(request, _("Order #%(n)s voided.") % {"n": order.number})
            elif action == "refund":
                shift = _payout_shift(request, order)
                chosen = _quantities(request, order)
                order_refund(order=order, user=request.user, approved_by=approver,
                             reason=_reason(request), shift=shift,
                             idempotency_key=request.POST.get("key", ""),
                             lines=None if request.POST.get("whole") else chosen,
                             return_to_stock=not request.POST.get("not_back_to_stock"))  # fmt: skip
                messages.success(request, _("Refund recorded for order #%(n)s.") % {"n": order.number})
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("sales:order_detail", pk=order.pk)
    actions = order_actions(order, request.user)
    chooses_payout = actions.get("refund", False) and can(request.user, "orders.view_all")
    context = {
        "order": order,
        "actions": actions,
        "error": error,
        "key": uuid.uuid4().hex,
        "shift": current_shift(request),
        "other_tabs": order_open_tabs(outlet_id=order.outlet_id).exclude(pk=order.pk) if actions.get("merge") else [],
        # A supervisor names the open shift whose drawer pays a refund out; a cashier's is this device's.
        "chooses_payout": chooses_payout,
        "payout_shifts": list(shifts_open(outlet_id=order.outlet_id)) if chooses_payout else [],
        # Who may approve it themselves is not asked for a username and PIN.
        "self_approves": approval_self_allowed(request.user, "order.refund" if actions.get("refund") else "order.void"),
    }
    return render(request, "sales/order_detail.html", context, status=400 if error else 200)


def _reason(request: HttpRequest) -> str:
    return parsing.clean_text(request.POST.get("reason"))


def _quantities(request: HttpRequest, order: Order) -> dict[int, int]:
    """The quantity typed for each of the order's lines (`q<line id>`), where it is more than none. A value
    that is not a whole number up to the most a line can hold is a 400 naming the line."""
    quantities = {}
    for line in order.lines.all():
        raw = request.POST.get(f"q{line.pk}") or ""
        if raw.strip():
            quantity = parsing.int_required(raw, field=f"q{line.pk}", label=line.name, maximum=MAX_QUANTITY)
            if quantity:
                quantities[line.pk] = quantity
    return quantities


def _approver(request: HttpRequest, capability: str):
    """The signed-in supervisor or owner approves their own action (unless the business wants a second person);
    anyone else asks one for their PIN."""
    if approval_self_allowed(request.user, capability):
        return request.user
    return approver_verify(username=request.POST.get("approver", ""), pin=request.POST.get("pin", ""),
                           capability=capability, user=request.user, request=request)  # fmt: skip


def _payout_shift(request: HttpRequest, order: Order) -> Shift:
    """The open shift whose drawer pays a refund out: the one a supervisor chose among the order's outlet's
    open shifts, else this device's. The service locks it and checks it again (still open, same outlet)."""
    device = current_shift(request)
    if not can(request.user, "orders.view_all"):
        if device is None:
            raise ServiceError(
                "shift.none", _("Open a shift on this device to pay a refund out of its drawer."), status=409
            )
        return device
    open_here = Shift.objects.filter(outlet_id=order.outlet_id, status=Shift.Status.OPEN)
    chosen = parsing.id_or_none(request.POST.get("payout_shift"))
    if chosen is None:
        if not open_here.exists():
            raise ServiceError(
                "refund.no_open_shift",
                _("No shift is open at %(outlet)s, and a refund is paid out of an open shift's drawer: open a shift "
                  "there first.") % {"outlet": order.outlet.name},
                status=409,
            )  # fmt: skip
        raise ServiceError(
            "refund.shift_missing", _("Choose the open shift whose drawer pays the refund out."), field="payout_shift"
        )
    shift = open_here.filter(pk=chosen).first()
    if shift is None:
        raise ServiceError(
            "shift.closed", _("That shift is no longer open: choose another."), field="payout_shift", status=409
        )
    return shift


def _split_or_merge(request: HttpRequest, order: Order, action: str) -> None:
    if action == "merge":
        source = get_object_or_404(Order, pk=parsing.id_or_none(request.POST.get("source")) or 0,
                                   outlet_id=order.outlet_id)  # fmt: skip
        order_merge(target=order, source=source, user=request.user, idempotency_key=request.POST.get("key", ""))
        messages.success(request, _("Tab #%(n)s merged into this one.") % {"n": source.number})
        return
    quantities = _quantities(request, order)
    new = order_split(order=order, user=request.user, quantities=quantities,
                      idempotency_key=request.POST.get("key", ""))  # fmt: skip
    messages.success(request, _("New bill #%(n)s made from the chosen items.") % {"n": new.number})
