"""Stock adjustment pages: list, one-line form, bulk (CSV) form, detail, and the supervisors' approvals queue.

Thin: parse, throttle, call one service or selector, render. Submissions are limited to ten a minute per
person (a stuck key or a script should not flood the ledger); the count lives in the cache, and when the cache
is unreachable the limit is skipped with a warning rather than locking stock-keeping out.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from accounts.access import can, capability_required, outlet_allowed, outlet_filter
from business.selectors import outlet_default_for, outlet_list, outlets_for
from core.forms import SubmissionKeyField
from pos_project import parsing
from pos_project.forms import TextField, form_add_service_errors
from pos_project.money import round_minor

from ..models import StockAdjustment
from ..selectors import adjustments as selectors
from ..services import adjustments as services
from ..transitions import ADJUSTMENT

# The statuses a person can find an adjustment in (NEW lives only inside the transaction that submits it).
LISTED_STATUSES = [(value, label) for value, label in StockAdjustment.Status.choices
                   if value != StockAdjustment.Status.NEW]  # fmt: skip

logger = logging.getLogger(__name__)

PER_PAGE = 50
RATE = "10/m"
RATE_GROUP = "inventory.adjustment_submit"


# --- Forms ------------------------------------------------------------------------------------------------------


class _AdjustmentForm(forms.Form):
    outlet = forms.ModelChoiceField(queryset=outlet_list(), label=gettext_lazy("Outlet"), empty_label=None)
    reason = forms.ChoiceField(choices=StockAdjustment.Reason.choices, label=gettext_lazy("Reason"))
    note = TextField(max_length=200, required=False, label=gettext_lazy("Note"))
    # Hidden; a form sent twice carries the same key and makes one adjustment. Optional so a form without it
    # (an old tab) still works, just without that protection.
    key = SubmissionKeyField()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per request, not at import: the outlets the person works at (another's is not a choice).
        self.fields["outlet"].queryset = outlets_for(user)


class AdjustmentForm(_AdjustmentForm):
    item = TextField(
        max_length=40,
        label=gettext_lazy("Item (SKU)"),
        widget=forms.TextInput(attrs={"list": "stock-items", "autocomplete": "off"}),
        help_text=gettext_lazy("Type a name or SKU and pick the item."),
    )
    quantity = TextField(
        max_length=20,
        label=gettext_lazy("Quantity"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=gettext_lazy("In the item's base unit: 5 adds stock, -3 takes it out."),
    )
    field_order = ["outlet", "item", "quantity", "reason", "note"]


class AdjustmentBulkForm(_AdjustmentForm):
    text = TextField(
        required=False,
        label=gettext_lazy("Lines"),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "placeholder": "MILK-1L,-3\nBEANS,2500"}),
        help_text=gettext_lazy('One "sku,quantity" per line, up to 1000 lines; a header line is allowed.'),
    )
    file = forms.FileField(
        required=False, label=gettext_lazy("…or upload a CSV file"), widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,text/csv,text/plain"})
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > services.MAX_CSV_BYTES:
                raise ValidationError(_("That file is too large for 1000 lines; is it the right file?"))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(_("Save the file as CSV (UTF-8) and upload it again.")) from None
        elif not (data.get("text") or "").strip():
            raise ValidationError(_("Paste some lines or upload a CSV file."))
        elif len(data["text"]) > services.MAX_CSV_BYTES:
            raise ValidationError(_("That is too much text for 1000 lines; split it in parts."))
        return data


# --- Helpers ----------------------------------------------------------------------------------------------------


def _throttle(request: HttpRequest) -> int | None:
    """Count this submission; seconds until the person may submit again, or None if they may now."""
    usage = get_usage(request, group=RATE_GROUP, key="user", rate=RATE, method="POST", increment=True)
    if usage is None:
        if getattr(settings, "RATELIMIT_ENABLE", True):
            logger.warning("Adjustment rate limit skipped: the cache is unreachable (user %s).", request.user.pk)
        return None
    if not usage["should_limit"]:
        return None
    return max(usage["time_left"], 1)  # 0 means the window ends this very second


def _too_many(request: HttpRequest, template: str, context: dict, wait: int) -> HttpResponse:
    """The form as it was sent (nothing typed is lost), with the wait, as a 429."""
    context["error"] = _("Too many adjustments: try again in %(n)s s") % {"n": wait}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _initial(request: HttpRequest) -> dict | None:
    if request.method == "POST":
        return None
    outlet = outlet_default_for(request.user)
    return {"outlet": outlet.pk if outlet else None, "reason": "correction"}


def _submit(request: HttpRequest, form: _AdjustmentForm, lines) -> StockAdjustment | None:
    try:
        return services.adjustment_submit(
            outlet=form.cleaned_data["outlet"],
            user=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            lines=lines,
            idempotency_key=form.cleaned_data["key"],
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return None


def _done(request: HttpRequest, adjustment: StockAdjustment) -> HttpResponse:
    if adjustment.is_pending:
        messages.success(request, _("%(adj)s is waiting for a supervisor's approval.") % {"adj": adjustment})
    else:
        messages.success(request, _("%(adj)s posted.") % {"adj": adjustment})
    if not can(request.user, "stock.adjust"):
        return redirect("inventory:adjustment_create")  # staff record the next one; the list is the supervisors'
    return redirect("inventory:adjustment_detail", pk=adjustment.pk)


# --- Pages ------------------------------------------------------------------------------------------------------


@capability_required("stock.adjust")
def adjustment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in dict(LISTED_STATUSES) else ""
    outlet_id = parsing.query_id(request.GET, "outlet")
    adjustments = outlet_filter(selectors.adjustment_list(status=status, outlet_id=outlet_id), request.user)
    page = Paginator(adjustments, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "outlet_id": outlet_id,
        "outlets": outlets_for(request.user, active_only=False),
        "statuses": LISTED_STATUSES,
    }
    return render(request, "inventory/stock/adjustments_list.html", context)


@capability_required("stock.report_waste")
def adjustment_create(request: HttpRequest) -> HttpResponse:
    form = AdjustmentForm(request.POST or None, initial=_initial(request), user=request.user)
    context = {"form": form, "items": selectors.adjustment_item_choices()}
    template = "inventory/stock/adjustments_create.html"
    if request.method == "POST":
        wait = _throttle(request)
        if wait is not None:
            return _too_many(request, template, context, wait)
        if form.is_valid():
            adjustment = _submit(request, form, [(form.cleaned_data["item"], form.cleaned_data["quantity"])])
            if adjustment is not None:
                return _done(request, adjustment)
    return render(request, template, context, status=400 if form.errors else 200)


@capability_required("stock.adjust")
def adjustment_bulk(request: HttpRequest) -> HttpResponse:
    data = request.POST.copy() if request.method == "POST" else None
    form = AdjustmentBulkForm(data, request.FILES or None, initial=_initial(request), user=request.user)
    context = {"form": form, "max_lines": services.MAX_LINES}
    template = "inventory/stock/adjustments_bulk.html"
    if request.method == "POST":
        wait = _throttle(request)
        if wait is not None:
            return _too_many(request, template, context, wait)
        if form.is_valid():
            text = form.cleaned_data["text"]
            adjustment = _submit(request, form, services.adjustment_csv_parse(text))
            if adjustment is not None:
                return _done(request, adjustment)
            # An uploaded file's lines go in the box, so they can be fixed here and sent again.
            data["text"] = text
    return render(request, template, context, status=400 if form.errors else 200)


def _detail_or_404(request: HttpRequest, pk: int) -> StockAdjustment:
    """The adjustment, if it is at an outlet the person works at; another outlet's answers 404, as an unknown."""
    adjustment = selectors.adjustment_get(pk)
    if adjustment is None or not outlet_allowed(request.user, adjustment.outlet_id):
        raise Http404
    return adjustment


@capability_required("stock.adjust")
def adjustment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _detail_or_404(request, pk)
    lines = [
        (line, round_minor(abs(line.quantity * line.unit_cost))) for line in selectors.adjustment_lines(adjustment)
    ]
    actions = ADJUSTMENT.allowed(adjustment, request.user)
    context = {
        "adjustment": adjustment,
        "lines": lines,
        "actions": actions,
        # Four eyes: the author of a waiting adjustment sees it wait for someone else.
        "can_decide": bool(actions.get("approve")) and adjustment.created_by_id != request.user.pk,
        "waiting": ADJUSTMENT.can_start(adjustment, "approve"),
    }
    return render(request, "inventory/stock/adjustments_detail.html", context)


@capability_required("stock.approve")
def adjustment_approvals(request: HttpRequest) -> HttpResponse:
    context = {"pending": outlet_filter(selectors.adjustment_pending(), request.user)[:200]}
    return render(request, "inventory/stock/adjustments_approvals.html", context)


def _back(request: HttpRequest, adjustment: StockAdjustment) -> HttpResponse:
    if request.POST.get("back") == "detail":
        return redirect("inventory:adjustment_detail", pk=adjustment.pk)
    return redirect("inventory:adjustment_approvals")


@require_POST
@capability_required("stock.approve")
def adjustment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _detail_or_404(request, pk)
    was_pending = adjustment.is_pending
    try:
        adjustment = services.adjustment_approve(adjustment=adjustment, approver=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        text = _("%(adj)s approved and posted.") if was_pending else _("%(adj)s is already posted.")
        messages.success(request, text % {"adj": adjustment})
    return _back(request, adjustment)


@require_POST
@capability_required("stock.approve")
def adjustment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = _detail_or_404(request, pk)
    try:
        adjustment = services.adjustment_reject(
            adjustment=adjustment,
            approver=request.user,
            comment=parsing.clean_text(request.POST.get("comment"), multiline=True),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(adj)s rejected; no stock moved.") % {"adj": adjustment})
    return _back(request, adjustment)
