"""The report filter: a date range in the business's time zone, a comparison period and an outlet.

Whatever arrives in the query string is checked here and answered with a form error, never a server error: a
start after the end, a date that is not one, a range longer than MAX_DAYS, a date outside 2000–2100 (the
comparison period a year or a range earlier must exist too), an outlet that is not one of the person's.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.access import outlets_of

from .catalog import COMPARE_NAMES, ReportQuery, compare_period, period_label
from .selectors import Period

MAX_DAYS = 400
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)
COMPARE_CHOICES = (
    ("previous", _("Previous period")),
    ("last_year", _("Same dates last year")),
    ("none", _("No comparison")),
)
FIELDS = ("from", "to", "compare", "outlet")


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    start: date
    end: date


def presets(today: date) -> list[Preset]:
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return [
        Preset("today", _("Today"), today, today),
        Preset("yesterday", _("Yesterday"), today - timedelta(days=1), today - timedelta(days=1)),
        Preset("this_week", _("This week"), monday, today),
        Preset("last_week", _("Last week"), monday - timedelta(days=7), monday - timedelta(days=1)),
        Preset("this_month", _("This month"), first, today),
        Preset("last_month", _("Last month"), last_month_end.replace(day=1), last_month_end),
        Preset("last_30_days", _("Last 30 days"), today - timedelta(days=29), today),
        Preset("this_year", _("This year"), today.replace(month=1, day=1), today),
    ]


def form_data(query: QueryDict, today: date) -> dict[str, str]:
    """The query string's filter values over the defaults (today, compared with the previous period, all outlets);
    other parameters (format) are not the form's."""
    data = {"from": today.isoformat(), "to": today.isoformat(), "compare": "previous", "outlet": "all"}
    for name in FIELDS:
        value = query.get(name)
        if value is not None and value.strip():
            data[name] = value.strip()[:40]
    return data


class ReportForm(forms.Form):
    def __init__(self, data: dict, *, outlets: list, compares: bool = True) -> None:
        super().__init__(data)
        date_input = {"type": "date", "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
        self.fields["from"] = forms.DateField(label=_("From"), widget=forms.DateInput(date_input, format="%Y-%m-%d"))
        self.fields["to"] = forms.DateField(label=_("To"), widget=forms.DateInput(date_input, format="%Y-%m-%d"))
        self.fields["compare"] = forms.ChoiceField(
            label=_("Compare with"),
            choices=COMPARE_CHOICES,
            error_messages={"invalid_choice": _("Choose a comparison.")},
        )
        if not compares:
            self.fields["compare"].widget = forms.HiddenInput()
        self.outlets = {str(o.pk): o for o in outlets}
        self.fields["outlet"] = forms.ChoiceField(
            label=_("Outlet"),
            choices=[("all", _("All outlets")), *((key, o.name) for key, o in self.outlets.items())],
            error_messages={"invalid_choice": _("Choose one of your outlets.")},
        )
        self.compares = compares

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start is None or end is None:
            return data
        if not (MIN_DATE <= start <= MAX_DATE and MIN_DATE <= end <= MAX_DATE):
            raise forms.ValidationError(_("Choose dates between 2000 and 2100."), code="out_of_range")
        if start > end:
            self.add_error("to", forms.ValidationError(_("The end must be on or after the start."), code="order"))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("to", forms.ValidationError(
                _("Choose at most %(days)s days.") % {"days": MAX_DAYS}, code="too_long"))  # fmt: skip
        return data

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["from"], self.cleaned_data["to"])

    def outlet_label(self) -> str:
        outlet = self.outlets.get(self.cleaned_data["outlet"])
        return outlet.name if outlet else str(_("All outlets"))

    def query(self, user, *, currency: str, timezone: str) -> ReportQuery:
        """What the report reads: a chosen outlet (already checked to be one of the person's), or all of theirs."""
        choice = self.cleaned_data["outlet"]
        outlets = frozenset({int(choice)}) if choice != "all" else outlets_of(user)
        choice = self.cleaned_data["compare"] if self.compares else "none"
        return ReportQuery(
            period=self.period,
            outlets=outlets,
            compare=compare_period(self.period, choice),
            currency=currency,
            timezone=timezone,
            compare_name=str(COMPARE_NAMES.get(choice, "")),
        )

    def period_label(self) -> str:
        return period_label(self.period)
