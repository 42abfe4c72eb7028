"""Supplier and purchase-order pages: suppliers, orders (draft, send, print, receive, cancel), and the
"suggest orders from low stock" button. Thin: parse the form, call one service or selector, render.

Open to supervisors and the owner (receiving goods is a shift job); cashiers and the kitchen get the 403.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import capability_required, outlet_allowed, outlet_filter
from business.selectors import outlet_default_for, outlet_list, outlets_for, tenant_settings
from core.forms import SubmissionKeyField
from pos_project import parsing
from pos_project.forms import TextField, form_add_service_errors
from pos_project.money import format_money, round_minor

from ..models import PurchaseOrder, Supplier
from ..quantities import format_quantity
from ..selectors import purchasing as selectors
from ..services import purchasing as services
from ..transitions import PURCHASE_ORDER

PER_PAGE = 50
BLANK_ROWS = 5


def _money_text(request: HttpRequest, cost) -> str:
    """A cost as it is typed back into a form (no symbol, the currency's separators)."""
    return format_money(round_minor(cost), tenant_settings().currency, symbol=False)


def _service_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- Suppliers ----------------------------------------------------------------------------------------------------


class SupplierForm(forms.Form):
    name = TextField(max_length=120, label=gettext_lazy("Name"))
    contact_name = TextField(max_length=120, required=False, label=gettext_lazy("Contact person"))
    # A plain text field: the service checks the address and says what is wrong with it.
    email = TextField(max_length=254, required=False, label=gettext_lazy("E-mail (purchase orders go here)"),
                            widget=forms.EmailInput)  # fmt: skip
    phone = TextField(max_length=40, required=False, label=gettext_lazy("Phone"))
    notes = TextField(required=False, label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3}))


@capability_required("stock.purchase")
def supplier_list(request: HttpRequest) -> HttpResponse:
    context = {"suppliers": list(selectors.supplier_list())}
    return render(request, "inventory/stock/purchasing_suppliers.html", context)


@capability_required("stock.purchase")
def supplier_create(request: HttpRequest) -> HttpResponse:
    form = SupplierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supplier = services.supplier_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Supplier %(name)s added.") % {"name": supplier.name})
            return redirect("inventory:supplier_list")
    context = {"form": form, "supplier": None}
    return render(request, "inventory/stock/purchasing_supplier_form.html", context, status=400 if form.errors else 200)


@capability_required("stock.purchase")
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = selectors.supplier_get(pk)
    if supplier is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action") in ("archive", "restore"):
        archived = request.POST["action"] == "archive"
        services.supplier_archive(supplier=supplier, archived=archived, actor=request.user)
        text = _("%(name)s archived.") if archived else _("%(name)s restored.")
        messages.success(request, text % {"name": supplier.name})
        return redirect("inventory:supplier_list")
    initial = {f: getattr(supplier, f) for f in ("name", "contact_name", "email", "phone", "notes")}
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_update(supplier=supplier, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Supplier %(name)s saved.") % {"name": supplier.name})
            return redirect("inventory:supplier_list")
    context = {"form": form, "supplier": supplier}
    return render(request, "inventory/stock/purchasing_supplier_form.html", context, status=400 if form.errors else 200)


# --- Purchase orders: list, create, edit --------------------------------------------------------------------------


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), label=gettext_lazy("Supplier"))
    outlet = forms.ModelChoiceField(queryset=outlet_list(), label=gettext_lazy("Deliver to"), empty_label=None)
    expected_on = forms.DateField(required=False, label=gettext_lazy("Expected on"),
                                  widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    note = TextField(required=False, max_length=services.NOTE_MAX, label=gettext_lazy("Note for the supplier"),
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    key = SubmissionKeyField()

    def __init__(self, *args, user=None, current_supplier: Supplier | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        suppliers = selectors.supplier_choices()
        if current_supplier is not None:  # an edited draft keeps showing its supplier even if since archived
            suppliers = suppliers | Supplier.objects.filter(pk=current_supplier.pk)
        self.fields["supplier"].queryset = suppliers
        self.fields["outlet"].queryset = outlets_for(user)  # the outlets the person works at: another is no choice


def _posted_rows(request: HttpRequest) -> list[dict]:
    """The order form's rows as sent: item-N, qty-N, cost-N for N below the form's row count."""
    count = parsing.int_or_none(request.POST.get("rows", "0"), maximum=services.MAX_LINES + BLANK_ROWS) or 0
    rows = []
    for n in range(count):
        item = request.POST.get(f"item-{n}", "").strip()
        rows.append(
            {
                "item_id": parsing.id_or_none(item),
                "quantity": request.POST.get(f"qty-{n}", "").strip(),
                "cost": request.POST.get(f"cost-{n}", "").strip(),
            }
        )
    return rows


def _line_inputs(rows: list[dict]) -> list[services.POLineInput]:
    return [
        services.POLineInput(item_id=r["item_id"], quantity=r["quantity"], unit_cost=r["cost"], row=n)
        for n, r in enumerate(rows, start=1)
    ]


def _with_blanks(rows: list[dict]) -> list[dict]:
    filled = [r for r in rows if r["item_id"] or r["quantity"] or r["cost"]]
    return filled + [
        {"item_id": None, "quantity": "", "cost": ""} for _ in range(BLANK_ROWS + (3 if not filled else 0))
    ]


def _form_page(request: HttpRequest, form: PurchaseOrderForm, rows: list[dict], po: PurchaseOrder | None):
    context = {
        "form": form,
        "rows": rows,
        "items": selectors.po_item_choices(),
        "purchase_order": po,
    }
    return render(request, "inventory/stock/purchasing_po_form.html", context, status=400 if form.errors else 200)


@capability_required("stock.purchase")
def purchase_order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in PurchaseOrder.Status.values else ""
    supplier_id = parsing.query_id(request.GET, "supplier")
    queryset = outlet_filter(selectors.purchase_order_list(status=status, supplier_id=supplier_id), request.user)
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    for po in page:
        po.total_minor = round_minor(po.total_value or 0)
    default = outlet_default_for(request.user)
    context = {
        "page": page,
        "status": status,
        "supplier_id": supplier_id,
        "statuses": PurchaseOrder.Status.choices,
        "suppliers": list(selectors.supplier_choices()),
        "outlets": list(outlets_for(request.user)),
        "default_outlet_id": default.pk if default else None,
    }
    return render(request, "inventory/stock/purchasing_po_list.html", context)


@capability_required("stock.purchase")
def purchase_order_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        default = outlet_default_for(request.user)
        initial = {"outlet": default.pk if default else None}
        form = PurchaseOrderForm(initial=initial, user=request.user)
        return _form_page(request, form, _with_blanks([]), None)
    form = PurchaseOrderForm(request.POST, user=request.user)
    rows = _posted_rows(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            po = services.purchase_order_create(
                supplier=data["supplier"],
                outlet=data["outlet"],
                user=request.user,
                lines=_line_inputs(rows),
                currency=tenant_settings().currency,
                expected_on=data["expected_on"],
                note=data["note"],
                idempotency_key=data["key"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("%(po)s saved as a draft.") % {"po": po})
            return redirect("inventory:purchase_order_detail", pk=po.pk)
    return _form_page(request, form, _with_blanks(rows), None)


def _po_or_404(request: HttpRequest, pk: int) -> PurchaseOrder:
    """The order, if it delivers to an outlet the person works at; another outlet's answers 404, as an unknown."""
    po = selectors.purchase_order_get(pk)
    if po is None or not outlet_allowed(request.user, po.outlet_id):
        raise Http404
    return po


@capability_required("stock.purchase")
def purchase_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    po = _po_or_404(request, pk)
    if not PURCHASE_ORDER.can_start(po, "edit"):
        messages.error(request, _("%(po)s has been sent; only a draft can be edited.") % {"po": po})
        return redirect("inventory:purchase_order_detail", pk=po.pk)
    if request.method != "POST":
        initial = {"supplier": po.supplier_id, "outlet": po.outlet_id, "expected_on": po.expected_on, "note": po.note}
        form = PurchaseOrderForm(initial=initial, user=request.user, current_supplier=po.supplier)
        rows = [
            {
                "item_id": line.item_id,
                "quantity": format_quantity(line.quantity),
                "cost": _money_text(request, line.unit_cost),
            }
            for line in po.lines.order_by("pk")
        ]
        return _form_page(request, form, _with_blanks(rows), po)
    form = PurchaseOrderForm(request.POST, user=request.user, current_supplier=po.supplier)
    rows = _posted_rows(request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.purchase_order_update(
                purchase_order=po,
                supplier=data["supplier"],
                outlet=data["outlet"],
                lines=_line_inputs(rows),
                currency=tenant_settings().currency,
                expected_on=data["expected_on"],
                note=data["note"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("%(po)s saved.") % {"po": po})
            return redirect("inventory:purchase_order_detail", pk=po.pk)
    return _form_page(request, form, _with_blanks(rows), po)


# --- One order: detail, send, cancel, print -----------------------------------------------------------------------


@capability_required("stock.purchase")
def purchase_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    po = _po_or_404(request, pk)
    receipts = selectors.purchase_order_receipts(po)
    for receipt in receipts:
        receipt.rows = [
            (
                line,
                format_quantity(line.quantity),
                round_minor(line.unit_cost),
                round_minor(line.quantity * line.unit_cost),
            )
            for line in receipt.lines.all()
        ]
    context = {
        "doc": selectors.purchase_order_document(po),
        "po": po,
        "receipts": receipts,
        "actions": PURCHASE_ORDER.allowed(po, request.user),
    }
    return render(request, "inventory/stock/purchasing_po_detail.html", context)


@require_POST
@capability_required("stock.purchase")
def purchase_order_send(request: HttpRequest, pk: int) -> HttpResponse:
    po = _po_or_404(request, pk)
    was_draft = PURCHASE_ORDER.can_start(po, "send")
    try:
        po = services.purchase_order_send(purchase_order=po, user=request.user)
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        if not was_draft:
            messages.info(request, _("%(po)s was already sent.") % {"po": po})
        elif po.supplier.email:
            messages.success(
                request,
                _("%(po)s sent; the e-mail to %(email)s is on its way.") % {"po": po, "email": po.supplier.email},
            )
        else:
            messages.success(
                request, _("%(po)s marked as sent. %(name)s has no e-mail address: print it and send it yourself.")
                % {"po": po, "name": po.supplier.name},
            )  # fmt: skip
    return redirect("inventory:purchase_order_detail", pk=po.pk)


@require_POST
@capability_required("stock.purchase")
def purchase_order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    po = _po_or_404(request, pk)
    try:
        po = services.purchase_order_cancel(purchase_order=po, user=request.user)
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("%(po)s cancelled.") % {"po": po})
    return redirect("inventory:purchase_order_detail", pk=po.pk)


@capability_required("stock.purchase")
def purchase_order_print(request: HttpRequest, pk: int) -> HttpResponse:
    po = _po_or_404(request, pk)
    context = {"doc": selectors.purchase_order_document(po), "po": po, "tenant": request.tenant,
               "currency": tenant_settings().currency}  # fmt: skip
    return render(request, "inventory/stock/purchasing_po_print.html", context)


# --- Receiving --------------------------------------------------------------------------------------------------


@capability_required("stock.purchase")
def purchase_order_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: what arrived of each line (prefilled with what is still to come), at what cost."""
    po = _po_or_404(request, pk)
    doc = selectors.purchase_order_document(po)
    if request.method == "POST":
        key = request.POST.get("key", "")
        values = {
            row.line.pk: (request.POST.get(f"qty-{row.line.pk}", ""), request.POST.get(f"cost-{row.line.pk}", ""))
            for row in doc.lines
        }
        note, allow_over = (
            parsing.clean_text(request.POST.get("note"), multiline=True),
            request.POST.get("allow_over") == "1",
        )
        try:
            receipt = services.goods_receive(
                purchase_order=po,
                user=request.user,
                lines=[
                    services.ReceiptLineInput(po_line_id=pk, quantity=q, unit_cost=c) for pk, (q, c) in values.items()
                ],
                currency=tenant_settings().currency,
                idempotency_key=key,
                note=note,
                allow_over=allow_over,
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            text = _("Delivery %(gr)s received into %(outlet)s.") % {"gr": receipt, "outlet": po.outlet.name}
            messages.success(request, text)
            return redirect("inventory:purchase_order_detail", pk=po.pk)
    else:
        if not PURCHASE_ORDER.can_start(po, "receive"):
            messages.error(request, _("%(po)s is %(status)s: nothing to receive.")
                           % {"po": po, "status": po.get_status_display().lower()})  # fmt: skip
            return redirect("inventory:purchase_order_detail", pk=po.pk)
        key, note, allow_over, errors = uuid.uuid4().hex, "", False, []
        values = {
            row.line.pk: (
                row.outstanding_shown if row.outstanding > 0 else "",
                _money_text(request, row.line.unit_cost),
            )
            for row in doc.lines
        }
    rows = [(row, *values[row.line.pk]) for row in doc.lines]
    context = {"po": po, "doc": doc, "rows": rows, "key": key, "note": note,
               "allow_over": allow_over, "errors": errors}  # fmt: skip
    return render(request, "inventory/stock/purchasing_po_receive.html", context, status=400 if errors else 200)


# --- Suggest ----------------------------------------------------------------------------------------------------


@require_POST
@capability_required("stock.purchase")
def purchase_order_suggest(request: HttpRequest) -> HttpResponse:
    outlet_id = parsing.id_or_none(request.POST.get("outlet"))
    mine = outlets_for(request.user)  # another outlet is no outlet here, as an unknown one
    outlet = mine.filter(pk=outlet_id).first() if outlet_id else mine.first()
    if outlet is None:
        messages.error(request, _("Choose an open outlet."))
        return redirect("inventory:purchase_order_list")
    result = services.purchase_orders_suggest(outlet=outlet, user=request.user)
    for po in result.orders:
        messages.success(request, _("%(po)s drafted for %(supplier)s (%(n)s items).")
                         % {"po": po, "supplier": po.supplier.name, "n": po.lines.count()})  # fmt: skip
    if result.no_supplier:
        names = ", ".join(item.name for item in result.no_supplier)
        messages.warning(request, _("Low, but no supplier set (order these by hand): %(names)s.") % {"names": names})
    if result.already_ordered:
        names = ", ".join(item.name for item in result.already_ordered)
        messages.info(request, _("Already on an open order: %(names)s.") % {"names": names})
    if not (result.orders or result.no_supplier or result.already_ordered):
        messages.info(request, _("Nothing at %(outlet)s is at or below its reorder point.") % {"outlet": outlet.name})
    return redirect("inventory:purchase_order_list")
