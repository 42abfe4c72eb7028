"""Stock reports for the owner: stock on hand (and its CSV), movement history (and its CSV), low stock.

Thin: a filter form reads the query string, a selector reads, the page renders. A bad filter never errors:
the page says what is wrong (status 400) and lists as if that one filter were not set. Exports stream, and
take the business's time zone with them (the middleware has switched it off by the time the rows are read).
"""

from collections.abc import Iterator
from datetime import tzinfo
from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import capability_required
from business.selectors import outlets_for
from catalog import selectors as catalog_selectors
from pos_project.csv_export import csv_response
from pos_project.forms import IntegerField, TextField
from pos_project.money import currency, from_minor

from ..models import StockAdjustment, StockItem, StockMovement
from ..quantities import format_quantity
from ..selectors import stock_reports as selectors

ROWS_PER_PAGE = 50
LOW_ROWS_PER_PAGE = 100

# source_type → (URL name, label); "receipt" links to the purchase order the delivery was for.
SOURCES = {
    "order": ("sales:order_detail", gettext_lazy("Order %(id)s")),
    "transfer": ("inventory:transfer_detail", "TR-%(id)s"),
    "adjustment": ("inventory:adjustment_detail", "ADJ-%(id)s"),
    "receipt": ("inventory:purchase_order_detail", "GR-%(id)s"),
    "count": ("inventory:count_detail", "CNT-%(id)s"),
}


# --- Filter forms -------------------------------------------------------------------------------------------


def _choice(label, none_label, invalid) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, required=False, coerce=int, empty_value=None, choices=[("", none_label)],
        error_messages={"invalid_choice": invalid},
    )  # fmt: skip


class StockFilterForm(forms.Form):
    outlet = _choice(gettext_lazy("Outlet"), gettext_lazy("All outlets"), gettext_lazy("There is no such outlet."))
    category = _choice(
        gettext_lazy("Category"), gettext_lazy("All categories"), gettext_lazy("There is no such category.")
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All kinds")), *StockItem.Kind.choices],
        error_messages={"invalid_choice": gettext_lazy("Choose a kind from the list.")},
    )  # fmt: skip
    q = TextField(label=gettext_lazy("Search"), required=False, max_length=100)
    low = forms.BooleanField(label=gettext_lazy("Only at or below the reorder point"), required=False)

    def __init__(self, data, *, outlets, categories):
        super().__init__(data)
        self.fields["outlet"].choices += [(o.pk, o.name) for o in outlets]
        self.fields["category"].choices += [(c.pk, c.name) for c in categories]

    def filters(self) -> dict:
        """The selector's keyword arguments from the fields that were valid."""
        data = self.cleaned_data
        return {
            "outlet_id": data.get("outlet"),
            "category_id": data.get("category"),
            "kind": data.get("kind") or "",
            "query": data.get("q") or "",
            "below_reorder": bool(data.get("low")),
        }


class LowStockFilterForm(forms.Form):
    outlet = _choice(gettext_lazy("Outlet"), gettext_lazy("All outlets"), gettext_lazy("There is no such outlet."))

    def __init__(self, data, *, outlets):
        super().__init__(data)
        self.fields["outlet"].choices += [(o.pk, o.name) for o in outlets]

    def filters(self) -> dict:
        return {"outlet_id": self.cleaned_data.get("outlet")}


DATE_ERROR = gettext_lazy("Enter a date as YYYY-MM-DD, for example 2025-01-31.")


class MovementFilterForm(forms.Form):
    item = IntegerField(
        label=gettext_lazy("Item"), required=False, min_value=1,
        error_messages={"invalid": gettext_lazy("Pick the item from the stock list."),
                        "min_value": gettext_lazy("Pick the item from the stock list.")},
    )  # fmt: skip
    q = TextField(label=gettext_lazy("Item name or SKU"), required=False, max_length=100)
    outlet = _choice(gettext_lazy("Outlet"), gettext_lazy("All outlets"), gettext_lazy("There is no such outlet."))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False,
        choices=[("", gettext_lazy("All kinds")), *StockMovement.Kind.choices],
        error_messages={"invalid_choice": gettext_lazy("Choose a kind from the list.")},
    )  # fmt: skip
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d"], error_messages={"invalid": DATE_ERROR}
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d"], error_messages={"invalid": DATE_ERROR}
    )

    def __init__(self, data, *, outlets):
        super().__init__(data)
        self.fields["outlet"].choices += [(o.pk, o.name) for o in outlets]
        self.item = None

    def clean_item(self):
        pk = self.cleaned_data.get("item")
        if pk is not None:
            self.item = selectors.stock_item_get(pk)
            if self.item is None:
                raise forms.ValidationError(_("There is no such stock item."))
        return pk

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
            data.pop("date_to", None)
        return data

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "item_id": data.get("item"),
            "query": data.get("q") or "",
            "outlet_id": data.get("outlet"),
            "kind": data.get("kind") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


def _bind(form: forms.Form) -> dict:
    """Validate; return the selector filters and the errors as sentences naming the field."""
    form.is_valid()
    errors = [f"{form.fields[name].label}: {msg}" for name, msgs in form.errors.items() for msg in msgs]
    return {"filters": form.filters(), "filter_errors": errors}


def _filters(request: HttpRequest, context: dict) -> dict:
    """The selector filters, narrowed to the outlets the person works at ("All outlets": all of theirs)."""
    return {**context["filters"], "user": request.user}


def _params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _quantities_text(row, *names: str) -> None:
    """Set `<name>_text` ("12.5", "3") for each quantity: templates have no filter for Decimals as people write them."""
    for name in names:
        setattr(row, f"{name}_text", format_quantity(getattr(row, name)))


def _filename(request: HttpRequest, stem: str) -> str:
    return f"{stem}-{request.tenant.schema_name}-{timezone.localdate().isoformat()}.csv"


# --- CSV helpers --------------------------------------------------------------------------------------------


def _cost_major(cost_minor: Decimal, exponent: int) -> str:
    """A unit cost (minor units, six decimals) in major units, with at least the currency's decimals."""
    value = cost_minor.scaleb(-exponent).normalize()
    if value.as_tuple().exponent > -exponent:
        value = value.quantize(Decimal(1).scaleb(-exponent))
    return f"{value:f}"


def unit_cost_text(cost_minor: Decimal, currency_code: str) -> str:
    """A unit cost as people read money, with the fraction a gram or a millilitre costs: "Rp 12,5", "$0.0042"."""
    cur = currency(currency_code)
    whole, _dot, fraction = _cost_major(cost_minor, cur.exponent).partition(".")
    text = f"{int(whole):,}".replace(",", cur.thousands) + (f"{cur.decimal}{fraction}" if fraction else "")
    return f"{cur.symbol}{' ' if cur.symbol_space else ''}{text}"


def _csv_response(request: HttpRequest, rows: Iterator[list], stem: str) -> StreamingHttpResponse:
    return csv_response(rows, filename=_filename(request, stem))


def _bad_export(errors: list[str]) -> HttpResponse:
    text = _("Nothing exported: fix the filters first.") + "\n" + "\n".join(errors)
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


# --- Stock on hand -----------------------------------------------------------------------------------------


STATUS_LABELS = {
    selectors.Status.NEGATIVE: gettext_lazy("Negative"),
    selectors.Status.LOW: gettext_lazy("Low"),
    selectors.Status.OK: gettext_lazy("OK"),
}


def _stock_form(request: HttpRequest) -> tuple[StockFilterForm, dict]:
    outlets = list(outlets_for(request.user, active_only=False))  # another outlet is not a choice
    categories = list(catalog_selectors.category_list())
    form = StockFilterForm(request.GET, outlets=outlets, categories=categories)
    return form, {"outlets": outlets, "categories": categories, **_bind(form)}


@capability_required("stock.view")
def stock_list(request: HttpRequest) -> HttpResponse:
    form, context = _stock_form(request)
    filters = _filters(request, context)
    page = Paginator(selectors.stock_on_hand(**filters), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.stock_on_hand_rows(page.object_list)
    code = request.tenant.currency
    for level in page.object_list:
        _quantities_text(level, "quantity", "reorder_point")
        level.cost_text = unit_cost_text(level.item.cost, code)
        level.status_label = STATUS_LABELS[level.status]
    totals = selectors.stock_value_by_outlet(**filters)
    context |= {
        "form": form,
        "page": page,
        "totals": totals,
        "grand_total": sum(t.value_minor for t in totals),
        "kinds": StockItem.Kind.choices,
        "params": _params(request),
    }
    status = 400 if context["filter_errors"] else 200
    return render(request, "inventory/stock/reports_stock_list.html", context, status=status)


STOCK_COLUMNS = [
    "item", "sku", "category", "kind", "outlet", "quantity", "base_unit", "unit_cost", "value",
    "reorder_point", "reorder_quantity", "status",
]  # fmt: skip


def _stock_csv_rows(levels, exponent: int, currency_code: str) -> Iterator[list]:
    yield STOCK_COLUMNS
    for chunk in _chunks(levels.iterator(chunk_size=2000), 2000):
        for level in selectors.stock_on_hand_rows(chunk):
            item = level.item
            yield [
                item.name,
                item.sku,
                item.category.name if item.category else "",
                item.kind,
                level.outlet.name,
                Decimal(format_quantity(level.quantity)),
                item.base_unit,
                Decimal(_cost_major(item.cost, exponent)),
                from_minor(level.value_minor, currency_code),
                Decimal(format_quantity(level.reorder_point)),
                Decimal(format_quantity(level.reorder_quantity)),
                level.status,
            ]


def _chunks(iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in iterable:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@capability_required("stock.view")
def stock_export(request: HttpRequest) -> HttpResponse:
    _form, context = _stock_form(request)
    if context["filter_errors"]:
        return _bad_export(context["filter_errors"])
    code = request.tenant.currency
    levels = selectors.stock_on_hand(**_filters(request, context))
    return _csv_response(request, _stock_csv_rows(levels, currency(code).exponent, code), "stock-on-hand")


# --- Movements ----------------------------------------------------------------------------------------------


def source_link(source_type: str, source_id: int | None, receipt_pos: dict[int, int]) -> tuple[str, str | None]:
    """(label, url) of the document a movement came from; url is None when that page does not exist (yet)."""
    if source_id is None:
        return source_type, None
    url_name, label = SOURCES.get(source_type, ("", f"{source_type} %(id)s"))
    label = str(label) % {"id": source_id}
    target = source_id
    if source_type == "receipt":
        target = receipt_pos.get(source_id)
        if target is None:
            return label, None
        label = f"{label} · PO-{target}"
    if not url_name:
        return label, None
    try:
        return label, reverse(url_name, args=[target])
    except NoReverseMatch:
        return label, None


def _movement_form(request: HttpRequest) -> tuple[MovementFilterForm, dict]:
    outlets = list(outlets_for(request.user, active_only=False))  # another outlet is not a choice
    form = MovementFilterForm(request.GET, outlets=outlets)
    return form, {"outlets": outlets, **_bind(form)}


def _who(user) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


@capability_required("stock.view")
def movement_list(request: HttpRequest) -> HttpResponse:
    form, context = _movement_form(request)
    movements = selectors.movement_history(**_filters(request, context))
    page = Paginator(movements, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    receipt_pos = selectors.receipt_purchase_orders(rows)
    reasons = dict(StockAdjustment.Reason.choices)
    for m in rows:
        m.source_label, m.source_url = source_link(m.source_type, m.source_id, receipt_pos)
        m.who = _who(m.user)
        m.reason_label = reasons.get(m.reason, m.reason)
        _quantities_text(m, "quantity", "balance_after")
    page.object_list = rows
    context |= {
        "form": form,
        "page": page,
        "item": form.item,
        "kinds": StockMovement.Kind.choices,
        "params": _params(request),
    }
    status = 400 if context["filter_errors"] else 200
    return render(request, "inventory/stock/reports_movement_list.html", context, status=status)


MOVEMENT_COLUMNS = [
    "date", "time", "item", "sku", "outlet", "kind", "quantity", "base_unit", "balance_after", "unit_cost",
    "value", "user", "reason", "note", "source",
]  # fmt: skip


def _movement_csv_rows(movements, tz: tzinfo, exponent: int, currency_code: str) -> Iterator[list]:
    yield MOVEMENT_COLUMNS
    for chunk in _chunks(movements.iterator(chunk_size=2000), 2000):
        receipt_pos = selectors.receipt_purchase_orders(chunk)
        for m in chunk:
            when = timezone.localtime(m.created_at, tz)
            label, _url = source_link(m.source_type, m.source_id, receipt_pos)
            yield [
                when.date().isoformat(),
                when.strftime("%H:%M:%S"),
                m.item.name,
                m.item.sku,
                m.outlet.name,
                m.kind,
                Decimal(format_quantity(m.quantity)),
                m.item.base_unit,
                Decimal(format_quantity(m.balance_after)),
                Decimal(_cost_major(m.unit_cost, exponent)),
                from_minor(m.value_minor, currency_code),
                m.user.get_username() if m.user else "",
                m.reason,
                m.note,
                label,
            ]


@capability_required("stock.view")
def movement_export(request: HttpRequest) -> HttpResponse:
    _form, context = _movement_form(request)
    if context["filter_errors"]:
        return _bad_export(context["filter_errors"])
    tz = timezone.get_current_timezone()
    code = request.tenant.currency
    movements = selectors.movement_history(**_filters(request, context), tz=tz)
    return _csv_response(request, _movement_csv_rows(movements, tz, currency(code).exponent, code), "stock-movements")


# --- Low stock ---------------------------------------------------------------------------------------------


@capability_required("stock.view")
def low_stock(request: HttpRequest) -> HttpResponse:
    outlets = list(outlets_for(request.user, active_only=False))  # another outlet is not a choice
    form = LowStockFilterForm(request.GET, outlets=outlets)
    context = {"outlets": outlets, **_bind(form)}
    levels = selectors.low_stock(**_filters(request, context))
    page = Paginator(levels, LOW_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.low_stock_rows(page.object_list)
    for level in page.object_list:
        _quantities_text(level, "quantity", "reorder_point", "suggest_base")
        level.status_label = STATUS_LABELS[level.status]
    context |= {"form": form, "page": page, "params": _params(request)}
    status = 400 if context["filter_errors"] else 200
    return render(request, "inventory/stock/reports_low_stock.html", context, status=status)
