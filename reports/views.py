"""Report pages: the index, and one page per report (filter, chart, table) with its CSV, XLSX, PDF and print forms.

Thin: the form reads the filter, the catalog's builder makes the table, exports.py and charts.py draw it. Owners
see every outlet; supervisors the outlets they work at (the form offers no other, and refuses another's id).
"""

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts.access import capability_required, layout_for
from business.selectors import outlets_for

from .catalog import REPORTS, report_groups
from .charts import table_chart
from .exports import XLSX_TYPE, csv_download, download_response, export_filename, table_pdf, table_xlsx
from .forms import FIELDS, ReportForm, form_data, presets

FORMATS = ("csv", "xlsx", "pdf", "print")


def _tenant_zone() -> str:
    return getattr(connection.tenant, "timezone", "UTC") or "UTC"


@capability_required("reports.view")
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"groups": report_groups(), "layout": layout_for(request.user)})


@capability_required("reports.view")
def report_detail(request: HttpRequest, slug: str) -> HttpResponse:
    report = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report.")
    tenant = connection.tenant
    zone = _tenant_zone()
    today = datetime.now(ZoneInfo(zone)).date()
    outlets = list(outlets_for(request.user, active_only=False))
    data = form_data(request.GET, today)
    form = ReportForm(data, outlets=outlets, compares=report.compares)
    fmt = request.GET.get("format", "")
    context = {
        "report": report,
        "form": form,
        "layout": layout_for(request.user),
        "presets": [
            {
                "label": p.label,
                "query": urlencode({**data, "from": p.start.isoformat(), "to": p.end.isoformat()}),
                "active": (data["from"], data["to"]) == (p.start.isoformat(), p.end.isoformat()),
            }
            for p in presets(today)
        ],  # fmt: skip
    }
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)

    query = form.query(request.user, currency=getattr(tenant, "currency", "IDR"), timezone=zone)
    table = report.build(query)
    period_text, outlet_text = form.period_label(), form.outlet_label()
    if fmt in ("csv", "xlsx", "pdf"):
        filename = export_filename(slug, query.period.start, query.period.end, fmt)
        if fmt == "csv":
            return csv_download(table, filename=filename)
        make = table_xlsx if fmt == "xlsx" else table_pdf
        content = make(table, business=tenant, period_label=period_text, outlet_label=outlet_text)
        return download_response(content, content_type=XLSX_TYPE if fmt == "xlsx" else "application/pdf",
                                 filename=filename)  # fmt: skip

    params = {name: form.data[name] for name in FIELDS}
    chart = table_chart(table)
    context.update({
        "table": table,
        "chart": mark_safe(chart) if chart else "",  # noqa: S308 - every label in it is escaped (reports/charts.py)
        "period_text": period_text,
        "outlet_text": outlet_text,
        "downloads": [(label, urlencode({**params, "format": key})) for key, label in
                      (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("pdf", "PDF"), ("print", _("Print")))],
        "page_query": urlencode(params),
        "generated_at": timezone.now().astimezone(ZoneInfo(zone)),
    })  # fmt: skip
    template = "reports/print.html" if fmt == "print" else "reports/report.html"
    return render(request, template, context)
