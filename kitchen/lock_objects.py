"""Row locks of the kitchen (after the till's in the one order, docs/adr/0007): a ticket, then its lines."""

from .models import Ticket, TicketLine


def ticket_lock(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)


def ticket_line_lock(line_id: int) -> TicketLine:
    return TicketLine.objects.select_for_update(of=("self",)).get(pk=line_id)
