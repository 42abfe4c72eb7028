"""The catalog: categories, products, their variants and modifiers, and per-outlet overrides.

Money is stored in minor units of the tenant's currency (`pos_project/money.py`). Nothing here is deleted once
sold: products, variants, modifiers and categories are archived instead, so past orders keep pointing at them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

# The one text-search expression: the GIN index and the search selector must build exactly the same SQL, or
# PostgreSQL will not use the index. 'simple' (no stemming, no stop words) suits menu names in any language.
FTS_CONFIG = "simple"


def product_name_vector() -> SearchVector:
    return SearchVector("name", config=FTS_CONFIG)


class Category(models.Model):
    name = models.CharField(max_length=80)
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    # For the API's `?updated_since=` sync (docs/api.md); every service's save names it in update_fields.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ModifierGroup(models.Model):
    """Choices asked when a product is sold (size of shot, milk, toppings). Required when min_choices >= 1."""

    name = models.CharField(max_length=80)
    min_choices = models.PositiveSmallIntegerField(default=0)
    max_choices = models.PositiveSmallIntegerField(default=1)
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    # For the API's `?updated_since=` sync: the group or any of its modifiers changed.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_choices__gte=1) & models.Q(max_choices__gte=models.F("min_choices")),
                name="modifiergroup_max_gte_min_and_1",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_required(self) -> bool:
        return self.min_choices >= 1


class Modifier(models.Model):
    group = models.ForeignKey(ModifierGroup, on_delete=models.PROTECT, related_name="modifiers")
    name = models.CharField(max_length=80)
    # Added to the line's price; never negative, so a modifier can never make a line negative.
    price_delta_minor = models.BigIntegerField(default=0)
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_delta_minor__gte=0), name="modifier_delta_gte_0")
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something on the menu. Archived instead of deleted, so past orders keep pointing at it.

    A product without variants sells at its own price; one with variants sells each variant at the variant's
    price. SKUs are unique across products and variants (checked in services under one advisory lock).
    """

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    # Minor units of the tenant's currency (pos_project/money.py).
    price_minor = models.BigIntegerField()
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    taxes = models.ManyToManyField("business.Tax", blank=True, related_name="+")
    modifier_groups = models.ManyToManyField(
        ModifierGroup, through="ProductModifierGroup", blank=True, related_name="products"
    )
    # The product or anything sold under it changed (variants, modifier groups, taxes, an outlet's price or
    # availability): for the API's `?updated_since=` sync, moved with the `product.updated` event.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(price_minor__gte=0), name="product_price_gte_0")]
        # The indexes keep the names they were made with when the catalog lived in `inventory`.
        indexes = [
            GinIndex(product_name_vector(), name="inventory_product_name_fts"),
            models.Index(fields=["category", "sort_order", "name"], name="inventory_product_cat_order"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductModifierGroup(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="product_modifier_groups")
    group = models.ForeignKey(ModifierGroup, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "group"], name="product_modifier_group_unique")]

    def __str__(self) -> str:
        return f"{self.product_id}:{self.group_id}"


class ProductVariant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    name = models.CharField(max_length=80)
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    # The absolute price of this variant (not a difference from the product's price).
    price_minor = models.BigIntegerField()
    sort_order = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    # The size the till preselects (at most one per product, set by the owner); without one, the first in the
    # menu's order. Equal sort orders list the cheaper size first, so Regular comes before Large.
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "price_minor", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_minor__gte=0), name="variant_price_gte_0"),
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_default=True), name="variant_one_default_per_product"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OutletProductOverride(models.Model):
    """What one outlet does differently: its own price, or the item is sold out ("86'd") there.

    `variant` NULL means the product itself (for a product with variants: all of them are unavailable when
    `is_available` is false). `price_minor` NULL means "the catalog price".
    """

    outlet = models.ForeignKey("business.Outlet", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="outlet_overrides")
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.CASCADE, null=True, blank=True, related_name="outlet_overrides"
    )
    price_minor = models.BigIntegerField(null=True, blank=True)
    is_available = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "product", "variant"], nulls_distinct=False, name="outlet_product_override_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(price_minor__isnull=True) | models.Q(price_minor__gte=0),
                name="outlet_override_price_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outlet_id}:{self.product_id}:{self.variant_id or '-'}"


class CatalogVersion(models.Model):
    """One row per tenant schema whose `version` changes whenever a change to what the till prices commits (any
    write to the catalog's tables or to taxes, however it is made: a trigger, not a signal, so `update()`,
    `bulk_create()` and raw SQL count too). catalog/cache.py keeps what it read of the catalog under it."""

    version = models.UUIDField()

    def __str__(self) -> str:
        return str(self.version)
