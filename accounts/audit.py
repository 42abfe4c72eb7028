"""Every action the audit log records, in one enum (Zulip's `AuditLogEventType`).

`accounts.services.audit_record` takes only members of `AuditAction`: a misspelt or stale string fails loudly
instead of writing an entry no filter or report will ever find. Add the action here first, then write it. The
stored value is the dotted string (`order.void`), so existing rows, filters and exports keep reading the same.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Sign-in, PINs and approvals
    AUTH_LOGIN = "auth.login", _("Signed in")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    AUTH_PASSWORD_CHANGE = "auth.password_change", _("Password changed")
    AUTH_SESSION_END = "auth.session_end", _("Sessions ended")
    AUDIT_EXPORT = "audit.export", _("Audit log exported")
    AUTH_PIN_FAILED = "auth.pin_failed", _("Wrong PIN")
    AUTH_PIN_LOCKED = "auth.pin_locked", _("PIN locked")
    AUTH_OTP_FAILED = "auth.otp_failed", _("Wrong two-step code")
    AUTH_2FA_ENROL = "auth.2fa_enrol", _("Two-step sign-in turned on")
    AUTH_2FA_DISABLE = "auth.2fa_disable", _("Two-step sign-in turned off")
    AUTH_2FA_BACKUP_REGENERATE = "auth.2fa_backup_regenerate", _("New backup codes")
    APPROVAL_GRANTED = "approval.granted", _("Approval granted")
    APPROVAL_REFUSED = "approval.refused", _("Approval refused")
    APPROVAL_REQUESTER_BLOCKED = "approval.requester_blocked", _("PIN approvals paused after wrong PINs")
    APPROVAL_REQUESTER_UNBLOCKED = "approval.requester_unblocked", _("PIN approvals opened again")
    DEVICE_REGISTER = "device.register", _("Till registered")
    DEVICE_REMOVE = "device.remove", _("Till removed")
    # Support access by a platform super admin (tenants/support.py), in the platform's log and the business's
    SUPPORT_START = "support.start", _("Support access started")
    SUPPORT_END = "support.end", _("Support access ended")

    # API keys (integrations/services.py)
    API_KEY_CREATE = "api_key.create", _("API key made")
    API_KEY_REVOKE = "api_key.revoke", _("API key revoked")

    # Staff
    STAFF_CREATE = "staff.create", _("Staff member added")
    STAFF_UPDATE = "staff.update", _("Staff member changed")
    STAFF_RESET_PASSWORD = "staff.reset_password", _("Password reset")
    STAFF_SET_PIN = "staff.set_pin", _("PIN set")
    STAFF_PIN_UNLOCK = "staff.pin_unlock", _("PIN unlocked")

    # Business settings
    OUTLET_UPDATE = "outlet.update", _("Outlet changed")
    SETTINGS_SALES_UPDATE = "settings.sales_update", _("Sales settings changed")
    SETTINGS_TAX_RATE = "settings.tax_rate", _("Tax rate changed")

    # Catalog
    CATALOG_PRICE_CHANGE = "catalog.price_change", _("Price changed")
    CATALOG_SOLD_OUT = "catalog.sold_out", _("Marked sold out")
    CATALOG_BACK_IN_STOCK = "catalog.back_in_stock", _("Back in stock")

    # Orders and payments
    ORDER_DISCOUNT_APPROVED = "order.discount_approved", _("Discount approved")
    ORDER_SEND = "order.send", _("Order sent to the kitchen")
    ORDER_ADD_LINES = "order.add_lines", _("Lines added to an order")
    ORDER_MOVE_TABLE = "order.move_table", _("Order moved to another table")
    ORDER_VOID = "order.void", _("Order voided")
    ORDER_MERGE = "order.merge", _("Orders merged")
    ORDER_REFUND = "order.refund", _("Order refunded")
    ORDER_SPLIT = "order.split", _("Order split")
    ORDER_LINE_VOID = "order.line_void", _("Line voided")
    PAYMENT_QR_CAPTURED = "payment.qr_captured", _("QR payment captured")
    PAYMENT_CANCELLED = "payment.cancelled", _("Payment cancelled")
    PAYMENT_REFUND_DUE = "payment.refund_due", _("Payment refund due")
    PAYMENT_REFUNDED = "payment.refunded", _("Payment refunded")
    PAYMENT_QR_SETTINGS_UPDATE = "payment.qr_settings_update", _("QR payment provider changed")
    PAYMENT_QR_SECRET_ROTATE = "payment.qr_secret_rotate", _("QR callback secret replaced")
    FLOOR_TABLE_DELETE = "floor.table_delete", _("Table removed")

    # Shifts and cash
    SHIFT_OPEN = "shift.open", _("Shift opened")
    SHIFT_CLOSE = "shift.close", _("Shift closed")
    SHIFT_RESUME = "shift.resume", _("Shift resumed")
    SHIFT_TAKE_OVER = "shift.take_over", _("Shift taken over")
    SHIFT_PAY_IN = "shift.pay_in", _("Pay-in")
    SHIFT_PAY_OUT = "shift.pay_out", _("Pay-out")
    SHIFT_TABS_LEFT = "shift.tabs_left", _("Open tabs left on a closed shift")
    SHIFT_TABS_MOVED = "shift.tabs_moved", _("Open tabs moved to another shift")

    # Time clock
    TIMECLOCK_CLOCK_IN = "timeclock.clock_in", _("Clocked in")
    TIMECLOCK_CLOCK_OUT = "timeclock.clock_out", _("Clocked out")
    TIMECLOCK_BREAK_START = "timeclock.break_start", _("Break started")
    TIMECLOCK_BREAK_END = "timeclock.break_end", _("Break ended")

    # Stock
    STOCK_ITEM_CREATE = "stock_item.create", _("Stock item added")
    STOCK_ITEM_COST_CHANGE = "stock_item.cost_change", _("Stock cost changed")
    STOCK_ITEM_ARCHIVE = "stock_item.archive", _("Stock item archived")
    STOCK_ITEM_RESTORE = "stock_item.restore", _("Stock item restored")
    STOCK_ITEM_TRACK_PRODUCT = "stock_item.track_product", _("Product stock tracked")
    STOCK_SETTINGS_UPDATE = "stock_settings.update", _("Stock settings changed")
    STOCK_ADJUSTMENT_SUBMIT = "stock.adjustment_submit", _("Stock adjustment submitted")
    STOCK_ADJUSTMENT_APPROVE = "stock.adjustment_approve", _("Stock adjustment approved")
    STOCK_ADJUSTMENT_REJECT = "stock.adjustment_reject", _("Stock adjustment rejected")
    STOCK_TRANSFER_CREATE = "stock.transfer_create", _("Transfer created")
    STOCK_TRANSFER_UPDATE = "stock.transfer_update", _("Transfer changed")
    STOCK_TRANSFER_SEND = "stock.transfer_send", _("Transfer sent")
    STOCK_TRANSFER_RECEIVE = "stock.transfer_receive", _("Transfer received")
    STOCK_TRANSFER_CANCEL = "stock.transfer_cancel", _("Transfer cancelled")
    STOCK_COUNT_POST = "stock.count_post", _("Stock count posted")
    STOCK_COUNT_CANCEL = "stock.count_cancel", _("Stock count cancelled")
    STOCK_SUPPLIER_CREATE = "stock.supplier_create", _("Supplier added")
    STOCK_SUPPLIER_UPDATE = "stock.supplier_update", _("Supplier changed")
    STOCK_SUPPLIER_ARCHIVE = "stock.supplier_archive", _("Supplier archived")
    STOCK_SUPPLIER_RESTORE = "stock.supplier_restore", _("Supplier restored")
    STOCK_PURCHASE_ORDER_SUGGEST = "stock.purchase_order_suggest", _("Purchase orders suggested")
    STOCK_PURCHASE_ORDER_SEND = "stock.purchase_order_send", _("Purchase order sent")
    STOCK_PURCHASE_ORDER_EMAILED = "stock.purchase_order_emailed", _("Purchase order e-mailed")
    STOCK_PURCHASE_ORDER_CANCEL = "stock.purchase_order_cancel", _("Purchase order cancelled")
    STOCK_GOODS_RECEIVE = "stock.goods_receive", _("Goods received")
    RECIPE_COMPONENT_ADD = "recipe.component_add", _("Recipe component added")
    RECIPE_COMPONENT_REMOVE = "recipe.component_remove", _("Recipe component removed")

    # Webhooks (integrations/webhooks/): the endpoints and their secrets, never the secret itself
    WEBHOOK_CREATE = "webhook.create", _("Webhook endpoint added")
    WEBHOOK_UPDATE = "webhook.update", _("Webhook endpoint changed")
    WEBHOOK_DISABLE = "webhook.disable", _("Webhook endpoint turned off")
    WEBHOOK_ENABLE = "webhook.enable", _("Webhook endpoint turned on")
    WEBHOOK_DELETE = "webhook.delete", _("Webhook endpoint removed")
    WEBHOOK_SECRET_ROTATE = "webhook.secret_rotate", _("Webhook secret replaced")

    # Written only by the test suite (the outbox, idempotency and transition tests need an effect to count).
    TEST = "test.entry", _("Test entry")


def audit_target(obj) -> tuple[str, str]:
    """(`target_type`, `target_id`) of a model instance: its model label and primary key."""
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


# --- Sentences: how people read an entry ------------------------------------------------------------------------
#
# "sari voided order #12 (approved by budi)" instead of `order.void`. Built only from what the entry holds: the
# actor's username as written, the target's short label, and ids or codes in `data` (an approver's id is named
# through `names`, which the caller fills in one query: backoffice.selectors.audit_feed). Every action has one
# sentence (a test walks the enum); an action since retired reads as its stored value.
A = AuditAction
_SENTENCES: dict[AuditAction, Any] = {
    A.AUTH_LOGIN: _("%(who)s signed in"),
    A.AUTH_LOGIN_FAILED: _("A sign-in as %(what)s failed"),
    A.AUTH_PASSWORD_CHANGE: _("%(who)s changed their password"),
    A.AUTH_SESSION_END: _("%(who)s signed %(what)s out of their devices"),
    A.AUDIT_EXPORT: _("%(who)s exported the audit log"),
    A.AUTH_PIN_FAILED: _("A wrong PIN was typed for %(what)s"),
    A.AUTH_PIN_LOCKED: _("%(what)s's PIN locked after wrong tries"),
    A.AUTH_OTP_FAILED: _("%(who)s typed a wrong two-step code"),
    A.AUTH_2FA_ENROL: _("%(who)s turned two-step sign-in on"),
    A.AUTH_2FA_DISABLE: _("%(who)s turned two-step sign-in off"),
    A.AUTH_2FA_BACKUP_REGENERATE: _("%(who)s made new backup codes"),
    A.APPROVAL_GRANTED: _("%(what)s approved %(for)s for %(who)s"),
    A.APPROVAL_REFUSED: _("An approval of %(for)s by %(what)s was refused"),
    A.APPROVAL_REQUESTER_BLOCKED: _("PIN approvals at %(what)s's till paused after wrong PINs"),
    A.APPROVAL_REQUESTER_UNBLOCKED: _("%(who)s opened PIN approvals again for %(what)s"),
    A.DEVICE_REGISTER: _("%(who)s registered the till %(what)s"),
    A.DEVICE_REMOVE: _("%(who)s removed the till %(what)s"),
    A.SUPPORT_START: _("Support access for %(what)s started"),
    A.SUPPORT_END: _("Support access for %(what)s ended"),
    A.STAFF_CREATE: _("%(who)s added %(what)s to the staff"),
    A.STAFF_UPDATE: _("%(who)s changed %(what)s's account"),
    A.STAFF_RESET_PASSWORD: _("%(who)s reset %(what)s's password"),
    A.STAFF_SET_PIN: _("%(who)s set %(what)s's PIN"),
    A.STAFF_PIN_UNLOCK: _("%(who)s unlocked %(what)s's PIN"),
    A.OUTLET_UPDATE: _("%(who)s changed the outlet %(what)s"),
    A.SETTINGS_SALES_UPDATE: _("%(who)s changed the sales settings"),
    A.SETTINGS_TAX_RATE: _("%(who)s set the tax %(what)s to %(to)s%%"),
    A.CATALOG_PRICE_CHANGE: _("%(who)s changed the price of %(what)s"),
    A.CATALOG_SOLD_OUT: _("%(who)s marked %(what)s sold out"),
    A.CATALOG_BACK_IN_STOCK: _("%(who)s marked %(what)s back in stock"),
    A.ORDER_DISCOUNT_APPROVED: _("%(who)s approved a discount on %(what)s"),
    A.ORDER_SEND: _("%(who)s sent %(what)s to the kitchen"),
    A.ORDER_ADD_LINES: _("%(who)s added items to %(what)s"),
    A.ORDER_MOVE_TABLE: _("%(who)s moved %(what)s to another table"),
    A.ORDER_VOID: _("%(who)s voided %(what)s"),
    A.ORDER_MERGE: _("%(who)s merged %(what)s into another order"),
    A.ORDER_REFUND: _("%(who)s refunded %(what)s"),
    A.ORDER_SPLIT: _("%(who)s split %(what)s"),
    A.ORDER_LINE_VOID: _("%(who)s voided an item of %(what)s"),
    A.PAYMENT_QR_CAPTURED: _("QR payment %(what)s came in"),
    A.PAYMENT_CANCELLED: _("%(who)s cancelled payment %(what)s"),
    A.PAYMENT_REFUND_DUE: _("QR payment %(what)s is to be given back"),
    A.PAYMENT_REFUNDED: _("%(who)s gave QR payment %(what)s back"),
    A.PAYMENT_QR_SETTINGS_UPDATE: _("%(who)s changed the QR payment provider"),
    A.PAYMENT_QR_SECRET_ROTATE: _("%(who)s replaced the QR callback secret"),
    A.FLOOR_TABLE_DELETE: _("%(who)s removed %(what)s from the floor plan"),
    A.SHIFT_OPEN: _("%(who)s opened %(what)s"),
    A.SHIFT_CLOSE: _("%(who)s closed %(what)s"),
    A.SHIFT_RESUME: _("%(who)s resumed %(what)s"),
    A.SHIFT_TAKE_OVER: _("%(who)s took over %(what)s"),
    A.SHIFT_PAY_IN: _("%(who)s paid cash into %(what)s"),
    A.SHIFT_PAY_OUT: _("%(who)s paid cash out of %(what)s"),
    A.SHIFT_TABS_LEFT: _("%(who)s closed %(what)s with tabs still open"),
    A.SHIFT_TABS_MOVED: _("%(who)s moved the open tabs of %(what)s to another shift"),
    A.TIMECLOCK_CLOCK_IN: _("%(who)s clocked in"),
    A.TIMECLOCK_CLOCK_OUT: _("%(who)s clocked out"),
    A.TIMECLOCK_BREAK_START: _("%(who)s started a break"),
    A.TIMECLOCK_BREAK_END: _("%(who)s ended a break"),
    A.STOCK_ITEM_CREATE: _("%(who)s added the stock item %(what)s"),
    A.STOCK_ITEM_COST_CHANGE: _("%(who)s changed the cost of %(what)s"),
    A.STOCK_ITEM_ARCHIVE: _("%(who)s archived the stock item %(what)s"),
    A.STOCK_ITEM_RESTORE: _("%(who)s restored the stock item %(what)s"),
    A.STOCK_ITEM_TRACK_PRODUCT: _("%(who)s started tracking the stock of %(what)s"),
    A.STOCK_SETTINGS_UPDATE: _("%(who)s changed the stock settings"),
    A.STOCK_ADJUSTMENT_SUBMIT: _("%(who)s submitted %(what)s"),
    A.STOCK_ADJUSTMENT_APPROVE: _("%(who)s approved %(what)s"),
    A.STOCK_ADJUSTMENT_REJECT: _("%(who)s rejected %(what)s"),
    A.STOCK_TRANSFER_CREATE: _("%(who)s created %(what)s"),
    A.STOCK_TRANSFER_UPDATE: _("%(who)s changed %(what)s"),
    A.STOCK_TRANSFER_SEND: _("%(who)s sent %(what)s"),
    A.STOCK_TRANSFER_RECEIVE: _("%(who)s received %(what)s"),
    A.STOCK_TRANSFER_CANCEL: _("%(who)s cancelled %(what)s"),
    A.STOCK_COUNT_POST: _("%(who)s posted %(what)s"),
    A.STOCK_COUNT_CANCEL: _("%(who)s cancelled %(what)s"),
    A.STOCK_SUPPLIER_CREATE: _("%(who)s added the supplier %(what)s"),
    A.STOCK_SUPPLIER_UPDATE: _("%(who)s changed the supplier %(what)s"),
    A.STOCK_SUPPLIER_ARCHIVE: _("%(who)s archived the supplier %(what)s"),
    A.STOCK_SUPPLIER_RESTORE: _("%(who)s restored the supplier %(what)s"),
    A.STOCK_PURCHASE_ORDER_SUGGEST: _("%(who)s asked for suggested purchase orders for %(what)s"),
    A.STOCK_PURCHASE_ORDER_SEND: _("%(who)s sent %(what)s"),
    A.STOCK_PURCHASE_ORDER_EMAILED: _("%(what)s was e-mailed to the supplier"),
    A.STOCK_PURCHASE_ORDER_CANCEL: _("%(who)s cancelled %(what)s"),
    A.STOCK_GOODS_RECEIVE: _("%(who)s received goods for %(what)s"),
    A.RECIPE_COMPONENT_ADD: _("%(who)s added an ingredient to the recipe of %(what)s"),
    A.RECIPE_COMPONENT_REMOVE: _("%(who)s removed an ingredient from the recipe of %(what)s"),
    A.WEBHOOK_CREATE: _("%(who)s added the webhook endpoint %(what)s"),
    A.WEBHOOK_UPDATE: _("%(who)s changed the webhook endpoint %(what)s"),
    A.WEBHOOK_DISABLE: _("%(who)s turned the webhook endpoint %(what)s off"),
    A.WEBHOOK_ENABLE: _("%(who)s turned the webhook endpoint %(what)s on"),
    A.WEBHOOK_DELETE: _("%(who)s removed the webhook endpoint %(what)s"),
    A.WEBHOOK_SECRET_ROTATE: _("%(who)s replaced the secret of the webhook endpoint %(what)s"),
    A.TEST: _("%(who)s wrote a test entry about %(what)s"),
}
del A

# What an approval was for (the capabilities a supervisor lends with a PIN: accounts.access.LENT_WITH_PIN).
_APPROVED_FOR = {
    "order.void": _("a void"),
    "order.refund": _("a refund"),
    "discount.over_limit": _("a discount over the limit"),
    "shift.leave_tabs": _("closing a shift with open tabs"),
}
_LAST_NUMBER = re.compile(r"(\d+)\s*$")


class _Blank(dict):
    """Sentence parameters: a placeholder an entry has nothing for reads as a dash, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return "—"


def _what(entry) -> str:
    """The target as people name it: orders and shifts by their number (their stored labels were written in
    several spellings over time: "order 12", "Order #12"), anything else by its label."""
    label = (entry.target_label or "").strip()
    if entry.target_type == "sales.order" and (number := _LAST_NUMBER.search(label)):
        return str(_("order #%(number)s") % {"number": number[1]})
    if entry.target_type == "sales.shift" and entry.target_id:
        return str(_("shift %(number)s") % {"number": entry.target_id})
    if label:
        return label
    if entry.target_id:  # no label was written (a supplier): its number, not the model's dotted name
        return f"#{entry.target_id}"
    return str(_("someone unknown"))


def audit_approver_ids(entries) -> set[int]:
    """The approvers' ids the entries name (`data["approved_by"]`), to look their names up in one query."""
    ids = set()
    for entry in entries:
        value = (entry.data or {}).get("approved_by") if isinstance(entry.data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return ids


def audit_sentence(entry, names: Mapping[int, str] | None = None) -> str:
    """One entry as a sentence in the current language ("sari voided order #12 (approved by budi)").

    `entry` has an AuditEntry's fields (action, actor_username, target_type, target_id, target_label, data);
    `names` maps approvers' user ids to their usernames."""
    data = entry.data if isinstance(entry.data, dict) else {}
    try:
        template = _SENTENCES[AuditAction(entry.action)]
    except (ValueError, KeyError):  # retired, or not given a sentence: its label or stored value is all there is
        try:
            return str(AuditAction(entry.action).label)
        except ValueError:
            return str(entry.action)
    capability = data.get("for")
    params = _Blank(
        who=entry.actor_username or str(_("The system")),
        what=_what(entry),
        to=str(data.get("to", "")) if data.get("to") not in (None, "") else "—",
    )
    params["for"] = (
        str(_APPROVED_FOR.get(capability, _("an action"))) if isinstance(capability, str) else _("an action")
    )
    sentence = str(template) % params
    approver = data.get("approved_by")
    if isinstance(approver, int) and names and approver in names:
        sentence = str(
            _("%(sentence)s (approved by %(approver)s)") % {"sentence": sentence, "approver": names[approver]}
        )
    return sentence
