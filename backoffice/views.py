from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.access import capability_required, outlets_of
from business.selectors import outlets_for
from pos_project import parsing
from pos_project.money import format_money
from reports.charts import bar_chart

from .selectors import audit_feed, dashboard_today, setup_checklist, supervisor_day


def _outlet_scope(request: HttpRequest) -> tuple[list, int | None, list[int] | None]:
    """The outlets the person may pick from, the one picked (`?outlet=`, None: all of theirs), and the ids the
    figures cover (None: every outlet). An outlet not theirs answers 404, as one that does not exist."""
    outlets = list(outlets_for(request.user))
    chosen = parsing.query_id(request.GET, "outlet")
    if chosen is not None:
        if chosen not in {outlet.pk for outlet in outlets}:
            raise Http404("No outlet matches the given query.")
        return outlets, chosen, [chosen]
    allowed = outlets_of(request.user)
    return outlets, None, None if allowed is None else sorted(allowed)


def _hour_chart(today, currency: str) -> SafeString:
    """Sales by hour, today's bars beside the same weekday last week's (reports.charts: escaped SVG)."""
    svg = bar_chart(
        [f"{bar.hour:02d}" for bar in today.hours],
        [bar.now for bar in today.hours],
        compare=[bar.before for bar in today.hours],
        title=_("Sales by hour: today against the same weekday last week"),
        fmt=lambda minor: format_money(minor, currency),
        series_label=_("Today"),
        compare_label=_("Last %(weekday)s") % {"weekday": date_format(today.date, "l")},
        uid="sales-by-hour",
    )
    return mark_safe(svg)  # noqa: S308 - reports.charts escapes every text it writes


@capability_required("backoffice.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    outlets, chosen, scope = _outlet_scope(request)
    names = {outlet.pk: outlet.name for outlet in outlets} if chosen is None and len(outlets) > 1 else None
    today = dashboard_today(outlets=scope, outlet_names=names)
    context = {
        "checklist": setup_checklist(user=request.user),
        "feed": audit_feed(limit=8),
        "today": today,
        "chart": _hour_chart(today, request.tenant.currency),
        "outlets": outlets,
        "chosen_outlet": chosen,
        "now": timezone.localtime(),
    }
    return render(request, "backoffice/dashboard.html", context)


@capability_required("supervisor.console")
def supervisor_today(request: HttpRequest) -> HttpResponse:
    """The supervisor console's "Today" panel (loaded into sales:supervisor by htmx: the console lives in
    `sales`, below `reports` in the layers, so the figures are read here): only the person's outlets."""
    outlets, _chosen, scope = _outlet_scope(request)
    names = {outlet.pk: outlet.name for outlet in outlets} if len(outlets) > 1 else None
    context = {"day": supervisor_day(outlets=scope, outlet_names=names), "now": timezone.localtime()}
    return render(request, "backoffice/_day_panel.html", context)
