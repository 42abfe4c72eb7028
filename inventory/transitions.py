"""The status tables of the stock documents: adjustments, transfers, purchase orders and counts
(core/transitions.py, docs/adr/0010-transitions.md).

Each service that changes a document's status calls its transition function on the row it locked
(inventory/lock_objects.py), which checks the move against the table and the actor's capability, and writes the
status, the audit entry and the outbox event in the service's transaction. The stock itself moves in the
service, through the ledger, before the move is recorded. Pages ask `<TABLE>.allowed(document, user)` which
buttons to show (`{% if actions.receive %}`), so no template compares status strings.

Moves that keep the status (`target=None`: editing a draft, counting on an open sheet) are in the tables too:
pages ask about them, and services check them, like any other.
"""

from accounts.audit import AuditAction
from accounts.models import User
from core.transitions import Move, StateMachine

from .models import PurchaseOrder, StockAdjustment, StockCount, Transfer

AS, TS, PS, CS = StockAdjustment.Status, Transfer.Status, PurchaseOrder.Status, StockCount.Status

# --- Adjustments ------------------------------------------------------------------------------------------------

ADJUSTMENT = StateMachine(
    StockAdjustment,
    describe=str,
    payload=lambda a: {"adjustment": a.pk, "outlet": a.outlet_id, "reason": a.reason, "value_minor": a.value_minor},
    moves=[
        # A new adjustment is NEW only inside the transaction that submits it: it leaves posted, or waiting
        # for a second person when it is worth more than the owner's threshold. Anyone who may report waste
        # submits (the pages decide who sees which form); the four-eyes rule is the service's, by value.
        Move("post", frozenset({AS.NEW}), AS.POSTED, capability="stock.report_waste", event="stock.adjusted",
             audit=AuditAction.STOCK_ADJUSTMENT_SUBMIT),
        Move("submit", frozenset({AS.NEW}), AS.PENDING, capability="stock.report_waste",
             audit=AuditAction.STOCK_ADJUSTMENT_SUBMIT),
        Move("approve", frozenset({AS.PENDING}), AS.POSTED, capability="stock.approve", event="stock.adjusted",
             audit=AuditAction.STOCK_ADJUSTMENT_APPROVE),
        Move("reject", frozenset({AS.PENDING}), AS.REJECTED, capability="stock.approve",
             audit=AuditAction.STOCK_ADJUSTMENT_REJECT),
    ],
)  # fmt: skip


def adjustment_transition(adjustment: StockAdjustment, action: str, *, actor: User | None, **kwargs) -> StockAdjustment:
    """Make `action` on a locked adjustment (core.transitions.StateMachine.apply)."""
    return ADJUSTMENT.apply(adjustment, action, actor=actor, **kwargs)


# --- Transfers --------------------------------------------------------------------------------------------------

TRANSFER = StateMachine(
    Transfer,
    describe=str,
    payload=lambda t: {"transfer": t.pk, "from_outlet": t.from_outlet_id, "to_outlet": t.to_outlet_id},
    moves=[
        Move("edit", frozenset({TS.DRAFT}), None, capability="stock.transfer", audit=AuditAction.STOCK_TRANSFER_UPDATE),
        Move("send", frozenset({TS.DRAFT}), TS.SENT, capability="stock.transfer", event="transfer.sent",
             audit=AuditAction.STOCK_TRANSFER_SEND),
        # In full or in part: whatever was sent and did not arrive is the line's discrepancy.
        Move("receive", frozenset({TS.SENT}), TS.RECEIVED, capability="stock.transfer", event="transfer.received",
             audit=AuditAction.STOCK_TRANSFER_RECEIVE),
        # A draft is dropped; a sent transfer is called back and its stock returns to the source.
        Move("cancel", frozenset({TS.DRAFT, TS.SENT}), TS.CANCELLED, capability="stock.transfer",
             event="transfer.cancelled", audit=AuditAction.STOCK_TRANSFER_CANCEL),
    ],
)  # fmt: skip


def transfer_transition(transfer: Transfer, action: str, *, actor: User | None, **kwargs) -> Transfer:
    return TRANSFER.apply(transfer, action, actor=actor, **kwargs)


# --- Purchase orders --------------------------------------------------------------------------------------------

PURCHASE_ORDER = StateMachine(
    PurchaseOrder,
    describe=str,
    payload=lambda po: {"purchase_order": po.pk, "supplier": po.supplier_id, "outlet": po.outlet_id},
    moves=[
        Move("edit", frozenset({PS.DRAFT}), None, capability="stock.purchase"),
        # The supplier's e-mail hangs off the event (inventory/subscribers.py), queued after the commit.
        Move("send", frozenset({PS.DRAFT}), PS.SENT, capability="stock.purchase", event="purchase_order.sent",
             audit=AuditAction.STOCK_PURCHASE_ORDER_SEND),
        # One delivery: the order is received in full, or partly until the rest arrives.
        Move("receive", frozenset({PS.SENT, PS.PARTIAL}), (PS.PARTIAL, PS.RECEIVED), capability="stock.purchase",
             event="purchase_order.received", audit=AuditAction.STOCK_GOODS_RECEIVE),
        # Only while nothing has arrived (a partly received order has goods on the shelves).
        Move("cancel", frozenset({PS.DRAFT, PS.SENT}), PS.CANCELLED, capability="stock.purchase",
             audit=AuditAction.STOCK_PURCHASE_ORDER_CANCEL),
    ],
)  # fmt: skip


def purchase_order_transition(purchase_order: PurchaseOrder, action: str, *, actor: User | None,
                              **kwargs) -> PurchaseOrder:  # fmt: skip
    return PURCHASE_ORDER.apply(purchase_order, action, actor=actor, **kwargs)


# --- Stock counts -----------------------------------------------------------------------------------------------

STOCK_COUNT = StateMachine(
    StockCount,
    describe=str,
    payload=lambda c: {"stock_count": c.pk, "outlet": c.outlet_id, "category": c.category_id},
    moves=[
        Move("count", frozenset({CS.OPEN}), None, capability="stock.count"),  # typing or scanning on the sheet
        Move("post", frozenset({CS.OPEN}), CS.POSTED, capability="stock.count", event="stock_count.posted",
             audit=AuditAction.STOCK_COUNT_POST),
        Move("cancel", frozenset({CS.OPEN}), CS.CANCELLED, capability="stock.count",
             audit=AuditAction.STOCK_COUNT_CANCEL),
    ],
)  # fmt: skip


def stock_count_transition(count: StockCount, action: str, *, actor: User | None, **kwargs) -> StockCount:
    return STOCK_COUNT.apply(count, action, actor=actor, **kwargs)
