"""Turning sent orders into station tickets, and working them. Sales calls `tickets_create`; the kitchen
never reads sales' tables."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.outbox import event_emit
from pos_project.errors import CONFLICT, NOT_FOUND, ServiceError

from .live import KITCHEN, READY, live_changed, live_changed_if
from .lock_objects import order_tickets_lock, ticket_line_lock, ticket_lock
from .models import Station, Ticket, TicketLine
from .transitions import ticket_transition


@dataclass(frozen=True)
class KitchenLine:
    order_line_id: int
    product_id: int | None
    category_id: int | None
    name: str
    quantity: int
    modifiers: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class SentOrder:
    outlet_id: int
    order_id: int
    order_number: int
    order_type: str
    table_label: str = ""
    customer_name: str = ""


def _stations_for(outlet_id: int) -> list[Station]:
    return list(Station.objects.filter(outlet_id=outlet_id).prefetch_related("categories", "products"))


@transaction.atomic
def tickets_create(
    *,
    order: SentOrder,
    lines: list[KitchenLine],
    is_addon: bool = False,
    is_rush: bool = False,
    skip_unrouted: bool = False,
) -> list[Ticket]:
    """One ticket per station with only that station's lines. A line goes to every station that takes its
    product or its category; a line no station takes goes to the first station, so nothing is lost (or, with
    `skip_unrouted`, as when paying sends an order, nowhere: a bottle of water needs no cook). An outlet
    without stations gets no tickets (it works without a kitchen display)."""
    stations = _stations_for(order.outlet_id)
    if not stations or not lines:
        return []
    routed: dict[int, list[KitchenLine]] = {}
    for line in lines:
        targets = [
            s
            for s in stations
            if any(p.pk == line.product_id for p in s.products.all())
            or any(c.pk == line.category_id for c in s.categories.all())
        ]
        for station in targets or ([] if skip_unrouted else stations[:1]):
            routed.setdefault(station.pk, []).append(line)
    tickets = []
    for station in stations:
        if station.pk not in routed:
            continue
        ticket = Ticket.objects.create(
            station=station,
            order_id=order.order_id,
            order_number=order.order_number,
            order_type=order.order_type,
            table_label=order.table_label,
            customer_name=order.customer_name,
            is_addon=is_addon,
            is_rush=is_rush,
        )
        TicketLine.objects.bulk_create(
            TicketLine(
                ticket=ticket,
                order_line_id=line.order_line_id,
                name=line.name,
                quantity=line.quantity,
                modifiers=list(line.modifiers),
                note=line.note,
            )
            for line in routed[station.pk]
        )
        tickets.append(ticket)
    if tickets:
        # A first send adds an order that is not ready yet; an add-on may take a ready order off the till's strip.
        live_changed(order.outlet_id, *((KITCHEN, READY) if is_addon else (KITCHEN,)))
    return tickets


def _open_tickets(order_id: int):
    return Ticket.objects.filter(order_id=order_id, status=Ticket.Status.NEW)


def _outlet_of(ticket: Ticket) -> int:
    return Station.objects.values_list("outlet_id", flat=True).get(pk=ticket.station_id)


@transaction.atomic
def ticket_bump(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Done at this station. A double tap is harmless: a bumped ticket stays bumped."""
    ticket = ticket_lock(ticket.pk)
    if ticket.status == Ticket.Status.BUMPED:
        return ticket
    ticket.bumped_at = timezone.now()
    ticket = ticket_transition(ticket, "bump", actor=actor, also=("bumped_at", "changed_at"))
    outlet_id = _outlet_of(ticket)
    live_changed(outlet_id, KITCHEN)
    # The tills' ready strip moves only when the order's last open ticket is bumped: it is ready now.
    live_changed_if(outlet_id, READY, lambda: not _open_tickets(ticket.order_id).exists())
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Back on the display: bumped by mistake."""
    ticket = ticket_lock(ticket.pk)
    ticket.bumped_at = None
    ticket = ticket_transition(
        ticket, "recall", actor=actor, also=("bumped_at", "changed_at"),
        refused=_("Only a bumped ticket can be recalled."),
    )  # fmt: skip
    outlet_id = _outlet_of(ticket)
    live_changed(outlet_id, KITCHEN)
    # The strip moves only when the order was ready (this is now its only open ticket): it leaves the strip.
    live_changed_if(outlet_id, READY, lambda: not _open_tickets(ticket.order_id).exclude(pk=ticket.pk).exists())
    return ticket


@transaction.atomic
def ticket_line_toggle(*, line: TicketLine) -> TicketLine:
    """Tap a line to mark it made (tap again to undo). The ticket is touched so every display sees it."""
    line = ticket_line_lock(line.pk)
    line.is_done = not line.is_done
    line.save(update_fields=["is_done"])
    Ticket.objects.filter(pk=line.ticket_id).update(changed_at=timezone.now())
    live_changed(Station.objects.filter(tickets__pk=line.ticket_id).values_list("outlet_id", flat=True).get(), KITCHEN)
    return line


def tickets_void_lines(*, outlet_id: int, order_id: int, order_line_ids: list[int] | None = None) -> int:
    """Strike lines out on every station that has them (all of the order's when `order_line_ids` is None).
    Tickets still being made show them with a VOID mark; returns how many lines were struck."""
    lines = TicketLine.objects.filter(ticket__order_id=order_id, is_voided=False)
    if order_line_ids is not None:
        lines = lines.filter(order_line_id__in=order_line_ids)
    ticket_ids = set(lines.values_list("ticket_id", flat=True))
    count = lines.update(is_voided=True)
    Ticket.objects.filter(pk__in=ticket_ids).update(changed_at=timezone.now())
    if count:
        live_changed(outlet_id, KITCHEN, READY)  # a voided order leaves the till's ready strip
    return count


def tickets_rush(*, outlet_id: int, order_id: int) -> int:
    """The till asks for an order first: its tickets still being made jump to the front of every display."""
    moved = Ticket.objects.filter(order_id=order_id, status=Ticket.Status.NEW, is_rush=False).update(
        is_rush=True, changed_at=timezone.now()
    )
    if moved:
        live_changed(outlet_id, KITCHEN)
    return moved


def tickets_handed_over(*, outlet_id: int, order_id: int) -> int:
    """The order left the pass: it leaves the expo view."""
    handed = Ticket.objects.filter(order_id=order_id, handed_over_at__isnull=True).update(
        handed_over_at=timezone.now(), changed_at=timezone.now()
    )
    if handed:
        live_changed(outlet_id, KITCHEN, READY)
    return handed


HANDED_OVER = "kitchen.handed_over"  # outbox event: the expo handed an order over; sales marks it served


@transaction.atomic
def order_hand_over(*, outlet_id: int, order_id: int) -> int:
    """*Handed over* at the expo: the order left the pass. It leaves the expo and the tills' ready strip at once
    (`orders_ready` counts only tickets not handed over), and sales hears of it through the outbox
    (`kitchen.handed_over`, sales/subscribers.py) to mark the order served, as the till's own *Handed over*
    does: kitchen never imports sales (docs/architecture.md). Handing over twice changes nothing the second
    time; an order a station is still making is refused."""
    tickets = order_tickets_lock(outlet_id=outlet_id, order_id=order_id)
    if not tickets:
        raise ServiceError("kitchen.order_not_found", _("There is no such order at the pass."), status=NOT_FOUND)
    if any(t.status == Ticket.Status.NEW for t in tickets):
        raise ServiceError(
            "kitchen.order_not_ready",
            _("Order #%(number)s is not ready yet: a station is still making it.")
            % {"number": tickets[0].order_number},
            status=CONFLICT,
        )
    handed = tickets_handed_over(outlet_id=outlet_id, order_id=order_id)
    if handed:
        event_emit(HANDED_OVER, {"order": order_id, "outlet": outlet_id})
    return handed


@transaction.atomic
def station_update(
    *, station: Station, name: str, category_ids: list[int], product_ids: list[int], amber: int, red: int
) -> Station:
    """Rename a station, change its timers and what it prepares (whole categories and single products)."""
    errors = _station_errors(outlet=station.outlet, name=name, amber=amber, red=red, exclude_pk=station.pk)
    if errors:
        raise ServiceError("station.invalid", _("The station needs fixing."), fields=errors)
    station.name, station.amber_after_minutes, station.red_after_minutes = name.strip(), amber, red
    station.save(update_fields=["name", "amber_after_minutes", "red_after_minutes"])
    station.categories.set(category_ids)
    station.products.set(product_ids)
    return station


def station_delete(*, station: Station) -> None:
    """A station with tickets is kept (its history stays readable); one never used is deleted."""
    if Ticket.objects.filter(station=station).exists():
        raise ServiceError(
            "station.has_tickets",
            _("%(station)s has tickets, so it cannot be deleted; move its categories instead.")
            % {"station": station.name},
            status=CONFLICT,
        )
    station.delete()


def _station_errors(*, outlet, name: str, amber, red, exclude_pk: int | None = None) -> dict[str, list[str]]:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    taken = Station.objects.filter(outlet=outlet, name__iexact=name).exclude(pk=exclude_pk)
    if not name:
        errors["name"] = [_("A station needs a name.")]
    elif len(name) > 60:
        errors["name"] = [_("A station name has at most %(max)s characters.") % {"max": 60}]
    elif taken.exists():
        errors["name"] = [_("%(outlet)s already has a station called “%(name)s”.") % {"outlet": outlet, "name": name}]
    if not (isinstance(amber, int) and isinstance(red, int) and 0 < amber < red <= 240):
        errors["red_after_minutes"] = [_("Amber comes before red: 1 ≤ amber < red ≤ 240 minutes.")]
    return errors


@transaction.atomic
def station_create(
    *, outlet, name: str, category_ids: list[int], product_ids: list[int] | None = None, amber: int = 8, red: int = 15
) -> Station:
    errors = _station_errors(outlet=outlet, name=name, amber=amber, red=red)
    if errors:
        raise ServiceError("station.invalid", _("The station needs fixing."), fields=errors)
    station = Station.objects.create(outlet=outlet, name=name.strip(), amber_after_minutes=amber, red_after_minutes=red)
    station.categories.set(category_ids)
    station.products.set(product_ids or [])
    return station
