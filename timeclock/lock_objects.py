"""Row locks of the time clock (docs/adr/0007-lock-order.md). A punch locks only its person's open card, and no
other app's rows, so it meets no other writer: the order is simply idempotency key -> TimeCard."""

from .models import TimeCard


def open_card_lock(user_id: int) -> TimeCard | None:
    """The person's card that is not closed (locked), or None."""
    return (
        TimeCard.objects.select_for_update(of=("self",))
        .filter(user_id=user_id)
        .exclude(status=TimeCard.Status.CLOSED)
        .first()
    )
