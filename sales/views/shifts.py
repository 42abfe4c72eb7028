"""Opening and closing a shift at the till, and cash in and out of the drawer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import capability_required
from business.selectors import outlet_default, tenant_settings
from pos_project.money import MoneyError, format_money, parse_amount
from sales.models import Register, Shift
from sales.selectors import shift_expected_cash
from sales.services.shifts import cash_movement_record, register_create, shift_close, shift_open

from .till import SESSION_REGISTER, current_register, current_shift


@capability_required("till.use")
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
            float_minor = parse_amount(request.POST.get("opening_float", "") or "0", tenant_settings().currency)
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


@capability_required("till.use")
def shift_close_view(request: HttpRequest) -> HttpResponse:
    shift = current_shift(request)
    if shift is None:
        return redirect("sales:shift_open")
    settings = tenant_settings()
    rows = [{"value": v, "label": format_money(v, settings.currency, symbol=False),
             "count": request.POST.get(f"d{v}", "")} for v in settings.currency_format.denominations]  # fmt: skip
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
