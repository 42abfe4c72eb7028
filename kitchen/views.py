from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.guards import BACKOFFICE_ROLES, KITCHEN_ROLES, role_required
from business.selectors import outlet_default

from . import services
from .models import Ticket
from .selectors import display_version, station_list, tickets_open, tickets_recently_bumped


def _context(outlet) -> dict:
    now = timezone.now()
    tickets = list(tickets_open(outlet_id=outlet.pk)) if outlet else []
    for ticket in tickets:
        age = (now - ticket.created_at).total_seconds() / 60
        ticket.age_minutes = int(age)
        ticket.tone = (
            "red"
            if age >= ticket.station.red_after_minutes
            else "amber"
            if age >= ticket.station.amber_after_minutes
            else ""
        )
    recent = list(tickets_recently_bumped(outlet_id=outlet.pk)) if outlet else []
    return {"outlet": outlet, "tickets": tickets, "recent": recent}


@role_required(*KITCHEN_ROLES)
def display(request: HttpRequest) -> HttpResponse:
    return render(request, "kitchen/display.html", _context(outlet_default()))


@role_required(*KITCHEN_ROLES)
def display_poll(request: HttpRequest) -> HttpResponse:
    """The tickets partial, answered 304 when nothing changed since the display's last poll (ETag)."""
    outlet = outlet_default()
    etag = f'"{display_version(outlet_id=outlet.pk)}"' if outlet else '"none"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = render(request, "kitchen/_tickets.html", _context(outlet))
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_POST
@role_required(*KITCHEN_ROLES)
def bump(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk)
    services.ticket_bump(ticket=ticket)
    return render(request, "kitchen/_tickets.html", _context(outlet_default()))


@require_POST
@role_required(*KITCHEN_ROLES)
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, status=Ticket.Status.BUMPED)
    services.ticket_recall(ticket=ticket)
    return render(request, "kitchen/_tickets.html", _context(outlet_default()))


@role_required(*BACKOFFICE_ROLES)
def stations(request: HttpRequest) -> HttpResponse:
    """Kitchen stations of the outlet and the menu categories each prepares."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from inventory.selectors import category_list

    outlet = outlet_default()
    if request.method == "POST":
        try:
            services.station_create(
                outlet=outlet,
                name=request.POST.get("name", ""),
                category_ids=[int(c) for c in request.POST.getlist("categories") if c.isdigit()],
                amber=int(request.POST.get("amber") or 8) if (request.POST.get("amber") or "8").isdigit() else -1,
                red=int(request.POST.get("red") or 15) if (request.POST.get("red") or "15").isdigit() else -1,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("kitchen:stations")
    context = {
        "outlet": outlet,
        "stations": station_list(outlet_id=outlet.pk),
        "categories": category_list(include_archived=False),
    }
    return render(request, "kitchen/stations.html", context, status=400 if request.method == "POST" else 200)
