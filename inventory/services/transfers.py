"""Transfers: stock moving from one outlet to another.

draft → sent → received, or cancelled. A draft moves nothing. Sending takes the stock out of the source
(`TRANSFER_OUT`, never below zero: you cannot send what the shelf does not hold) and freezes each line's unit
cost, so the value in transit and any loss on the way are priced at what the goods cost when they left.
Receiving puts what actually arrived into the destination (`TRANSFER_IN`); whatever was sent and did not arrive
is the line's discrepancy and stays out of both outlets. Cancelling a sent transfer returns the stock to the
source. Each transition locks the transfer row first, so a double click or two people pressing Receive at once
find the state the first one left and cannot post twice.
A retried "create" (same idempotency key) returns the first transfer: the key is unique in the table.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet

from ..models import StockItem, StockMovement, Transfer, TransferLine
from ..quantities import format_quantity, parse_quantity
from .stock import MovementLine, movements_post
from .stock_lines import StockLineInput, lines_check, lines_normalise

Status = Transfer.Status
Kind = StockMovement.Kind
MAX_LINES = 500
SOURCE = "transfer"


TransferLineInput = StockLineInput  # one row as submitted: a stock item's pk or SKU, and a quantity


# --- Validation -------------------------------------------------------------------------------------------------


def _checked_lines(lines: Sequence[TransferLineInput | tuple]) -> tuple[list[tuple[StockItem, Decimal]], list[str]]:
    """(item, quantity) per good line, and one message per bad line (all of them, by line number)."""
    lines = lines_normalise(lines)
    if not lines:
        return [], ["Add at least one line."]
    if len(lines) > MAX_LINES:
        return [], [f"At most {MAX_LINES} lines per transfer; this one has {len(lines)}. Split it in two."]
    good, errors = lines_check(lines)
    return [(item, quantity) for _, item, quantity in good], errors


def _outlet_errors(from_outlet: Outlet | None, to_outlet: Outlet | None) -> list[str]:
    errors = []
    if from_outlet is None:
        errors.append("Choose the outlet the stock leaves from.")
    elif not from_outlet.is_active:
        errors.append(f"{from_outlet.name} is closed; it cannot send stock.")
    if to_outlet is None:
        errors.append("Choose the outlet the stock goes to.")
    elif not to_outlet.is_active:
        errors.append(f"{to_outlet.name} is closed; it cannot receive stock.")
    if from_outlet is not None and to_outlet is not None and from_outlet.pk == to_outlet.pk:
        errors.append("Choose two different outlets: a transfer cannot go to the outlet it leaves from.")
    return errors


def _note_errors(note: str) -> list[str]:
    return ["Keep the note under 200 characters."] if len(note) > 200 else []


# --- Helpers ----------------------------------------------------------------------------------------------------


def _locked(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_outlet", "to_outlet", "received_by")
        .get(pk=transfer.pk)
    )


def _by_key(key: str) -> Transfer | None:
    return Transfer.objects.filter(idempotency_key=key).first() if key else None


def _note(transfer: Transfer) -> str:
    return f"{transfer}: {transfer.from_outlet.name} → {transfer.to_outlet.name}"


def _state_error(transfer: Transfer, verb: str) -> ValidationError:
    return ValidationError(
        f"{transfer} is {transfer.get_status_display().lower()}; it cannot be {verb}.", code="bad_state"
    )


# --- Services ---------------------------------------------------------------------------------------------------


@transaction.atomic
def transfer_create(
    *,
    from_outlet: Outlet | None,
    to_outlet: Outlet | None,
    user: User,
    note: str = "",
    lines: Sequence[TransferLineInput | tuple[int | str, str]],
    idempotency_key: str = "",
) -> Transfer:
    """A draft transfer of 1 to 500 lines; nothing moves yet. Every problem is reported at once and nothing is
    saved. A retry with the same idempotency key returns the first transfer."""
    key = (idempotency_key or "").strip()
    if len(key) > 64:
        raise ValidationError("The form's key is too long; reload the page.", code="bad_key")
    existing = _by_key(key)
    if existing is not None:
        return existing
    note = (note or "").strip()
    checked, line_errors = _checked_lines(lines)
    errors = _outlet_errors(from_outlet, to_outlet) + _note_errors(note) + line_errors
    if errors:
        raise ValidationError(errors, code="invalid")
    try:
        with transaction.atomic():  # a racing retry with the same key loses here and gets the first one
            transfer = Transfer.objects.create(
                from_outlet=from_outlet, to_outlet=to_outlet, note=note, created_by=user, idempotency_key=key or None
            )
    except IntegrityError:
        existing = _by_key(key)
        if existing is None:
            raise
        return existing
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, item=item, quantity=quantity) for item, quantity in checked]
    )
    audit_record(
        action="stock.transfer_create",
        actor=user,
        target=str(transfer),
        data={
            "transfer": transfer.pk,
            "from": from_outlet.pk,
            "to": to_outlet.pk,
            "lines": len(checked),
            "idempotency_key": key,
        },
    )
    return transfer


@transaction.atomic
def transfer_update_lines(
    *,
    transfer: Transfer,
    user: User,
    lines: Sequence[TransferLineInput | tuple[int | str, str]],
    note: str | None = None,
) -> Transfer:
    """Replace a draft's lines (and note, if given). Once sent, the lines are what left the shelf: refused."""
    transfer = _locked(transfer)
    if transfer.status != Status.DRAFT:
        raise _state_error(transfer, "changed")
    checked, errors = _checked_lines(lines)
    if note is not None:
        note = note.strip()
        errors = _note_errors(note) + errors
    if errors:
        raise ValidationError(errors, code="invalid")
    transfer.lines.all().delete()
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, item=item, quantity=quantity) for item, quantity in checked]
    )
    if note is not None and note != transfer.note:
        transfer.note = note
        transfer.save(update_fields=["note"])
    audit_record(
        action="stock.transfer_update", actor=user, target=str(transfer), data={"transfer": transfer.pk,
                                                                               "lines": len(checked)}
    )  # fmt: skip
    return transfer


@transaction.atomic
def transfer_send(*, transfer: Transfer, user: User) -> Transfer:
    """Take the lines out of the source and mark the transfer in transit. Refused, with nothing saved, if the
    source holds less than any line (the message names every short item). Sending twice is harmless: the
    second press finds it sent and returns it."""
    transfer = _locked(transfer)
    if transfer.status == Status.SENT:
        return transfer
    if transfer.status != Status.DRAFT:
        raise _state_error(transfer, "sent")
    errors = _outlet_errors(transfer.from_outlet, transfer.to_outlet)
    lines = list(transfer.lines.select_related("item").order_by("pk"))
    if not lines:
        errors.append("Add at least one line before sending.")
    if errors:
        raise ValidationError(errors, code="invalid")
    for line in lines:
        line.unit_cost = line.item.cost
    TransferLine.objects.bulk_update(lines, ["unit_cost"])
    movements_post(
        outlet_id=transfer.from_outlet_id,
        kind=Kind.TRANSFER_OUT,
        lines=[MovementLine(line.item_id, -line.quantity, line.unit_cost, line.pk) for line in lines],
        user=user,
        source_type=SOURCE,
        source_id=transfer.pk,
        note=_note(transfer),
        block_negative=True,
    )
    transfer.status = Status.SENT
    transfer.sent_by = user
    transfer.sent_at = timezone.now()
    transfer.save(update_fields=["status", "sent_by", "sent_at"])
    audit_record(
        action="stock.transfer_send",
        actor=user,
        target=str(transfer),
        data={"transfer": transfer.pk, "from": transfer.from_outlet_id, "to": transfer.to_outlet_id,
              "lines": len(lines)},
    )  # fmt: skip
    return transfer


def _received_quantities(lines: list[TransferLine], received: Mapping) -> dict[int, Decimal]:
    """What arrived per line, or a ValidationError listing every bad line. Every line must be given."""
    wanted = {int(k): v for k, v in received.items() if str(k).isdigit()}
    known = {line.pk for line in lines}
    errors = []
    if len(wanted) != len(received) or set(wanted) - known:
        errors.append("Some quantities are for lines that are not on this transfer; reload the page.")
    result = {}
    for number, line in enumerate(lines, start=1):
        label = f"Line {number} ({line.item.name})"
        if line.pk not in wanted:
            errors.append(f"{label}: enter the quantity that arrived (0 if none did).")
            continue
        try:
            quantity = parse_quantity(wanted[line.pk], allow_zero=True)
        except ValidationError as exc:
            errors.append(f"{label}: {' '.join(exc.messages)}")
            continue
        if quantity > line.quantity:
            errors.append(
                f"{label}: {format_quantity(quantity)} {line.item.base_unit} is more than the "
                f"{format_quantity(line.quantity)} sent; receive at most what was sent."
            )
            continue
        result[line.pk] = quantity
    if errors:
        raise ValidationError(errors, code="invalid")
    return result


@transaction.atomic
def transfer_receive(*, transfer: Transfer, user: User, received: Mapping[int | str, str | Decimal]) -> Transfer:
    """Put what arrived into the destination: in full, in part, or nothing of a line. More than was sent is
    refused. A second identical submission (a double click, or two people receiving the same delivery) returns
    the first result; a different one is refused with who received it."""
    transfer = _locked(transfer)
    lines = list(transfer.lines.select_related("item").order_by("pk"))
    if transfer.status == Status.RECEIVED:
        try:
            quantities = _received_quantities(lines, received)
        except ValidationError:
            quantities = {}
        if quantities and all(quantities[line.pk] == line.quantity_received for line in lines):
            return transfer
        who = transfer.received_by.get_username() if transfer.received_by else "someone"
        raise ValidationError(
            f"{transfer} was already received by {who} at {timezone.localtime(transfer.received_at):%H:%M}; "
            "nothing was changed.",
            code="already_received",
        )
    if transfer.status != Status.SENT:
        raise _state_error(transfer, "received")
    quantities = _received_quantities(lines, received)
    for line in lines:
        line.quantity_received = quantities[line.pk]
    TransferLine.objects.bulk_update(lines, ["quantity_received"])
    movements_post(
        outlet_id=transfer.to_outlet_id,
        kind=Kind.TRANSFER_IN,
        lines=[MovementLine(line.item_id, line.quantity_received, line.unit_cost, line.pk) for line in lines],
        user=user,
        source_type=SOURCE,
        source_id=transfer.pk,
        note=_note(transfer),
    )
    transfer.status = Status.RECEIVED
    transfer.received_by = user
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_by", "received_at"])
    short = [line for line in lines if line.discrepancy]
    audit_record(
        action="stock.transfer_receive",
        actor=user,
        target=str(transfer),
        data={
            "transfer": transfer.pk,
            "to": transfer.to_outlet_id,
            "lines": len(lines),
            "discrepancies": {str(line.item_id): format_quantity(line.discrepancy) for line in short},
        },
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, user: User) -> Transfer:
    """Drop a draft (nothing moved) or call back a sent transfer (its stock returns to the source with a
    transfer-in there). A received transfer is history: refused. Cancelling twice is harmless."""
    transfer = _locked(transfer)
    if transfer.status == Status.CANCELLED:
        return transfer
    if transfer.status == Status.RECEIVED:
        raise _state_error(transfer, "cancelled")
    was = transfer.status
    if was == Status.SENT:
        lines = list(transfer.lines.order_by("pk"))
        movements_post(
            outlet_id=transfer.from_outlet_id,
            kind=Kind.TRANSFER_IN,
            lines=[MovementLine(line.item_id, line.quantity, line.unit_cost, line.pk) for line in lines],
            user=user,
            source_type=SOURCE,
            source_id=transfer.pk,
            reason="cancelled",
            note=f"{transfer} cancelled: back to {transfer.from_outlet.name}",
        )
    transfer.status = Status.CANCELLED
    transfer.cancelled_at, transfer.cancelled_by = timezone.now(), user
    transfer.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    audit_record(
        action="stock.transfer_cancel",
        actor=user,
        target=str(transfer),
        data={"transfer": transfer.pk, "was": was, "returned_to_source": was == Status.SENT},
    )
    return transfer
