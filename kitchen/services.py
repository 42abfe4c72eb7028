"""Turning sent orders into station tickets, and working them. Sales calls `tickets_create`; the kitchen
never reads sales' tables."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Station, Ticket, TicketLine


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
def tickets_create(*, order: SentOrder, lines: list[KitchenLine], is_addon: bool = False) -> list[Ticket]:
    """One ticket per station with only that station's lines. A line goes to every station that takes its
    product or its category; a line no station takes goes to the first station, so nothing is lost. An outlet
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
        for station in targets or stations[:1]:
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
    return tickets


@transaction.atomic
def ticket_bump(*, ticket: Ticket) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.status == Ticket.Status.BUMPED:
        return ticket  # a double tap is harmless
    ticket.status, ticket.bumped_at = Ticket.Status.BUMPED, timezone.now()
    ticket.save(update_fields=["status", "bumped_at"])
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.status != Ticket.Status.BUMPED:
        raise ValidationError("Only a bumped ticket can be recalled.")
    ticket.status, ticket.bumped_at = Ticket.Status.NEW, None
    ticket.save(update_fields=["status", "bumped_at"])
    return ticket


@transaction.atomic
def station_create(*, outlet, name: str, category_ids: list[int], amber: int = 8, red: int = 15) -> Station:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["A station needs a name."]
    elif Station.objects.filter(outlet=outlet, name__iexact=name).exists():
        errors["name"] = [f"{outlet} already has a station called “{name}”."]
    if not (isinstance(amber, int) and isinstance(red, int) and 0 < amber < red <= 240):
        errors["red_after_minutes"] = ["Amber comes before red: 1 ≤ amber < red ≤ 240 minutes."]
    if errors:
        raise ValidationError(errors)
    station = Station.objects.create(outlet=outlet, name=name, amber_after_minutes=amber, red_after_minutes=red)
    station.categories.set(category_ids)
    return station
