"""Transfer pages: list, new, edit (draft), detail with Send / Cancel, and the receive form.

Thin: read the request, call one service or selector, render. The owner runs transfers; a supervisor may also
receive one (the person at the destination counting what came off the van). The create and edit pages post
rows of item + quantity; whatever was typed comes back with the errors, all of them at once.
"""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can, capability_required, outlet_allowed
from business.models import Outlet
from business.selectors import outlet_list, outlets_for
from pos_project import parsing
from pos_project.money import round_minor

from ..models import Transfer
from ..quantities import format_quantity
from ..selectors import transfers as selectors
from ..services import transfers as services
from ..transitions import TRANSFER

PER_PAGE = 50
EMPTY_ROWS = 3
Status = Transfer.Status


# --- Helpers ----------------------------------------------------------------------------------------------------


# Staff limited to some outlets: which end of a transfer each action needs is the selectors' rule
# (`transfer_end_allowed`); anything else answers the same 404 as a transfer that does not exist.
EITHER, SENDING, RECEIVING = selectors.EITHER, selectors.SENDING, selectors.RECEIVING


def _works_at(request: HttpRequest, transfer: Transfer, end: str) -> bool:
    return selectors.transfer_end_allowed(request.user, transfer, end)


def _get_or_404(request: HttpRequest, pk: int, end: str = EITHER) -> Transfer:
    transfer = selectors.transfer_get(pk)
    if transfer is None or not _works_at(request, transfer, end):
        raise Http404
    return transfer


def _actions(request: HttpRequest, transfer: Transfer) -> dict:
    """The actions the transfer allows now, less those at the end that is not the person's outlet."""
    allowed = TRANSFER.allowed(transfer, request.user)
    ends = selectors.END_OF_ACTION
    return {k: v for k, v in allowed.items() if k not in ends or _works_at(request, transfer, ends[k])}


def _outlet(request: HttpRequest, value: str | None, *, sending: bool = True) -> Outlet | None:
    """The outlet a select named; closed ones too, so the service can say why it refuses them. Stock leaves
    only an outlet the person works at: another is no outlet (the service asks for one), as an unknown id."""
    outlet_id = parsing.id_or_none(value)
    outlet = Outlet.objects.filter(pk=outlet_id).first() if outlet_id else None
    if sending and outlet is not None and not outlet_allowed(request.user, outlet.pk):
        return None
    return outlet


def _posted_rows(request: HttpRequest) -> list[tuple[str, str]]:
    items = request.POST.getlist("item")
    quantities = request.POST.getlist("quantity")
    size = max(len(items), len(quantities))
    items += [""] * (size - len(items))
    quantities += [""] * (size - len(quantities))
    return [(item.strip()[:60], quantity.strip()[:30]) for item, quantity in zip(items, quantities, strict=True)]


def _line_inputs(rows: list[tuple[str, str]]) -> list[services.TransferLineInput]:
    """Rows left wholly blank are spare rows, not lines; numbers are the rows as the person sees them."""
    return [
        services.TransferLineInput(item=item, quantity=quantity, line_number=number)
        for number, (item, quantity) in enumerate(rows, start=1)
        if item or quantity
    ]


def _form_context(request: HttpRequest, **extra) -> dict:
    return {
        "outlets": outlet_list(),  # where stock may go: any open outlet
        "from_outlets": outlets_for(request.user),  # where it may leave: the person's outlets
        "items": selectors.transfer_item_choices(),
        "max_lines": services.MAX_LINES,
        **extra,
    }


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- Pages ------------------------------------------------------------------------------------------------------


@capability_required("stock.transfer")
def transfer_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    outlet_id = parsing.query_id(request.GET, "outlet")
    transfers = selectors.transfer_list(status=status, outlet_id=outlet_id, user=request.user)
    page = Paginator(transfers, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "outlet_id": outlet_id,
        "outlets": outlets_for(request.user, active_only=False),
        "statuses": Status.choices,
        "in_transit": [
            {**row, "total": format_quantity(row["total"])} for row in selectors.in_transit_rows(user=request.user)
        ],
    }
    return render(request, "inventory/stock/transfers_list.html", context)


@capability_required("stock.transfer")
def transfer_create(request: HttpRequest) -> HttpResponse:
    template = "inventory/stock/transfers_form.html"
    if request.method != "POST":
        mine = outlets_for(request.user).first()
        others = outlet_list().exclude(pk=mine.pk if mine else None).order_by("pk")
        to_outlet = others.first()
        data = {
            "from_outlet": mine.pk if mine else None,
            "to_outlet": to_outlet.pk if to_outlet else None,
            "note": "",
            "key": uuid.uuid4().hex,
        }
        return render(request, template, _form_context(request, data=data, rows=[("", "")] * EMPTY_ROWS))
    rows = _posted_rows(request)
    data = {
        "from_outlet": parsing.id_or_none(request.POST.get("from_outlet")),
        "to_outlet": parsing.id_or_none(request.POST.get("to_outlet")),
        "note": parsing.clean_text(request.POST.get("note"), multiline=True, max_length=400),
        "key": request.POST.get("key", ""),  # never cut short: a cut key could meet another form's
    }
    try:
        transfer = services.transfer_create(
            from_outlet=_outlet(request, request.POST.get("from_outlet")),
            to_outlet=_outlet(request, request.POST.get("to_outlet"), sending=False),
            user=request.user,
            note=data["note"],
            lines=_line_inputs(rows),
            idempotency_key=data["key"],
        )
    except ValidationError as exc:
        context = _form_context(request, data=data, rows=rows or [("", "")], errors=exc.messages)
        return render(request, template, context, status=400)
    messages.success(request, _("%(tr)s saved as a draft. Check it, then send it.") % {"tr": transfer})
    return redirect("inventory:transfer_detail", pk=transfer.pk)


@capability_required("stock.transfer")
def transfer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_or_404(request, pk, SENDING)
    if not TRANSFER.can_start(transfer, "edit"):
        messages.error(request, _("%(tr)s has left the draft stage; its lines cannot change.") % {"tr": transfer})
        return redirect("inventory:transfer_detail", pk=transfer.pk)
    template = "inventory/stock/transfers_form.html"
    if request.method != "POST":
        rows = [(line.item.sku, format_quantity(line.quantity)) for line in selectors.transfer_lines(transfer)]
        data = {"note": transfer.note}
        return render(request, template, _form_context(request, transfer=transfer, data=data, rows=rows + [("", "")]))
    rows = _posted_rows(request)
    note = parsing.clean_text(request.POST.get("note"), multiline=True, max_length=400)
    try:
        services.transfer_update_lines(transfer=transfer, user=request.user, lines=_line_inputs(rows), note=note)
    except ValidationError as exc:
        context = _form_context(
            request, transfer=transfer, data={"note": note}, rows=rows or [("", "")], errors=exc.messages
        )
        return render(request, template, context, status=400)
    messages.success(request, _("%(tr)s updated.") % {"tr": transfer})
    return redirect("inventory:transfer_detail", pk=transfer.pk)


def _priced(lines) -> list[dict]:
    """Each line with its value and, once received, its discrepancy and what that is worth."""
    out = []
    for line, on_hand, at_destination in lines:
        gap = line.discrepancy
        out.append(
            {
                "line": line,
                "sent": format_quantity(line.quantity),
                "received": "" if line.quantity_received is None else format_quantity(line.quantity_received),
                "on_hand": format_quantity(on_hand),
                "at_destination": format_quantity(at_destination),
                "short": on_hand < line.quantity,
                "value": round_minor(line.quantity * line.unit_cost),
                "discrepancy": format_quantity(gap) if gap else "",
                "discrepancy_value": round_minor(gap * line.unit_cost) if gap else 0,
            }
        )
    return out


@capability_required("stock.transfer")
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_or_404(request, pk)
    lines = _priced(selectors.transfer_lines_with_levels(transfer))
    context = {
        "transfer": transfer,
        "lines": lines,
        "total_value": sum(row["value"] for row in lines),
        "total_discrepancy_value": sum(row["discrepancy_value"] for row in lines),
        "cancelled_by": transfer.cancelled_by if transfer.is_cancelled else "",
        "actions": _actions(request, transfer),
    }
    return render(request, "inventory/stock/transfers_detail.html", context)


@require_POST
@capability_required("stock.transfer")
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_or_404(request, pk, SENDING)
    was_draft = TRANSFER.can_start(transfer, "send")
    try:
        transfer = services.transfer_send(transfer=transfer, user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        text = _("%(tr)s sent: the stock left %(outlet)s.") if was_draft else _("%(tr)s is already sent.")
        messages.success(request, text % {"tr": transfer, "outlet": transfer.from_outlet.name})
    return redirect("inventory:transfer_detail", pk=transfer.pk)


@require_POST
@capability_required("stock.transfer")
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_or_404(request, pk, SENDING)
    was_in_transit, was_cancellable = transfer.is_in_transit, TRANSFER.can_start(transfer, "cancel")
    try:
        transfer = services.transfer_cancel(transfer=transfer, user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if was_in_transit:
            text = _("%(tr)s cancelled: the stock is back at %(outlet)s.")
        elif was_cancellable:
            text = _("%(tr)s cancelled; no stock moved.")
        else:
            text = _("%(tr)s is already cancelled.")
        messages.success(request, text % {"tr": transfer, "outlet": transfer.from_outlet.name})
    return redirect("inventory:transfer_detail", pk=transfer.pk)


@capability_required("stock.transfer")
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get_or_404(request, pk, RECEIVING)
    lines = list(selectors.transfer_lines(transfer))
    typed = {line.pk: format_quantity(line.quantity) for line in lines}
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        received = {
            key.removeprefix("received-"): value[:30]
            for key, value in request.POST.items()
            if key.startswith("received-")
        }
        typed.update({line_id: v for k, v in received.items() if (line_id := parsing.id_or_none(k)) is not None})
        was_in_transit = transfer.is_in_transit
        try:
            transfer = services.transfer_receive(transfer=transfer, user=request.user, received=received)
        except ValidationError as exc:
            errors, status = exc.messages, 400
            transfer = _get_or_404(request, pk, RECEIVING)  # the state another person may have left it in
            lines = list(selectors.transfer_lines(transfer))
        else:
            text = _("%(tr)s received at %(outlet)s.") if was_in_transit else _("%(tr)s was already received.")
            messages.success(request, text % {"tr": transfer, "outlet": transfer.to_outlet.name})
            # The back office goes back to the transfer; the receiving outlet stays on its receipt.
            if can(request.user, "backoffice.view"):
                return redirect("inventory:transfer_detail", pk=transfer.pk)
            return redirect("inventory:transfer_receive", pk=transfer.pk)
    actions = _actions(request, transfer)
    rows = _priced([(line, Decimal(0), Decimal(0)) for line in lines]) if transfer.is_received else []
    context = {
        "transfer": transfer,
        "actions": actions,
        "lines": [(line, format_quantity(line.quantity), typed[line.pk]) for line in lines],
        "received_rows": rows,
        "errors": errors,
    }
    return render(request, "inventory/stock/transfers_receive.html", context, status=status)
