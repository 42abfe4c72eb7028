"""The owners' summary e-mails (issue 13, point 5): yesterday's figures every morning, last week's on Monday.

An owner opts in on the E-mail log page (mailer.Subscription, kinds report_daily / report_weekly). Beat runs
`summaries_queue` every hour in each tenant (reports.tasks.summaries_send); once the business's local time has
passed SEND_FROM_HOUR it queues, through the mail outbox, one e-mail per subscribed owner: HTML and text with the
headline figures against the comparison period, the payment mix and the five best sellers, and a PDF of sales by
hour (daily) or by day (weekly). Each message carries the key kind:first-day:user, unique in the outbox, so the
hourly runs (or two at once) queue it once per person and period.

A day the workers were down all morning is not sent later the same way: the job looks at yesterday only (and on
Monday at the week just ended), so an outage costs that day's e-mail, never a pile of late ones.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import users_with
from mailer.models import Message
from mailer.selectors import keys_taken, subscriber_ids
from mailer.services import mail_queue
from pos_project.money import format_money
from sales.models import Payment

from .exports import table_pdf
from .selectors import Period, payment_mix, product_sales, sales_by, sales_totals
from .tables import ChartSpec, Column, Kind, ReportTable, change_percent, format_cell, sum_totals

SEND_FROM_HOUR = 6  # local time: the day's e-mail goes out from then on (the night's last orders are in)
DAILY, WEEKLY = Message.Kind.REPORT_DAILY, Message.Kind.REPORT_WEEKLY
CAPABILITY = "reports.email"
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class Summary:
    kind: str
    period: Period
    compare: Period  # daily: the same weekday a week before; weekly: the week before


def summaries_due(local_now: datetime) -> list[Summary]:
    """What is due at `local_now` (the business's local time): yesterday from 06:00, and on Mondays last week."""
    if local_now.hour < SEND_FROM_HOUR:
        return []
    yesterday = local_now.date() - timedelta(days=1)
    day = Period(yesterday, yesterday)
    due = [Summary(DAILY, day, day.weeks_before(1))]
    if local_now.isoweekday() == 1:
        week = Period(yesterday - timedelta(days=6), yesterday)
        due.append(Summary(WEEKLY, week, week.previous()))
    return due


def summary_key(summary: Summary, user_id: int) -> str:
    return f"{summary.kind}:{summary.period.start.isoformat()}:{user_id}"


def summaries_queue(*, now: datetime | None = None) -> int:
    """Queue the summaries due now for every owner who asked for them and has an address; returns how many were
    queued. Figures and the PDF are made once per summary, and only when someone still needs it."""
    tenant = connection.tenant
    local_now = (now or timezone.now()).astimezone(ZoneInfo(tenant.timezone))
    queued = 0
    for summary in summaries_due(local_now):
        wanted = subscriber_ids(kind=summary.kind)
        if not wanted:
            continue
        people = users_with(CAPABILITY).filter(pk__in=wanted).exclude(email="").order_by("pk")
        keys = {pk: summary_key(summary, pk) for pk in people.values_list("pk", flat=True)}
        taken = keys_taken(list(keys.values()))
        todo = [(pk, email) for pk, email in people.values_list("pk", "email") if keys.get(pk) not in taken]
        if not todo:
            continue
        content = summary_render(summary, tenant=tenant, generated_at=local_now)
        for pk, email in todo:
            message = mail_queue(to=[email], subject=content["subject"], text=content["text"], html=content["html"],
                                 attachments=[content["pdf"]], kind=summary.kind, key=keys[pk])  # fmt: skip
            queued += message is not None
    return queued


# --- What the e-mail says ----------------------------------------------------------------------------------------


def _day(d: date) -> str:
    return formats.date_format(d, "D j M Y")


def period_label(period: Period) -> str:
    if period.days == 1:
        return _day(period.start)
    return f"{formats.date_format(period.start, 'j M')} – {_day(period.end)}"


FIGURES = (
    ("net_minor", gettext_lazy("Net sales"), Kind.MONEY),
    ("orders", gettext_lazy("Orders"), Kind.INT),
    ("average_ticket_minor", gettext_lazy("Average ticket"), Kind.MONEY),
    ("discount_minor", gettext_lazy("Discounts"), Kind.MONEY),
    ("refunded_minor", gettext_lazy("Refunds"), Kind.MONEY),
    ("voided_minor", gettext_lazy("Voided orders"), Kind.MONEY),
    ("tips_minor", gettext_lazy("Tips"), Kind.MONEY),
)


def summary_render(summary: Summary, *, tenant, generated_at: datetime | None = None) -> dict:
    """Subject, text, HTML and the PDF attachment of one summary, in the site's language and the business's zone."""
    with translation.override(settings.LANGUAGE_CODE), timezone.override(tenant.timezone):
        return _render(summary, tenant=tenant, generated_at=generated_at)


def _render(summary: Summary, *, tenant, generated_at: datetime | None) -> dict:
    cur = tenant.currency
    totals = sales_totals(period=summary.period)
    before = sales_totals(period=summary.compare)
    figures = [
        {
            "label": str(label),
            "value": format_cell(totals[key], kind, cur),
            "before": format_cell(before[key], kind, cur),
            "change": format_cell(change_percent(totals[key], before[key]), Kind.CHANGE, cur),
        }
        for key, label, kind in FIGURES
    ]
    tenders = dict(Payment.Tender.choices)
    payments = [
        {"label": str(tenders.get(row["tender"], row["tender"])), "payments": row["payments"],
         "net": format_money(row["net_minor"], cur)}
        for row in payment_mix(period=summary.period)
    ]  # fmt: skip
    products = [
        {"name": row["name"], "quantity": row["quantity"], "net": format_money(row["net_minor"], cur)}
        for row in product_sales(period=summary.period, limit=TOP_PRODUCTS)
    ]
    label, compare_label = period_label(summary.period), period_label(summary.compare)
    if summary.kind == DAILY:
        title = _("Daily summary")
        subject = _("%(business)s: daily summary for %(period)s") % {"business": tenant.name, "period": label}
    else:
        title = _("Weekly summary")
        subject = _("%(business)s: weekly summary for %(period)s") % {"business": tenant.name, "period": label}
    table = summary_table(summary, title=title, currency=cur, tz=tenant.timezone)
    pdf = table_pdf(table, business=tenant, period_label=label, outlet_label=_("All outlets"),
                    generated_at=generated_at)  # fmt: skip
    filename = f"{summary.kind.replace('_', '-')}_{summary.period.start.isoformat()}.pdf"
    context = {
        "tenant": tenant, "title": title, "period_label": label, "compare_label": compare_label,
        "figures": figures, "payments": payments, "products": products, "orders": totals["orders"],
        "attachment": filename,
    }  # fmt: skip
    return {
        "subject": subject,
        "text": summary_text(context),
        "html": render_to_string("reports/summary_email.html", context),
        "pdf": (filename, pdf, "application/pdf"),
    }


def summary_table(summary: Summary, *, title: str, currency: str, tz: str) -> ReportTable:
    """The PDF's table: sales by hour of the day, or by day of the week, with a chart."""
    if summary.kind == DAILY:
        rows = [{**row, "label": f"{row['key']:02d}:00"} for row in sales_by(dimension="hour", period=summary.period)]
        heading, chart = _("Hour"), "bars"
    else:
        by_day = {row["key"]: row for row in sales_by(dimension="day", period=summary.period)}
        rows = []
        for offset in range(summary.period.days):  # every day of the week, a quiet one too
            day = summary.period.start + timedelta(days=offset)
            label = formats.date_format(day, "D j M")  # the year is in the heading; short for the chart
            rows.append({"orders": 0, "net_minor": 0, "total_minor": 0, **by_day.get(day, {}), "label": label})
        heading, chart = _("Day"), "bars"
    columns = [
        Column("label", heading),
        Column("orders", _("Orders"), Kind.INT),
        Column("net_minor", _("Net sales"), Kind.MONEY),
        Column("total_minor", _("Total"), Kind.MONEY),
    ]
    table = ReportTable(title, columns, rows, currency=currency, timezone=tz,
                        chart=ChartSpec(chart, "label", "net_minor", title=_("Net sales")))  # fmt: skip
    table.totals = sum_totals(rows, columns, ("label", _("Total")))
    return table


def summary_text(context: dict) -> str:
    lines = [f"{context['tenant'].name}: {context['title']}, {context['period_label']}", ""]
    lines.append(_("Compared with %(period)s:") % {"period": context["compare_label"]})
    for figure in context["figures"]:
        lines.append(f"- {figure['label']}: {figure['value']} ({figure['before']}, {figure['change']})")
    if context["payments"]:
        lines += ["", _("Payments:")]
        lines += [f"- {p['label']}: {p['net']} ({p['payments']})" for p in context["payments"]]
    if context["products"]:
        lines += ["", _("Best sellers:")]
        lines += [f"- {p['name']} ({p['quantity']}): {p['net']}" for p in context["products"]]
    lines += ["", _("The attached PDF (%(file)s) has the figures by hour or day.") % {"file": context["attachment"]}]
    lines += ["", _("You get this e-mail because you asked for it on the E-mail log page of the back office.")]
    return "\n".join(lines) + "\n"
