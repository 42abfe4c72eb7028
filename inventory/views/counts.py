"""Stock counts: list, start, the count sheet (typed in batches, or scanned one by one), review and post.

Supervisors count and post as well as the owner (capability `stock.count`), and every page renders in the
viewer's own layout. Thin: parse, call one service or selector, render.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import capability_required, outlet_allowed, outlet_filter
from business.selectors import outlet_list, outlets_for
from catalog.models import Category
from core.forms import SubmissionKeyField
from pos_project.forms import TextField, form_add_service_errors

from ..models import StockCount
from ..quantities import format_quantity
from ..selectors import counts as selectors
from ..services import counts as services
from ..transitions import STOCK_COUNT

LINES_PER_PAGE = 100  # well under Django's 1,000-field limit for one POST (two fields a line)
COUNTS_PER_PAGE = 50


class CountStartForm(forms.Form):
    outlet = forms.ModelChoiceField(queryset=outlet_list(), label=gettext_lazy("Outlet"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_archived=False),
        required=False,
        empty_label=gettext_lazy("All items"),
        label=gettext_lazy("Category"),
        help_text=gettext_lazy("Count one category at a time, or every stock item at the outlet."),
    )
    note = TextField(required=False, max_length=200, label=gettext_lazy("Note"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = outlets_for(user)  # the outlets the person works at: another is no choice


class ScanForm(forms.Form):
    code = TextField(max_length=64, label=gettext_lazy("Barcode or SKU"))
    quantity = TextField(max_length=20, required=False, label=gettext_lazy("Quantity"))
    key = SubmissionKeyField()


def _count_or_404(request: HttpRequest, pk: int) -> StockCount:
    """The count, if it is at an outlet the person works at; another outlet's answers 404, as an unknown one."""
    try:
        count = selectors.count_get(pk)
    except StockCount.DoesNotExist:
        raise Http404("No such count.") from None
    if not outlet_allowed(request.user, count.outlet_id):
        raise Http404("No such count.")
    return count


@capability_required("stock.count")
def count_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in StockCount.Status.values:
        status = ""
    counts = outlet_filter(selectors.count_list(status=status), request.user)
    page = Paginator(counts, COUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": StockCount.Status.choices}
    return render(request, "inventory/stock/counts_list.html", context)


@capability_required("stock.count")
def count_create(request: HttpRequest) -> HttpResponse:
    form = CountStartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.count_start(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Started %(count)s. Count the shelves and enter what you find.") % {
                "count": count})  # fmt: skip
            return redirect("inventory:count_detail", pk=count.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "inventory/stock/counts_form.html", {"form": form}, status=status)


def _decorate(line, *, typed: str | None = None, errors: list[str] | None = None):
    """What the sheet shows for a line: quantities as people write them, and what was typed after an error."""
    line.shown = "" if line.counted is None else format_quantity(line.counted)
    line.typed = line.shown if typed is None else typed
    line.expected_shown = format_quantity(line.expected)
    line.variance_shown = "" if line.variance is None else format_quantity(line.variance)
    line.errors = errors or []
    return line


def _sheet_entries(post) -> dict[int, str]:
    """The counted values the counter changed on this page. The form sends what each field showed when the page
    was drawn (`was-<id>`); only lines whose value differs are saved, so a page saved late does not wipe a
    count a colleague (or the scanner) made in the meantime."""
    entries = {}
    for name, value in post.items():
        if not name.startswith("line-"):
            continue
        try:
            pk = int(name[5:])
        except ValueError:
            continue
        if value.strip() != post.get(f"was-{pk}", "").strip():
            entries[pk] = value
    return entries


@capability_required("stock.count")
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows a page of the sheet; POST saves the page's counted values (Save)."""
    count = _count_or_404(request, pk)
    errors: dict[str, list[str]] = {}
    error_list: list[str] = []
    if request.method == "POST":
        try:
            saved = services.count_enter(count=count, entries=_sheet_entries(request.POST))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            error_list = exc.messages
        else:
            if saved:
                messages.success(request, _("Saved %(n)s counted quantities.") % {"n": saved})
            else:
                messages.info(request, _("Nothing changed on this page."))
            return redirect(request.get_full_path())
    query = request.GET.get("q", "")
    uncounted = request.GET.get("uncounted") == "1"
    blind = request.GET.get("blind") == "1"
    lines = selectors.count_sheet_lines(count, query=query, uncounted_only=uncounted)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    for line in page:
        typed = request.POST.get(f"line-{line.pk}") if error_list else None
        _decorate(line, typed=typed, errors=errors.get(str(line.pk), []))
    context = {
        "count": count,
        "page": page,
        "progress": selectors.count_progress(count),
        "query": query,
        "uncounted": uncounted,
        "blind": blind,
        "error_list": error_list,
        "scan_form": ScanForm(initial={"quantity": "1"}),
        "actions": STOCK_COUNT.allowed(count, request.user),
    }
    return render(request, "inventory/stock/counts_detail.html", context, status=400 if error_list else 200)


@require_POST
@capability_required("stock.count")
def count_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan: add the quantity (1 unless typed) to the matching line. htmx gets the scan box back, focused and
    with a fresh key, plus the line's row swapped in place; without htmx the sheet is reloaded."""
    count = _count_or_404(request, pk)
    form = ScanForm(request.POST)
    result = None
    if form.is_valid():
        try:
            result = services.count_scan(
                count=count,
                code=form.cleaned_data["code"],
                quantity=form.cleaned_data["quantity"] or "1",
                idempotency_key=form.cleaned_data["key"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
    if result is not None:
        line = _decorate(result.line)
        if result.replayed:
            note = _("That scan was already counted: %(item)s is at %(qty)s %(unit)s.")
        else:
            note = _("Counted %(added)s × %(item)s: now %(qty)s %(unit)s.")
        note = note % {"added": format_quantity(result.added), "item": line.item.name, "qty": line.shown,
                       "unit": line.item.base_unit}  # fmt: skip
    if not request.headers.get("HX-Request"):
        if result is not None:
            messages.success(request, note)
        else:
            messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("inventory:count_detail", pk=count.pk)
    fresh = ScanForm(initial={"quantity": "1"})
    context = {
        "count": count,
        "scan_form": fresh if result is not None else _keep_code(form),
        "scan_errors": [] if result is not None else [m for errs in form.errors.values() for m in errs],
        "scan_note": note if result is not None else "",
        "line": result.line if result is not None else None,
        "blind": request.POST.get("blind") == "1",
        "actions": STOCK_COUNT.allowed(count, request.user),
    }
    # 200 even for a refused scan: htmx swaps only 2xx answers, and the refusal is shown in the scan box.
    return render(request, "inventory/stock/counts_detail.html#scan-response", context)


def _keep_code(form: ScanForm) -> ScanForm:
    """After a refused scan: keep what was typed (to correct it) but a fresh key, since nothing was counted."""
    data = form.data.copy()
    data["key"] = uuid.uuid4().hex
    return ScanForm(initial={"code": data.get("code", ""), "quantity": data.get("quantity") or "1", "key": data["key"]})


@capability_required("stock.count")
def count_review(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_or_404(request, pk)
    review = selectors.count_review(count)
    for line in review.lines:
        _decorate(line)
    context = {"count": count, "review": review, "actions": STOCK_COUNT.allowed(count, request.user)}
    return render(request, "inventory/stock/counts_review.html", context)


@require_POST
@capability_required("stock.count")
def count_post(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_or_404(request, pk)
    try:
        movements = services.count_post(count=count, user=request.user)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "stock_count.posted":  # a double click: posted once, as was meant
            messages.info(request, _("%(count)s was already posted.") % {"count": count})
            return redirect("inventory:count_review", pk=count.pk)
        messages.error(request, " ".join(exc.messages))
        return redirect("inventory:count_review", pk=count.pk)
    messages.success(request, _("Posted %(count)s: %(n)s stock corrections.") % {"count": count, "n": len(movements)})
    return redirect("inventory:count_review", pk=count.pk)


@require_POST
@capability_required("stock.count")
def count_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_or_404(request, pk)
    try:
        services.count_cancel(count=count, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("inventory:count_detail", pk=count.pk)
    messages.success(request, _("Cancelled %(count)s; no stock was changed.") % {"count": count})
    return redirect(reverse("inventory:count_list"))
