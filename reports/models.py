"""Roll-up tables: what reports read instead of scanning every order (docs/adr/0014-report-rollups.md).

Each row adds up one slice of a business day (an outlet's hour, product, tender, tax, person). They are kept
by reports/rollups.py from outbox events as orders are paid, voided and refunded, rebuilt for a date range by
`manage.py reports_rebuild`, and checked against the orders by `manage.py reports_reconcile`.

Dates are business dates in the tenant's time zone. A sale lands on its order's business date (the hour it was
rung up); a void on the day and hour it was voided; a refund on the day and hour it was given, whichever day
the order was, so a refund next week of last month's order changes next week, not a closed month.
Amounts are integer minor units. Ids of other apps' rows are plain integers (0 = none), not foreign keys: a
roll-up outlives a deleted product, and rebuilding never waits on another app's row locks.
"""

from django.db import models

MONEY = {"default": 0}


class DayRow(models.Model):
    """What every roll-up row has: the outlet and business date it adds up."""

    outlet_id = models.BigIntegerField()
    business_date = models.DateField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.business_date} outlet {self.outlet_id}"


class SalesHour(DayRow):
    """One outlet's sales in one hour of one business date, by order type."""

    hour = models.SmallIntegerField()
    order_type = models.CharField(max_length=10)
    orders = models.IntegerField(default=0)
    gross_minor = models.BigIntegerField(**MONEY)  # the lines at their prices (inclusive taxes in them)
    discount_minor = models.BigIntegerField(**MONEY)
    service_charge_minor = models.BigIntegerField(**MONEY)
    tax_minor = models.BigIntegerField(**MONEY)  # exclusive taxes, added to the total
    tax_included_minor = models.BigIntegerField(**MONEY)  # inclusive taxes, inside the prices
    total_minor = models.BigIntegerField(**MONEY)
    tips_minor = models.BigIntegerField(**MONEY)
    line_voids = models.IntegerField(default=0)  # lines struck off orders that were then paid
    line_voided_minor = models.BigIntegerField(**MONEY)
    voids = models.IntegerField(default=0)  # whole orders voided
    voided_minor = models.BigIntegerField(**MONEY)
    refunds = models.IntegerField(default=0)
    refunded_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "outlet_id", "hour", "order_type"], name="reports_sales_hour_key"
            )
        ]


class StaffDay(DayRow):
    """What one person rang up (orders by who made them) and the tips on the payments they took, per day."""

    user_id = models.BigIntegerField()
    orders = models.IntegerField(default=0)
    total_minor = models.BigIntegerField(**MONEY)
    net_minor = models.BigIntegerField(**MONEY)  # total less taxes and service charge
    discount_minor = models.BigIntegerField(**MONEY)
    payments = models.IntegerField(default=0)
    tips_minor = models.BigIntegerField(**MONEY)
    refunds = models.IntegerField(default=0)  # refunds this person gave
    refunded_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business_date", "outlet_id", "user_id"], name="reports_staff_day_key")
        ]


class ProductDay(DayRow):
    """Units and money of one product (variant) per outlet and day; `name` is the last name it was sold under."""

    product_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    quantity = models.BigIntegerField(default=0)
    gross_minor = models.BigIntegerField(**MONEY)
    discount_minor = models.BigIntegerField(**MONEY)
    net_minor = models.BigIntegerField(**MONEY)
    refunded_quantity = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "outlet_id", "product_id", "variant_id"], name="reports_product_day_key"
            )
        ]


class ModifierDay(DayRow):
    """How often a modifier was chosen (times the line's quantity) and what it added, per outlet and day."""

    modifier_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    quantity = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "outlet_id", "modifier_id", "name"], name="reports_modifier_day_key"
            )
        ]


class PaymentDay(DayRow):
    """Money taken and given back per tender, outlet and day."""

    tender = models.CharField(max_length=10)
    payments = models.IntegerField(default=0)
    amount_minor = models.BigIntegerField(**MONEY)
    tips_minor = models.BigIntegerField(**MONEY)
    refunds = models.IntegerField(default=0)
    refunded_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business_date", "outlet_id", "tender"], name="reports_payment_day_key")
        ]


class TaxDay(DayRow):
    """Each tax as charged on the day's sales, as the order recorded it (code, name, rate, inclusive or not)."""

    code = models.CharField(max_length=40)
    inclusive = models.BooleanField()
    name = models.CharField(max_length=120)
    rate = models.DecimalField(max_digits=7, decimal_places=3)
    orders = models.IntegerField(default=0)
    amount_minor = models.BigIntegerField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "outlet_id", "code", "inclusive", "rate"], name="reports_tax_day_key"
            )
        ]


class KitchenDay(DayRow):
    """Tickets per station and day, with preparation time (sent to bumped) of the bumped ones."""

    station_id = models.BigIntegerField()
    tickets = models.IntegerField(default=0)
    bumped = models.IntegerField(default=0)
    prep_seconds = models.BigIntegerField(default=0)  # summed over bumped tickets
    late = models.IntegerField(default=0)  # bumped after the station's red threshold
    max_prep_seconds = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business_date", "outlet_id", "station_id"], name="reports_kitchen_day_key")
        ]


class StockDay(DayRow):
    """Stock that moved per item, kind of movement (sale, waste, ...) and day, with its value at movement cost."""

    item_id = models.BigIntegerField()
    kind = models.CharField(max_length=14)
    movements = models.IntegerField(default=0)
    quantity = models.DecimalField(max_digits=18, decimal_places=3, default=0)  # signed, base units
    value_minor = models.BigIntegerField(**MONEY)  # signed: Σ round(quantity × unit cost)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "outlet_id", "item_id", "kind"], name="reports_stock_day_key"
            )
        ]


class RollupMark(models.Model):
    """A fact already added to the roll-ups: a paid order's sale, a void, a refund. Inserting the mark and
    adding the fact happen in one transaction, so a fact is counted once however often its event comes."""

    class Kind(models.TextChoices):
        SALE = "s", "Sale"
        VOID = "v", "Void"
        REFUND = "r", "Refund"

    pk = models.CompositePrimaryKey("kind", "ref")
    kind = models.CharField(max_length=1, choices=Kind.choices)
    ref = models.BigIntegerField()  # the order's or refund's id

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ref}"
