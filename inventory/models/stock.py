"""Stock: items on the shelves of each outlet, and the ledger of every movement of them.

The ledger is the truth. `StockMovement` rows are only ever added (never edited or deleted by the app) and
`StockLevel.quantity` is the running sum of an item's movements at an outlet, updated in the same transaction
as each movement, under a row lock (`inventory/services/stock.py`). Quantities are in the item's base unit
(pcs, g, ml) with three decimals; costs are minor units of the tenant's currency per base unit, with six
decimals (a gram of coffee costs a fraction of a cent). Nothing here is a float.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

QTY = {"max_digits": 14, "decimal_places": 3}
COST = {"max_digits": 18, "decimal_places": 6}


class StockSettings(models.Model):
    """One row per tenant: what happens when a sale would take stock below zero, and when an adjustment
    needs a supervisor."""

    class NegativeStock(models.TextChoices):
        ALLOW = "allow", "Allow the sale and flag the item"
        BLOCK = "block", "Block the sale at the till"

    class CostMethod(models.TextChoices):
        AVERAGE = "average", "Weighted average cost"
        LAST = "last", "Last purchase cost"

    negative_stock = models.CharField(max_length=10, choices=NegativeStock.choices, default=NegativeStock.ALLOW)
    cost_method = models.CharField(max_length=10, choices=CostMethod.choices, default=CostMethod.AVERAGE)
    # A person's adjustments at an outlet are added up over the business day (inventory/services/adjustments.py):
    # once that day's total (minor units, absolute values) is above the threshold, the next one waits for a second
    # person. 0: every one waits. NULL: none waits. Supervisors' threshold (the owner's never wait):
    adjustment_approval_minor = models.BigIntegerField(null=True, blank=True)
    # ...and cashiers' and kitchen staff's (who may only report waste): by default every one waits.
    staff_adjustment_approval_minor = models.BigIntegerField(null=True, blank=True, default=0)
    low_stock_digest = models.BooleanField(default=True, help_text="E-mail the owner a daily list of low stock.")

    class Meta:
        verbose_name_plural = "stock settings"

    def __str__(self) -> str:
        return "Stock settings"


class Supplier(models.Model):
    name = models.CharField(max_length=120, unique=True)
    contact_name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    is_archived = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)  # for API clients keeping a copy (`?updated_since=`)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StockItem(models.Model):
    """Something counted on the shelves: a product sold as it is (a bottle of water) or an ingredient (milk).

    Counted in `base_unit`; bought in `purchase_unit`, which holds `purchase_factor` base units (beans: base
    unit g, bought by the kg, factor 1000)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "Sold as it is"
        INGREDIENT = "ingredient", "Ingredient"

    class Unit(models.TextChoices):
        PCS = "pcs", "pieces"
        G = "g", "grams"
        ML = "ml", "millilitres"

    name = models.CharField(max_length=120)
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INGREDIENT)
    category = models.ForeignKey("catalog.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    base_unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.PCS)
    purchase_unit = models.CharField(max_length=20, default="pcs", help_text="kg, L, case of 24…")
    purchase_factor = models.DecimalField(default=1, help_text="Base units in one purchase unit.", **QTY)
    cost = models.DecimalField(default=0, help_text="Minor units per base unit.", **COST)
    default_supplier = models.ForeignKey(Supplier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="stock_items"
    )
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # for API clients keeping a copy (`?updated_since=`)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(purchase_factor__gt=0), name="stockitem_factor_gt_0"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="stockitem_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """How much of an item an outlet holds: always the sum of its movements there."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="levels")
    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(default=0, **QTY)
    reorder_point = models.DecimalField(default=0, **QTY)
    reorder_quantity = models.DecimalField(default=0, help_text="Suggested amount to order, base units.", **QTY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__name"]
        constraints = [models.UniqueConstraint(fields=["item", "outlet"], name="stocklevel_item_outlet_unique")]
        indexes = [models.Index(fields=["outlet", "item"], name="stocklevel_outlet_item")]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.outlet_id}: {self.quantity}"


class StockMovement(models.Model):
    """One change of stock. Added, never changed: a mistake is corrected by another movement."""

    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        REFUND = "refund", "Refund"
        VOID = "void", "Void"
        ADJUSTMENT = "adjustment", "Adjustment"
        WASTE = "waste", "Waste"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        RECEIVING = "receiving", "Receiving"
        COUNT = "count", "Count correction"

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="movements")
    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    quantity = models.DecimalField(**QTY)  # signed: + comes in, − goes out
    balance_after = models.DecimalField(**QTY)  # the level right after this movement
    unit_cost = models.DecimalField(**COST)
    reason = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The document it came from: ("order", 12), ("transfer", 3), ("adjustment", 7), ("receipt", 2), ("count", 1).
    source_type = models.CharField(max_length=20)
    source_id = models.BigIntegerField(null=True)
    source_line_id = models.BigIntegerField(null=True)
    went_negative = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stockmovement_quantity_not_0")]
        indexes = [
            models.Index(fields=["item", "outlet", "created_at"], name="stockmove_item_outlet_time"),
            models.Index(fields=["outlet", "created_at"], name="stockmove_outlet_time"),
            models.Index(fields=["source_type", "source_id"], name="stockmove_source"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.item_id}@{self.outlet_id}"

    @property
    def value_minor(self) -> int:
        from pos_project.money import round_minor

        return round_minor(self.quantity * self.unit_cost)


class RecipeComponent(models.Model):
    """What selling one unit uses up. A product (or one of its variants, which then replaces the product's
    recipe) consumes items; a modifier adds items, or swaps one (oat milk `replaces` milk, same quantity
    unless its own is given)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="recipe")  # fmt: skip
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="recipe")  # fmt: skip
    modifier = models.ForeignKey("catalog.Modifier", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="recipe")  # fmt: skip
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(**QTY)
    replaces = models.ForeignKey(StockItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(product__isnull=False, variant__isnull=True, modifier__isnull=True)
                    | Q(product__isnull=True, variant__isnull=False, modifier__isnull=True)
                    | Q(product__isnull=True, variant__isnull=True, modifier__isnull=False)
                ),
                name="recipe_exactly_one_owner",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="recipe_quantity_gte_0"),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | Q(modifier__isnull=False), name="recipe_replaces_only_modifier"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item_id}"


class StockAdjustment(models.Model):
    """A batch of corrections (one line or up to a thousand), posted as movements when approved."""

    class Reason(models.TextChoices):
        DAMAGE = "damage", "Damage"
        THEFT = "theft", "Theft"
        EXPIRY = "expiry", "Expiry"
        CORRECTION = "correction", "Correction"
        WASTE = "waste", "Waste"

    class Status(models.TextChoices):
        # Only inside the transaction that submits it (inventory/transitions.py): it leaves posted or pending.
        NEW = "new", "Being submitted"
        PENDING = "pending", "Waiting for approval"
        POSTED = "posted", "Posted"
        REJECTED = "rejected", "Rejected"

    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    value_minor = models.BigIntegerField(default=0)  # sum of |quantity × cost| of its lines
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"ADJ-{self.pk}"

    # What pages show; what may be done next is the transition table's answer (inventory/transitions.py).
    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED


class StockAdjustmentLine(models.Model):
    adjustment = models.ForeignKey(StockAdjustment, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)  # signed
    unit_cost = models.DecimalField(**COST)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class Transfer(models.Model):
    """Stock moving between two outlets: draft → sent (in transit) → received (in full or in part), or
    cancelled (a sent transfer cancelled goes back to its source)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    from_outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    to_outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(from_outlet=models.F("to_outlet")),
                                              name="transfer_two_outlets")]  # fmt: skip

    def __str__(self) -> str:
        return f"TR-{self.pk}"

    # What pages show; what may be done next is the transition table's answer (inventory/transitions.py).
    @property
    def is_in_transit(self) -> bool:
        return self.status == self.Status.SENT

    @property
    def is_received(self) -> bool:
        return self.status == self.Status.RECEIVED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)  # sent
    quantity_received = models.DecimalField(null=True, blank=True, **QTY)
    unit_cost = models.DecimalField(default=0, **COST)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transferline_quantity_gt_0"),
            models.UniqueConstraint(fields=["transfer", "item"], name="transferline_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"

    @property
    def discrepancy(self):
        """Units sent that did not arrive (negative: more arrived than was sent)."""
        return None if self.quantity_received is None else self.quantity - self.quantity_received


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIAL = "partial", "Partly received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    expected_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # its e-mail went to the mail outbox (once)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"PO-{self.pk}"

    # What pages show; what may be done next is the transition table's answer (inventory/transitions.py).
    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class PurchaseOrderLine(models.Model):
    """Ordered in the item's purchase unit, at a cost per purchase unit (minor units)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**COST)
    quantity_received = models.DecimalField(default=0, **QTY)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="poline_quantity_gt_0"),
            models.UniqueConstraint(fields=["purchase_order", "item"], name="poline_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class GoodsReceipt(models.Model):
    """One delivery against a purchase order (a PO may arrive in several)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"GR-{self.pk}"


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.DecimalField(**QTY)  # purchase units
    unit_cost = models.DecimalField(**COST)  # per purchase unit

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.po_line_id}"


class StockCount(models.Model):
    """A stocktake: the expected quantities are frozen when the sheet is made; counted quantities are entered;
    posting turns each difference into a count-correction movement."""

    class Status(models.TextChoices):
        OPEN = "open", "Counting"
        POSTED = "posted", "Posted"
        CANCELLED = "cancelled", "Cancelled"

    outlet = models.ForeignKey("business.Outlet", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")  # fmt: skip
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"CNT-{self.pk}"

    # What pages show; what may be done next is the transition table's answer (inventory/transitions.py).
    @property
    def is_posted(self) -> bool:
        return self.status == self.Status.POSTED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(**QTY)
    counted = models.DecimalField(null=True, blank=True, **QTY)
    unit_cost = models.DecimalField(**COST)

    class Meta:
        ordering = ["item__name"]
        constraints = [models.UniqueConstraint(fields=["count", "item"], name="countline_item_once")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.counted} counted, {self.expected} expected"

    @property
    def variance(self):
        return None if self.counted is None else self.counted - self.expected
