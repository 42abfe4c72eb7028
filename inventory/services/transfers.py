"""Transfers: stock moving from one outlet to another.

draft → sent → received, or cancelled (inventory/transitions.py). A draft moves nothing. Sending takes the
stock out of the source (`TRANSFER_OUT`, never below zero: you cannot send what the shelf does not hold) and
freezes each line's unit cost, so the value in transit and any loss on the way are priced at what the goods cost
when they left. Receiving puts what actually arrived into the destination (`TRANSFER_IN`); whatever was sent and
did not arrive is the line's discrepancy and stays out of both outlets. Cancelling a sent transfer returns the
stock to the source. Each transition locks the transfer row first, then its lines, then (in the ledger) the
levels (docs/adr/0007), so a double click or two people pressing Receive at once find the state the first one
left and cannot post twice.
A retried "create" (the form's key, core/idempotency.py) returns the first transfer.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from business.models import Outlet
from core.idempotency import idempotent_write
from pos_project import parsing
from pos_project.errors import CONFLICT, ServiceError

from ..lock_objects import transfer_lines_lock, transfer_lock
from ..models import StockItem, StockMovement, Transfer, TransferLine
from ..quantities import format_quantity, parse_quantity
from ..transitions import TRANSFER, transfer_transition
from .stock import MovementLine, movements_post
from .stock_lines import StockLineInput, lines_check, lines_normalise

Status = Transfer.Status
Kind = StockMovement.Kind
MAX_LINES = 500
SOURCE = "transfer"


TransferLineInput = StockLineInput  # one row as submitted: a stock item's pk or SKU, and a quantity


# --- Validation -------------------------------------------------------------------------------------------------


def _checked_lines(lines: list[TransferLineInput]) -> tuple[list[tuple[StockItem, Decimal]], list[str]]:
    """(item, quantity) per good line, and one message per bad line (all of them, by line number)."""
    if not lines:
        return [], [_("Add at least one line.")]
    if len(lines) > MAX_LINES:
        return [], [
            _("At most %(max)s lines per transfer; this one has %(count)s. Split it in two.")
            % {"max": MAX_LINES, "count": len(lines)}
        ]
    good, errors = lines_check(lines)
    return [(item, quantity) for _n, item, quantity in good], errors


def _outlet_errors(from_outlet: Outlet | None, to_outlet: Outlet | None) -> list[str]:
    errors = []
    if from_outlet is None:
        errors.append(_("Choose the outlet the stock leaves from."))
    elif not from_outlet.is_active:
        errors.append(_("%(outlet)s is closed; it cannot send stock.") % {"outlet": from_outlet.name})
    if to_outlet is None:
        errors.append(_("Choose the outlet the stock goes to."))
    elif not to_outlet.is_active:
        errors.append(_("%(outlet)s is closed; it cannot receive stock.") % {"outlet": to_outlet.name})
    if from_outlet is not None and to_outlet is not None and from_outlet.pk == to_outlet.pk:
        errors.append(_("Choose two different outlets: a transfer cannot go to the outlet it leaves from."))
    return errors


def _note_errors(note: str) -> list[str]:
    return [_("Keep the note under 200 characters.")] if len(note) > 200 else []


def _refused(errors: list[str]) -> ServiceError:
    """Every problem at once, in the order the person reads the form."""
    return ServiceError("transfer.invalid", _("The transfer needs fixing."), fields={"__all__": errors})


# --- Helpers ----------------------------------------------------------------------------------------------------


def _note(transfer: Transfer) -> str:
    return f"{transfer}: {transfer.from_outlet.name} → {transfer.to_outlet.name}"


def _state_refused(transfer: Transfer, code: str, message: str) -> ServiceError:
    """A move the transfer's status does not allow: a conflict with its state (409)."""
    return ServiceError(
        code, message % {"transfer": transfer, "status": transfer.get_status_display().lower()}, status=CONFLICT
    )


def _fingerprint_lines(lines: Sequence[TransferLineInput]) -> list:
    return [[line.item, str(line.quantity), line.line_number, str(line.error)] for line in lines]


# --- Services ---------------------------------------------------------------------------------------------------


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
    saved. With a key, a retry of the same form returns the first transfer, and the key with another form is
    refused (422)."""
    lines = lines_normalise(lines)
    note = (note or "").strip()
    request = {"from": from_outlet.pk if from_outlet else None, "to": to_outlet.pk if to_outlet else None,
               "user": user.pk, "note": note, "lines": _fingerprint_lines(lines)}  # fmt: skip

    def write() -> Transfer:
        checked, line_errors = _checked_lines(lines)
        errors = _outlet_errors(from_outlet, to_outlet) + _note_errors(note) + line_errors
        if errors:
            raise _refused(errors)
        transfer = Transfer.objects.create(from_outlet=from_outlet, to_outlet=to_outlet, note=note, created_by=user)
        TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, item=item, quantity=quantity) for item, quantity in checked]
        )
        audit_record(
            action=AuditAction.STOCK_TRANSFER_CREATE,
            actor=user,
            target=transfer,
            label=str(transfer),
            data={
                "transfer": transfer.pk,
                "from_outlet": from_outlet.pk,
                "to_outlet": to_outlet.pk,
                "lines": len(checked),
            },
        )
        return transfer

    # Without a key (a script, a page from before keys) the write simply runs unprotected.
    return idempotent_write(
        key=idempotency_key, action="transfer.create", request=request, model=Transfer, write=write, required=False
    )


@transaction.atomic
def transfer_update_lines(
    *,
    transfer: Transfer,
    user: User,
    lines: Sequence[TransferLineInput | tuple[int | str, str]],
    note: str | None = None,
) -> Transfer:
    """Replace a draft's lines (and note, if given). Once sent, the lines are what left the shelf: refused."""
    transfer = transfer_lock(transfer.pk)
    if not TRANSFER.can_start(transfer, "edit"):
        raise _state_refused(transfer, "transfer.not_draft", _("%(transfer)s is %(status)s; it cannot be changed."))
    checked, errors = _checked_lines(lines_normalise(lines))
    if note is not None:
        note = note.strip()
        errors = _note_errors(note) + errors
    if errors:
        raise _refused(errors)
    transfer.lines.all().delete()
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, item=item, quantity=quantity) for item, quantity in checked]
    )
    changed = note is not None and note != transfer.note
    if changed:
        transfer.note = note
    # "updated_at" always: new lines are a change of the transfer, even when its own row's fields stay the same.
    also = ("note", "updated_at") if changed else ("updated_at",)
    return transfer_transition(transfer, "edit", actor=user, also=also,
                               data={"transfer": transfer.pk, "lines": len(checked)})  # fmt: skip


@transaction.atomic
def transfer_send(*, transfer: Transfer, user: User) -> Transfer:
    """Take the lines out of the source and mark the transfer in transit. Refused, with nothing saved, if the
    source holds less than any line (the message names every short item). Sending twice is harmless: the
    second press finds it sent and returns it."""
    transfer = transfer_lock(transfer.pk)
    if transfer.status == Status.SENT:
        return transfer
    if not TRANSFER.can_start(transfer, "send"):
        raise _state_refused(transfer, "transfer.not_draft", _("%(transfer)s is %(status)s; it cannot be sent."))
    errors = _outlet_errors(transfer.from_outlet, transfer.to_outlet)
    lines = transfer_lines_lock(transfer)
    if not lines:
        errors.append(_("Add at least one line before sending."))
    if errors:
        raise _refused(errors)
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
    transfer.sent_by, transfer.sent_at = user, timezone.now()
    return transfer_transition(transfer, "send", actor=user, also=("sent_by", "sent_at"),
                               data={"transfer": transfer.pk, "from_outlet": transfer.from_outlet_id,
                                     "to_outlet": transfer.to_outlet_id, "lines": len(lines)})  # fmt: skip


def _received_quantities(lines: list[TransferLine], received: Mapping) -> dict[int, Decimal]:
    """What arrived per line, or a ServiceError listing every bad line. Every line must be given."""
    wanted = {line_id: v for k, v in received.items() if (line_id := parsing.id_or_none(k)) is not None}
    known = {line.pk for line in lines}
    errors = []
    if len(wanted) != len(received) or set(wanted) - known:
        errors.append(_("Some quantities are for lines that are not on this transfer; reload the page."))
    result = {}
    for number, line in enumerate(lines, start=1):
        label = {"number": number, "item": line.item.name}
        if line.pk not in wanted:
            errors.append(_("Line %(number)s (%(item)s): enter the quantity that arrived (0 if none did).") % label)
            continue
        try:
            quantity = parse_quantity(wanted[line.pk], allow_zero=True)
        except ServiceError as exc:
            errors.append(_("Line %(number)s (%(item)s): %(problem)s") % {**label, "problem": " ".join(exc.messages)})
            continue
        if quantity > line.quantity:
            errors.append(
                _("Line %(number)s (%(item)s): %(quantity)s %(unit)s is more than the %(sent)s sent; receive at "
                  "most what was sent.")
                % {**label, "quantity": format_quantity(quantity), "unit": line.item.base_unit,
                   "sent": format_quantity(line.quantity)}
            )  # fmt: skip
            continue
        result[line.pk] = quantity
    if errors:
        raise ServiceError("transfer.receipt_invalid", _("The quantities received need fixing."),
                           fields={"__all__": errors})  # fmt: skip
    return result


@transaction.atomic
def transfer_receive(*, transfer: Transfer, user: User, received: Mapping[int | str, str | Decimal]) -> Transfer:
    """Put what arrived into the destination: in full, in part, or nothing of a line. More than was sent is
    refused. A second identical submission (a double click, or two people receiving the same delivery) returns
    the first result; a different one is refused with who received it."""
    transfer = transfer_lock(transfer.pk)
    lines = transfer_lines_lock(transfer)
    if transfer.status == Status.RECEIVED:
        try:
            quantities = _received_quantities(lines, received)
        except ServiceError:
            quantities = {}
        if quantities and all(quantities[line.pk] == line.quantity_received for line in lines):
            return transfer
        who = transfer.received_by.get_username() if transfer.received_by else _("someone")
        raise ServiceError(
            "transfer.already_received",
            _("%(transfer)s was already received by %(who)s at %(time)s; nothing was changed.")
            % {"transfer": transfer, "who": who, "time": f"{timezone.localtime(transfer.received_at):%H:%M}"},
            status=CONFLICT,
        )
    if not TRANSFER.can_start(transfer, "receive"):
        raise _state_refused(transfer, "transfer.not_sent", _("%(transfer)s is %(status)s; it cannot be received."))
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
    transfer.received_by, transfer.received_at = user, timezone.now()
    short = [line for line in lines if line.discrepancy]
    return transfer_transition(
        transfer,
        "receive",
        actor=user,
        also=("received_by", "received_at"),
        data={
            "transfer": transfer.pk,
            "to_outlet": transfer.to_outlet_id,
            "lines": len(lines),
            "discrepancies": {str(line.item_id): format_quantity(line.discrepancy) for line in short},
        },
    )


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, user: User) -> Transfer:
    """Drop a draft (nothing moved) or call back a sent transfer (its stock returns to the source with a
    transfer-in there). A received transfer is history: refused. Cancelling twice is harmless."""
    transfer = transfer_lock(transfer.pk)
    if transfer.status == Status.CANCELLED:
        return transfer
    if not TRANSFER.can_start(transfer, "cancel"):
        raise _state_refused(
            transfer, "transfer.not_cancellable", _("%(transfer)s is %(status)s; it cannot be cancelled.")
        )
    was = transfer.status
    if was == Status.SENT:
        lines = transfer_lines_lock(transfer)
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
    transfer.cancelled_at, transfer.cancelled_by = timezone.now(), user
    return transfer_transition(transfer, "cancel", actor=user, also=("cancelled_at", "cancelled_by"),
                               data={"transfer": transfer.pk, "was": was,
                                     "returned_to_source": was == Status.SENT})  # fmt: skip
