"""Status changes: one transition function per stateful model, driven by a table (docs/adr/0010-transitions.md).

Each app that has a stateful model declares its moves once, in `<app>/transitions.py`:

    ORDER = StateMachine(Order, describe=..., payload=..., moves=[
        Move("void", source={OPEN}, target=VOIDED, capability="order.void", event="order.voided",
             audit=AuditAction.ORDER_VOID),
        ...
    ])

    def order_transition(order, action, *, actor, approver=None, ...):
        return ORDER.apply(order, action, actor=actor, approver=approver, ...)

`apply` is the only code that assigns a status. In the caller's transaction, on a row the caller locked through
its app's `lock_objects` (the lock order, docs/adr/0007), it checks that the move starts from the object's
status and that the actor (or the approver who vouched with a PIN) has the capability, writes the status, the
audit entry and the outbox event, and nothing else: the business rules around the move (balances, stock,
kitchen) stay in the service that calls it. Templates ask `allowed(obj, user)` which actions to offer, so no
page re-encodes status strings.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.access import can, can_with_approval
from accounts.audit import AuditAction
from accounts.models import User
from accounts.services import audit_record
from pos_project.errors import CONFLICT, FORBIDDEN, ServiceError

from .outbox import event_emit

M = TypeVar("M", bound=models.Model)
CapabilityRule = str | Callable[[Any, User | None], str] | None


@dataclass(frozen=True)
class Move:
    """One row of a model's table: action `name` takes an object from any of `source` to `target`.

    `target` None keeps the status (a partial refund, a line done); a tuple lets the caller pick one with
    `to=` (a refund leaves an order paid or makes it refunded). `capability` is what the actor, or the
    approver, must have (a function of the object and actor where it depends on them, e.g. closing someone
    else's shift); None means whoever could reach the service may. `event` and `audit` name the outbox event
    and the audit entry written with the move (None: not worth one)."""

    name: str
    source: frozenset[str]
    target: str | tuple[str, ...] | None
    capability: CapabilityRule = None
    event: str | None = None
    audit: AuditAction | None = None

    def targets(self) -> tuple[str | None, ...]:
        return self.target if isinstance(self.target, tuple) else (self.target,)


@dataclass
class StateMachine(Generic[M]):
    model: type[M]
    moves: Iterable[Move]
    # "Order #12": how messages and audit entries name an object.
    describe: Callable[[M], str]
    # The outbox event's payload: ids, numbers and amounts, never personal data.
    payload: Callable[[M], dict[str, Any]]
    status_field: str = "status"
    # How the audit log names an object, when `describe` would put a person's name in it (a time card).
    audit_label: Callable[[M], str] | None = None
    table: dict[str, Move] = field(init=False)

    def __post_init__(self) -> None:
        self.table = {}
        for move in self.moves:
            if move.name in self.table:
                raise ValueError(f"{self.model.__name__}: two moves named {move.name!r}")
            self.table[move.name] = move

    def _status_label(self, obj: M) -> str:
        return str(getattr(obj, f"get_{self.status_field}_display", lambda: getattr(obj, self.status_field))()).lower()

    def _capability(self, move: Move, obj: M, actor: User | None) -> str | None:
        rule = move.capability
        return rule(obj, actor) if callable(rule) else rule

    def can_start(self, obj: M, name: str) -> bool:
        """Whether action `name` starts from the object's current status (whoever asks)."""
        return getattr(obj, self.status_field) in self.table[name].source

    def allowed(self, obj: M, user: User | None = None) -> dict[str, bool]:
        """The actions a page may offer on `obj` to `user` (who needs the capability or may ask an approver):
        `{% if actions.void %}`. An action needing a capability the user lacks is still offered when a
        supervisor can lend it with a PIN (`accounts.access.can_with_approval`)."""
        offered = {}
        for name, move in self.table.items():
            if not self.can_start(obj, name):
                continue
            capability = self._capability(move, obj, user)
            offered[name] = capability is None or user is None or can_with_approval(user, capability)
        return offered

    def apply(
        self,
        obj: M,
        name: str,
        *,
        actor: User | None,
        approver: User | None = None,
        to: str | None = None,
        also: Iterable[str] = (),
        data: Mapping[str, Any] | None = None,
        refused: str | Promise | None = None,
    ) -> M:
        """Make move `name` on a locked `obj` (see the module doc). `also` names other fields the caller set
        for this move (saved with the status); `data` goes into the audit entry and the event; `refused` is the
        message when the move does not start from the object's status (a generic one otherwise)."""
        if not connection.in_atomic_block:
            raise RuntimeError(f"{self.model.__name__} transitions run inside the caller's transaction")
        move = self.table[name]
        before = getattr(obj, self.status_field)
        if before not in move.source:
            raise ServiceError(
                f"{self.model._meta.model_name}.{name}_not_allowed",
                refused
                or _("%(object)s is %(status)s, so that cannot be done now.")
                % {"object": self.describe(obj), "status": self._status_label(obj)},
                status=CONFLICT,
            )
        capability = self._capability(move, obj, actor)
        if capability and not (can(actor, capability) or (approver is not None and can(approver, capability))):
            raise ServiceError("access.denied", _("Your role cannot do that; ask a supervisor."), status=FORBIDDEN)
        after = before
        if move.target is not None:
            choices = move.targets()
            after = to if to is not None else choices[0]
            if after not in choices:
                raise ValueError(f"{self.model.__name__}.{name} cannot end in {after!r}")
        fields = list(also)
        if after != before:
            setattr(obj, self.status_field, after)
            fields.append(self.status_field)
        if fields:
            if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
                fields.append("updated_at")
            obj.save(update_fields=sorted(set(fields)))
        details = dict(data or {})
        if after != before:
            details.update({"from": before, "to": after})
        if approver is not None:
            details["approved_by"] = approver.pk  # an id: audit data and event payloads hold no names
        if move.audit:
            label = (self.audit_label or self.describe)(obj)
            audit_record(action=move.audit, actor=actor, target=obj, label=label, data=details)
        if move.event:
            event_emit(move.event, {**self.payload(obj), **details})
        return obj
