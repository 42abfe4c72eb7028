"""The time card's status table (core/transitions.py). Clocking in makes a card (no status to move from);
everything after it moves the card: a break and back, then clocking out (which ends an open break)."""

from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from core.transitions import Move, StateMachine

from .models import TimeCard

TS = TimeCard.Status

CARD = StateMachine(
    TimeCard,
    describe=lambda card: _("%(name)s's time card") % {"name": card.user},
    audit_label=lambda card: card.user.get_username(),
    payload=lambda card: {"card": card.pk, "user": card.user_id, "clock_in_at": card.clock_in_at.isoformat()},
    moves=[
        Move("break_start", frozenset({TS.WORKING}), TS.ON_BREAK, capability="timeclock.punch",
             audit=AuditAction.TIMECLOCK_BREAK_START),
        Move("break_end", frozenset({TS.ON_BREAK}), TS.WORKING, capability="timeclock.punch",
             audit=AuditAction.TIMECLOCK_BREAK_END),
        Move("clock_out", frozenset({TS.WORKING, TS.ON_BREAK}), TS.CLOSED, capability="timeclock.punch",
             event="timeclock.clocked_out", audit=AuditAction.TIMECLOCK_CLOCK_OUT),
    ],
)  # fmt: skip


def card_transition(card: TimeCard, action: str, *, actor: User | None, **kwargs) -> TimeCard:
    """Make `action` on a locked card (core.transitions.StateMachine.apply)."""
    return CARD.apply(card, action, actor=actor, **kwargs)
