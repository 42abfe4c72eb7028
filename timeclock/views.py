from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import capability_required
from accounts.devices import device_of
from accounts.services import pin_person_verify
from accounts.throttle import Throttled, pin_try, wait_message
from pos_project import parsing
from pos_project.csv_export import csv_response

from .selectors import cards_open, timesheet
from .services import timeclock_punch

_DONE = {
    "clock_in": lambda name, at: _("%(name)s clocked in at %(time)s.") % {"name": name, "time": at},
    "break_start": lambda name, at: _("%(name)s is on a break since %(time)s.") % {"name": name, "time": at},
    "break_end": lambda name, at: _("%(name)s is back from the break at %(time)s.") % {"name": name, "time": at},
    "clock_out": lambda name, at: _("%(name)s clocked out at %(time)s.") % {"name": name, "time": at},
}


def _back_to_lock(request: HttpRequest, user_id: str = "") -> HttpResponse:
    query = {k: v for k, v in (("user", user_id), ("next", request.POST.get("next", ""))) if v}
    url = reverse("accounts:lock")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@require_POST
def punch(request: HttpRequest) -> HttpResponse:
    """Clock in or out, or a break, from a registered till's lock screen: the person's tile and PIN, then the
    action's button. Answers by going back to the lock screen with what was done (or what is wrong, with the
    person still chosen)."""
    user_id = request.POST.get("user", "")
    device = device_of(request)
    if device is None:
        messages.error(request, _("This browser is not a registered till: the time clock works on the till."))
        return _back_to_lock(request)
    action = request.POST.get("action", "")
    try:
        claim = pin_try(request, str(device.uid))  # counted per till, never per address (accounts/throttle.py)
    except Throttled as wait:
        messages.error(request, wait_message(wait.seconds))
        return _back_to_lock(request, user_id)
    try:
        user = pin_person_verify(user_id=parsing.id_or_none(user_id), pin=request.POST.get("pin", ""),
                                 capability="timeclock.punch", request=request)  # fmt: skip
        claim.succeeded()
        timeclock_punch(user=user, action=action, idempotency_key=request.POST.get("key", ""),
                        device_name=device.name)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_lock(request, user_id)
    at = timezone.localtime(timezone.now(), ZoneInfo(request.tenant.timezone)).strftime("%H:%M")
    messages.success(request, _DONE[action](str(user), at))
    return _back_to_lock(request)


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _range(request: HttpRequest, zone: ZoneInfo) -> tuple[date, date]:
    today = timezone.localtime(timezone.now(), zone).date()
    monday = today - timedelta(days=today.weekday())
    start = _day(request.GET.get("start"), monday)
    end = _day(request.GET.get("end"), start + timedelta(days=6))
    return (start, end) if start <= end else (end, start)


def hours(minutes: int) -> str:
    """7:45 for 465 minutes (how a timesheet reads)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


@capability_required("timesheet.view")
def timesheet_page(request: HttpRequest) -> HttpResponse:
    zone = ZoneInfo(request.tenant.timezone)
    start, end = _range(request, zone)
    sheet = timesheet(start=start, end=end, zone=zone)
    rows = [
        {"row": row, "total": hours(row.total),
         "cells": [{"date": d, "hours": hours(row.days[d]) if d in row.days else "", "open": d in row.still_open}
                   for d in sheet.dates]}
        for row in sheet.rows
    ]  # fmt: skip
    context = {
        "sheet": sheet,
        "rows": rows,
        "open_cards": cards_open(),
        "csv_query": urlencode({"start": sheet.start.isoformat(), "end": sheet.end.isoformat()}),
    }
    return render(request, "timeclock/timesheet.html", context)


@capability_required("timesheet.view")
def timesheet_csv(request: HttpRequest) -> HttpResponse:
    """One line per person per day worked: date, username, name, hours (decimal), break minutes, cards, and
    whether a card is still open (its hours count up to now)."""
    zone = ZoneInfo(request.tenant.timezone)
    start, end = _range(request, zone)
    sheet = timesheet(start=start, end=end, zone=zone)

    def rows():
        yield ["date", "username", "name", "hours", "break_minutes", "cards", "still_open"]
        for day in sheet.dates:
            for row in sheet.rows:
                if day in row.days:
                    worked = (Decimal(row.days[day]) / 60).quantize(Decimal("0.01"))
                    still_open = "yes" if day in row.still_open else "no"
                    yield [day.isoformat(), row.username, row.name, worked, row.break_minutes[day], row.cards[day],
                           still_open]  # fmt: skip

    return csv_response(rows(), filename=f"timesheet-{sheet.start}-{sheet.end}.csv")
