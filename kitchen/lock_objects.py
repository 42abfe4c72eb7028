"""Row locks of the kitchen (after the till's in the one order, docs/adr/0007): a ticket (or an order's tickets, in
key order), then its lines."""

from .models import Ticket, TicketLine


def ticket_lock(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)


def ticket_line_lock(line_id: int) -> TicketLine:
    return TicketLine.objects.select_for_update(of=("self",)).get(pk=line_id)


def order_tickets_lock(*, outlet_id: int, order_id: int) -> list[Ticket]:
    """Every ticket of one order at an outlet, in key order (two callers never wait on each other crosswise)."""
    return list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(order_id=order_id, station__outlet_id=outlet_id)
        .order_by("pk")
    )
