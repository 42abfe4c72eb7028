"""Opening and closing a shift at the till, and cash in and out of the drawer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.guards import TILL_ROLES, role_required
from business.selectors import outlet_default
from pos_project.money import MoneyError, currency, parse_amount
from sales.models import Register, Shift
from sales.selectors import shift_expected_cash
from sales.services.shifts import cash_movement_record, register_create, shift_close, shift_open

from .till import SESSION_REGISTER, current_register, current_shift

# Notes and coins counted at close, largest first (minor units). Others can be typed as "value: count".
DENOMINATIONS = {
    "IDR": [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100],
    "USD": [10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1],
    "EUR": [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
}


def _currency(request: HttpRequest) -> str:
    return getattr(request.tenant, "currency", "IDR")


@role_required(*TILL_ROLES)
def shift_open_view(request: HttpRequest) -> HttpResponse:
    if current_shift(request) is not None:
        return redirect("sales:till")
    outlet = outlet_default()
    registers = list(Register.objects.filter(outlet=outlet, is_active=True)) if outlet else []
    open_ids = set(
        Shift.objects.filter(register__in=registers, status=Shift.Status.OPEN).values_list("register_id", flat=True)
    )
    error = ""
    if request.method == "POST":
        try:
            float_minor = parse_amount(request.POST.get("opening_float", "") or "0", _currency(request))
            register_id = request.POST.get("register", "")
            if register_id == "new" or not registers:
                register = register_create(
                    outlet=outlet, name=request.POST.get("register_name") or f"Till {len(registers) + 1}"
                )
            else:
                register = get_object_or_404(Register, pk=register_id, outlet=outlet, is_active=True)
            shift_open(register=register, user=request.user, opening_float_minor=float_minor)
        except MoneyError as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session[SESSION_REGISTER] = register.pk
            return redirect("sales:till")
    context = {"outlet": outlet, "registers": registers, "open_ids": open_ids, "error": error,
               "current": current_register(request)}  # fmt: skip
    return render(request, "sales/shift_open.html", context, status=400 if error else 200)


@role_required(*TILL_ROLES)
def shift_close_view(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    if shift is None:
        return redirect("sales:shift_open")
    code = _currency(request)
    exponent = currency(code).exponent
    values = DENOMINATIONS.get(code, DENOMINATIONS["USD"])
    rows = [{"value": v, "label": f"{v / 10**exponent:,.{exponent}f}" if exponent else f"{v:,}".replace(",", "."),
             "count": request.POST.get(f"d{v}", "")} for v in values]  # fmt: skip
    error = ""
    if request.method == "POST":
        counts: dict[str, int] = {}
        for row in rows:
            raw = row["count"].strip()
            if not raw:
                continue
            if not raw.isdigit():
                error = _("Counts are whole numbers of notes or coins (“%(raw)s” is not).") % {"raw": raw}
                break
            counts[str(row["value"])] = int(raw)
        if not error:
            try:
                closed = shift_close(shift=shift, user=request.user, denominations=counts,
                                     note=request.POST.get("note", ""))  # fmt: skip
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                request.session.pop(SESSION_REGISTER, None)
                return redirect("sales:shift_report", pk=closed.pk)
    context = {"shift": shift, "outlet": shift.register.outlet, "rows": rows, "error": error}
    return render(request, "sales/shift_close.html", context, status=400 if error else 200)


@role_required(*TILL_ROLES)
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
                amount_minor=parse_amount(request.POST.get("amount", ""), _currency(request)),
                reason=request.POST.get("reason", ""),
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
