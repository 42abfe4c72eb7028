"""Every action the audit log records, in one enum (Zulip's `AuditLogEventType`).

`accounts.services.audit_record` takes only members of `AuditAction`: a misspelt or stale string fails loudly
instead of writing an entry no filter or report will ever find. Add the action here first, then write it. The
stored value is the dotted string (`order.void`), so existing rows, filters and exports keep reading the same.
"""

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

    # Written only by the test suite (the outbox, idempotency and transition tests need an effect to count).
    TEST = "test.entry", _("Test entry")


def audit_target(obj) -> tuple[str, str]:
    """(`target_type`, `target_id`) of a model instance: its model label and primary key."""
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)
