"""The transition machinery of core (docs/adr/0010), on a real table: the kitchen ticket's, which is small. It
lives with the project's tests because core, below every app, has no stateful model of its own."""

import pytest

from accounts.audit import AuditAction
from accounts.models import AuditEntry, Role
from core.models import OutboxEvent
from core.transitions import Move, StateMachine
from kitchen.models import Ticket
from kitchen.tests.factories import TicketFactory
from pos_project.errors import ServiceError

NEW, BUMPED = Ticket.Status.NEW, Ticket.Status.BUMPED

MACHINE = StateMachine(
    Ticket,
    describe=lambda t: f"Ticket #{t.order_number}",
    payload=lambda t: {"ticket": t.pk},
    moves=[
        Move("bump", frozenset({NEW}), BUMPED, capability="kitchen.use", event="test.bumped", audit=AuditAction.TEST),
        Move("void", frozenset({NEW}), None, capability="order.void", audit=AuditAction.TEST),
        Move("reopen", frozenset({BUMPED}), (NEW, BUMPED)),
    ],
)


def test_a_move_writes_the_status_its_audit_entry_and_its_event_in_the_callers_transaction(in_tenant):
    ticket = TicketFactory()
    MACHINE.apply(ticket, "bump", actor=in_tenant.users[Role.KITCHEN], data={"note": "done"})
    ticket.refresh_from_db()
    assert ticket.status == BUMPED
    entry = AuditEntry.objects.get(action=AuditAction.TEST)
    assert (entry.target_type, entry.target_id) == ("kitchen.ticket", str(ticket.pk))
    assert entry.target_label == f"Ticket #{ticket.order_number}" and entry.data == {
        "note": "done",
        "from": NEW,
        "to": BUMPED,
    }
    event = OutboxEvent.objects.get(name="test.bumped")
    assert event.payload == {"ticket": ticket.pk, "note": "done", "from": NEW, "to": BUMPED}


def test_a_move_from_the_wrong_status_is_refused_with_409_and_changes_nothing(in_tenant):
    ticket = TicketFactory(status=BUMPED)
    with pytest.raises(ServiceError) as refused:
        MACHINE.apply(ticket, "bump", actor=in_tenant.users[Role.KITCHEN])
    assert (refused.value.code, refused.value.status) == ("ticket.bump_not_allowed", 409)
    with pytest.raises(ServiceError, match="Not now"):
        MACHINE.apply(ticket, "void", actor=in_tenant.users[Role.SUPERVISOR], refused="Not now.")
    assert not AuditEntry.objects.filter(action=AuditAction.TEST).exists()
    assert not OutboxEvent.objects.filter(name__startswith="test.").exists()


def test_the_capability_is_the_actors_or_the_approvers(in_tenant):
    cashier, supervisor = in_tenant.users[Role.CASHIER], in_tenant.users[Role.SUPERVISOR]
    ticket = TicketFactory()
    with pytest.raises(ServiceError) as refused:
        MACHINE.apply(ticket, "void", actor=cashier)
    assert (refused.value.code, refused.value.status) == ("access.denied", 403)
    MACHINE.apply(ticket, "void", actor=cashier, approver=supervisor)  # lent with a PIN
    assert AuditEntry.objects.get(action=AuditAction.TEST).data == {"approved_by": supervisor.pk}
    ticket.refresh_from_db()
    assert ticket.status == NEW  # a move without a target keeps the status


def test_a_move_may_let_the_caller_pick_among_its_targets(in_tenant):
    ticket = TicketFactory(status=BUMPED)
    MACHINE.apply(ticket, "reopen", actor=None, to=NEW)
    assert Ticket.objects.get(pk=ticket.pk).status == NEW
    with pytest.raises(ValueError):
        MACHINE.apply(TicketFactory(status=BUMPED), "reopen", actor=None, to="eaten")


def test_pages_ask_which_actions_to_offer(in_tenant):
    ticket = TicketFactory()
    assert MACHINE.allowed(ticket, in_tenant.users[Role.KITCHEN]) == {"bump": True, "void": False}
    # A cashier is offered a void: a supervisor lends it with a PIN.
    assert MACHINE.allowed(ticket, in_tenant.users[Role.CASHIER]) == {"bump": False, "void": True}
    assert MACHINE.allowed(TicketFactory(status=BUMPED), in_tenant.users[Role.KITCHEN]) == {"reopen": True}


def test_two_moves_cannot_share_a_name():
    with pytest.raises(ValueError):
        StateMachine(Ticket, describe=str, payload=dict, moves=[Move("x", frozenset(), None)] * 2)
