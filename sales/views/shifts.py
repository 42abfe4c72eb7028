"""Opening, resuming and closing a shift at the till (with its open tabs), and cash in and out of the drawer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import can, capability_required, layout_for, outlet_filter
from accounts.services import approver_verify
from business.selectors import outlet_default_for, tenant_settings
from pos_project import parsing
from pos_project.errors import ServiceError
from pos_project.money import MoneyError, format_money, parse_amount
from sales.models import Register, Shift
from sales.selectors import shift_expected_cash, shift_open_tabs, shifts_open
from sales.services.shifts import (
    cash_movement_record,
    register_create,
    shift_close,
    shift_open,
    shift_resume,
    shift_take_over,
)
from sales.services.tabs import tabs_move_to_shift

from .till import SESSION_REGISTER, current_register, current_shift


@capability_required("till.use")
def shift_open_view(request: HttpRequest) -> HttpResponse:
    """Open a shift, or pick up an open one: one's own on any device (resume), someone else's as a supervisor
    (take over). A register with an open shift cannot be opened again, so it is offered only that way."""
    if current_shift(request) is not None:
        return redirect("sales:till")
    outlet = outlet_default_for(request.user)
    registers = list(Register.objects.filter(outlet=outlet, is_active=True)) if outlet else []
    open_shifts = list(outlet_filter(shifts_open(), request.user))
    open_ids = {shift.register_id for shift in open_shifts}
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "open")
        try:
            if action in ("resume", "take_over"):
                return _pick_up(request, action)
            float_minor = parse_amount(request.POST.get("opening_float", "") or "0", tenant_settings().currency)
            register_id = request.POST.get("register", "")
            if register_id == "new" or not registers:
                register = register_create(
                    outlet=outlet,
                    name=parsing.clean_text(request.POST.get("register_name")) or f"Till {len(registers) + 1}",
                )
            else:
                register = get_object_or_404(Register, pk=parsing.id_or_none(register_id) or 0, outlet=outlet,
                                             is_active=True)  # fmt: skip
            shift_open(register=register, user=request.user, opening_float_minor=float_minor)
        except MoneyError as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session[SESSION_REGISTER] = register.pk
            return redirect("sales:till")
    context = {
        "outlet": outlet,
        "registers": registers,
        "open_ids": open_ids,
        "error": error,
        "current": current_register(request),
        "mine": [shift for shift in open_shifts if shift.holder_id == request.user.pk],
        "others": [shift for shift in open_shifts if shift.holder_id != request.user.pk],
    }
    return render(request, "sales/shift_open.html", context, status=400 if error else 200)


def _pick_up(request: HttpRequest, action: str) -> HttpResponse:
    """Resume one's own open shift, or take someone else's over, and make it this device's."""
    shifts = outlet_filter(Shift.objects.all(), request.user)  # another outlet's shift: 404, as an unknown one
    shift = get_object_or_404(shifts, pk=parsing.id_or_none(request.POST.get("shift")) or 0, status=Shift.Status.OPEN)
    if action == "take_over":
        if not can(request.user, "shift.take_over"):
            raise ServiceError("access.denied", _("Only a supervisor can take over someone else's shift."), status=403)
        shift = shift_take_over(shift=shift, user=request.user)
    else:
        shift = shift_resume(shift=shift, user=request.user)
    request.session[SESSION_REGISTER] = shift.register_id
    messages.success(request, _("You are working the shift on %(register)s.") % {"register": shift.register.name})
    return redirect("sales:till")


# The most notes or coins of one kind a drawer is counted with (a typo beyond it, not cash).
COUNT_MAX = 999_999


def _counts(rows: list[dict]) -> tuple[dict[str, int], str]:
    counts: dict[str, int] = {}
    for row in rows:
        raw = row["count"].strip()
        if not raw:
            continue
        count = parsing.int_or_none(raw, maximum=COUNT_MAX)
        if count is None:
            return counts, _("Counts are whole numbers of notes or coins, at most %(max)s (“%(raw)s” is not).") % {
                "raw": parsing.clean_text(raw, max_length=20),
                "max": COUNT_MAX,
            }
        counts[str(row["value"])] = count
    return counts, ""


def _leave_tabs_approver(request: HttpRequest):
    """Who approves leaving the open tabs: the closer when they may, else a supervisor's username and PIN."""
    if not request.POST.get("leave_tabs"):
        return None
    if can(request.user, "shift.leave_tabs"):
        return request.user
    return approver_verify(username=request.POST.get("approver", ""), pin=request.POST.get("pin", ""),
                           capability="shift.leave_tabs", request=request)  # fmt: skip


@capability_required("till.use")
def shift_close_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Count the drawer and close: this device's shift, or (`pk`, from the supervisor console) any open shift
    one may close. Open tabs are listed with what they owe: move them to another open shift, or have a
    supervisor approve leaving them; the close is refused otherwise (sales.services.shifts.shift_close)."""
    device_shift = current_shift(request)
    if pk is None:
        shift = device_shift
        if shift is None:
            return redirect("sales:shift_open")
    else:
        shift = get_object_or_404(
            outlet_filter(Shift.objects.select_related("register__outlet", "opened_by", "held_by"), request.user),
            pk=pk,
            status=Shift.Status.OPEN,
        )
        if shift.holder_id != request.user.pk and not can(request.user, "shift.close_other"):
            raise Http404("No Shift matches the given query.")
    settings = tenant_settings()
    rows = [{"value": v, "label": format_money(v, settings.currency, symbol=False),
             "count": request.POST.get(f"d{v}", "")} for v in settings.currency_format.denominations]  # fmt: skip
    tabs = shift_open_tabs(shift=shift)
    targets = [s for s in shifts_open(outlet_id=shift.outlet_id) if s.pk != shift.pk] if tabs else []
    error = ""
    if request.method == "POST":
        seen = parsing.ids(request.POST.getlist("tab"))
        try:
            if request.POST.get("action") == "move_tabs":
                target = next((s for s in targets if str(s.pk) == request.POST.get("target_shift")), None)
                if target is None:
                    raise ServiceError("shift.move_target_missing", _("Choose the open shift that takes the tabs."),
                                       field="target_shift")  # fmt: skip
                moved = tabs_move_to_shift(source=shift, target=target, user=request.user, order_ids=seen)
                messages.success(request, ngettext("%(count)d tab moved to %(register)s.",
                                                   "%(count)d tabs moved to %(register)s.", len(moved))
                                 % {"count": len(moved), "register": target.register.name})  # fmt: skip
                return redirect(request.path)
            counts, error = _counts(rows)
            if not error:
                closed = shift_close(shift=shift, user=request.user, denominations=counts,
                                     note=parsing.clean_text(request.POST.get("note"), multiline=True), tabs_seen=seen,
                                     leave_tabs_approved_by=_leave_tabs_approver(request))  # fmt: skip
                if device_shift is not None and device_shift.pk == closed.pk:
                    request.session.pop(SESSION_REGISTER, None)
                return redirect("sales:shift_report", pk=closed.pk)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if error:  # what changed meanwhile (a tab paid, moved or opened) is shown as it is now
            tabs = shift_open_tabs(shift=shift)
            targets = [s for s in shifts_open(outlet_id=shift.outlet_id) if s.pk != shift.pk] if tabs else []
    context = {
        "shift": shift,
        "outlet": shift.register.outlet,
        "rows": rows,
        "error": error,
        "tabs": tabs,
        "tabs_balance_minor": sum(tab.balance_minor for tab in tabs),
        "targets": targets,
        "now": timezone.now(),
        # From the console, someone else's shift is closed in the supervisor's own layout.
        "layout": "layouts/cashier.html" if pk is None else layout_for(request.user),
    }
    return render(request, "sales/shift_close.html", context, status=400 if error else 200)


@capability_required("till.use")
def cash_movement_view(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    if shift is None:
        return redirect("sales:shift_open")
    error = ""
    if request.method == "POST":
        try:
            cash_movement_record(
                shift=shift,
                user=request.user,
                kind=request.POST.get("kind", ""),
                amount_minor=parse_amount(request.POST.get("amount", ""), tenant_settings().currency),
                reason=parsing.clean_text(request.POST.get("reason")),
            )
        except MoneyError as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Recorded."))
            return redirect("sales:till")
    context = {"shift": shift, "outlet": shift.register.outlet, "error": error,
               "expected_minor": shift_expected_cash(shift), "movements": shift.cash_movements.all()}  # fmt: skip
    return render(request, "sales/cash_movement.html", context, status=400 if error else 200)
