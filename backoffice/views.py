from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can, capability_required, outlets_of
from business.selectors import outlets_for
from mailer.models import Message
from mailer.selectors import message_counts, message_log, subscribed_kinds
from mailer.services import SUBSCRIBABLE, mail_send_again, mail_subscriptions_set
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
        "report_query": f"?outlet={chosen}" if chosen else "",
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


EMAIL_LOG_PER_PAGE = 50


@capability_required("mail.view")
def email_log(request: HttpRequest) -> HttpResponse:
    """Every e-mail the business sent, is sending, or gave up on, newest first, by status."""
    status = request.GET.get("status", "")
    if status not in Message.Status.values:
        status = ""
    page = Paginator(message_log(status=status or None), EMAIL_LOG_PER_PAGE).get_page(request.GET.get("page"))
    counts = message_counts()
    tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in Message.Status.choices
    ]
    context = {"page": page, "status": status, "tabs": tabs, "summaries": None}
    if can(request.user, "reports.email"):
        chosen = subscribed_kinds(user=request.user)
        context["summaries"] = [(kind, Message.Kind(kind).label, kind in chosen) for kind in SUBSCRIBABLE]
    return render(request, "backoffice/email_log.html", context)


@require_POST
@capability_required("reports.email")
def email_subscriptions(request: HttpRequest) -> HttpResponse:
    """The signed-in owner's own choice of summary e-mails (two checkboxes)."""
    chosen = mail_subscriptions_set(user=request.user, kinds=request.POST.getlist("kinds"))
    if chosen and not request.user.email:
        messages.warning(request, _("Saved, but your account has no e-mail address: nothing can be sent until it has."))
    else:
        messages.success(request, _("Your summary e-mails are saved."))
    return redirect("backoffice:email_log")


@require_POST
@capability_required("mail.view")
def email_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a failed message back in the queue; beat's next mail run sends it."""
    message = get_object_or_404(Message.objects.only("pk", "subject"), pk=pk)
    if mail_send_again(message_id=message.pk):
        messages.success(request, _("“%(subject)s” is queued again; it goes out within a minute.")
                         % {"subject": message.subject})  # fmt: skip
    else:
        messages.info(request, _("“%(subject)s” is not a failed e-mail; nothing to do.") % {"subject": message.subject})
    status = request.POST.get("status", "")
    url = "backoffice:email_log"
    if status in Message.Status.values:
        return redirect(f"{reverse(url)}?{urlencode({'status': status})}")
    return redirect(url)
