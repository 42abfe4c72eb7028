from django.db import models


class Plan(models.Model):
    """A subscription plan on the platform (public schema). Feature guards and limits grow from here."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    # Platform prices are in the platform's currency, in minor units (see pos_project/money.py).
    monthly_price_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="IDR")
    max_outlets = models.PositiveIntegerField(default=1)
    max_staff = models.PositiveIntegerField(default=10)
    is_default = models.BooleanField(default=False, help_text="Given to new tenants when none is chosen.")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="billing_plan_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name
