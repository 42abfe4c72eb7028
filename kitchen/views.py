from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from accounts.access import capability_required, outlet_allowed, outlet_check, outlet_filter
from business.models import Outlet
from business.selectors import outlet_default_for, outlet_for, outlets_for
from pos_project import parsing
from pos_project.errors import NOT_FOUND, ServiceError

from . import services
from .live import KITCHEN, Screen, live_etag, live_stream_url, live_version
from .models import Station, Ticket, TicketLine
from .screens import DISPLAY, EXPO, display_body, expo_body, tickets_context
from .selectors import display_version, expo_orders, expo_version, kitchen_metrics, station_list

SESSION_OUTLET = "kitchen_outlet_id"


def _outlet(request: HttpRequest) -> Outlet | None:
    """The outlet this screen works for: `?outlet=<id>` (remembered for the device's session, as the till
    remembers its register), else the one remembered, else the first outlet the person works at. An outlet
    they do not work at answers 404, as one that does not exist (accounts.access.outlet_check)."""
    asked = parsing.query_id(request.GET, "outlet")
    if asked:
        outlet = outlet_for(request.user, asked)
        if request.session.get(SESSION_OUTLET) != outlet.pk:  # a session saved only when it changes
            request.session[SESSION_OUTLET] = outlet.pk
        return outlet
    remembered = request.session.get(SESSION_OUTLET)
    outlet = None
    if remembered and outlet_allowed(request.user, remembered):
        outlet = Outlet.objects.filter(pk=remembered, is_active=True).first()
    return outlet or outlet_default_for(request.user)


def _station(request: HttpRequest) -> Station | None:
    """The station a display shows (`?station=<id>`), or None for all of the outlet's stations; a station of an
    outlet the person does not work at answers 404."""
    station_id = parsing.query_id(request.GET, "station") or parsing.query_id(request.POST, "station")
    if station_id is None:
        return None
    station = Station.objects.select_related("outlet").filter(pk=station_id).first()
    if station is not None:
        outlet_check(request.user, station.outlet_id)
    return station


def _tickets(request: HttpRequest):
    """Tickets of the outlets the person works at: another outlet's answer 404, as unknown ones."""
    return outlet_filter(Ticket.objects.all(), request.user, field="station__outlet_id")


def _context(outlet, station: Station | None) -> dict:
    context = tickets_context(outlet.pk if outlet else None, station.pk if station else None)
    return {**context, "outlet": outlet, "station": station}


def _tickets_partial(request: HttpRequest, outlet=None, station: Station | None = None) -> HttpResponse:
    if outlet is None:
        station = _station(request)
        outlet = station.outlet if station else _outlet(request)
    return render(request, "kitchen/_tickets.html", _context(outlet, station))


def _tap_answer(request: HttpRequest) -> HttpResponse:
    """The display's tickets after its own tap (bump, recall, line done), with the ETag of the version it shows:
    the display keeps polling from there, so its next poll is a 304 instead of fetching what it just got. The
    version is read before the tickets (the tap has committed), so the answer is never older than its ETag."""
    station = _station(request)
    outlet = station.outlet if station else _outlet(request)
    live = live_version(KITCHEN, outlet.pk) if outlet else None
    if not live:
        return _tickets_partial(request, outlet, station)
    # The body shared by every screen at this version: the tap renders it once for the display, its peers' polls
    # and the stream service (which would otherwise render the same tickets again a moment later).
    etag = live_etag(KITCHEN, outlet.pk, live)
    response = HttpResponse(display_body(_screen(DISPLAY, outlet, station), etag))
    response["ETag"], response["Cache-Control"] = etag, "no-cache"
    return response


def _conditional(request: HttpRequest, etag: str, render_body, screen: Screen | None = None) -> HttpResponse:
    """Answer 304 when the display already shows this version (its If-None-Match), else the partial, naming the
    stream `screen` may listen to instead of polling (kitchen/live.py; signed only for a full answer)."""
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = render_body()
        if screen and (url := live_stream_url(request, screen.kind, screen.outlet_id, screen.station_id)):
            response["X-Live-Stream"] = url
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@capability_required("kitchen.use")
def display(request: HttpRequest) -> HttpResponse:
    station = _station(request)
    outlet = station.outlet if station else _outlet(request)
    context = _context(outlet, station)
    context["stations"] = list(Station.objects.filter(outlet=outlet).order_by("sort_order", "name")) if outlet else []
    context["outlets"] = list(outlets_for(request.user))
    if outlet:
        context["stream_url"] = live_stream_url(request, DISPLAY, outlet.pk, station.pk if station else None)
    return render(request, "kitchen/display.html", context)


def _screen(kind: str, outlet, station: Station | None = None) -> Screen:
    return Screen(kind, connection.schema_name, outlet.pk, station.pk if station else None, get_language() or "")


@capability_required("kitchen.use")
def display_poll(request: HttpRequest) -> HttpResponse:
    """The tickets partial, answered 304 when nothing changed since the display's last poll (ETag)."""
    station = _station(request)
    outlet = station.outlet if station else _outlet(request)
    if outlet is None:
        return _conditional(request, '"none"', lambda: _tickets_partial(request))
    # The outlet's live version (kitchen/live.py) when Redis answers, else a fingerprint from the database.
    live = live_version(KITCHEN, outlet.pk)
    station_id = station.pk if station else None
    etag = (
        live_etag(KITCHEN, outlet.pk, live)
        if live
        else f'"{display_version(outlet_id=outlet.pk, station_id=station_id)}"'
    )
    screen = _screen(DISPLAY, outlet, station)
    return _conditional(request, etag, lambda: HttpResponse(display_body(screen, etag)), screen)


@require_POST
@capability_required("kitchen.use")
def bump(request: HttpRequest, pk: int) -> HttpResponse:
    services.ticket_bump(ticket=get_object_or_404(_tickets(request), pk=pk), actor=request.user)
    return _tap_answer(request)


@require_POST
@capability_required("kitchen.use")
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(_tickets(request), pk=pk, status=Ticket.Status.BUMPED)
    services.ticket_recall(ticket=ticket, actor=request.user)
    return _tap_answer(request)


@require_POST
@capability_required("kitchen.use")
def line_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    lines = outlet_filter(TicketLine.objects.all(), request.user, field="ticket__station__outlet_id")
    services.ticket_line_toggle(line=get_object_or_404(lines, pk=pk))
    return _tap_answer(request)


@capability_required("kitchen.use")
def ticket_print(request: HttpRequest, pk: int) -> HttpResponse:
    """One station's ticket on paper (80 mm by default, `?paper=58`): for kitchens printing instead of a screen."""
    ticket = get_object_or_404(_tickets(request).select_related("station").prefetch_related("lines"), pk=pk)
    paper = request.GET.get("paper") if request.GET.get("paper") in ("58", "80") else "80"
    return render(request, "kitchen/ticket_print.html", {"ticket": ticket, "paper": paper})


@capability_required("kitchen.use")
def expo(request: HttpRequest) -> HttpResponse:
    """All stations at once, per order: which parts are done and which orders are ready to go out."""
    outlet = _outlet(request)
    context = {"outlet": outlet, "outlets": list(outlets_for(request.user)), "orders": expo_orders(outlet_id=outlet.pk)}
    context["stream_url"] = live_stream_url(request, EXPO, outlet.pk)
    return render(request, "kitchen/expo.html", context)


@capability_required("kitchen.use")
def expo_poll(request: HttpRequest) -> HttpResponse:
    outlet = _outlet(request)
    live = live_version(KITCHEN, outlet.pk)
    etag = live_etag(KITCHEN, outlet.pk, live) if live else f'"{expo_version(outlet_id=outlet.pk)}"'
    screen = _screen(EXPO, outlet)
    return _conditional(request, etag, lambda: HttpResponse(expo_body(screen, etag)), screen)


@require_POST
@capability_required("kitchen.use")
def expo_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    """*Handed over* at the pass (kitchen.services.order_hand_over): the expo after it, with the ETag of the version
    it shows, so the expo's next poll is a 304 (as a display's own tap)."""
    outlet, error = _outlet(request), None
    try:
        services.order_hand_over(outlet_id=outlet.pk, order_id=pk)  # the order's id, as tickets keep it
    except ServiceError as exc:
        if exc.status == NOT_FOUND:
            raise Http404 from exc
        error = exc.summary  # shown above the orders (htmx swaps a 200 only)
    live = live_version(KITCHEN, outlet.pk)
    response = render(request, "kitchen/_expo.html", {"orders": expo_orders(outlet_id=outlet.pk), "error": error})
    if live:
        response["ETag"], response["Cache-Control"] = live_etag(KITCHEN, outlet.pk, live), "no-cache"
    return response


def _day_bounds(request: HttpRequest) -> tuple[datetime, datetime, str | None]:
    """The tenant-local day asked for (`?day=YYYY-MM-DD`, default today)."""
    error = None
    today = timezone.localdate()
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else today
    except ValueError:
        day, error = today, "That is not a date (use YYYY-MM-DD); showing today."
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1), error


@capability_required("kitchen.metrics")
def metrics(request: HttpRequest) -> HttpResponse:
    """Kitchen speed for the supervisor: tickets per hour, average and p90 preparation time, late tickets."""
    start, end, error = _day_bounds(request)
    if error:
        messages.error(request, error)
    outlet = _outlet(request)
    context = {
        "outlet": outlet,
        "outlets": list(outlets_for(request.user)),
        "metrics": kitchen_metrics(outlet_id=outlet.pk, start=start, end=end),
        "day": start,
    }
    return render(request, "kitchen/metrics.html", context, status=400 if error else 200)


def _ints(values: list[str]) -> list[int]:
    return parsing.ids(values)


def _minutes(raw: str | None, default: int) -> int:
    """Minutes typed for a colour; anything not a whole number the service can check is -1 (refused there)."""
    raw = (raw or "").strip() or str(default)
    minutes = parsing.int_or_none(raw)
    return -1 if minutes is None else minutes


@capability_required("kitchen.setup")
def stations(request: HttpRequest) -> HttpResponse:
    """Kitchen stations of the outlet and what each prepares: whole categories and single products."""
    from catalog.selectors import category_list

    outlet = _outlet(request)
    if request.method == "POST":
        try:
            services.station_create(
                outlet=outlet,
                name=parsing.clean_text(request.POST.get("name")),
                category_ids=_ints(request.POST.getlist("categories")),
                amber=_minutes(request.POST.get("amber"), 8),
                red=_minutes(request.POST.get("red"), 15),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("kitchen:stations")
    context = {
        "outlet": outlet,
        "stations": station_list(outlet_id=outlet.pk),
        "outlets": list(outlets_for(request.user)),
        "categories": category_list(include_archived=False),
        "form": request.POST if request.method == "POST" else {},
    }
    return render(request, "kitchen/stations.html", context, status=400 if request.method == "POST" else 200)


@capability_required("kitchen.setup")
def station_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from catalog.models import Product
    from catalog.selectors import category_list

    station = get_object_or_404(Station.objects.prefetch_related("categories", "products"), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                services.station_delete(station=station)
                messages.success(request, f"{station.name} deleted.")
                return redirect("kitchen:stations")
            services.station_update(
                station=station,
                name=parsing.clean_text(request.POST.get("name")),
                category_ids=_ints(request.POST.getlist("categories")),
                product_ids=_ints(request.POST.getlist("products")),
                amber=_minutes(request.POST.get("amber"), station.amber_after_minutes),
                red=_minutes(request.POST.get("red"), station.red_after_minutes),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{station.name} saved.")
            return redirect("kitchen:stations")
    context = {
        "station": station,
        "categories": category_list(include_archived=False),
        "products": Product.objects.filter(is_archived=False)
        .select_related("category")
        .order_by("category__sort_order", "category__name", "name")[:500],
        "chosen_categories": {c.pk for c in station.categories.all()},
        "chosen_products": {p.pk for p in station.products.all()},
    }
    return render(request, "kitchen/station_edit.html", context, status=400 if request.method == "POST" else 200)
