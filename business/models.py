from django.db import models


class Outlet(models.Model):
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=20, unique=True, help_text="Short code printed on receipts and reports.")
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    send_to_kitchen_on_pay = models.BooleanField(
        default=True,
        help_text="Paying an order sends what the kitchen has not had yet; off for a shop without a kitchen.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tax(models.Model):
    """A tax the business charges (PB1 10% exclusive, PPN 11% inclusive, ...). Products say which apply."""

    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. PB1 or PPN.")
    name = models.CharField(max_length=60)
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent, e.g. 10 or 11.")
    inclusive = models.BooleanField(default=False, help_text="Already included in menu prices.")
    applies_to_service_charge = models.BooleanField(
        default=False, help_text="Charged on the service charge too (as PB1 is in Indonesian restaurants)."
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "taxes"
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lte=100), name="business_tax_rate_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.name} {format(self.rate.normalize(), 'f')}%"


class CashRounding(models.TextChoices):
    NEAREST = "nearest", "Nearest"
    UP = "up", "Up"
    DOWN = "down", "Down"


class SalesSettings(models.Model):
    """The business's till rules: one row per tenant schema (created with the tenant)."""

    service_charge_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0, help_text="Percent.")
    cash_rounding_unit = models.PositiveIntegerField(
        default=1, help_text="Cash totals are rounded to this many minor units (100 = Rp 100; 1 = no rounding)."
    )
    cash_rounding_mode = models.CharField(max_length=10, choices=CashRounding.choices, default=CashRounding.NEAREST)
    discount_limit_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=10, help_text="Discounts above this need a supervisor's approval."
    )
    receipt_header = models.TextField(blank=True)
    receipt_footer = models.TextField(blank=True, default="Thank you!")
    tips_enabled = models.BooleanField(default=True, help_text="The payment screen offers a tip.")
    tip_percentages = models.CharField(
        max_length=40, default="5,10,15", blank=True, help_text="Tip presets in percent, comma-separated."
    )
    # A till nobody touches for this long locks itself (0: never); the next person signs in by PIN.
    idle_lock_minutes = models.PositiveSmallIntegerField(default=0)
    # Refunds, voids and discounts over the limit need a second person: nobody approves their own.
    approvals_need_second_person = models.BooleanField(default=False)
    # Owners always sign in with a second factor (accounts.access.two_factor_required); these make supervisors and
    # cashiers do so too when they sign in with a password. PIN sign-in on a registered till stays as it is.
    two_factor_supervisors = models.BooleanField(default=False)
    two_factor_cashiers = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "sales settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(service_charge_rate__gte=0, service_charge_rate__lte=100),
                name="business_service_charge_0_100",
            )
        ]

    def __str__(self) -> str:
        return "Sales settings"
