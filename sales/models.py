"""Registers, shifts, orders and payments. Amounts are integer minor units of the tenant's currency."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Register(models.Model):
    """A till (a tablet or PC) at an outlet. Cash is counted per register shift."""

    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="registers")
    name = models.CharField(max_length=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["outlet", "name"]
        constraints = [models.UniqueConstraint(fields=["outlet", "name"], name="sales_register_unique_name")]

    def __str__(self) -> str:
        return f"{self.outlet} · {self.name}"


class Area(models.Model):
    """A part of an outlet's floor (terrace, indoor, bar) drawn as a grid of cells."""

    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="areas")
    name = models.CharField(max_length=60)
    columns = models.PositiveSmallIntegerField(default=6)
    rows = models.PositiveSmallIntegerField(default=4)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["outlet", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["outlet", "name"], name="sales_area_unique_name")]

    def __str__(self) -> str:
        return self.name


class DiningTable(models.Model):
    """A table on the floor plan, at one cell of its area's grid. A deleted table that has orders stays as a
    retired row (`is_active` off) so history keeps its link; it gives up its cell and its name."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="tables")
    name = models.CharField(max_length=20)
    seats = models.PositiveSmallIntegerField(default=2)
    column = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["area", "row", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "row", "column"], condition=Q(is_active=True), name="sales_table_one_per_cell"
            ),
            models.UniqueConstraint(
                fields=["area", "name"], condition=Q(is_active=True), name="sales_table_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="shifts")
    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who works the drawer now: the opener, until a supervisor takes the shift over (`holder_id`; NULL on rows
    # made before there were take-overs reads as the opener).
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    opening_float_minor = models.BigIntegerField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    closed_at = models.DateTimeField(null=True)
    # Filled at close: the cash counted (by denomination), what the system expected, and the difference.
    counted_cash_minor = models.BigIntegerField(null=True)
    expected_cash_minor = models.BigIntegerField(null=True)
    variance_minor = models.BigIntegerField(null=True)
    denominations = models.JSONField(default=dict, blank=True)
    close_note = models.TextField(blank=True)
    # Every change goes through shift_transition (core/transitions.py saves it): the API's `updated_since`.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["register"], condition=Q(status="open"), name="sales_one_open_shift"),
            models.CheckConstraint(condition=Q(opening_float_minor__gte=0), name="sales_shift_float_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Shift {self.pk} on {self.register}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def holder_id(self) -> int:
        """The person working this shift's drawer: who may resume it on any device and close it as their own."""
        return self.held_by_id or self.opened_by_id


class CashMovement(models.Model):
    """Cash put into (pay-in) or taken out of (pay-out) the drawer during a shift, with its reason."""

    class Kind(models.TextChoices):
        PAY_IN = "pay_in", "Pay-in"
        PAY_OUT = "pay_out", "Pay-out"

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="cash_movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="sales_cash_movement_gt_0")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor}: {self.reason}"


class OrderCounter(models.Model):
    """The last order number used at an outlet on a business day; bumped with one conditional UPSERT."""

    outlet = models.ForeignKey("business.Outlet", on_delete=models.CASCADE, related_name="+")
    business_date = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outlet", "business_date"], name="sales_order_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.outlet_id} {self.business_date}: {self.last_number}"


class Order(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"  # an open tab: sent or not, not fully paid
        PAID = "paid", "Paid"
        VOIDED = "voided", "Voided"
        REFUNDED = "refunded", "Refunded"
        MERGED = "merged", "Merged"  # its lines and payments moved onto another tab

    class Type(models.TextChoices):
        DINE_IN = "dine_in", "Dine-in"
        TAKEAWAY = "takeaway", "Takeaway"
        DELIVERY = "delivery", "Delivery"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="orders")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="orders")
    business_date = models.DateField()
    # Taken as the sale's last statement (order_number_assign), so an outlet's tills do not queue on its counter
    # while a sale writes; NULL only inside the transaction that makes the order, never seen by anyone else.
    number = models.PositiveIntegerField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    order_type = models.CharField(max_length=10, choices=Type.choices, default=Type.TAKEAWAY)
    table_label = models.CharField(max_length=20, blank=True)
    table = models.ForeignKey(DiningTable, on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    customer_name = models.CharField(max_length=80, blank=True)
    sent_to_kitchen_at = models.DateTimeField(null=True, blank=True)
    is_rush = models.BooleanField(default=False, help_text="The kitchen makes it first when it is sent.")
    served_at = models.DateTimeField(null=True, blank=True, help_text="Handed over after the kitchen had it ready.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency for open tabs: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1)
    currency = models.CharField(max_length=3)
    order_discount_kind = models.CharField(max_length=10, blank=True)
    order_discount_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    subtotal_minor = models.BigIntegerField(default=0)
    discount_minor = models.BigIntegerField(default=0)
    service_charge_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0, help_text="Exclusive taxes added to the total.")
    tax_included_minor = models.BigIntegerField(default=0, help_text="Inclusive taxes contained in the total.")
    total_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)
    # Per-tax breakdown as computed at the time of sale: [{code, name, rate, inclusive, amount_minor}].
    tax_breakdown = models.JSONField(default=list, blank=True)
    refunded_minor = models.BigIntegerField(default=0)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    void_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "business_date", "number"], name="sales_order_number_unique"),
        ]
        indexes = [
            # The tills' ready strip (sales.selectors.orders_ready_to_hand_over) reads sent orders not handed over.
            models.Index(
                fields=["outlet", "sent_to_kitchen_at"],
                name="order_waiting_handover",
                condition=models.Q(served_at__isnull=True, sent_to_kitchen_at__isnull=False),
            ),
            # Reports' exception lists (reports.selectors): voided orders by when, discounted orders by day.
            models.Index(fields=["voided_at"], name="order_voided_at", condition=models.Q(status="voided")),
            models.Index(fields=["business_date"], name="order_discounted", condition=models.Q(discount_minor__gt=0)),
            # ... and the biggest discounts first over a long period: read in order, stopping at the list's end
            # (a year of a busy tenant: 4 ms instead of sorting 50,000 rows in 100 ms).
            models.Index(
                F("discount_minor").desc(),
                F("id").desc(),
                name="order_discount_biggest",
                condition=models.Q(discount_minor__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.business_date:%Y-%m-%d}"

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor


class OrderLine(models.Model):
    """A snapshot of what was sold: later catalog or price changes never alter it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, related_name="+")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, null=True, related_name="+")
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=40, blank=True)
    unit_price_minor = models.BigIntegerField(help_text="Menu price plus modifier deltas, per unit.")
    quantity = models.PositiveIntegerField()
    modifiers = models.JSONField(default=list, blank=True)  # [{name, price_delta_minor}]
    taxes = models.JSONField(default=list, blank=True)  # [{code, name, rate, inclusive, applies_to_service_charge}]
    note = models.CharField(max_length=200, blank=True)
    discount_kind = models.CharField(max_length=10, blank=True)
    discount_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    gross_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField(default=0)
    net_minor = models.BigIntegerField()
    is_voided = models.BooleanField(default=False)
    refunded_quantity = models.PositiveIntegerField(default=0)
    # What one unit took from stock when sold ({stock item id: base units}, as strings): a refund or void gives
    # back exactly that, whatever the recipe says by then. Empty when nothing is tracked.
    stock_usage = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="sales_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sales_line_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class Payment(models.Model):
    class Tender(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        QR = "qr", "QR"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # a QR payment waiting for the provider's callback
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"  # the order was voided or merged before the customer paid
        REFUND_DUE = "refund_due", "Refund due"  # captured after the order stopped taking payments: give it back

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="payments")
    tender = models.CharField(max_length=10, choices=Tender.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CAPTURED)
    amount_minor = models.BigIntegerField(help_text="Applied to the order (cash: after rounding).")
    tip_minor = models.BigIntegerField(default=0)
    tendered_minor = models.BigIntegerField(null=True, blank=True, help_text="Cash handed over.")
    change_minor = models.BigIntegerField(default=0)
    rounding_minor = models.BigIntegerField(default=0, help_text="Cash rounding adjustment (+/-).")
    reference = models.CharField(max_length=100, blank=True, help_text="Card approval code or provider id.")
    provider_payload = models.CharField(max_length=500, blank=True, help_text="What the customer scans (QR).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="sales_payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(tip_minor__gte=0), name="sales_payment_tip_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tender_display()} {self.amount_minor} on {self.order}"


class Refund(models.Model):
    """Money given back on a paid order (whole or some lines), to the tender it was paid with."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="refunds", help_text="Shift paying it out.")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    tender = models.CharField(max_length=10, choices=Payment.Tender.choices)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="sales_refund_amount_gt_0")]
        indexes = [models.Index(fields=["created_at"], name="refund_created_at")]  # reports' refunds list

    def __str__(self) -> str:
        return f"Refund {self.amount_minor} on {self.order}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="sales_refund_line_qty_gte_1")]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class QrProviderSettings(models.Model):
    """Which QR payment provider this business uses, and the secret that signs its callbacks: one row per tenant.

    The secret is made for this tenant (sales/services/qr_settings.py), shown to the owner once, and kept only
    here: never in logs, the audit log or the cache. `secret_schema` names the schema it was made in, so a row
    copied into a new tenant's schema (tenants are cloned from a template) carries no usable secret."""

    class Provider(models.TextChoices):
        OFF = "off", "Off"
        SIMULATOR = "simulator", "Built-in simulator (development and demos only)"

    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.OFF)
    secret = models.CharField(max_length=100, blank=True)
    secret_schema = models.CharField(max_length=63, blank=True)
    secret_set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "QR provider settings"

    def __str__(self) -> str:
        return "QR provider settings"
