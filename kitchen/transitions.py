"""The kitchen ticket's status table (core/transitions.py): bumped when done, recalled when bumped by mistake."""

from django.utils.translation import gettext as _

from accounts.models import User
from core.transitions import Move, StateMachine

from .models import Ticket

TS = Ticket.Status

TICKET = StateMachine(
    Ticket,
    describe=lambda t: _("Ticket #%(number)s") % {"number": t.order_number},
    payload=lambda t: {"ticket": t.pk, "order": t.order_id, "order_number": t.order_number, "station": t.station_id},
    moves=[
        # The order's every station bumped is what the till's ready strip shows; subscribers hear each bump.
        Move("bump", frozenset({TS.NEW}), TS.BUMPED, capability="kitchen.use", event="ticket.bumped"),
        Move("recall", frozenset({TS.BUMPED}), TS.NEW, capability="kitchen.use", event="ticket.recalled"),
    ],
)


def ticket_transition(ticket: Ticket, action: str, *, actor: User | None, **kwargs) -> Ticket:
    return TICKET.apply(ticket, action, actor=actor, **kwargs)
