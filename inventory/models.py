from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=80)
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something on the menu. Archived instead of deleted, so past orders keep pointing at it."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=120)
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    # Minor units of the tenant's currency (pos_project/money.py).
    price_minor = models.BigIntegerField()
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(price_minor__gte=0), name="product_price_gte_0")]

    def __str__(self) -> str:
        return self.name
