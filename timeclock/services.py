"""Punching the time clock. A person proves who they are with their PIN on a registered till (the view asks
accounts.services.pin_person_verify first); these services only record what they did."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import capability_check
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from core.idempotency import idempotent_write
from core.outbox import event_emit
from pos_project.errors import CONFLICT, ServiceError

from .lock_objects import open_card_lock
from .models import TimeBreak, TimeCard
from .selectors import card_minutes
from .transitions import card_transition

PUNCH_ACTIONS = ("clock_in", "break_start", "break_end", "clock_out")


def timeclock_punch(
    *,
    user: User,
    action: str,
    idempotency_key: str = "",
    device_name: str = "",
    at: datetime | None = None,
) -> TimeCard:
    """Clock `user` in, start or end a break, or clock out; the card as the punch left it. A retry with the same
    key gets the same card back without a second punch (a double tap); without a key it simply runs."""
    capability_check(user, "timeclock.punch")
    if action not in PUNCH_ACTIONS:
        raise ServiceError("timeclock.unknown_action", _("That is not a time-clock action."), field="action")
    request = {"user": user.pk, "action": action}
    return idempotent_write(key=idempotency_key, action="timeclock.punch", request=request, model=TimeCard,
                            write=lambda: _punch(user, action, device_name, at or timezone.now()),
                            required=False)  # fmt: skip


def _punch(user: User, action: str, device_name: str, now: datetime) -> TimeCard:
    card = open_card_lock(user.pk)
    if action == "clock_in":
        return _clock_in(user, card, device_name, now)
    if card is None:
        raise ServiceError("timeclock.not_in", _("%(name)s is not clocked in.") % {"name": user}, status=CONFLICT)
    if action == "break_start":
        card_transition(card, "break_start", actor=user,
                        refused=_("%(name)s is already on a break.") % {"name": user})  # fmt: skip
        TimeBreak.objects.create(card=card, started_at=now)
    elif action == "break_end":
        card_transition(card, "break_end", actor=user, refused=_("%(name)s is not on a break.") % {"name": user})
        TimeBreak.objects.filter(card=card, ended_at__isnull=True).update(ended_at=now)
    else:  # clock_out: an open break ends with the card
        TimeBreak.objects.filter(card=card, ended_at__isnull=True).update(ended_at=now)
        card.clock_out_at = now
        worked, breaks = card_minutes(card, list(card.breaks.all()), now=now)
        card_transition(card, "clock_out", actor=user, also=["clock_out_at"],
                        data={"worked_minutes": worked, "break_minutes": breaks})  # fmt: skip
    return card


def _clock_in(user: User, card: TimeCard | None, device_name: str, now: datetime) -> TimeCard:
    if card is not None:
        raise ServiceError(
            "timeclock.already_in",
            _("%(name)s is already clocked in (since %(time)s).")
            % {"name": user, "time": timezone.localtime(card.clock_in_at).strftime("%H:%M")},
            status=CONFLICT,
        )
    try:
        with transaction.atomic():  # two tills clocking the same person in at once: the second is refused
            card = TimeCard.objects.create(user=user, clock_in_at=now, device_name=device_name[:60])
    except IntegrityError:
        raise ServiceError(
            "timeclock.already_in", _("%(name)s is already clocked in.") % {"name": user}, status=CONFLICT
        ) from None
    audit_record(action=AuditAction.TIMECLOCK_CLOCK_IN, actor=user, target=card, label=user.username,
                 data={"card": card.pk, "device": device_name})  # fmt: skip
    event_emit("timeclock.clocked_in", {"card": card.pk, "user": user.pk, "clock_in_at": now.isoformat()})
    return card
